// Database faults, injected by a TCP proxy between the server's pool and
// PostgreSQL (and by pg_terminate_backend): an outage fails calls fast with
// UNAVAILABLE / 503 and the service recovers by itself; killed connections
// are replaced; a connection lost around a commit never yields a duplicate or
// a wrong answer.
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "proto/affonso/v1/clicks.grpc.pb.h"
#include "proto/affonso/v1/signups.grpc.pb.h"
#include "storage/testing/tcp_proxy.h"
#include "tests/rest_harness.h"
#include "tests/testing/webhook_receiver.h"

namespace affonso::tests {
namespace {

using ::affonso::matchers::StatusIs;

int PortOf(const std::string& url) {
  const size_t at = url.find('@');
  const size_t colon = url.find(':', at);
  const size_t slash = url.find('/', colon);
  int port = 0;
  return absl::SimpleAtoi(url.substr(colon + 1, slash - colon - 1), &port) ? port : 0;
}

class DbFaultTest : public RestTest {
 protected:
  explicit DbFaultTest(int pool_size = 4) : pool_size_(pool_size) {}

  void Configure(services::ServerConfig& config) override {
    auto proxy = storage::testing::TcpProxy::Start(PortOf(config.database_url));
    ASSERT_OK(proxy);
    proxy_ = *std::move(proxy);
    config.database_url = proxy_->Rewrite(config.database_url);
    config.db_pool_size = pool_size_;
    config.db_acquire_timeout = absl::Seconds(1);
    config.db_statement_timeout = absl::Seconds(2);
    config.webhook_allow_private_destinations = true;
    config.webhook_poll_interval = absl::Milliseconds(50);
  }

  void TearDown() override {
    RestTest::TearDown();
    proxy_.reset();
  }

  grpc::Status Signup(const std::string& click_id, affonso::v1::RecordSignupResponse* response) {
    auto stub = affonso::v1::SignupService::NewStub(channel_);
    auto context = As(a_);
    affonso::v1::RecordSignupRequest request;
    request.set_click_id(click_id);
    request.set_email("ada@example.com");
    return stub->RecordSignup(context.get(), request, response);
  }

  const int pool_size_;
  std::unique_ptr<storage::testing::TcpProxy> proxy_;
};

// One connection, so the statement is prepared on it by the warm-up and the
// cut lands on the conversion's Bind, not its Parse.
class InDoubtTest : public DbFaultTest {
 protected:
  InDoubtTest() : DbFaultTest(/*pool_size=*/1) {}
  void Warm() {
    affonso::v1::RecordSignupResponse response;
    ASSERT_OK(Signup(storage::testing::InsertClick(*db_, a_), &response));
  }
};

TEST_F(InDoubtTest, CommitThatLandedIsUnavailableAndTheRetryReturnsThatReferral) {
  Warm();
  const std::string click = storage::testing::InsertClick(*db_, a_);
  proxy_->CutAfterForwarding("signup_convert_batch");
  affonso::v1::RecordSignupResponse first;
  grpc::Status status = Signup(click, &first);
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::UNAVAILABLE)) << status.error_message();
  EXPECT_EQ(proxy_->cuts(), 1);
  // The statement committed: the referral exists, once.
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals WHERE id = '" + click + "'"), "1");

  affonso::v1::RecordSignupResponse retry;
  ASSERT_OK(Signup(click, &retry));
  EXPECT_FALSE(retry.created());  // the idempotent path: the same referral
  EXPECT_EQ(retry.referral().id(), click);
  EXPECT_EQ(retry.referral().email(), "ada@example.com");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals WHERE id = '" + click + "'"), "1");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM outbox_events WHERE payload::text LIKE '%" +
                            click + "%' AND type = 'referral.lead'"),
            "1");
}

TEST_F(InDoubtTest, CommitThatNeverLandedIsUnavailableAndTheRetryCreates) {
  Warm();
  const std::string click = storage::testing::InsertClick(*db_, a_);
  proxy_->CutBeforeForwarding("signup_convert_batch");
  affonso::v1::RecordSignupResponse first;
  grpc::Status status = Signup(click, &first);
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::UNAVAILABLE)) << status.error_message();
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals WHERE id = '" + click + "'"), "0");

  affonso::v1::RecordSignupResponse retry;
  ASSERT_OK(Signup(click, &retry));
  EXPECT_TRUE(retry.created());
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals WHERE id = '" + click + "'"), "1");
}

// Steady TrackClick load while the database is down for 3 s: every call ends
// OK or UNAVAILABLE, none hangs, and calls succeed again within 2 s of the
// database's return; REST says 503; the dispatcher delivers again.
TEST_F(DbFaultTest, OutageFailsFastAndTheServiceRecoversByItself) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WebhookReceiver> receiver, WebhookReceiver::Start());
  InsertWebhookEndpoint(*db_, a_.team_id, receiver->Url(), "{referral.lead}", kWebhookTestSecret,
                        "whk_f");

  struct Outcome {
    absl::Time end;
    absl::Duration took;
    grpc::StatusCode code;
  };
  std::mutex mu;
  std::vector<Outcome> outcomes;
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&] {
      auto stub = affonso::v1::ClickService::NewStub(channel_);
      while (!stop.load()) {
        auto context = As(a_);
        context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        affonso::v1::TrackClickRequest request;
        request.set_program_id(a_.program_id);
        request.set_tracking_id(a_.tracking_id);
        affonso::v1::Click click;
        const absl::Time start = absl::Now();
        grpc::Status status = stub->TrackClick(context.get(), request, &click);
        std::lock_guard<std::mutex> lock(mu);
        outcomes.push_back({absl::Now(), absl::Now() - start, status.error_code()});
        if (!status.ok()) absl::SleepFor(absl::Milliseconds(20));  // a client's backoff
      }
    });
  }
  absl::SleepFor(absl::Seconds(1));
  const absl::Time down = absl::Now();
  proxy_->Down();
  absl::SleepFor(absl::Milliseconds(1500));
  HttpResult during = Call("GET", "/v1/referrals");
  absl::SleepFor(absl::Milliseconds(1500));
  const absl::Time up = absl::Now();
  EXPECT_TRUE(proxy_->Up()) << "the proxy's port was taken while it was down";
  absl::SleepFor(absl::Seconds(4));
  stop.store(true);
  for (auto& worker : workers) worker.join();

  EXPECT_EQ(during.status, 503) << during.body;
  EXPECT_EQ(during.ErrorCode(), "SERVICE_UNAVAILABLE");
  std::map<grpc::StatusCode, int> codes;
  absl::Duration slowest_failure;
  absl::Time first_ok_after_up = absl::InfiniteFuture();
  int failed_after_recovery = 0;
  for (const Outcome& outcome : outcomes) {
    codes[outcome.code]++;
    if (outcome.code != grpc::StatusCode::OK) {
      slowest_failure = std::max(slowest_failure, outcome.took);
      if (outcome.end > up + absl::Seconds(2)) failed_after_recovery++;
    } else if (outcome.end > up) {
      first_ok_after_up = std::min(first_ok_after_up, outcome.end);
    }
  }
  EXPECT_EQ(codes.size(),
            codes.count(grpc::StatusCode::OK) + codes.count(grpc::StatusCode::UNAVAILABLE))
      << "only OK and UNAVAILABLE expected";
  EXPECT_GT(codes[grpc::StatusCode::UNAVAILABLE], 0);
  // Fail fast: bounded by the pool's acquire timeout (1 s) plus a connect.
  EXPECT_LT(slowest_failure, absl::Milliseconds(2500));
  EXPECT_LT(first_ok_after_up - up, absl::Seconds(2));
  EXPECT_EQ(failed_after_recovery, 0);
  std::printf(
      "outage %.1f s: %d ok, %d unavailable, slowest failure %.0f ms, first ok %.0f ms "
      "after the database returned\n",
      absl::ToDoubleSeconds(up - down), codes[grpc::StatusCode::OK],
      codes[grpc::StatusCode::UNAVAILABLE], absl::ToDoubleMilliseconds(slowest_failure),
      absl::ToDoubleMilliseconds(first_ok_after_up - up));

  // The dispatcher polled through the outage and delivers again.
  affonso::v1::RecordSignupResponse response;
  ASSERT_OK(Signup(storage::testing::InsertClick(*db_, a_), &response));
  for (int i = 0; i < 100 && receiver->count() == 0; ++i) absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(receiver->count(), 1u);
  receiver->Shutdown();
}

// pg_terminate_backend on every connection of the server between calls:
// the pool replaces them before use, so no call fails.
TEST_F(DbFaultTest, TerminatedIdleConnectionsAreReplacedUnseen) {
  auto stub = affonso::v1::ClickService::NewStub(channel_);
  auto track = [&] {
    auto context = As(a_);
    affonso::v1::TrackClickRequest request;
    request.set_program_id(a_.program_id);
    request.set_tracking_id(a_.tracking_id);
    affonso::v1::Click click;
    return stub->TrackClick(context.get(), request, &click);
  };
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 10; ++i) ASSERT_OK(track());
    const std::string killed = db_->QueryValue(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
        "current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'");
    EXPECT_NE(killed, "0");
    absl::SleepFor(absl::Milliseconds(200));  // the backends exit
    for (int i = 0; i < 10; ++i) {
      grpc::Status status = track();
      EXPECT_OK(status) << "round " << round << ": " << status.error_message();
    }
  }
}

}  // namespace
}  // namespace affonso::tests

// Three server processes over one PostgreSQL, as Kubernetes runs them: the
// invariants hold across replicas. One referral per click when racing calls
// for it land on different replicas; one rate limit per key however its
// calls are spread; every committed event delivered by the replicas'
// dispatchers.
#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "proto/affonso/v1/clicks.grpc.pb.h"
#include "proto/affonso/v1/referrals.grpc.pb.h"
#include "proto/affonso/v1/signups.grpc.pb.h"
#include "storage/testing/fixtures.h"
#include "tests/server_process.h"
#include "tests/testing/webhook_receiver.h"

namespace affonso::tests {
namespace {

constexpr int kReplicas = 3;

class ReplicasTest : public storage::testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    auto receiver = WebhookReceiver::Start();
    ASSERT_OK(receiver);
    receiver_ = *std::move(receiver);
    InsertWebhookEndpoint(*db_, a_.team_id, receiver_->Url(), "{referral.lead}", kWebhookTestSecret,
                          "whk_r");
    // B's key: 30 a minute (one every 2 s), whatever replica is asked.
    db_->QueryValue("UPDATE api_keys SET rate_limit_per_minute = 30 WHERE team_id = '" +
                    b_.team_id + "'");
    for (int i = 0; i < kReplicas; ++i) {
      auto process = ServerProcess::Start(
          {"--database_url=" + db_->url(), "--http_port=-1", "--metrics_port=0",
           "--rate_limit_per_minute=1000000", "--rate_limit_per_second=100000",
           "--webhook_allow_private", "--shutdown_drain_delay_ms=300", "--log_level=warning",
           "--db_pool_size=8"});
      ASSERT_OK(process);
      replicas_.push_back(*std::move(process));
    }
  }

  void TearDown() override {
    for (auto& replica : replicas_) {
      if (replica->pid() > 0) {
        EXPECT_EQ(replica->Stop(SIGTERM), 0);
      }
    }
    if (receiver_) receiver_->Shutdown();
  }

  static std::unique_ptr<grpc::ClientContext> As(const storage::testing::Tenant& tenant) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + tenant.api_key);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  std::unique_ptr<WebhookReceiver> receiver_;
  std::vector<std::unique_ptr<ServerProcess>> replicas_;
};

TEST_F(ReplicasTest, OneReferralPerClickAndEveryEventDeliveredAcrossReplicas) {
  constexpr int kClicks = 24;
  constexpr int kCallsPerClickPerReplica = 2;
  std::vector<std::string> clicks;
  for (int i = 0; i < kClicks; ++i) clicks.push_back(storage::testing::InsertClick(*db_, a_));

  struct Answer {
    bool ok = false;
    bool created = false;
    std::string referral_id;
  };
  std::vector<std::vector<Answer>> answers(kClicks);
  for (auto& per_click : answers) per_click.resize(kReplicas * kCallsPerClickPerReplica);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClicks; ++c) {
    for (int k = 0; k < kReplicas * kCallsPerClickPerReplica; ++k) {
      threads.emplace_back([&, c, k] {
        auto stub = affonso::v1::SignupService::NewStub(replicas_[k % kReplicas]->channel());
        auto context = As(a_);
        affonso::v1::RecordSignupRequest request;
        request.set_click_id(clicks[c]);
        request.set_email(absl::StrCat("lead", c, "-", k, "@example.com"));
        affonso::v1::RecordSignupResponse response;
        grpc::Status status = stub->RecordSignup(context.get(), request, &response);
        answers[c][k] = {status.ok(), response.created(), response.referral().id()};
      });
    }
  }
  for (auto& thread : threads) thread.join();

  for (int c = 0; c < kClicks; ++c) {
    int created = 0;
    for (const Answer& answer : answers[c]) {
      ASSERT_TRUE(answer.ok) << "click " << clicks[c];
      created += answer.created;
      EXPECT_EQ(answer.referral_id, answers[c][0].referral_id) << "click " << clicks[c];
    }
    EXPECT_EQ(created, 1) << "click " << clicks[c];
  }
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals"), std::to_string(kClicks));

  // One referral.lead per conversion; the three dispatchers share the work.
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM outbox_events WHERE type = 'referral.lead'"),
            std::to_string(kClicks));
  ASSERT_TRUE(receiver_->WaitForDistinct(kClicks, absl::Seconds(30)))
      << "delivered " << receiver_->event_ids().size();
  std::vector<std::string> ids = receiver_->event_ids();
  const std::set<std::string> delivered(ids.begin(), ids.end());
  for (int attempt = 0; attempt < 50; ++attempt) {  // the last attempts being recorded
    if (db_->QueryValue("SELECT count(*) FROM webhook_deliveries WHERE status <> 'succeeded'") ==
        "0") {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'"),
            std::to_string(kClicks));
  EXPECT_EQ(db_->QueryValue("SELECT string_agg(id, ',' ORDER BY id) FROM outbox_events"),
            absl::StrJoin(delivered, ","));
  std::printf("deliveries: %zu for %d events (%zu repeats)\n", ids.size(), kClicks,
              ids.size() - delivered.size());
}

TEST_F(ReplicasTest, RateLimitIsOneBudgetAcrossReplicas) {
  constexpr int kCalls = 90;
  std::atomic<int> allowed{0};
  std::atomic<int> limited{0};
  std::atomic<int> other{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      auto stub = affonso::v1::ReferralService::NewStub(replicas_[i % kReplicas]->channel());
      auto context = As(b_);
      affonso::v1::ListReferralsRequest request;
      affonso::v1::ListReferralsResponse response;
      grpc::Status status = stub->ListReferrals(context.get(), request, &response);
      if (status.ok()) {
        allowed++;
      } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        limited++;
      } else {
        other++;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const int refilled = static_cast<int>((absl::Now() - start) / absl::Seconds(2));
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(allowed.load(), 30);
  EXPECT_LE(allowed.load(), 30 + refilled);
  EXPECT_EQ(allowed.load() + limited.load(), kCalls);
  std::printf("allowed %d, limited %d of %d calls over %d replicas\n", allowed.load(),
              limited.load(), kCalls, kReplicas);
}

// An internal gRPC client balancing over two replicas under steady load while
// one of them stops on SIGTERM: health checking takes it out of the rotation
// during the drain delay, calls in flight finish, and not one call fails.
TEST_F(ReplicasTest, GrpcClientsLoseNoCallWhenAReplicaStops) {
  // What internal clients should use: round_robin with gRPC health checking,
  // so a replica leaves the rotation the moment it turns NOT_SERVING (the
  // drain delay), before it stops accepting.
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(
      R"({"loadBalancingConfig": [{"round_robin": {}}],
          "healthCheckConfig": {"serviceName": ""}})");
  auto channel =
      grpc::CreateCustomChannel(absl::StrCat("ipv4:127.0.0.1:", replicas_[0]->grpc_port(),
                                             ",127.0.0.1:", replicas_[1]->grpc_port()),
                                grpc::InsecureChannelCredentials(), args);
  auto stub = affonso::v1::ClickService::NewStub(channel);
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::mutex failures_mu;
  std::vector<std::string> failures;
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&] {
      while (!stop.load()) {
        auto context = As(a_);
        affonso::v1::TrackClickRequest request;
        request.set_program_id(a_.program_id);
        request.set_tracking_id(a_.tracking_id);
        affonso::v1::Click click;
        grpc::Status status = stub->TrackClick(context.get(), request, &click);
        if (status.ok()) {
          ok++;
        } else {
          std::lock_guard<std::mutex> lock(failures_mu);
          failures.push_back(absl::StrCat(status.error_code(), " ", status.error_message()));
        }
      }
    });
  }
  absl::SleepFor(absl::Seconds(1));
  const absl::Time stopping = absl::Now();
  const int exit_status = replicas_[0]->Stop(SIGTERM);
  const absl::Duration stop_took = absl::Now() - stopping;
  absl::SleepFor(absl::Seconds(1));
  stop.store(true);
  for (auto& worker : workers) worker.join();

  EXPECT_EQ(exit_status, 0);
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures[0];
  EXPECT_GT(ok.load(), 0);
  // Every answered call stored its click once: no retry wrote twice.
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM clicks WHERE team_id = '" + a_.team_id + "'"),
            std::to_string(ok.load()));
  // Drain delay (0.3 s) plus in-flight calls: not the 10 s grace.
  EXPECT_LT(stop_took, absl::Seconds(3));
  std::printf("%d calls, %zu failed; the replica stopped in %.0f ms\n", ok.load(), failures.size(),
              absl::ToDoubleMilliseconds(stop_took));
}

}  // namespace
}  // namespace affonso::tests

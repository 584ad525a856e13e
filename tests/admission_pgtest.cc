// Admission: what clients without a key, idle streams and abandoned calls
// can take from authenticated ones (nothing they need), and readiness that
// turns false while the replica cannot serve.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "proto/affonso/v1/referrals.grpc.pb.h"
#include "tests/http_client.h"
#include "tests/rest_harness.h"
#include "tests/server_harness.h"

namespace affonso::tests {
namespace {

using ::affonso::matchers::StatusIs;

constexpr char kReflection[] = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
constexpr char kHealthWatch[] = "/grpc.health.v1.Health/Watch";
constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";

// A connection of its own (gRPC shares one between channels of equal args).
std::shared_ptr<grpc::Channel> NewConnection(int port, int index) {
  grpc::ChannelArguments args;
  args.SetInt("affonso.test_connection", index);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials(), args);
}

grpc::ByteBuffer EmptyMessage() {
  grpc::Slice empty("");
  return grpc::ByteBuffer(&empty, 1);
}

// Streams opened without a key and left idle; cancelled when destroyed.
class IdleStreams {
 public:
  ~IdleStreams() {
    for (auto& context : contexts_) context->TryCancel();
    std::vector<grpc::Status> statuses(calls_.size());
    for (size_t i = 0; i < calls_.size(); ++i) calls_[i]->Finish(&statuses[i], nullptr);
    for (size_t i = 0; i < calls_.size(); ++i) Wait();
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  // With `write_request`, an empty request message follows (what a
  // server-streaming call needs before its handler starts).
  void Open(grpc::GenericStub& stub, const std::string& method, bool write_request) {
    contexts_.push_back(std::make_unique<grpc::ClientContext>());
    calls_.push_back(stub.PrepareCall(contexts_.back().get(), method, &cq_));
    calls_.back()->StartCall(nullptr);
    Wait();  // one operation at a time
    if (write_request) {
      const grpc::ByteBuffer request = EmptyMessage();
      calls_.back()->Write(request, nullptr);
      Wait();
    }
  }

 private:
  void Wait() {
    void* tag;
    bool ok;
    cq_.Next(&tag, &ok);
  }

  grpc::CompletionQueue cq_;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts_;
  std::vector<std::unique_ptr<grpc::GenericClientAsyncReaderWriter>> calls_;
};

grpc::Status ListReferrals(const std::shared_ptr<grpc::Channel>& channel,
                           std::unique_ptr<grpc::ClientContext> context) {
  auto stub = affonso::v1::ReferralService::NewStub(channel);
  affonso::v1::ListReferralsRequest request;
  affonso::v1::ListReferralsResponse response;
  return stub->ListReferrals(context.get(), request, &response);
}

// "SERVING", "NOT_SERVING" or the call's error, from the gRPC health service.
std::string Health(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::ByteBuffer request = EmptyMessage();
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, kHealthCheck, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = s;
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return absl::StrCat("error ", status.error_code());
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (response.Dump(&slices).ok()) {
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (bytes == std::string("\x08\x01", 2)) return "SERVING";
  if (bytes == std::string("\x08\x02", 2)) return "NOT_SERVING";
  return "unexpected";
}

std::string UnknownKey() { return "Bearer sk_live_" + NewId("x").substr(2, 32); }

class SmallServerTest : public ServerTest {
 protected:
  void Configure(services::ServerConfig& config) override { config.max_rpc_threads = 16; }
};

// The attack: with gRPC reflection served, 16 handler threads and 40
// idle reflection streams refused every other call RESOURCE_EXHAUSTED.
// Reflection is gone and health Watch streams hold no thread.
TEST_F(SmallServerTest, IdleStreamsWithoutAKeyLeaveCallsServed) {
  std::vector<std::shared_ptr<grpc::Channel>> connections;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (int i = 0; i < 4; ++i) {
    connections.push_back(NewConnection(server_->port(), i));
    stubs.push_back(std::make_unique<grpc::GenericStub>(connections.back()));
  }
  IdleStreams streams;
  for (int i = 0; i < 80; ++i) {
    streams.Open(*stubs[i % 4], kReflection, false);
    streams.Open(*stubs[i % 4], kHealthWatch, true);
  }
  absl::SleepFor(absl::Milliseconds(500));  // all of them reach the server
  for (int i = 0; i < 20; ++i) {
    grpc::Status status = ListReferrals(channel_, As(a_));
    ASSERT_OK(status) << i << ": " << status.error_code() << " " << status.error_message();
  }
  EXPECT_EQ(Health(channel_), "SERVING");
  EXPECT_TRUE(server_->serving());
}

// 1,000 calls cancelled as soon as sent (half with the tenant's key, half
// with unknown ones), then an authenticated client: its calls must not wait
// for the abandoned ones to be worked off (each authenticated, half of them
// queried, holding the handler threads meanwhile). A larger flood (4,000)
// can still run gRPC's synchronous pool out for a call or two on a loaded
// machine: the calls being read take threads before any code of ours runs.
TEST_F(SmallServerTest, ACancelledBurstLeavesCallsServed) {
  ASSERT_OK(ListReferrals(channel_, As(a_)));
  std::vector<std::thread> attackers;
  for (int t = 0; t < 4; ++t) {
    attackers.emplace_back([&, t] {
      auto connection = NewConnection(server_->port(), 10 + t);
      grpc::GenericStub stub(connection);
      grpc::CompletionQueue cq;
      std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
      std::vector<std::unique_ptr<grpc::GenericClientAsyncResponseReader>> calls;
      std::vector<std::unique_ptr<grpc::ByteBuffer>> responses;
      std::vector<std::unique_ptr<grpc::Status>> statuses;
      const grpc::ByteBuffer bytes = EmptyMessage();  // ListReferralsRequest{}
      for (int i = 0; i < 250; ++i) {
        contexts.push_back(std::make_unique<grpc::ClientContext>());
        contexts.back()->AddMetadata("authorization",
                                     i % 2 ? "Bearer " + a_.api_key : UnknownKey());
        responses.push_back(std::make_unique<grpc::ByteBuffer>());
        statuses.push_back(std::make_unique<grpc::Status>());
        calls.push_back(stub.PrepareUnaryCall(
            contexts.back().get(), "/affonso.v1.ReferralService/ListReferrals", bytes, &cq));
        calls.back()->StartCall();
        calls.back()->Finish(responses.back().get(), statuses.back().get(), nullptr);
        contexts.back()->TryCancel();
      }
      cq.Shutdown();  // Next drains every Finish, then ends
      void* tag;
      bool ok;
      while (cq.Next(&tag, &ok)) {
      }
    });
  }
  for (auto& attacker : attackers) attacker.join();
  int failed = 0;
  int calls = 0;
  const absl::Time start = absl::Now();
  while (absl::Now() < start + absl::Seconds(1)) {
    grpc::Status status = ListReferrals(channel_, As(a_));
    ++calls;
    if (!status.ok()) {
      ++failed;
      std::printf("failed: %d %s\n", status.error_code(), status.error_message().c_str());
    }
  }
  std::printf("after 1000 cancelled calls: %d of %d authenticated calls failed in 1 s\n", failed,
              calls);
  EXPECT_EQ(failed, 0);
}

// Two keys in one call: neither is picked.
TEST_F(SmallServerTest, DuplicateAuthorizationIsRefused) {
  auto context = As(a_);
  context->AddMetadata("authorization", "Bearer " + a_.api_key);
  grpc::Status status = ListReferrals(channel_, std::move(context));
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  auto other = As(a_);
  other->AddMetadata("authorization", "Bearer " + b_.api_key);
  auto stub = affonso::v1::ReferralService::NewStub(channel_);
  affonso::v1::ListReferralsRequest request;
  affonso::v1::ListReferralsResponse response;
  status = stub->ListReferrals(other.get(), request, &response);
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(Trailer(*other, "x-error-code"), "INVALID_API_KEY");
  EXPECT_OK(ListReferrals(channel_, As(a_)));
}

// ListReferrals calls that wait on a lock a session of the test holds on
// referrals for `lock_for`.
class BlockedCalls {
 public:
  BlockedCalls(storage::testing::TestDatabase* db, absl::Duration lock_for) {
    locker_ = std::thread([db, lock_for] {
      db->QueryValue(absl::StrCat("BEGIN; LOCK TABLE referrals IN ACCESS EXCLUSIVE MODE; ",
                                  "SELECT 1 FROM pg_sleep(", absl::ToDoubleSeconds(lock_for),
                                  "); COMMIT"));
    });
    absl::SleepFor(absl::Milliseconds(200));  // the lock is held
  }
  void Start(const std::shared_ptr<grpc::Channel>& channel, const storage::testing::Tenant& as,
             int calls) {
    for (int i = 0; i < calls; ++i) {
      callers_.emplace_back([this, channel, as] {
        auto context = std::make_unique<grpc::ClientContext>();
        context->AddMetadata("authorization", "Bearer " + as.api_key);
        context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
        grpc::Status status = ListReferrals(channel, std::move(context));
        absl::MutexLock lock(&mu_);
        codes_.push_back(status.error_code());
      });
    }
  }
  std::vector<grpc::StatusCode> Join() {
    locker_.join();
    for (auto& caller : callers_) caller.join();
    return codes_;
  }

 private:
  std::thread locker_;
  std::vector<std::thread> callers_;
  absl::Mutex mu_;
  std::vector<grpc::StatusCode> codes_;
};

// Polls until `serving()` is `want` or `within` passes.
bool Becomes(services::Server& server, bool want, absl::Duration within) {
  const absl::Time end = absl::Now() + within;
  while (absl::Now() < end) {
    if (server.serving() == want) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return server.serving() == want;
}

class SaturationTest : public ServerTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.max_rpc_threads = 4;
    config.saturation_window = absl::Milliseconds(300);
    config.db_acquire_timeout = absl::Seconds(10);
    config.db_statement_timeout = absl::Seconds(10);
  }
};

// Handlers stuck (here on a lock) at the cap: unready after the window, the
// calls over the cap refused UNAVAILABLE (not gRPC's RESOURCE_EXHAUSTED,
// which REST shows as a rate limit), ready again once they finish.
TEST_F(SaturationTest, ReadinessGoesFalseWhileHandlersAreSaturated) {
  ASSERT_OK(ListReferrals(channel_, As(a_)));
  ASSERT_TRUE(server_->serving());
  BlockedCalls blocked(db_.get(), absl::Seconds(2));
  blocked.Start(channel_, a_, 6);
  EXPECT_TRUE(Becomes(*server_, false, absl::Seconds(1)));
  EXPECT_EQ(Health(channel_), "NOT_SERVING");
  std::vector<grpc::StatusCode> codes = blocked.Join();
  EXPECT_TRUE(Becomes(*server_, true, absl::Seconds(1)));
  EXPECT_EQ(Health(channel_), "SERVING");
  int ok = 0;
  int busy = 0;
  for (grpc::StatusCode code : codes) {
    if (code == grpc::StatusCode::OK) ++ok;
    if (code == grpc::StatusCode::UNAVAILABLE) ++busy;
    EXPECT_NE(code, grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(busy, 2);
}

class SmallPoolTest : public ServerTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.db_pool_size = 2;
    config.db_acquire_timeout = absl::Milliseconds(300);
    config.db_probe_interval = absl::Milliseconds(100);
  }
};

// Both connections held by stuck calls: the probe gets none, unready; back
// once they are free.
TEST_F(SmallPoolTest, ReadinessGoesFalseWhileThePoolCannotLend) {
  ASSERT_OK(ListReferrals(channel_, As(a_)));
  ASSERT_TRUE(Becomes(*server_, true, absl::Seconds(1)));
  BlockedCalls blocked(db_.get(), absl::Seconds(2));
  blocked.Start(channel_, a_, 2);
  EXPECT_TRUE(Becomes(*server_, false, absl::Seconds(1.5)));
  blocked.Join();
  EXPECT_TRUE(Becomes(*server_, true, absl::Seconds(1)));
}

class FailedAuthTest : public RestTest {
 protected:
  void Configure(services::ServerConfig& config) override { config.auth_failures_per_minute = 5; }
};

// Five failures from 127.0.0.1, whatever address a gRPC client claims, then
// 429 without a lookup; a key already cached still works from there.
TEST_F(FailedAuthTest, GrpcFailuresAreLimitedPerPeerAddress) {
  // The key feed empties the cache once it listens: cache the key after.
  absl::SleepFor(absl::Milliseconds(500));
  ASSERT_OK(ListReferrals(channel_, As(a_)));
  for (int i = 0; i < 5; ++i) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", UnknownKey());
    context->AddMetadata("x-affonso-client-address", absl::StrCat("10.0.0.", i));
    EXPECT_THAT(ListReferrals(channel_, std::move(context)),
                StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  }
  grpc::ClientContext refused;
  refused.AddMetadata("authorization", UnknownKey());
  auto stub = affonso::v1::ReferralService::NewStub(channel_);
  affonso::v1::ListReferralsRequest request;
  affonso::v1::ListReferralsResponse response;
  EXPECT_THAT(stub->ListReferrals(&refused, request, &response),
              StatusIs(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_EQ(Trailer(refused, "x-error-code"), "RATE_LIMIT_EXCEEDED");
  int64_t retry_after = 0;
  EXPECT_TRUE(absl::SimpleAtoi(Trailer(refused, "retry-after"), &retry_after));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 60);
  EXPECT_THAT(ListReferrals(channel_, std::make_unique<grpc::ClientContext>()),
              StatusIs(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_OK(ListReferrals(channel_, As(a_)));
}

// With a gateway sidecar trusted, a loopback peer's named client is the
// address counted (the test's TCP channel is a loopback peer).
class TrustedLoopbackTest : public ServerTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.auth_failures_per_minute = 5;
    config.trust_loopback_client_address = true;
  }
};

TEST_F(TrustedLoopbackTest, ALoopbackPeerIsCountedByTheClientItNames) {
  auto failing_as = [&](const std::string& client) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", UnknownKey());
    if (!client.empty()) context->AddMetadata("x-affonso-client-address", client);
    return ListReferrals(channel_, std::move(context)).error_code();
  };
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(failing_as(absl::StrCat("10.0.0.", i)), grpc::StatusCode::UNAUTHENTICATED);
  }
  // No named client went over; the peer itself has no failures yet.
  EXPECT_EQ(failing_as(""), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(failing_as("10.0.0.1"), grpc::StatusCode::UNAUTHENTICATED);
  for (int i = 0; i < 4; ++i) failing_as("10.0.0.9");
  EXPECT_EQ(failing_as("10.0.0.9"), grpc::StatusCode::UNAUTHENTICATED);  // the fifth
  EXPECT_EQ(failing_as("10.0.0.9"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(failing_as("10.0.0.2"), grpc::StatusCode::UNAUTHENTICATED);
}

// REST clients are counted by their own address, which the in-process
// gateway passes on.
TEST_F(FailedAuthTest, RestFailuresAreLimitedPerClientAddress) {
  for (int i = 0; i < 5; ++i) {
    HttpResult result = Http(rest_->port(), "GET", "/v1/referrals", "",
                             {{"Authorization", UnknownKey()},
                              {"X-Affonso-Client-Address", absl::StrCat("10.0.0.", i)}});
    EXPECT_EQ(result.status, 401) << result.body;
  }
  HttpResult refused =
      Http(rest_->port(), "GET", "/v1/referrals", "", {{"Authorization", UnknownKey()}});
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.ErrorCode(), "RATE_LIMIT_EXCEEDED");
  EXPECT_FALSE(refused.headers["retry-after"].empty());
}

// What the server already knows to refuse is refused by the gateway before
// it reads the body: a body that is not JSON, which the gateway would
// otherwise parse first (400), gets the refusal instead.
TEST_F(FailedAuthTest, RestRefusalsKnownFromMemoryComeBeforeTheBody) {
  const std::string fake = UnknownKey();
  const std::string not_json = "{\"programId\": [[[[";
  auto post = [&](const std::string& authorization, const std::string& body) {
    return Http(rest_->port(), "POST", "/v1/clicks", body,
                {{"Authorization", authorization}, {"Content-Type", "application/json"}});
  };
  // The key feed empties the cache once it listens: cache A's key after.
  absl::SleepFor(absl::Milliseconds(500));
  ASSERT_EQ(Call("GET", "/v1/referrals").status, 200);
  // Not known yet: the body is read first, as before.
  EXPECT_EQ(post(fake, not_json).ErrorCode(), "VALIDATION_ERROR");
  // Looked up once (401), then remembered as unknown.
  HttpResult looked_up = post(fake, "{}");
  EXPECT_EQ(looked_up.status, 401) << looked_up.body;
  HttpResult remembered = post(fake, not_json);
  EXPECT_EQ(remembered.status, 401) << remembered.body;
  EXPECT_EQ(remembered.ErrorCode(), "UNAUTHORIZED");
  EXPECT_EQ(remembered.ErrorReason(), "INVALID_API_KEY");
  // Failures counted so far: 2 of 5. Three more, then an address over its
  // budget is refused before its body whatever unknown key it brings.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(post(UnknownKey(), "{}").status, 401);
  HttpResult over_budget = post(UnknownKey(), not_json);
  EXPECT_EQ(over_budget.status, 429) << over_budget.body;
  EXPECT_EQ(over_budget.ErrorCode(), "RATE_LIMIT_EXCEEDED");
  int retry_after = 0;
  EXPECT_TRUE(absl::SimpleAtoi(over_budget.headers["retry-after"], &retry_after));
  EXPECT_GE(retry_after, 1);
  EXPECT_NE(over_budget.body.find(absl::StrCat("\"retryAfter\":", retry_after)), std::string::npos)
      << over_budget.body;
  // A cached valid key is still served from there.
  EXPECT_EQ(Call("GET", "/v1/referrals").status, 200);
}

}  // namespace
}  // namespace affonso::tests

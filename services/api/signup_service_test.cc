#include "services/api/signup_service.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/call/admission.h"
#include "services/call/admission_executor.h"
#include "services/call/rate_limiter.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::StatusIs;
using affonso::v1::RecordSignupRequest;
using affonso::v1::RecordSignupResponse;

class FakeSignupStore : public storage::SignupStore {
 public:
  void ConvertClickAsync(std::string team_id, const RecordSignupRequest* request,
                         storage::ConversionCallback done) override {
    absl::MutexLock lock(&mu);
    ++calls;
    last_team = team_id;
    last_thread = testing::ThreadName();
    if (request->click_id() != "clk_known") return done(NotFoundError("click"));
    storage::Conversion conversion;
    conversion.referral.set_id(request->click_id());
    conversion.referral.set_email(request->email());
    conversion.created = !converted;
    converted = true;
    done(conversion);
  }
  absl::Mutex mu;  // calls come from gRPC's threads and the admission threads
  int calls = 0;
  bool converted = false;
  std::string last_team;
  std::string last_thread;
};

RecordSignupRequest Signup(std::string click_id, std::string email,
                           std::string external_user_id = "") {
  RecordSignupRequest request;
  request.set_click_id(std::move(click_id));
  request.set_email(std::move(email));
  request.set_external_user_id(std::move(external_user_id));
  return request;
}

TEST(ValidateRecordSignupTest, FollowsTheSeed) {
  EXPECT_OK(ValidateRecordSignup(Signup("clk_1", "a@example.com")));
  EXPECT_OK(ValidateRecordSignup(Signup("clk_1", "", "user-42")));
  EXPECT_EQ(ApiErrorField(ValidateRecordSignup(Signup("", "a@example.com"))), "click_id");
  EXPECT_EQ(ApiErrorField(ValidateRecordSignup(Signup("clk_1", ""))), "email");
  EXPECT_EQ(ApiErrorField(ValidateRecordSignup(Signup("clk_1", "not-an-email"))), "email");
  RecordSignupRequest long_name = Signup("clk_1", "a@example.com");
  long_name.set_name(std::string(256, 'n'));
  EXPECT_EQ(ApiErrorField(ValidateRecordSignup(long_name)), "name");
  long_name.set_name(std::string(255, 'n'));
  EXPECT_OK(ValidateRecordSignup(long_name));
  EXPECT_EQ(ApiErrorField(ValidateRecordSignup(Signup("clk_1", "", std::string(256, 'u')))),
            "external_user_id");
}

class SignupServiceTest : public ::testing::Test {
 protected:
  grpc::Status Call(const RecordSignupRequest& request, RecordSignupResponse* response,
                    const std::string& authorization = testing::kGoodAuthorization) {
    context_ = testing::ContextWithAuth(authorization);
    return stub_->RecordSignup(context_.get(), request, response);
  }
  std::string Trailer(const std::string& key) {
    return testing::ServerMetadata(*context_, key, /*trailing=*/true);
  }
  std::string Header(const std::string& key) { return testing::ServerMetadata(*context_, key); }

  uint64_t Signups(const char* outcome) {
    return registry_.AddCounter("affonso_signups_total", "", {"outcome"})
        .WithLabels({outcome})
        .Value();
  }

  testing::FakeAuthenticator authenticator_;
  FakeSignupStore store_;
  metrics::Registry registry_;
  ConversionMetrics conversion_metrics_{&registry_};
  SignupServiceImpl service_{&authenticator_, &store_, &conversion_metrics_};
  testing::InProcessServer server_{{&service_}};
  std::unique_ptr<affonso::v1::SignupService::Stub> stub_ =
      affonso::v1::SignupService::NewStub(server_.channel());
  std::unique_ptr<grpc::ClientContext> context_;
};

TEST_F(SignupServiceTest, FirstCallIs201AndRepeatIs200WithTheSameReferral) {
  RecordSignupResponse first, second;
  ASSERT_OK(Call(Signup("clk_known", "a@example.com"), &first));
  EXPECT_TRUE(first.created());
  EXPECT_EQ(Header("x-http-code"), "201");
  EXPECT_EQ(store_.last_team, "team_a");
  ASSERT_OK(Call(Signup("clk_known", "a@example.com"), &second));
  EXPECT_FALSE(second.created());
  EXPECT_EQ(Header("x-http-code"), "200");
  EXPECT_EQ(second.referral().id(), first.referral().id());
}

TEST_F(SignupServiceTest, MissingAndInvalidKeysNeverReachTheStore) {
  RecordSignupResponse response;
  grpc::Status status = Call(Signup("clk_known", "a@example.com"), &response, "");
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(Trailer("x-error-code"), "MISSING_API_KEY");
  status = Call(Signup("clk_known", "a@example.com"), &response, "Bearer sk_wrong");
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(Trailer("x-error-code"), "INVALID_API_KEY");
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(SignupServiceTest, InvalidInputIsRejectedBeforeTheStoreWithItsField) {
  RecordSignupResponse response;
  grpc::Status status = Call(Signup("clk_known", "bad email"), &response);
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer("x-error-code"), "VALIDATION_ERROR");
  EXPECT_EQ(Trailer("x-error-field"), "email");
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(SignupServiceTest, UnknownOrMalformedClickIsNotFound) {
  RecordSignupResponse response;
  EXPECT_THAT(Call(Signup("clk_other", "a@example.com"), &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(Trailer("x-error-code"), "NOT_FOUND");
  EXPECT_EQ(store_.calls, 1);
  EXPECT_THAT(Call(Signup("ref_x' OR 1=1", "a@example.com"), &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(store_.calls, 1);
}

TEST_F(SignupServiceTest, CountsEachAnswerByOutcome) {
  RecordSignupResponse response;
  ASSERT_OK(Call(Signup("clk_known", "a@example.com"), &response));
  ASSERT_OK(Call(Signup("clk_known", "a@example.com"), &response));
  EXPECT_THAT(Call(Signup("clk_other", "a@example.com"), &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));  // not found
  EXPECT_THAT(Call(Signup("clk_known", "bad email"), &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(Call(Signup("clk_known", "a@example.com"), &response, ""),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(Signups("created"), 1u);
  EXPECT_EQ(Signups("existing"), 1u);
  EXPECT_EQ(Signups("rejected"), 3u);
  EXPECT_EQ(Signups("failed"), 0u);
}

TEST_F(SignupServiceTest, RequestIdIsEchoedOrGenerated) {
  RecordSignupResponse response;
  context_ = testing::ContextWithAuth();
  context_->AddMetadata("x-request-id", "req-from-client");
  ASSERT_OK(stub_->RecordSignup(context_.get(), Signup("clk_known", "a@example.com"), &response));
  EXPECT_EQ(Header("x-request-id"), "req-from-client");
  ASSERT_OK(Call(Signup("clk_known", "a@example.com"), &response));
  EXPECT_FALSE(Header("x-request-id").empty());
}

// Takes that wait, as on a slow database, until Release (at most 10 s, so
// that code which waits for them on gRPC's threads fails instead of hanging).
class BlockingRateLimitStore : public storage::RateLimitStore {
 public:
  absl::StatusOr<storage::RateLimitDecision> Take(absl::string_view team_id,
                                                  absl::string_view api_key_id,
                                                  storage::RateLimit limit) override {
    {
      absl::MutexLock lock(&mu_);
      ++takes_;
      threads_.push_back(testing::ThreadName());
    }
    release_.WaitForNotificationWithTimeout(absl::Seconds(10));
    return storage::RateLimitDecision{true, 9, 1700000060, absl::ZeroDuration()};
  }
  // With `lease_extra` set, a lease grants that many more, valid for an hour
  // (the fake's bucket), taken like a Take; without, the Take fallback.
  absl::StatusOr<storage::RateLimitLease> Lease(
      absl::string_view team_id, absl::string_view api_key_id,
      const storage::RateLimitLeaseRequest& request) override {
    if (lease_extra == 0 || request.need == 0) {
      return RateLimitStore::Lease(team_id, api_key_id, request);
    }
    absl::StatusOr<storage::RateLimitDecision> taken = Take(team_id, api_key_id, request.limit);
    storage::RateLimitLease lease;
    lease.granted = 1 + lease_extra;
    lease.remaining = taken->remaining;
    lease.reset_unix = taken->reset_unix;
    lease.bucket_left = absl::Hours(1);
    return lease;
  }
  void Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
  }
  int takes() const {
    absl::MutexLock lock(&mu_);
    return takes_;
  }
  // Whether `n` takes started within 5 s.
  bool AwaitTakes(int n) const {
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return takes_ >= n; };
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(5));
  }
  std::vector<std::string> threads() const {
    absl::MutexLock lock(&mu_);
    return threads_;
  }

  int lease_extra = 0;  // set before the first call

 private:
  mutable absl::Mutex mu_;
  int takes_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> threads_ ABSL_GUARDED_BY(mu_);
  absl::Notification release_;
};

// One server's RecordSignup with the real admission: authentication (from
// memory), then rate limiting over `takes` when `rate_limited`, and callback
// calls' waiting admission on `executor` threads.
struct AdmissionHarness {
  AdmissionHarness(AdmissionExecutor::Options executor_options, bool rate_limited)
      : rate_limited(rate_limited), executor(executor_options) {}
  ~AdmissionHarness() {
    takes.Release();
    for (auto& call : calls) call->done.WaitForNotificationWithTimeout(absl::Seconds(15));
  }

  struct Call {
    std::unique_ptr<grpc::ClientContext> context;
    RecordSignupRequest request;
    RecordSignupResponse response;
    grpc::Status status;
    absl::Notification done;
  };
  // Starts a call without waiting for its answer.
  Call* Start(const std::string& authorization = testing::kGoodAuthorization) {
    calls.push_back(std::make_unique<Call>());
    Call* call = calls.back().get();
    call->context = testing::ContextWithAuth(authorization);
    call->request = Signup("clk_known", "a@example.com");
    stub->async()->RecordSignup(call->context.get(), &call->request, &call->response,
                                [call](grpc::Status status) {
                                  call->status = std::move(status);
                                  call->done.Notify();
                                });
    return call;
  }
  static bool Answered(Call* call) {
    return call->done.WaitForNotificationWithTimeout(absl::Seconds(5));
  }
  // Whether every call was answered within 5 s, End included.
  bool AwaitIdle() {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (calls_in_flight.InFlight() > 0 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    return calls_in_flight.InFlight() == 0;
  }

  const bool rate_limited;
  testing::FakeAuthenticator authenticator;
  FakeSignupStore signups;
  BlockingRateLimitStore takes;
  metrics::Registry registry;
  AuthenticationStage authentication{&authenticator};
  RateLimiter rate_limiter{&takes, storage::RateLimit{600, 20}, &registry};
  Admission admission{rate_limited
                          ? std::vector<const AdmissionStage*>{&authentication, &rate_limiter}
                          : std::vector<const AdmissionStage*>{&authentication}};
  ServerCalls calls_in_flight;
  RpcMetrics rpc_metrics{&registry};
  AdmissionExecutor executor;
  ConversionMetrics conversion_metrics{&registry};
  SignupServiceImpl service{RpcRunner(&admission, &calls_in_flight, &rpc_metrics, &executor),
                            &signups, &conversion_metrics};
  testing::InProcessServer server{{&service}};
  std::unique_ptr<affonso::v1::SignupService::Stub> stub =
      affonso::v1::SignupService::NewStub(server.channel());
  std::vector<std::unique_ptr<Call>> calls;  // first to go: answered (see above)
};

TEST(SignupAdmissionTest, RateLimitTakesRunOnAnAdmissionThreadAndSetTheHeaders) {
  AdmissionHarness harness({1, 8}, /*rate_limited=*/true);
  AdmissionHarness::Call* call = harness.Start();
  ASSERT_TRUE(harness.takes.AwaitTakes(1));
  EXPECT_FALSE(call->done.HasBeenNotified());
  harness.takes.Release();
  ASSERT_TRUE(AdmissionHarness::Answered(call));
  ASSERT_OK(call->status);
  EXPECT_TRUE(call->response.created());
  EXPECT_EQ(harness.takes.threads(), std::vector<std::string>{"affonso-admit"});
  absl::MutexLock lock(&harness.signups.mu);
  EXPECT_EQ(harness.signups.last_thread, "affonso-admit");
  EXPECT_EQ(testing::ServerMetadata(*call->context, "x-ratelimit-limit"), "600");
  EXPECT_EQ(testing::ServerMetadata(*call->context, "x-ratelimit-remaining"), "9");
  EXPECT_EQ(testing::ServerMetadata(*call->context, "x-ratelimit-reset"), "1700000060");
  EXPECT_EQ(testing::ServerMetadata(*call->context, "x-http-code"), "201");
}

// A request left in the key's lease admits the call from memory, on gRPC's
// callback thread: no hand-off, no round trip.
TEST(SignupAdmissionTest, AKeyWithALeasedRequestIsAdmittedWithoutAHop) {
  AdmissionHarness harness({1, 8}, /*rate_limited=*/true);
  harness.takes.lease_extra = 3;
  harness.takes.Release();
  AdmissionHarness::Call* first = harness.Start();
  ASSERT_TRUE(AdmissionHarness::Answered(first));
  ASSERT_OK(first->status);
  EXPECT_EQ(testing::ServerMetadata(*first->context, "x-ratelimit-remaining"), "12");
  {
    absl::MutexLock lock(&harness.signups.mu);
    EXPECT_EQ(harness.signups.last_thread, "affonso-admit");
  }
  AdmissionHarness::Call* second = harness.Start();
  ASSERT_TRUE(AdmissionHarness::Answered(second));
  ASSERT_OK(second->status);
  EXPECT_EQ(harness.takes.takes(), 1);
  EXPECT_EQ(testing::ServerMetadata(*second->context, "x-ratelimit-remaining"), "11");
  absl::MutexLock lock(&harness.signups.mu);
  EXPECT_EQ(harness.signups.calls, 2);
  EXPECT_NE(harness.signups.last_thread, "affonso-admit");
}

TEST(SignupAdmissionTest, CachedKeyWithoutRateLimitIsAdmittedWithoutAHop) {
  AdmissionHarness harness({1, 8}, /*rate_limited=*/false);
  AdmissionHarness::Call* call = harness.Start();
  ASSERT_TRUE(AdmissionHarness::Answered(call));
  ASSERT_OK(call->status);
  EXPECT_EQ(harness.takes.takes(), 0);
  absl::MutexLock lock(&harness.signups.mu);
  EXPECT_EQ(harness.signups.calls, 1);
  EXPECT_NE(harness.signups.last_thread, "affonso-admit");
  EXPECT_EQ(testing::ServerMetadata(*call->context, "x-ratelimit-limit"), "");
}

// More calls wait on the database than gRPC has callback threads (at most
// 16): were any waiting on one of them, some later call would go unanswered.
TEST(SignupAdmissionTest, CallsAreAnsweredWhileTakesWaitOnTheDatabase) {
  AdmissionHarness harness({1, 32}, /*rate_limited=*/true);
  constexpr int kWaiting = 20;
  std::vector<AdmissionHarness::Call*> waiting;
  for (int i = 0; i < kWaiting; ++i) waiting.push_back(harness.Start());
  ASSERT_TRUE(harness.takes.AwaitTakes(1));
  const absl::Time start = absl::Now();
  AdmissionHarness::Call* refused = harness.Start("Bearer sk_wrong");
  ASSERT_TRUE(AdmissionHarness::Answered(refused));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(refused->status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(testing::ServerMetadata(*refused->context, "x-error-code", true), "INVALID_API_KEY");
  EXPECT_EQ(harness.takes.takes(), 1);  // one admission thread: the rest queue
  EXPECT_EQ(harness.calls_in_flight.InFlight(), kWaiting);
  for (AdmissionHarness::Call* call : waiting) EXPECT_FALSE(call->done.HasBeenNotified());
  harness.takes.Release();
  for (AdmissionHarness::Call* call : waiting) {
    ASSERT_TRUE(AdmissionHarness::Answered(call));
    EXPECT_OK(call->status);
  }
  EXPECT_EQ(harness.takes.takes(), kWaiting);
}

TEST(SignupAdmissionTest, FullAdmissionQueueIsRefusedAtOnce) {
  AdmissionHarness harness({1, 1}, /*rate_limited=*/true);
  AdmissionHarness::Call* running = harness.Start();
  ASSERT_TRUE(harness.takes.AwaitTakes(1));
  AdmissionHarness::Call* queued = harness.Start();
  // The queue holds `queued` once it arrives; wait for that.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (harness.executor.queued() < 1 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_EQ(harness.executor.queued(), 1);
  AdmissionHarness::Call* refused = harness.Start();
  ASSERT_TRUE(AdmissionHarness::Answered(refused));
  EXPECT_EQ(refused->status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(testing::ServerMetadata(*refused->context, "x-error-code", true),
            "SERVICE_UNAVAILABLE");
  harness.takes.Release();
  ASSERT_TRUE(AdmissionHarness::Answered(running));
  ASSERT_TRUE(AdmissionHarness::Answered(queued));
  EXPECT_OK(running->status);
  EXPECT_OK(queued->status);
  EXPECT_EQ(harness.takes.takes(), 2);
}

TEST(SignupAdmissionTest, CallCancelledWhileQueuedIsDroppedWithoutItsTake) {
  AdmissionHarness harness({1, 8}, /*rate_limited=*/true);
  AdmissionHarness::Call* running = harness.Start();
  ASSERT_TRUE(harness.takes.AwaitTakes(1));
  AdmissionHarness::Call* cancelled = harness.Start();
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (harness.executor.queued() < 1 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_EQ(harness.executor.queued(), 1);
  cancelled->context->TryCancel();
  ASSERT_TRUE(AdmissionHarness::Answered(cancelled));
  EXPECT_EQ(cancelled->status.error_code(), grpc::StatusCode::CANCELLED);
  absl::SleepFor(absl::Milliseconds(100));  // the cancellation reaches the server
  harness.takes.Release();
  ASSERT_TRUE(AdmissionHarness::Answered(running));
  EXPECT_OK(running->status);
  ASSERT_TRUE(harness.AwaitIdle());
  EXPECT_EQ(harness.takes.takes(), 1);
  absl::MutexLock lock(&harness.signups.mu);
  EXPECT_EQ(harness.signups.calls, 1);
}

TEST(SignupAdmissionTest, TwoServersCountTheirCallsApart) {
  AdmissionHarness waiting_server({1, 8}, /*rate_limited=*/true);
  AdmissionHarness other_server({1, 8}, /*rate_limited=*/false);
  AdmissionHarness::Call* waiting = waiting_server.Start();
  ASSERT_TRUE(waiting_server.takes.AwaitTakes(1));
  EXPECT_EQ(waiting_server.calls_in_flight.InFlight(), 1);
  EXPECT_EQ(other_server.calls_in_flight.InFlight(), 0);
  AdmissionHarness::Call* answered = other_server.Start();
  ASSERT_TRUE(AdmissionHarness::Answered(answered));
  EXPECT_OK(answered->status);
  ASSERT_TRUE(other_server.AwaitIdle());
  EXPECT_EQ(waiting_server.calls_in_flight.InFlight(), 1);
  waiting_server.takes.Release();
  ASSERT_TRUE(AdmissionHarness::Answered(waiting));
  ASSERT_TRUE(waiting_server.AwaitIdle());
}

}  // namespace
}  // namespace affonso::services

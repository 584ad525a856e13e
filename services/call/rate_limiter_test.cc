#include "services/call/rate_limiter.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::StatusIs;

class FakeStore : public storage::RateLimitStore {
 public:
  absl::StatusOr<storage::RateLimitDecision> Take(absl::string_view team_id,
                                                  absl::string_view api_key_id,
                                                  storage::RateLimit limit) override {
    EXPECT_EQ(team_id, "team_1");
    calls.push_back({std::string(api_key_id), limit});
    return next;
  }
  struct Call {
    std::string key;
    storage::RateLimit limit;
  };
  std::vector<Call> calls;
  absl::StatusOr<storage::RateLimitDecision> next =
      storage::RateLimitDecision{true, 7, 1700000060, absl::ZeroDuration()};
};

std::map<std::string, std::string> AsMap(
    const std::vector<std::pair<std::string, std::string>>& pairs) {
  return {pairs.begin(), pairs.end()};
}

class RateLimiterTest : public ::testing::Test {
 protected:
  // The stage after authentication, which found `caller_`.
  absl::Status Admit() {
    state_ = AdmissionState{caller_, {}};
    return limiter_.Admit(AdmissionRequest{"Bearer good", 1, ""}, &state_);
  }
  uint64_t Decisions(const char* result) {
    return registry_.AddCounter("affonso_rate_limit_decisions_total", "", {"result"})
        .WithLabels({result})
        .Value();
  }

  Caller caller_{"team_1", "key_1"};
  AdmissionState state_;
  FakeStore store_;
  metrics::Registry registry_;
  absl::Time now_ = absl::FromUnixMillis(1700000000250);
  RateLimiter limiter_{&store_, storage::RateLimit{600, 20}, &registry_, [this] { return now_; }};
};

TEST_F(RateLimiterTest, AllowedCallCarriesTheHeadersOfItsLimit) {
  absl::Status status = Admit();
  ASSERT_OK(status);
  EXPECT_EQ(state_.caller.team_id, "team_1");
  ASSERT_EQ(store_.calls.size(), 1u);
  EXPECT_EQ(store_.calls[0].key, "key_1");
  EXPECT_EQ(store_.calls[0].limit.per_minute, 600);
  EXPECT_EQ(store_.calls[0].limit.per_second, 20);
  EXPECT_EQ(AsMap(state_.headers),
            (std::map<std::string, std::string>{{"x-ratelimit-limit", "600"},
                                                {"x-ratelimit-remaining", "7"},
                                                {"x-ratelimit-reset", "1700000060"}}));
  EXPECT_EQ(Decisions("allowed"), 1u);
  EXPECT_EQ(Decisions("limited"), 0u);
}

TEST_F(RateLimiterTest, KeyOverridesReplaceEachDefaultSeparately) {
  caller_.rate_limit_per_minute = 3000;
  EXPECT_OK(Admit());
  caller_.rate_limit_per_minute = 0;
  caller_.rate_limit_per_second = 100;
  EXPECT_OK(Admit());
  ASSERT_EQ(store_.calls.size(), 2u);
  EXPECT_EQ(store_.calls[0].limit.per_minute, 3000);
  EXPECT_EQ(store_.calls[0].limit.per_second, 20);
  EXPECT_EQ(store_.calls[1].limit.per_minute, 600);
  EXPECT_EQ(store_.calls[1].limit.per_second, 100);
}

TEST_F(RateLimiterTest, RefusedCallIsRateLimitExceededWithRetryAfter) {
  store_.next = storage::RateLimitDecision{false, 0, 1700000060, absl::Milliseconds(2100)};
  absl::Status status = Admit();
  ASSERT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(ApiErrorCode(status), "RATE_LIMIT_EXCEEDED");
  // The reset is when the request would pass (now + 2.1 s, rounded up), not
  // the minute's refill: the SDK sleeps until it.
  EXPECT_EQ(AsMap(ResponseMetadata(status)),
            (std::map<std::string, std::string>{{"x-ratelimit-limit", "600"},
                                                {"x-ratelimit-remaining", "0"},
                                                {"x-ratelimit-reset", "1700000003"},
                                                {"retry-after", "3"}}));
  EXPECT_TRUE(state_.headers.empty());
  EXPECT_EQ(Decisions("limited"), 1u);
}

TEST_F(RateLimiterTest, RetryAfterIsNeverZero) {
  store_.next = storage::RateLimitDecision{false, 0, 1700000060, absl::Milliseconds(5)};
  absl::Status status = Admit();
  ASSERT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(AsMap(ResponseMetadata(status))["retry-after"], "1");
}

TEST_F(RateLimiterTest, UnreachableStateFailsTheCallAsUnavailable) {
  store_.next = absl::UnavailableError("database unreachable");
  EXPECT_THAT(Admit(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Decisions("error"), 1u);
}

// A key without local state needs a round trip: callback handlers must take
// it off their thread.
TEST_F(RateLimiterTest, AKeyWithoutALeaseIsNotDecidedWithoutWaiting) {
  state_ = AdmissionState{caller_, {}};
  EXPECT_FALSE(limiter_.AdmitWithoutWaiting(AdmissionRequest{"Bearer good", 1, ""}, &state_));
  EXPECT_TRUE(store_.calls.empty());
}

// Behind authentication, as the server orders them.
TEST_F(RateLimiterTest, UnauthenticatedCallsTakeNothing) {
  testing::FakeAuthenticator authenticator;
  authenticator.good_authorization = "Bearer good";
  authenticator.caller = caller_;
  AuthenticationStage authentication(&authenticator);
  Admission admission({&authentication, &limiter_});
  AdmissionState state;
  absl::Status status = admission.Admit(AdmissionRequest{"Bearer bad", 1, ""}, &state);
  EXPECT_EQ(ApiErrorCode(status), "INVALID_API_KEY");
  EXPECT_TRUE(store_.calls.empty());
  EXPECT_OK(admission.Admit(AdmissionRequest{"Bearer good", 1, ""}, &state));
  EXPECT_EQ(store_.calls.size(), 1u);
  EXPECT_EQ(state.headers.size(), 3u);
}

// A store with leases: grants `grant` requests when set (whatever was asked,
// so a test needs no demand to get a lease), else need + extra; records
// every request and can hold round trips until Release. Thread-safe: the
// limiter's callers and its returner call it.
class LeaseStore : public storage::RateLimitStore {
 public:
  struct Call {
    std::string key;
    storage::RateLimitLeaseRequest request;
  };

  absl::StatusOr<storage::RateLimitDecision> Take(absl::string_view, absl::string_view,
                                                  storage::RateLimit) override {
    ADD_FAILURE() << "the limiter takes through leases";
    return absl::InternalError("unexpected Take");
  }
  absl::StatusOr<storage::RateLimitLease> Lease(
      absl::string_view team_id, absl::string_view api_key_id,
      const storage::RateLimitLeaseRequest& request) override {
    EXPECT_EQ(team_id, "team_1");
    absl::MutexLock lock(&mu);
    calls.push_back({std::string(api_key_id), request});
    ++in_flight;
    max_in_flight = std::max(max_in_flight, in_flight);
    auto released = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return !hold; };
    mu.AwaitWithTimeout(absl::Condition(&released), absl::Seconds(10));
    --in_flight;
    if (during_round_trip) during_round_trip();
    if (!error.ok()) return error;
    storage::RateLimitLease lease = answer;
    if (request.need == 0) {
      lease.granted = 0;  // a return only
      lease.ahead_granted = 0;
    } else {
      lease.granted = grant >= 0 ? grant : request.need + request.extra;
    }
    return lease;
  }
  void Release() {
    absl::MutexLock lock(&mu);
    hold = false;
  }
  std::vector<Call> Calls() {
    absl::MutexLock lock(&mu);
    return calls;
  }
  // The calls that gave requests back.
  std::vector<Call> Returns() {
    std::vector<Call> returns;
    for (const Call& call : Calls()) {
      if (call.request.return_n > 0) returns.push_back(call);
    }
    return returns;
  }
  int MaxInFlight() {
    absl::MutexLock lock(&mu);
    return max_in_flight;
  }

  absl::Mutex mu;
  std::vector<Call> calls ABSL_GUARDED_BY(mu);
  int in_flight ABSL_GUARDED_BY(mu) = 0;
  int max_in_flight ABSL_GUARDED_BY(mu) = 0;
  bool hold ABSL_GUARDED_BY(mu) = false;
  // Set before the calls they answer start.
  int grant = -1;
  absl::Status error;
  storage::RateLimitLease answer{
      0, 0, 10, 1700000060, absl::ZeroDuration(), 1700000000, 34000000005, absl::Milliseconds(40)};
  std::function<void()> during_round_trip;
};

// A steady clock tests move (thread-safe: the limiter reads it on callers'
// threads).
class FakeSteadyClock {
 public:
  absl::Duration load() const {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void store(absl::Duration now) {
    absl::MutexLock lock(&mu_);
    now_ = now;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Duration now_ ABSL_GUARDED_BY(mu_) = absl::Hours(100);
};

class LeasingRateLimiterTest : public ::testing::Test {
 protected:
  LeasingRateLimiterTest() { limiter_ = MakeLimiter(10000); }

  std::unique_ptr<RateLimiter> MakeLimiter(size_t max_keys,
                                           absl::Duration lease_wait = absl::Seconds(10)) {
    RateLimiterOptions options;
    options.defaults = storage::RateLimit{600, 20};
    options.clock = [] { return absl::FromUnixMillis(1700000000250); };
    options.steady_clock = [this] { return steady_.load(); };
    options.max_keys = max_keys;
    options.return_interval = absl::ZeroDuration();  // ReturnExpiredLeases by hand
    options.lease_wait = lease_wait;
    return std::make_unique<RateLimiter>(&store_, options, &registry_);
  }
  AdmissionState State(const std::string& key) {
    AdmissionState state{Caller{"team_1", key}, {}};
    state.caller.rate_limit_per_minute = per_minute_;
    state.caller.rate_limit_per_second = per_second_;
    return state;
  }
  absl::Status Admit(const std::string& key = "key_1") {
    state_ = State(key);
    return limiter_->Admit(AdmissionRequest{"Bearer good", 1, ""}, &state_);
  }
  std::optional<absl::Status> AdmitWithoutWaiting(const std::string& key = "key_1") {
    state_ = State(key);
    return limiter_->AdmitWithoutWaiting(AdmissionRequest{"Bearer good", 1, ""}, &state_);
  }
  // `n` calls of key_1 on threads of their own, the first one's round trip
  // held until the others wait for it.
  std::vector<absl::Status> Concurrently(int n) {
    store_.hold = true;
    std::vector<absl::Status> statuses(n);
    std::vector<std::thread> callers;
    for (int i = 0; i < n; ++i) {
      callers.emplace_back([&, i] {
        AdmissionState state = State("key_1");
        statuses[i] = limiter_->Admit(AdmissionRequest{"Bearer good", 1, ""}, &state);
      });
    }
    while (limiter_->waiting() < n - 1) absl::SleepFor(absl::Milliseconds(1));
    store_.Release();
    for (auto& caller : callers) caller.join();
    return statuses;
  }
  std::string Header(const char* name) { return AsMap(state_.headers)[name]; }
  uint64_t Leases(const char* kind) {
    return registry_.AddCounter("affonso_rate_limit_leases_total", "", {"kind"})
        .WithLabels({kind})
        .Value();
  }
  uint64_t Decisions(const char* result) {
    return registry_.AddCounter("affonso_rate_limit_decisions_total", "", {"result"})
        .WithLabels({result})
        .Value();
  }
  void Advance(absl::Duration d) { steady_.store(steady_.load() + d); }

  FakeSteadyClock steady_;
  int per_minute_ = 0;
  int per_second_ = 0;
  AdmissionState state_;
  LeaseStore store_;
  metrics::Registry registry_;
  std::unique_ptr<RateLimiter> limiter_;
};

// Local admission: a lease of 4 serves its own call and three more from
// memory, without waiting; X-RateLimit-Remaining counts down from the lease
// answer's room plus what is left of the lease.
TEST_F(LeasingRateLimiterTest, LeasedRequestsAreUsedWithoutWaitingOrRoundTrips) {
  store_.grant = 4;
  ASSERT_OK(Admit());
  EXPECT_EQ(Header("x-ratelimit-remaining"), "13");  // 10 + 3 left
  EXPECT_EQ(Header("x-ratelimit-limit"), "600");
  EXPECT_EQ(Header("x-ratelimit-reset"), "1700000060");
  ASSERT_OK(Admit());  // the waiting path uses them too
  EXPECT_EQ(Header("x-ratelimit-remaining"), "12");
  for (const char* expected : {"11", "10"}) {
    std::optional<absl::Status> local = AdmitWithoutWaiting();
    ASSERT_TRUE(local.has_value());
    EXPECT_OK(*local);
    EXPECT_EQ(Header("x-ratelimit-remaining"), expected);
  }
  EXPECT_EQ(store_.Calls().size(), 1u);
  EXPECT_FALSE(AdmitWithoutWaiting().has_value());  // used up: a round trip
  EXPECT_EQ(store_.Calls().size(), 1u);
  EXPECT_EQ(Decisions("allowed"), 4u);
  EXPECT_EQ(Leases("granted"), 1u);
  // Everything was used: nothing to give back.
  Advance(absl::Seconds(1));
  EXPECT_EQ(limiter_->ReturnExpiredLeases(), 0);
}

// A lease asks for about twice the recent demand: nothing for a key's first
// call, the calls waiting for a round trip, then twice the previous lease's
// local use.
TEST_F(LeasingRateLimiterTest, LeasesAreSizedByDemand) {
  ASSERT_OK(Admit());
  Advance(absl::Milliseconds(60));
  for (const absl::Status& status : Concurrently(4)) EXPECT_OK(status);
  std::vector<LeaseStore::Call> calls = store_.Calls();
  // The held one (need only: none waited when it was sent), then one for
  // the three that waited: need + 2 more.
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].request.extra, 0);
  EXPECT_EQ(calls[1].request.extra, 0);
  EXPECT_EQ(calls[2].request.extra, 2);
  EXPECT_EQ(store_.MaxInFlight(), 1);  // one round trip per key at a time
  Advance(absl::Milliseconds(60));
  ASSERT_OK(Admit());
  EXPECT_EQ(store_.Calls().back().request.extra, 4);  // 2 used locally
}

// By the rate of use, not the count: ten calls served in 5 ms ask for a whole
// 50 ms bucket at that rate, twice over; the same ten over 20 ms for a
// quarter of that.
TEST_F(LeasingRateLimiterTest, LeasesAreSizedByTheRateTheirRequestsWereUsedAt) {
  per_second_ = 1000;
  for (const auto& [spread, expected] : std::vector<std::pair<absl::Duration, int>>{
           {absl::Milliseconds(5), 200}, {absl::Milliseconds(20), 50}}) {
    store_.grant = 11;
    ASSERT_OK(Admit());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(AdmitWithoutWaiting().has_value());
    Advance(spread);
    ASSERT_OK(Admit());
    EXPECT_EQ(store_.Calls().back().request.extra, expected) << spread;
    // The next round starts with this lease used up.
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(AdmitWithoutWaiting().has_value());
    Advance(absl::Seconds(2));
  }
}

// Requests leased ahead (here 5, with 10 ms of the bucket left and a 2 ms
// round trip) are used only from the answer plus the time left, when their
// bucket has certainly begun, until the send plus the time left plus 50 ms;
// what is left of them then goes back, counted in the next second bucket.
TEST_F(LeasingRateLimiterTest, RequestsAheadAreUsedWithinTheirBucketOnly) {
  store_.grant = 3;
  store_.answer.ahead_granted = 5;
  store_.answer.bucket_left = absl::Milliseconds(10);
  store_.during_round_trip = [this] { Advance(absl::Milliseconds(2)); };
  const absl::Duration sent = steady_.load();
  ASSERT_OK(Admit());
  EXPECT_EQ(store_.Calls()[0].request.ahead, store_.Calls()[0].request.extra);
  ASSERT_TRUE(AdmitWithoutWaiting().has_value());
  ASSERT_TRUE(AdmitWithoutWaiting().has_value());
  EXPECT_FALSE(AdmitWithoutWaiting().has_value());  // this bucket's used up
  steady_.store(sent + absl::Milliseconds(12) - absl::Microseconds(1));
  EXPECT_FALSE(AdmitWithoutWaiting().has_value());  // the next may not have begun
  steady_.store(sent + absl::Milliseconds(12));
  std::optional<absl::Status> ahead = AdmitWithoutWaiting();
  ASSERT_TRUE(ahead.has_value());
  EXPECT_OK(*ahead);
  EXPECT_EQ(Header("x-ratelimit-remaining"), "14");  // 10 + 4 left
  steady_.store(sent + absl::Milliseconds(60) - absl::Microseconds(1));
  EXPECT_TRUE(AdmitWithoutWaiting().has_value());
  EXPECT_EQ(store_.Calls().size(), 1u);
  steady_.store(sent + absl::Milliseconds(60));
  EXPECT_FALSE(AdmitWithoutWaiting().has_value());
  EXPECT_EQ(limiter_->ReturnExpiredLeases(), 1);
  const std::vector<LeaseStore::Call> returns = store_.Returns();
  ASSERT_EQ(returns.size(), 1u);
  EXPECT_EQ(returns[0].request.return_n, 3);
  EXPECT_EQ(returns[0].request.return_minute_bucket, 1700000000);
  EXPECT_EQ(returns[0].request.return_second_bucket, 34000000006);
  EXPECT_EQ(Leases("ahead"), 1u);
}

// Unused requests of the current bucket go back when those ahead take over;
// a call finding requests ahead due within 5 ms waits for them, one finding
// them further off leads a lease.
TEST_F(LeasingRateLimiterTest, ACallWaitsForRequestsAheadDueSoonAndLeasesOtherwise) {
  store_.grant = 3;
  store_.answer.ahead_granted = 5;
  store_.answer.bucket_left = absl::Milliseconds(4);
  const absl::Duration sent = steady_.load();
  ASSERT_OK(Admit());  // 2 left until sent + 4 ms; 5 ahead from then
  steady_.store(sent + absl::Milliseconds(4));
  ASSERT_TRUE(AdmitWithoutWaiting().has_value());  // the ahead ones, the 2 given back
  EXPECT_EQ(limiter_->ReturnExpiredLeases(), 1);
  ASSERT_EQ(store_.Returns().size(), 1u);
  EXPECT_EQ(store_.Returns()[0].request.return_n, 2);
  EXPECT_EQ(store_.Returns()[0].request.return_second_bucket, 34000000005);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(AdmitWithoutWaiting().has_value());
  // Used up. The next lease, with 3 ms left, leases 5 more ahead.
  store_.answer.bucket_left = absl::Milliseconds(3);
  const size_t before = store_.Calls().size();
  ASSERT_OK(Admit());
  ASSERT_TRUE(AdmitWithoutWaiting().has_value());
  ASSERT_TRUE(AdmitWithoutWaiting().has_value());
  // This bucket's used up again, the next due in 3 ms: the call waits.
  absl::Status waited;
  std::thread call([&] {
    AdmissionState state = State("key_1");
    waited = limiter_->Admit(AdmissionRequest{"Bearer good", 1, ""}, &state);
  });
  while (limiter_->waiting() < 1) absl::SleepFor(absl::Milliseconds(1));
  Advance(absl::Milliseconds(3));
  call.join();
  EXPECT_OK(waited);
  EXPECT_EQ(store_.Calls().size(), before + 1);
  // Ahead due in 20 ms: a lease now.
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(AdmitWithoutWaiting().has_value());
  store_.answer.bucket_left = absl::Milliseconds(20);
  ASSERT_OK(Admit());  // 2 now, 5 ahead due in 20 ms
  ASSERT_TRUE(AdmitWithoutWaiting().has_value());
  ASSERT_TRUE(AdmitWithoutWaiting().has_value());
  ASSERT_OK(Admit());
  EXPECT_EQ(store_.Calls().size(), before + 3);
}

// At most the per-second limit more, however many wait.
TEST_F(LeasingRateLimiterTest, ALeaseAsksForAtMostThePerSecondLimit) {
  per_second_ = 3;
  for (const absl::Status& status : Concurrently(6)) EXPECT_OK(status);
  std::vector<LeaseStore::Call> calls = store_.Calls();
  ASSERT_GE(calls.size(), 2u);
  EXPECT_EQ(calls[1].request.extra, 3);  // 4 waited
}

// Calls of one key share its round trip: one in flight, whatever waits.
TEST_F(LeasingRateLimiterTest, OneLeaseInFlightPerKey) {
  store_.grant = 1;  // each lease serves one call only
  const std::vector<absl::Status> statuses = Concurrently(5);
  for (const absl::Status& status : statuses) EXPECT_OK(status);
  EXPECT_EQ(store_.Calls().size(), 5u);
  EXPECT_EQ(store_.MaxInFlight(), 1);
}

// The lease is timed from the steady clock read before the round trip was
// sent: a 15 ms round trip leaves 40 - 15 ms of a 40 ms bucket_left.
TEST_F(LeasingRateLimiterTest, ALeaseEndsWithItsSubWindowCountedFromTheSend) {
  store_.grant = 5;
  store_.during_round_trip = [this] { Advance(absl::Milliseconds(15)); };
  const absl::Duration sent = steady_.load();
  ASSERT_OK(Admit());
  steady_.store(sent + absl::Milliseconds(40) - absl::Microseconds(1));
  std::optional<absl::Status> last_moment = AdmitWithoutWaiting();
  ASSERT_TRUE(last_moment.has_value());
  EXPECT_OK(*last_moment);
  steady_.store(sent + absl::Milliseconds(40));
  EXPECT_FALSE(AdmitWithoutWaiting().has_value());
  EXPECT_EQ(store_.Calls().size(), 1u);
  // The next call's lease gives back the 3 left, into their buckets.
  store_.answer.minute_bucket += 1;
  store_.answer.second_bucket += 20;
  ASSERT_OK(Admit());
  const std::vector<LeaseStore::Call> calls = store_.Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].request.need, 1);
  EXPECT_EQ(calls[1].request.return_n, 3);
  EXPECT_EQ(calls[1].request.return_minute_bucket, 1700000000);
  EXPECT_EQ(calls[1].request.return_second_bucket, 34000000005);
  EXPECT_EQ(Leases("returned"), 1u);
}

// The background thread's pass gives back what expired and nothing else.
TEST_F(LeasingRateLimiterTest, UnusedRequestsOfExpiredLeasesAreGivenBack) {
  store_.grant = 5;
  ASSERT_OK(Admit());
  ASSERT_OK(Admit("key_2"));
  EXPECT_OK(*AdmitWithoutWaiting());
  EXPECT_EQ(limiter_->ReturnExpiredLeases(), 0);  // still valid
  Advance(absl::Milliseconds(40));
  EXPECT_EQ(limiter_->ReturnExpiredLeases(), 2);
  std::vector<LeaseStore::Call> returns = store_.Returns();
  ASSERT_EQ(returns.size(), 2u);
  std::map<std::string, int> returned;
  for (const LeaseStore::Call& call : returns) {
    EXPECT_EQ(call.request.need, 0);
    EXPECT_EQ(call.request.extra, 0);
    EXPECT_EQ(call.request.return_second_bucket, 34000000005);
    returned[call.key] = call.request.return_n;
  }
  EXPECT_EQ(returned, (std::map<std::string, int>{{"key_1", 3}, {"key_2", 4}}));
  EXPECT_EQ(Leases("returned"), 2u);
  EXPECT_EQ(limiter_->ReturnExpiredLeases(), 0);  // once
  // Given back: not used any more.
  EXPECT_FALSE(AdmitWithoutWaiting().has_value());
}

// A refusal answers the key's calls from memory until its retry_after.
TEST_F(LeasingRateLimiterTest, ARefusalIsCachedUntilItsRetryAfter) {
  store_.grant = 0;
  store_.answer.remaining = 0;
  store_.answer.retry_after = absl::Milliseconds(300);
  absl::Status refused = Admit();
  ASSERT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(ApiErrorCode(refused), "RATE_LIMIT_EXCEEDED");
  EXPECT_EQ(AsMap(ResponseMetadata(refused))["retry-after"], "1");
  Advance(absl::Milliseconds(299));
  EXPECT_THAT(Admit(), StatusIs(absl::StatusCode::kResourceExhausted));
  std::optional<absl::Status> local = AdmitWithoutWaiting();
  ASSERT_TRUE(local.has_value());
  EXPECT_THAT(*local, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(AsMap(ResponseMetadata(*local))["x-ratelimit-remaining"], "0");
  EXPECT_EQ(store_.Calls().size(), 1u);
  EXPECT_EQ(Decisions("limited"), 3u);
  EXPECT_EQ(Leases("refused"), 1u);
  Advance(absl::Milliseconds(1));
  store_.grant = -1;
  EXPECT_FALSE(AdmitWithoutWaiting().has_value());
  EXPECT_OK(Admit());
  EXPECT_EQ(store_.Calls().size(), 2u);
}

// Set-limit (or a key's override) reaches the limiter in the Caller the
// authenticator hands it: the lease under the old limits ends at once and
// its requests go back; a refusal under them is forgotten.
TEST_F(LeasingRateLimiterTest, ALimitChangeEndsTheLeaseAtOnce) {
  store_.grant = 5;
  ASSERT_OK(Admit());
  per_second_ = 5;
  EXPECT_FALSE(AdmitWithoutWaiting().has_value());
  store_.grant = 0;
  store_.answer.retry_after = absl::Seconds(30);
  EXPECT_THAT(Admit(), StatusIs(absl::StatusCode::kResourceExhausted));
  std::vector<LeaseStore::Call> calls = store_.Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].request.limit.per_second, 5);
  EXPECT_EQ(calls[1].request.return_n, 0);  // not used under the new limits
  // The old lease's 4 go back at the next pass, expired or not.
  EXPECT_EQ(limiter_->ReturnExpiredLeases(), 1);
  ASSERT_EQ(store_.Returns().size(), 1u);
  EXPECT_EQ(store_.Returns()[0].request.return_n, 4);
  EXPECT_EQ(store_.Returns()[0].request.limit.per_second, 20);
  // Raised again: the refusal under per_second 5 no longer answers.
  per_second_ = 50;
  store_.grant = -1;
  EXPECT_FALSE(AdmitWithoutWaiting().has_value());
  EXPECT_OK(Admit());
  EXPECT_EQ(store_.Calls().back().request.limit.per_second, 50);
}

// Beyond max_keys the least recently used key goes, its lease given back.
TEST_F(LeasingRateLimiterTest, TheKeyTableIsAnLruThatGivesBackWhatItDrops) {
  limiter_ = MakeLimiter(2);
  store_.grant = 3;
  ASSERT_OK(Admit("key_1"));
  ASSERT_OK(Admit("key_2"));
  EXPECT_OK(*AdmitWithoutWaiting("key_1"));  // key_2 is now the oldest
  ASSERT_OK(Admit("key_3"));
  EXPECT_EQ(limiter_->keys(), 2u);
  EXPECT_TRUE(AdmitWithoutWaiting("key_1").has_value());
  EXPECT_FALSE(AdmitWithoutWaiting("key_2").has_value());  // forgotten
  EXPECT_EQ(limiter_->ReturnExpiredLeases(), 1);
  ASSERT_EQ(store_.Returns().size(), 1u);
  EXPECT_EQ(store_.Returns()[0].key, "key_2");
  EXPECT_EQ(store_.Returns()[0].request.return_n, 2);
}

TEST_F(LeasingRateLimiterTest, AFailedRoundTripIsUnavailableAndCounted) {
  store_.error = absl::UnavailableError("database unreachable");
  EXPECT_THAT(Admit(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Leases("error"), 1u);
  EXPECT_EQ(Decisions("error"), 1u);
  // Nothing cached: the next call tries again.
  store_.error = absl::OkStatus();
  EXPECT_OK(Admit());
  EXPECT_EQ(store_.Calls().size(), 2u);
}

// A call waits for its key's round trip a bounded time.
TEST_F(LeasingRateLimiterTest, WaitingForTheKeysRoundTripIsBounded) {
  limiter_ = MakeLimiter(10000, absl::Milliseconds(50));
  store_.hold = true;
  std::thread leader([this] {
    AdmissionState state = State("key_1");
    EXPECT_OK(limiter_->Admit(AdmissionRequest{"Bearer good", 1, ""}, &state));
  });
  while (store_.Calls().empty()) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_THAT(Admit(), StatusIs(absl::StatusCode::kUnavailable));
  store_.Release();
  leader.join();
  EXPECT_EQ(store_.Calls().size(), 1u);
}

// Stopping gives back every unused request.
TEST_F(LeasingRateLimiterTest, DestructionGivesBackUnusedRequests) {
  store_.grant = 6;
  ASSERT_OK(Admit());
  limiter_.reset();
  ASSERT_EQ(store_.Returns().size(), 1u);
  EXPECT_EQ(store_.Returns()[0].request.return_n, 5);
}

// The background thread returns expired leases by itself.
TEST(RateLimiterThreadTest, TheReturnerGivesBackExpiredLeases) {
  LeaseStore store;
  store.grant = 3;
  store.answer.bucket_left = absl::Milliseconds(1);
  metrics::Registry registry;
  RateLimiterOptions options;
  options.defaults = storage::RateLimit{600, 20};
  options.return_interval = absl::Milliseconds(1);
  RateLimiter limiter(&store, options, &registry);
  AdmissionState state{Caller{"team_1", "key_1"}, {}};
  ASSERT_OK(limiter.Admit(AdmissionRequest{"Bearer good", 1, ""}, &state));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (store.Returns().empty() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(store.Returns().size(), 1u);
  EXPECT_EQ(store.Returns()[0].request.return_n, 2);
}

}  // namespace
}  // namespace affonso::services

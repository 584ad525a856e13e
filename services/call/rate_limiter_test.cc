#include "services/call/rate_limiter.h"

#include <map>
#include <string>
#include <vector>

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

// Every decision is a round trip: callback handlers must take it off their
// thread.
TEST_F(RateLimiterTest, NeverDecidesWithoutWaiting) {
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

}  // namespace
}  // namespace affonso::services

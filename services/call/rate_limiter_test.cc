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
  RateLimiterTest() {
    inner_.good_authorization = "Bearer good";
    inner_.caller = Caller{"team_1", "key_1"};
  }

  testing::FakeAuthenticator inner_;
  FakeStore store_;
  RateLimitingAuthenticator limiter_{&inner_, &store_, storage::RateLimit{600, 20}};
};

TEST_F(RateLimiterTest, AllowedCallCarriesTheHeadersOfItsLimit) {
  auto caller = limiter_.Authenticate("Bearer good");
  ASSERT_OK(caller);
  EXPECT_EQ(caller->team_id, "team_1");
  ASSERT_EQ(store_.calls.size(), 1u);
  EXPECT_EQ(store_.calls[0].key, "key_1");
  EXPECT_EQ(store_.calls[0].limit.per_minute, 600);
  EXPECT_EQ(store_.calls[0].limit.per_second, 20);
  EXPECT_EQ(AsMap(caller->response_metadata),
            (std::map<std::string, std::string>{{"x-ratelimit-limit", "600"},
                                                {"x-ratelimit-remaining", "7"},
                                                {"x-ratelimit-reset", "1700000060"}}));
}

TEST_F(RateLimiterTest, KeyOverridesReplaceEachDefaultSeparately) {
  inner_.caller.rate_limit_per_minute = 3000;
  EXPECT_OK(limiter_.Authenticate("Bearer good"));
  inner_.caller.rate_limit_per_minute = 0;
  inner_.caller.rate_limit_per_second = 100;
  EXPECT_OK(limiter_.Authenticate("Bearer good"));
  ASSERT_EQ(store_.calls.size(), 2u);
  EXPECT_EQ(store_.calls[0].limit.per_minute, 3000);
  EXPECT_EQ(store_.calls[0].limit.per_second, 20);
  EXPECT_EQ(store_.calls[1].limit.per_minute, 600);
  EXPECT_EQ(store_.calls[1].limit.per_second, 100);
}

TEST_F(RateLimiterTest, RefusedCallIsRateLimitExceededWithRetryAfter) {
  store_.next = storage::RateLimitDecision{false, 0, 1700000060, absl::Milliseconds(2100)};
  auto caller = limiter_.Authenticate("Bearer good");
  ASSERT_THAT(caller, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(ApiErrorCode(caller.status()), "RATE_LIMIT_EXCEEDED");
  EXPECT_EQ(AsMap(ResponseMetadata(caller.status())),
            (std::map<std::string, std::string>{{"x-ratelimit-limit", "600"},
                                                {"x-ratelimit-remaining", "0"},
                                                {"x-ratelimit-reset", "1700000060"},
                                                {"retry-after", "3"}}));
}

TEST_F(RateLimiterTest, RetryAfterIsNeverZero) {
  store_.next = storage::RateLimitDecision{false, 0, 1700000060, absl::Milliseconds(5)};
  auto caller = limiter_.Authenticate("Bearer good");
  ASSERT_THAT(caller, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(AsMap(ResponseMetadata(caller.status()))["retry-after"], "1");
}

TEST_F(RateLimiterTest, UnauthenticatedCallsTakeNothing) {
  auto caller = limiter_.Authenticate("Bearer bad");
  EXPECT_EQ(ApiErrorCode(caller.status()), "INVALID_API_KEY");
  EXPECT_TRUE(store_.calls.empty());
}

TEST_F(RateLimiterTest, UnreachableStateFailsTheCallAsUnavailable) {
  store_.next = absl::UnavailableError("database unreachable");
  auto caller = limiter_.Authenticate("Bearer good");
  EXPECT_THAT(caller, StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace affonso::services

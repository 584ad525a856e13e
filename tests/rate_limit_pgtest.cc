// Per-API-key rate limits end to end: the REST headers on every response,
// the 429 envelope, gRPC's RESOURCE_EXHAUSTED with the same metadata, and
// buckets per key.
#include <string>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "proto/affonso/v1/referrals.grpc.pb.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

using ::affonso::matchers::StatusIs;

int64_t AsInt(const std::string& text) {
  int64_t value = -1;
  return absl::SimpleAtoi(text, &value) ? value : -1;
}

class RateLimitTest : public RestTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.rate_limit_per_minute = 600;
    config.rate_limit_per_second = 20;
  }
  void SetUp() override {
    RestTest::SetUp();
    if (HasFatalFailure()) return;
    // Tenant A's key: 3 a minute (none comes back during the test), set
    // before its first call so no replica has it cached.
    db_->QueryValue("UPDATE api_keys SET rate_limit_per_minute = 3 WHERE team_id = '" + a_.team_id +
                    "'");
  }
};

TEST_F(RateLimitTest, EveryResponseCarriesTheLimitAndA429SaysWhenToRetry) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  for (int expected_remaining : {2, 1, 0}) {
    HttpResult result = Call("GET", "/v1/referrals");
    ASSERT_EQ(result.status, 200) << result.body;
    EXPECT_EQ(result.headers["x-ratelimit-limit"], "3");
    EXPECT_EQ(AsInt(result.headers["x-ratelimit-remaining"]), expected_remaining);
    EXPECT_GE(AsInt(result.headers["x-ratelimit-reset"]), now + 19);
    EXPECT_LE(AsInt(result.headers["x-ratelimit-reset"]), now + 62);
    EXPECT_EQ(result.headers.count("retry-after"), 0u);
  }
  HttpResult refused = Call("GET", "/v1/referrals");
  ASSERT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.ErrorCode(), "RATE_LIMIT_EXCEEDED");
  EXPECT_EQ(refused.headers["x-ratelimit-limit"], "3");
  EXPECT_EQ(refused.headers["x-ratelimit-remaining"], "0");
  // At most 3 in any minute: the first slot frees when the first call is a
  // minute old.
  const int64_t retry_after = AsInt(refused.headers["retry-after"]);
  EXPECT_GE(retry_after, 59);
  EXPECT_LE(retry_after, 61);
  // The reset of a refusal is when the retry would pass (the SDK sleeps
  // until it): now + Retry-After, to the second.
  const int64_t refused_at = absl::ToUnixSeconds(absl::Now());
  EXPECT_GE(AsInt(refused.headers["x-ratelimit-reset"]), refused_at + retry_after - 1);
  EXPECT_LE(AsInt(refused.headers["x-ratelimit-reset"]), refused_at + retry_after + 1);
  const auto& error = refused.json.fields().at("error").struct_value().fields();
  ASSERT_TRUE(error.count("retryAfter")) << refused.body;
  EXPECT_EQ(static_cast<int64_t>(error.at("retryAfter").number_value()), retry_after);
}

TEST_F(RateLimitTest, ErrorsCountAndCarryTheHeadersToo) {
  HttpResult missing = Call("GET", "/v1/referrals/ref_doesnotexist");
  ASSERT_EQ(missing.status, 404) << missing.body;
  EXPECT_EQ(missing.headers["x-ratelimit-remaining"], "2");
  HttpResult invalid = Call("POST", "/v1/signups", R"({"email":"x"})");
  ASSERT_EQ(invalid.status, 400) << invalid.body;
  EXPECT_EQ(invalid.headers["x-ratelimit-remaining"], "1");
}

TEST_F(RateLimitTest, EachKeyHasItsOwnBucket) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Call("GET", "/v1/referrals").status, 200);
  ASSERT_EQ(Call("GET", "/v1/referrals").status, 429);
  HttpResult other = Call("GET", "/v1/referrals", "", &b_);
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(other.headers["x-ratelimit-limit"], "600");
  EXPECT_EQ(other.headers["x-ratelimit-remaining"], "19");  // the burst is the tighter room
}

TEST_F(RateLimitTest, UnauthenticatedCallsAreNotCountedAgainstAnyKey) {
  HttpResult anonymous = Http(rest_->port(), "GET", "/v1/referrals", "", {});
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.headers.count("x-ratelimit-limit"), 0u);
  EXPECT_EQ(Call("GET", "/v1/referrals").headers["x-ratelimit-remaining"], "2");
}

TEST_F(RateLimitTest, GrpcCallersGetResourceExhaustedWithTheSameMetadata) {
  auto stub = affonso::v1::ReferralService::NewStub(channel_);
  for (int i = 0; i < 3; ++i) {
    auto context = As(a_);
    affonso::v1::ListReferralsRequest request;
    affonso::v1::ListReferralsResponse response;
    grpc::Status status = stub->ListReferrals(context.get(), request, &response);
    ASSERT_OK(status);
    EXPECT_EQ(Header(*context, "x-ratelimit-remaining"), std::to_string(2 - i));
  }
  auto context = As(a_);
  affonso::v1::ListReferralsRequest request;
  affonso::v1::ListReferralsResponse response;
  grpc::Status status = stub->ListReferrals(context.get(), request, &response);
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_EQ(Trailer(*context, "x-error-code"), "RATE_LIMIT_EXCEEDED");
  EXPECT_EQ(Trailer(*context, "x-ratelimit-limit"), "3");
  EXPECT_EQ(Trailer(*context, "x-ratelimit-remaining"), "0");
  EXPECT_GE(AsInt(Trailer(*context, "retry-after")), 15);
}

}  // namespace
}  // namespace affonso::tests

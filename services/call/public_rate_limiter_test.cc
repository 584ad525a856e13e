#include "services/call/public_rate_limiter.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/api_error.h"
#include "common/metrics.h"
#include "common/testing/status_matchers.h"
#include "common/wire_metadata.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::StatusIs;

// A clock the test moves by hand.
class FakeClock {
 public:
  absl::Time Now() const {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration by) {
    absl::MutexLock lock(&mu_);
    now_ += by;
  }
  std::function<absl::Time()> AsFunction() {
    return [this] { return Now(); };
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

std::string Header(const ResponseHeaders& headers, const std::string& key) {
  for (const auto& [name, value] : headers) {
    if (name == key) return value;
  }
  return "";
}

std::string Metadata(const absl::Status& status, const std::string& key) {
  for (const auto& [name, value] : ResponseMetadata(status)) {
    if (name == key) return value;
  }
  return "";
}

int64_t AsInt(const std::string& text) {
  int64_t value = -1;
  return absl::SimpleAtoi(text, &value) ? value : -1;
}

class PublicRateLimiterTest : public ::testing::Test {
 protected:
  PublicRateLimiter::Options Limits(int per_minute, int per_second) {
    PublicRateLimiter::Options options;
    options.per_minute = per_minute;
    options.per_second = per_second;
    options.what = "this address";
    options.clock = clock_.AsFunction();
    return options;
  }
  int64_t NowUnix() const { return absl::ToUnixSeconds(clock_.Now()); }

  FakeClock clock_;
};

TEST_F(PublicRateLimiterTest, ZeroIsOffAndTracksNothing) {
  PublicRateLimiter limiter(Limits(0, 0));
  EXPECT_FALSE(limiter.enabled());
  ResponseHeaders headers;
  for (int i = 0; i < 1000; ++i) ASSERT_OK(limiter.Take("203.0.113.1", &headers));
  EXPECT_TRUE(headers.empty());
  EXPECT_EQ(limiter.tracked_keys(), 0u);
}

TEST_F(PublicRateLimiterTest, AdmittedCallsCarryTheLimitRemainingAndReset) {
  PublicRateLimiter limiter(Limits(60, 0));
  for (int expected_remaining : {59, 58, 57}) {
    ResponseHeaders headers;
    ASSERT_OK(limiter.Take("203.0.113.1", &headers));
    EXPECT_EQ(Header(headers, kRateLimitLimitKey), "60");
    EXPECT_EQ(AsInt(Header(headers, kRateLimitRemainingKey)), expected_remaining);
    // Full again after one token a second for each taken.
    EXPECT_EQ(AsInt(Header(headers, kRateLimitResetKey)), NowUnix() + 60 - expected_remaining);
  }
}

TEST_F(PublicRateLimiterTest, ARefusalSaysWhenToRetryAndTheBucketRefills) {
  PublicRateLimiter limiter(Limits(3, 0));  // one token per 20 s
  for (int i = 0; i < 3; ++i) ASSERT_OK(limiter.Take("a", nullptr));
  absl::Status refused = limiter.Take("a", nullptr);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(ApiErrorCode(refused), "RATE_LIMIT_EXCEEDED");
  EXPECT_NE(refused.message().find("3 requests per minute from this address"),
            absl::string_view::npos)
      << refused.message();
  EXPECT_EQ(Metadata(refused, kRateLimitLimitKey), "3");
  EXPECT_EQ(Metadata(refused, kRateLimitRemainingKey), "0");
  EXPECT_EQ(Metadata(refused, kRetryAfterKey), "20");
  EXPECT_EQ(AsInt(Metadata(refused, kRateLimitResetKey)), NowUnix() + 20);

  clock_.Advance(absl::Seconds(19));
  refused = limiter.Take("a", nullptr);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(Metadata(refused, kRetryAfterKey), "1");
  clock_.Advance(absl::Seconds(1));
  EXPECT_OK(limiter.Take("a", nullptr));
  EXPECT_THAT(limiter.Take("a", nullptr), StatusIs(absl::StatusCode::kResourceExhausted));
  // Each key has its own bucket.
  EXPECT_OK(limiter.Take("b", nullptr));
}

TEST_F(PublicRateLimiterTest, TheBurstBucketCapsHowFastTheMinuteIsSpent) {
  PublicRateLimiter limiter(Limits(300, 30));
  for (int i = 0; i < 30; ++i) ASSERT_OK(limiter.Take("a", nullptr)) << i;
  absl::Status refused = limiter.Take("a", nullptr);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(Metadata(refused, kRetryAfterKey), "1");  // a 30th of a second, rounded up
  EXPECT_EQ(Metadata(refused, kRateLimitRemainingKey), "270");
  // A second later the burst bucket is full again: 30 more (and 5 refilled
  // minute tokens).
  clock_.Advance(absl::Seconds(1));
  for (int i = 0; i < 30; ++i) ASSERT_OK(limiter.Take("a", nullptr)) << i;
  EXPECT_THAT(limiter.Take("a", nullptr), StatusIs(absl::StatusCode::kResourceExhausted));
  // Over a long stretch the minute bucket is what holds: 300 + 5 a second.
  int admitted = 60;
  for (int second = 0; second < 20; ++second) {
    clock_.Advance(absl::Seconds(1));
    while (limiter.Take("a", nullptr).ok()) ++admitted;
  }
  EXPECT_EQ(admitted, 300 + 21 * 5);
  refused = limiter.Take("a", nullptr);
  EXPECT_EQ(Metadata(refused, kRetryAfterKey), "1");
  EXPECT_EQ(Metadata(refused, kRateLimitRemainingKey), "0");
}

TEST_F(PublicRateLimiterTest, MemoryIsBoundedAndTheStalestKeyGoes) {
  PublicRateLimiter::Options options = Limits(1, 0);
  options.max_keys = 4;
  options.shards = 1;
  PublicRateLimiter limiter(options);
  for (const char* key : {"k1", "k2", "k3", "k4"}) ASSERT_OK(limiter.Take(key, nullptr));
  // k1 is used again (refused: its token is spent), so k2 is the stalest.
  EXPECT_THAT(limiter.Take("k1", nullptr), StatusIs(absl::StatusCode::kResourceExhausted));
  ASSERT_OK(limiter.Take("k5", nullptr));
  EXPECT_EQ(limiter.tracked_keys(), 4u);
  // k2 was forgotten: it starts full. k1, k3, k4 were kept: still empty.
  EXPECT_OK(limiter.Take("k2", nullptr));  // evicts k3
  EXPECT_THAT(limiter.Take("k1", nullptr), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(limiter.Take("k4", nullptr), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_OK(limiter.Take("k3", nullptr));

  // Ten thousand distinct keys never grow it past its cap.
  for (int i = 0; i < 10000; ++i) ASSERT_OK(limiter.Take(absl::StrCat("flood-", i), nullptr));
  EXPECT_EQ(limiter.tracked_keys(), 4u);
}

TEST_F(PublicRateLimiterTest, ConcurrentTakesOfOneKeyAdmitExactlyTheBucket) {
  PublicRateLimiter::Options options = Limits(1000, 0);
  options.shards = 4;
  PublicRateLimiter limiter(options);
  constexpr int kThreads = 8;
  constexpr int kTakes = 500;
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTakes; ++i) {
        if (limiter.Take("shared", nullptr).ok()) ++admitted;
        // Other keys in other (and the same) shards meanwhile.
        ASSERT_OK(limiter.Take(absl::StrCat("own-", t, "-", i % 50), nullptr));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(admitted.load(), 1000);  // the clock stood still: no refill
}

TEST_F(PublicRateLimiterTest, DecisionsAreCounted) {
  metrics::Registry registry;
  PublicRateLimiter::Options options = Limits(1, 0);
  options.registry = &registry;
  options.name = "program";
  PublicRateLimiter limiter(options);
  ASSERT_OK(limiter.Take("p", nullptr));
  EXPECT_THAT(limiter.Take("p", nullptr), StatusIs(absl::StatusCode::kResourceExhausted));
  const std::string text = registry.Render();
  EXPECT_NE(
      text.find(R"(affonso_public_rate_limit_decisions_total{limit="program",result="allowed"} 1)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(R"(affonso_public_rate_limit_decisions_total{limit="program",result="limited"} 1)"),
      std::string::npos)
      << text;
}

TEST_F(PublicRateLimiterTest, TheStageLimitsByClientAddressWithoutWaiting) {
  PublicRateLimiter limiter(Limits(2, 0));
  ClientAddressRateLimitStage stage(&limiter);
  AdmissionRequest request;
  request.client_address = "198.51.100.9";
  for (int i = 0; i < 2; ++i) {
    AdmissionState state;
    std::optional<absl::Status> decided = stage.AdmitWithoutWaiting(request, &state);
    ASSERT_TRUE(decided.has_value());
    ASSERT_OK(*decided);
    EXPECT_EQ(Header(state.headers, kRateLimitLimitKey), "2");
    EXPECT_EQ(Header(state.headers, kRateLimitRemainingKey), std::to_string(1 - i));
  }
  AdmissionState state;
  std::optional<absl::Status> decided = stage.AdmitWithoutWaiting(request, &state);
  ASSERT_TRUE(decided.has_value());
  EXPECT_THAT(*decided, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(Metadata(*decided, kRetryAfterKey), "30");
  // Another address is admitted; so is the same through Admit once refilled.
  request.client_address = "198.51.100.10";
  EXPECT_OK(stage.Admit(request, &state));
  clock_.Advance(absl::Seconds(30));
  request.client_address = "198.51.100.9";
  EXPECT_OK(stage.Admit(request, &state));

  // Through an Admission, as the runner runs it: decided on the spot.
  Admission admission({&stage});
  AdmissionState through;
  absl::Status status;
  EXPECT_EQ(admission.AdmitWithoutWaiting(request, &through, &status), admission.size());
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted));
}

}  // namespace
}  // namespace affonso::services

#include <atomic>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/pg_rate_limit_store.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

class PgRateLimitStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create(/*pool_size=*/16);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    store_ = std::make_unique<PgRateLimitStore>(&db_->pool());
  }

  RateLimitDecision Take(const std::string& key, RateLimit limit) {
    auto decision = store_->Take(key, limit);
    EXPECT_TRUE(decision.ok()) << decision.status();
    return decision.ok() ? *decision : RateLimitDecision{};
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<PgRateLimitStore> store_;
};

// 3/min: one request every 20 s, so nothing comes back during the test.
TEST_F(PgRateLimitStoreTest, MinuteLimitCountsDownThenRefuses) {
  const RateLimit limit{3, 100};
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  for (int expected_remaining : {2, 1, 0}) {
    RateLimitDecision decision = Take("key_a", limit);
    EXPECT_TRUE(decision.allowed);
    EXPECT_EQ(decision.remaining, expected_remaining);
  }
  RateLimitDecision refused = Take("key_a", limit);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  // The first request's slot frees 20 s after it was taken.
  EXPECT_GT(refused.retry_after, absl::Seconds(15));
  EXPECT_LE(refused.retry_after, absl::Seconds(20));
  // The whole minute is back 60 s after the first request.
  EXPECT_GE(refused.reset_unix, now + 58);
  EXPECT_LE(refused.reset_unix, now + 62);
  // A refusal takes nothing: still refused, no later than before.
  RateLimitDecision again = Take("key_a", limit);
  EXPECT_FALSE(again.allowed);
  EXPECT_LE(again.retry_after, refused.retry_after);
}

// 2/s burst inside a generous minute limit: one request per 500 ms.
TEST_F(PgRateLimitStoreTest, BurstLimitRefusesWithinTheSecond) {
  const RateLimit limit{6000, 2};
  EXPECT_TRUE(Take("key_b", limit).allowed);
  EXPECT_TRUE(Take("key_b", limit).allowed);
  RateLimitDecision refused = Take("key_b", limit);
  EXPECT_FALSE(refused.allowed);
  EXPECT_GT(refused.retry_after, absl::ZeroDuration());
  EXPECT_LE(refused.retry_after, absl::Milliseconds(500));
  absl::SleepFor(refused.retry_after + absl::Milliseconds(20));
  EXPECT_TRUE(Take("key_b", limit).allowed);
}

TEST_F(PgRateLimitStoreTest, KeysHaveTheirOwnBuckets) {
  const RateLimit limit{1, 1};
  EXPECT_TRUE(Take("key_c", limit).allowed);
  EXPECT_FALSE(Take("key_c", limit).allowed);
  EXPECT_TRUE(Take("key_d", limit).allowed);
}

// Racing requests of one key, over 16 connections, take exactly the limit:
// the row lock serialises them.
TEST_F(PgRateLimitStoreTest, ConcurrentRequestsNeverExceedTheLimit) {
  const RateLimit limit{50, 1000};  // a new slot every 1.2 s
  std::atomic<int> allowed{0};
  std::atomic<int> errors{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto decision = store_->Take("key_e", limit);
        if (!decision.ok()) {
          errors++;
        } else if (decision->allowed) {
          allowed++;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const int refilled = static_cast<int>((absl::Now() - start) / absl::Milliseconds(1200));
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GE(allowed.load(), 50);
  EXPECT_LE(allowed.load(), 50 + refilled);
}

// A step below the database's time resolution must neither divide by zero
// nor overflow `remaining`.
TEST_F(PgRateLimitStoreTest, HugeLimitsStayAllowedAndInRange) {
  const RateLimit limit{2000000000, 100000000};
  for (int i = 0; i < 3; ++i) {
    RateLimitDecision decision = Take("key_g", limit);
    EXPECT_TRUE(decision.allowed);
    EXPECT_GT(decision.remaining, 0);
    EXPECT_LE(decision.remaining, 100000000);
  }
}

TEST_F(PgRateLimitStoreTest, NonPositiveLimitsAreRefused) {
  EXPECT_FALSE(store_->Take("key_f", RateLimit{0, 10}).ok());
  EXPECT_FALSE(store_->Take("key_f", RateLimit{10, 0}).ok());
}

}  // namespace
}  // namespace affonso::storage

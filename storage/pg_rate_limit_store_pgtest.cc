#include "storage/pg_rate_limit_store.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::StatusIs;

class PgRateLimitStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create(/*pool_size=*/16);
    ASSERT_OK(db);
    db_ = *std::move(db);
    store_ = std::make_unique<PgRateLimitStore>(&db_->pool());
  }

  static constexpr char kTeam[] = "team_t";

  RateLimitDecision Take(const std::string& key, RateLimit limit) {
    auto decision = store_->Take(kTeam, key, limit);
    EXPECT_OK(decision);
    return decision.ok() ? *decision : RateLimitDecision{};
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<PgRateLimitStore> store_;
};

// 3/min: nothing comes back during the test, the first slot a minute after
// the first request.
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
  // Any 60 s holds at most 3: the first request's slot frees when it is a
  // minute old (its 1 s bucket's end, so up to a second later).
  EXPECT_GT(refused.retry_after, absl::Seconds(59));
  EXPECT_LE(refused.retry_after, absl::Seconds(61));
  // The whole minute is back 60 s after the first request.
  EXPECT_GE(refused.reset_unix, now + 58);
  EXPECT_LE(refused.reset_unix, now + 62);
  // A refusal takes nothing: still refused, no later than before.
  RateLimitDecision again = Take("key_a", limit);
  EXPECT_FALSE(again.allowed);
  EXPECT_LE(again.retry_after, refused.retry_after);
}

// 2/s inside a generous minute limit: the third waits until the first is a
// second old (up to 50 ms more, its bucket's end).
TEST_F(PgRateLimitStoreTest, BurstLimitRefusesWithinTheSecond) {
  const RateLimit limit{6000, 2};
  EXPECT_TRUE(Take("key_b", limit).allowed);
  EXPECT_TRUE(Take("key_b", limit).allowed);
  RateLimitDecision refused = Take("key_b", limit);
  EXPECT_FALSE(refused.allowed);
  EXPECT_GT(refused.retry_after, absl::Milliseconds(900));
  EXPECT_LE(refused.retry_after, absl::Milliseconds(1050));
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
        auto decision = store_->Take(kTeam, "key_e", limit);
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

// A client that sends as fast as it is let, from an idle key, for 3 minutes
// of the database's time (given, so the test runs in about a second): it
// gets the whole limits at once, and never more than per_second in any 1 s
// or per_minute in any 60 s. Each refusal's retry_after is when it passes.
// Migration 005's GCRA let through 39 in the first second and 1,200 in the
// first minute here.
TEST_F(PgRateLimitStoreTest, WindowsHoldAfterIdleAndRetryAfterIsExact) {
  const RateLimit limit{600, 20};
  // An odd fraction, so no request lands exactly on a bucket's edge.
  const absl::Time start = absl::FromUnixMillis(1800000000000) + absl::Microseconds(13700);
  std::vector<absl::Time> admitted;
  bool retrying = false;
  for (absl::Time t = start; t < start + absl::Minutes(3);) {
    absl::StatusOr<RateLimitDecision> decision = store_->TakeAt(kTeam, "key_w", limit, t);
    ASSERT_OK(decision);
    if (retrying) {
      EXPECT_TRUE(decision->allowed) << "retry_after was too short at " << t;
    }
    retrying = !decision->allowed;
    if (decision->allowed) {
      admitted.push_back(t);
      t += absl::Milliseconds(1);
    } else {
      EXPECT_GT(decision->retry_after, absl::ZeroDuration());
      t += decision->retry_after;
    }
  }
  auto admitted_before = [&](absl::Time end) {
    return std::count_if(admitted.begin(), admitted.end(), [&](absl::Time a) { return a < end; });
  };
  EXPECT_EQ(admitted_before(start + absl::Seconds(1)), 20);
  EXPECT_EQ(admitted_before(start + absl::Seconds(60)), 600);
  // Every window, not only those from the start: the (n+1)th request after
  // any one comes more than the window later.
  for (size_t i = 0; i + 20 < admitted.size(); ++i) {
    ASSERT_GT(admitted[i + 20] - admitted[i], absl::Seconds(1)) << i;
  }
  for (size_t i = 0; i + 600 < admitted.size(); ++i) {
    ASSERT_GT(admitted[i + 600] - admitted[i], absl::Seconds(60)) << i;
  }
  // The sustained rate is the minute limit's, within a bucket per minute.
  EXPECT_GE(admitted.size(), 3u * 600 * 60 / 61);
  EXPECT_LE(admitted.size(), 3u * 600);
  std::printf("admitted %zu in 3 min, %ld in the first second, %ld in the first minute\n",
              admitted.size(), admitted_before(start + absl::Seconds(1)),
              admitted_before(start + absl::Seconds(60)));
}

// The same on the database's own clock, for one second from an idle key.
TEST_F(PgRateLimitStoreTest, AnIdleKeyGetsAtMostPerSecondInItsFirstSecond) {
  const RateLimit limit{600, 20};
  int allowed = 0;
  const absl::Time start = absl::Now();
  while (absl::Now() < start + absl::Milliseconds(950)) {
    if (Take("key_i", limit).allowed) ++allowed;
  }
  EXPECT_EQ(allowed, 20);
  std::printf("allowed %d in the first second\n", allowed);
}

TEST_F(PgRateLimitStoreTest, NonPositiveLimitsAreRefused) {
  EXPECT_THAT(store_->Take(kTeam, "key_f", RateLimit{0, 10}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->Take(kTeam, "key_f", RateLimit{10, 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// A replica of the previous release calls rate_limit_take(key, ...) during a
// rollout: it takes from the same budget, the team read from the key.
TEST_F(PgRateLimitStoreTest, ThePreviousReleasesCallSharesTheBudget) {
  auto tenant = testing::CreateTenant(*db_, "Acme");
  ASSERT_OK(tenant);
  const std::string key_id =
      db_->QueryValue("SELECT id FROM api_keys WHERE team_id = '" + tenant->team_id + "'");
  const RateLimit limit{3, 10};
  auto take = [&] { return store_->Take(tenant->team_id, key_id, limit); };
  auto previous_release_take = [&] {
    return db_->QueryValue("SELECT allowed FROM rate_limit_take('" + key_id + "', 3, 10)");
  };
  ASSERT_OK(take());
  EXPECT_TRUE(take()->allowed);
  EXPECT_EQ(previous_release_take(), "t");
  EXPECT_EQ(previous_release_take(), "f");
  EXPECT_FALSE(take()->allowed);
  EXPECT_EQ(
      db_->QueryValue("SELECT team_id FROM rate_limit_windows WHERE api_key_id = '" + key_id + "'"),
      tenant->team_id);
}

}  // namespace
}  // namespace affonso::storage

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

  RateLimitLease LeaseAt(const std::string& key, RateLimit limit, int need, int extra, absl::Time t,
                         int return_n = 0, int64_t return_minute_bucket = 0,
                         int64_t return_second_bucket = 0) {
    return Lease(key, {limit, need, extra, 0, return_n, return_minute_bucket, return_second_bucket},
                 t);
  }

  // LeaseAt asking for `ahead` requests of the next bucket besides.
  RateLimitLease LeaseAheadAt(const std::string& key, RateLimit limit, int need, int ahead,
                              absl::Time t, int return_n = 0, int64_t return_minute_bucket = 0,
                              int64_t return_second_bucket = 0) {
    return Lease(key, {limit, need, 0, ahead, return_n, return_minute_bucket, return_second_bucket},
                 t);
  }

  RateLimitLease Lease(const std::string& key, const RateLimitLeaseRequest& request, absl::Time t) {
    auto lease = store_->LeaseAt(kTeam, key, request, t);
    EXPECT_OK(lease);
    return lease.ok() ? *lease : RateLimitLease{};
  }

  // The client of LeasedRequestsKeepEveryWindow, over 3 minutes from
  // `start`: uses each leased request at once, `spacing` apart, while its 50 ms
  // bucket lasts, and gives back what is left with its next lease, asking
  // for `want` extra. With `ahead`, it asks for as many of the next bucket,
  // and uses them only within that bucket as the limiter does: from its
  // answer plus the time left, to its send plus the time left plus 50 ms;
  // it waits for them when they are due within 10 ms. A round trip's answer
  // takes `one_way`, its request 0.5, 1 or 1.5 times that in turn (the
  // database counting it then). Returns when the admitted calls were
  // decided, in order.
  std::vector<absl::Time> UseLeases(const std::string& key, RateLimit limit, absl::Time start,
                                    absl::Duration spacing, int want, bool ahead,
                                    absl::Duration one_way, int* round_trips) {
    std::vector<absl::Time> admitted;
    *round_trips = 0;
    struct Held {
      int tokens = 0;
      absl::Time from;
      absl::Time end;
      int64_t minute_bucket = 0;
      int64_t second_bucket = 0;
    };
    Held current;
    Held next;
    auto give_back = [&](Held& held, absl::Time t) {
      if (held.tokens > 0) {
        LeaseAt(key, limit, 0, 0, t, held.tokens, held.minute_bucket, held.second_bucket);
      }
      held.tokens = 0;
    };
    for (absl::Time t = start; t < start + absl::Minutes(3);) {
      if (next.tokens > 0 && t >= next.end) give_back(next, t);
      if ((current.tokens == 0 || t >= current.end) && next.tokens > 0) {
        if (t < next.from && next.from - t <= absl::Milliseconds(10)) t = next.from;
        if (t >= next.from) {
          give_back(current, t);
          current = next;
          next.tokens = 0;
        }
      }
      if (current.tokens > 0 && t >= current.from && t < current.end) {
        admitted.push_back(t);
        --current.tokens;
        t += spacing;
        continue;
      }
      ++*round_trips;
      RateLimitLeaseRequest request;
      request.limit = limit;
      request.need = 1;
      request.extra = want;
      request.ahead = ahead ? want : 0;
      request.return_n = current.tokens;
      request.return_minute_bucket = current.minute_bucket;
      request.return_second_bucket = current.second_bucket;
      const absl::Time sent = t;
      const absl::Time counted = sent + one_way * (1 + *round_trips % 3) / 2;
      const absl::Time answered = counted + one_way;
      absl::StatusOr<RateLimitLease> lease = store_->LeaseAt(kTeam, key, request, counted);
      EXPECT_OK(lease);
      if (!lease.ok()) return admitted;
      current.tokens = 0;
      if (lease->ahead_granted > 0) {
        if (next.tokens > 0 && next.second_bucket != lease->second_bucket + 1) give_back(next, t);
        next.tokens += lease->ahead_granted;
        next.from = answered + lease->bucket_left;
        next.end = sent + lease->bucket_left + absl::Milliseconds(50);
        next.minute_bucket = lease->minute_bucket;
        next.second_bucket = lease->second_bucket + 1;
      }
      if (lease->granted == 0) {
        EXPECT_GT(lease->retry_after, absl::ZeroDuration());
        t = sent + lease->retry_after;
        continue;
      }
      admitted.push_back(counted);
      current = Held{lease->granted - 1, answered, sent + lease->bucket_left, lease->minute_bucket,
                     lease->second_bucket};
      t = answered;
    }
    return admitted;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<PgRateLimitStore> store_;
};

// Requests admitted over 3 minutes from `start` under {600, 20}, in order:
// the whole limits in the first second and minute; every window, not only
// those from the start, holds (the (n+1)th request after any one comes more
// than the window later); the sustained rate is the minute limit's, within a
// bucket per minute.
void ExpectThreeMinutesAt600AMinute20ASecond(const std::vector<absl::Time>& admitted,
                                             absl::Time start) {
  auto admitted_before = [&](absl::Time end) {
    return std::count_if(admitted.begin(), admitted.end(), [&](absl::Time a) { return a < end; });
  };
  EXPECT_EQ(admitted_before(start + absl::Seconds(1)), 20);
  EXPECT_EQ(admitted_before(start + absl::Seconds(60)), 600);
  for (size_t i = 0; i + 20 < admitted.size(); ++i) {
    ASSERT_GT(admitted[i + 20] - admitted[i], absl::Seconds(1)) << i;
  }
  for (size_t i = 0; i + 600 < admitted.size(); ++i) {
    ASSERT_GT(admitted[i + 600] - admitted[i], absl::Seconds(60)) << i;
  }
  EXPECT_GE(admitted.size(), 3u * 600 * 60 / 61);
  EXPECT_LE(admitted.size(), 3u * 600);
}

// A whole second of the database's time: bucket edges are known.
const absl::Time kSecond = absl::FromUnixSeconds(1800000000);

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
  ExpectThreeMinutesAt600AMinute20ASecond(admitted, start);
  std::printf("admitted %zu in 3 min\n", admitted.size());
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

// The need, then extra only from the room above half of each limit, scaled
// by the part of the 50 ms bucket left: 25 ms into it, half.
TEST_F(PgRateLimitStoreTest, ALeaseGrantsExtraOnlyFromTheRoomAboveHalf) {
  const RateLimit limit{600, 20};
  const absl::Time t = kSecond + absl::Milliseconds(25);
  RateLimitLease first = LeaseAt("key_l", limit, 1, 100, t);
  // Room above half: min(300, 10) - 1 = 9, half of it left: 4 more.
  EXPECT_EQ(first.granted, 5);
  EXPECT_EQ(first.remaining, 15);
  EXPECT_EQ(first.minute_bucket, 1800000000);
  EXPECT_EQ(first.second_bucket, 36000000000);
  EXPECT_GE(first.bucket_left, absl::Microseconds(24999));
  EXPECT_LE(first.bucket_left, absl::Milliseconds(25));
  EXPECT_EQ(first.retry_after, absl::ZeroDuration());
  // 10 - 5 - 1 = 4 above half, 24/50 of the bucket left: 1 more.
  RateLimitLease second = LeaseAt("key_l", limit, 1, 100, t + absl::Milliseconds(1));
  EXPECT_EQ(second.granted, 2);
  EXPECT_EQ(second.remaining, 13);
  // At half the limit only the need: the rest of the room is for the
  // others, one call at a time.
  RateLimitLease at_half = LeaseAt("key_l", limit, 1, 100, t + absl::Milliseconds(2));
  EXPECT_EQ(at_half.granted, 1);
  // Speculation alone never takes beyond half.
  EXPECT_EQ(LeaseAt("key_l", limit, 0, 100, t + absl::Milliseconds(2)).granted, 0);
  int taken = 8;
  while (taken < 20) {
    RateLimitLease one = LeaseAt("key_l", limit, 1, 100, t + absl::Milliseconds(3));
    ASSERT_EQ(one.granted, 1);
    ++taken;
  }
  RateLimitLease refused = LeaseAt("key_l", limit, 1, 100, t + absl::Milliseconds(4));
  EXPECT_EQ(refused.granted, 0);
  EXPECT_EQ(refused.remaining, 0);
  // The first bucket leaves the 1 s window at 1.05 s.
  EXPECT_GT(refused.retry_after, absl::Milliseconds(1000));
  EXPECT_LE(refused.retry_after, absl::Milliseconds(1021));
  // Early in a bucket extra comes nearly whole; at its end nothing.
  EXPECT_EQ(LeaseAt("key_m", limit, 1, 100, kSecond + absl::Microseconds(100)).granted, 9);
  EXPECT_EQ(LeaseAt("key_n", limit, 1, 100, kSecond + absl::Microseconds(49990)).granted, 1);
  // Extra is at most what was asked.
  EXPECT_EQ(LeaseAt("key_o", limit, 1, 2, kSecond).granted, 3);
}

// Unused requests go back into the buckets they were counted in while those
// still count: both within the 50 ms bucket, the minute's one later on.
TEST_F(PgRateLimitStoreTest, ReturnsGoBackIntoTheirBucketsWhileTheyCount) {
  const RateLimit limit{20, 20};
  const absl::Time t = kSecond + absl::Milliseconds(25);
  RateLimitLease lease = LeaseAt("key_r", limit, 1, 100, t);
  ASSERT_EQ(lease.granted, 5);
  EXPECT_EQ(lease.remaining, 15);
  RateLimitLease back = LeaseAt("key_r", limit, 0, 0, t + absl::Milliseconds(10), 2,
                                lease.minute_bucket, lease.second_bucket);
  EXPECT_EQ(back.granted, 0);
  EXPECT_EQ(back.remaining, 17);
  // Two seconds on the 50 ms bucket has left its ring; the minute's counts.
  back = LeaseAt("key_r", limit, 0, 0, t + absl::Seconds(2), 2, lease.minute_bucket,
                 lease.second_bucket);
  EXPECT_EQ(back.remaining, 19);
  // More than a bucket holds takes it to zero, never below: the limit holds.
  back = LeaseAt("key_r", limit, 0, 0, t + absl::Seconds(3), 100, lease.minute_bucket,
                 lease.second_bucket);
  EXPECT_EQ(back.remaining, 20);
  int granted = 0;
  for (int i = 0; i < 25; ++i) {
    granted +=
        LeaseAt("key_r", limit, 1, 0, t + absl::Seconds(3) + absl::Milliseconds(60 * i)).granted;
  }
  EXPECT_EQ(granted, 20);
}

// A bucket's ring slot is reused 61 s (minute) or 1.05 s (second) later;
// both at once 1,281 s later. A late return names buckets that no longer
// count and takes nothing from those in their slots now.
TEST_F(PgRateLimitStoreTest, AStaleReturnGivesNothingBack) {
  const RateLimit limit{600, 20};
  const absl::Time t = kSecond + absl::Milliseconds(10);
  RateLimitLease old = LeaseAt("key_s", limit, 1, 100, t);
  ASSERT_GT(old.granted, 1);
  const absl::Time later = t + absl::Seconds(1281);
  RateLimitLease now = LeaseAt("key_s", limit, 1, 0, later);
  ASSERT_EQ(now.granted, 1);
  ASSERT_EQ(now.minute_bucket % 61, old.minute_bucket % 61);
  ASSERT_EQ(now.second_bucket % 21, old.second_bucket % 21);
  RateLimitLease back = LeaseAt("key_s", limit, 0, 0, later + absl::Milliseconds(1), old.granted,
                                old.minute_bucket, old.second_bucket);
  EXPECT_EQ(back.remaining, now.remaining);
}

TEST_F(PgRateLimitStoreTest, MalformedLeasesAreRefused) {
  RateLimitLeaseRequest request;
  request.limit = RateLimit{0, 10};
  request.need = 1;
  EXPECT_THAT(store_->Lease(kTeam, "key_f", request), StatusIs(absl::StatusCode::kInvalidArgument));
  request.limit = RateLimit{10, 10};
  request.need = 2;
  EXPECT_THAT(store_->Lease(kTeam, "key_f", request), StatusIs(absl::StatusCode::kInvalidArgument));
  request.need = 1;
  request.extra = -1;
  EXPECT_THAT(store_->Lease(kTeam, "key_f", request), StatusIs(absl::StatusCode::kInvalidArgument));
  request.extra = 0;
  request.ahead = -1;
  EXPECT_THAT(store_->Lease(kTeam, "key_f", request), StatusIs(absl::StatusCode::kInvalidArgument));
}

// Racing leases of one key, over 16 connections on the database's clock,
// each thread using its need and half its extra and giving the rest back
// with its next lease: together they never use more than the limit, and
// once the last returns are in, the buckets count exactly what was used.
TEST_F(PgRateLimitStoreTest, ConcurrentLeasesNeverExceedTheLimit) {
  const RateLimit limit{50, 1000};  // no slot comes back within the test
  std::atomic<int> used{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      RateLimitLeaseRequest request;
      request.limit = limit;
      request.extra = 4;
      int refusals = 0;
      for (int i = 0; i < 100 && refusals < 3; ++i) {
        request.need = 1;
        auto lease = store_->Lease(kTeam, "key_c", request);
        if (!lease.ok()) {
          errors++;
          return;
        }
        request.return_n = 0;
        if (lease->granted == 0) {
          ++refusals;
          continue;
        }
        const int use = 1 + (lease->granted - 1) / 2;
        used += use;
        request.return_n = lease->granted - use;
        request.return_minute_bucket = lease->minute_bucket;
        request.return_second_bucket = lease->second_bucket;
      }
      if (request.return_n > 0) {
        request.need = 0;
        request.extra = 0;
        if (!store_->Lease(kTeam, "key_c", request).ok()) errors++;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_LE(used.load(), 50);
  EXPECT_GE(used.load(), 25);  // everyone's refusals came when it was full
  EXPECT_EQ(
      db_->QueryValue("SELECT minute_total FROM rate_limit_windows WHERE api_key_id = 'key_c'"),
      std::to_string(used.load()));
}

// WindowsHoldAfterIdleAndRetryAfterIsExact with leases (UseLeases), and
// again with leases ahead: every window holds, the whole limits come
// through, and leases saved round trips.
TEST_F(PgRateLimitStoreTest, LeasedRequestsKeepEveryWindow) {
  const RateLimit limit{600, 20};
  const absl::Time start = absl::FromUnixMillis(1800000000000) + absl::Microseconds(13700);
  for (bool ahead : {false, true}) {
    SCOPED_TRACE(ahead ? "with leases ahead" : "without leases ahead");
    int round_trips = 0;
    const std::vector<absl::Time> admitted =
        UseLeases(ahead ? "key_y" : "key_x", limit, start, absl::Milliseconds(1), 10, ahead,
                  absl::ZeroDuration(), &round_trips);
    ExpectThreeMinutesAt600AMinute20ASecond(admitted, start);
    EXPECT_LT(round_trips, static_cast<int>(admitted.size()));
    std::printf("leases%s: admitted %zu in 3 min over %d round trips\n", ahead ? " ahead" : "",
                admitted.size(), round_trips);
  }
}

// A key far within its limits, its round trips about 0.5 ms each way: with
// leases ahead about one round trip per 50 ms bucket serves calls 0.1 ms
// apart, where without them a lease sent at the end of a bucket often lands
// in it and serves few; every 1 s window holds.
TEST_F(PgRateLimitStoreTest, LeasesAheadServeAKeyInDemandInAboutOneRoundTripPerBucket) {
  const RateLimit limit{100000000, 200000};
  const absl::Time start = absl::FromUnixMillis(1800000000000) + absl::Microseconds(13700);
  const absl::Duration spacing = absl::Microseconds(100);
  int round_trips_without = 0;
  UseLeases("key_w", limit, start, spacing, 1000, false, absl::Microseconds(500),
            &round_trips_without);
  int round_trips = 0;
  const std::vector<absl::Time> admitted =
      UseLeases("key_z", limit, start, spacing, 1000, true, absl::Microseconds(500), &round_trips);
  std::printf("%d round trips for %zu calls with leases ahead, %d without\n", round_trips,
              admitted.size(), round_trips_without);
  // 3,600 buckets; none ahead across a whole second.
  EXPECT_LE(round_trips, 3600 * 21 / 20 + 10);
  EXPECT_LT(round_trips, round_trips_without);
  for (size_t i = 0; i + 200000 < admitted.size(); ++i) {
    ASSERT_GT(admitted[i + 200000] - admitted[i], absl::Seconds(1)) << i;
  }
  EXPECT_GE(admitted.size(), 1700000u);  // 3 min, 0.1 ms apart, less the waits
}

// Late in its bucket a lease takes requests of the next one ahead, from the
// room above half of the limit: they count in the window ending with the
// next bucket at once, so takes in the current bucket leave room for them,
// and in their bucket they count as any other.
TEST_F(PgRateLimitStoreTest, RequestsAheadCountInTheWindowOfTheirBucket) {
  const RateLimit limit{600, 20};
  // 40 ms left: the current bucket's lease serves it, nothing ahead.
  RateLimitLease early = LeaseAheadAt("key_a", limit, 1, 100, kSecond + absl::Milliseconds(10));
  EXPECT_EQ(early.granted, 1);
  EXPECT_EQ(early.ahead_granted, 0);
  // 20 ms left: 10 above half, less the 2 of this bucket.
  RateLimitLease late = LeaseAheadAt("key_a", limit, 1, 100, kSecond + absl::Milliseconds(30));
  EXPECT_EQ(late.granted, 1);
  EXPECT_EQ(late.ahead_granted, 8);
  EXPECT_EQ(late.second_bucket, 36000000000);
  EXPECT_EQ(late.remaining, 10);
  // This bucket's takes, and the previous release's calls, leave room for
  // the 8: 10 more, not 18.
  const absl::Time t = kSecond + absl::Milliseconds(31);
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(store_->TakeAt(kTeam, "key_a", limit, t)->allowed) << i;
  EXPECT_EQ(db_->QueryValue("SELECT granted FROM rate_limit_lease('team_t', 'key_a', 600, 20, 1, "
                            "0, 0, 0, 0, extract(epoch FROM '2027-01-15 08:00:00.031+00'"
                            "::timestamptz))"),
            "1");
  RateLimitDecision full = *store_->TakeAt(kTeam, "key_a", limit, t);
  EXPECT_FALSE(full.allowed);
  EXPECT_EQ(full.remaining, 0);
  // The next bucket's window holds this bucket's 12 and the 8 until this
  // bucket leaves it, 20.38 buckets from now.
  EXPECT_GE(full.retry_after, absl::Milliseconds(1019));
  EXPECT_LE(full.retry_after, absl::Milliseconds(1020));
  // In the next bucket the 8 are in its slot: still full.
  EXPECT_FALSE(store_->TakeAt(kTeam, "key_a", limit, kSecond + absl::Milliseconds(60))->allowed);
  EXPECT_EQ(db_->QueryValue("SELECT second_total FROM rate_limit_windows "
                            "WHERE api_key_id = 'key_a'"),
            "12");  // the refusal stored nothing: the fold is redone when counted
  // The minute counted them at once: 20 of 600.
  EXPECT_EQ(db_->QueryValue("SELECT minute_total FROM rate_limit_windows "
                            "WHERE api_key_id = 'key_a'"),
            "20");
  // Never across a whole second: the last bucket of one takes none ahead.
  EXPECT_EQ(LeaseAheadAt("key_b", limit, 1, 100, kSecond + absl::Milliseconds(980)).ahead_granted,
            0);
  // Of the minute's room above half at most a twentieth: none for 30 a minute.
  EXPECT_EQ(LeaseAheadAt("key_d", RateLimit{30, 1000}, 1, 100, kSecond + absl::Milliseconds(30))
                .ahead_granted,
            0);
  EXPECT_EQ(LeaseAheadAt("key_e", RateLimit{1000, 1000}, 1, 100, kSecond + absl::Milliseconds(30))
                .ahead_granted,
            24);  // (500 - 1) / 20
  // No more than asked.
  EXPECT_EQ(LeaseAheadAt("key_c", limit, 1, 3, kSecond + absl::Milliseconds(30)).ahead_granted, 3);
}

// Requests ahead go back off their own count before their bucket comes, and
// out of its slot after.
TEST_F(PgRateLimitStoreTest, RequestsAheadGoBackBeforeAndAfterTheirBucketComes) {
  const RateLimit limit{600, 20};
  RateLimitLease lease = LeaseAheadAt("key_r", limit, 1, 5, kSecond + absl::Milliseconds(30));
  ASSERT_EQ(lease.ahead_granted, 5);
  EXPECT_EQ(lease.remaining, 14);  // 20 - (1 + 5)
  const int64_t ahead_bucket = lease.second_bucket + 1;
  RateLimitLease back = LeaseAheadAt("key_r", limit, 0, 0, kSecond + absl::Milliseconds(35), 2,
                                     lease.minute_bucket, ahead_bucket);
  EXPECT_EQ(back.remaining, 16);
  EXPECT_EQ(db_->QueryValue("SELECT ahead_count FROM rate_limit_windows WHERE api_key_id = "
                            "'key_r'"),
            "3");
  back = LeaseAheadAt("key_r", limit, 0, 0, kSecond + absl::Milliseconds(60), 1,
                      lease.minute_bucket, ahead_bucket);
  EXPECT_EQ(back.remaining, 17);
  EXPECT_EQ(db_->QueryValue("SELECT second_total || ' ' || ahead_count || ' ' || minute_total "
                            "FROM rate_limit_windows WHERE api_key_id = 'key_r'"),
            "3 0 3");
}

// The previous release's rate_limit_take and leases share one budget.
TEST_F(PgRateLimitStoreTest, TakesAndLeasesShareTheBudget) {
  const RateLimit limit{600, 4};
  const absl::Time t = kSecond + absl::Milliseconds(1);
  ASSERT_TRUE(store_->TakeAt(kTeam, "key_t", limit, t)->allowed);
  EXPECT_EQ(LeaseAt("key_t", limit, 1, 10, t).granted, 1);  // at half: the need
  ASSERT_TRUE(store_->TakeAt(kTeam, "key_t", limit, t)->allowed);
  EXPECT_EQ(LeaseAt("key_t", limit, 1, 10, t).granted, 1);
  EXPECT_FALSE(store_->TakeAt(kTeam, "key_t", limit, t)->allowed);
  EXPECT_EQ(LeaseAt("key_t", limit, 1, 10, t).granted, 0);
}

}  // namespace
}  // namespace affonso::storage

// Rate-limit leases across replicas: three RateLimiters, each with its own
// pool, as three server processes have, over one PostgreSQL. Their calls of
// one key together never exceed the key's limits in any window, whatever
// each leased, and together they come near the limits.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/metrics.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/call/rate_limiter.h"
#include "storage/pg_rate_limit_store.h"
#include "storage/pool.h"
#include "storage/testing/test_database.h"

namespace affonso::tests {
namespace {

using services::AdmissionRequest;
using services::AdmissionState;
using services::Caller;
using services::RateLimiter;
using services::RateLimiterOptions;

constexpr int kReplicas = 3;
constexpr int kThreadsPerReplica = 3;

struct Replica {
  std::unique_ptr<storage::ConnectionPool> pool;
  std::unique_ptr<storage::PgRateLimitStore> store;
  metrics::Registry registry;
  std::unique_ptr<RateLimiter> limiter;
};

// An admitted call: its Admit started at `start` and returned at `end`
// (steady clock), so it was decided in between.
struct Admitted {
  absl::Duration start;
  absl::Duration end;
  storage::RateLimit limit;  // the caller's, as the authenticator gave it
};

class RateLimitLeasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::testing::TestDatabase::Create(/*pool_size=*/2);
    ASSERT_OK(db);
    db_ = *std::move(db);
    for (int i = 0; i < kReplicas; ++i) {
      auto replica = std::make_unique<Replica>();
      storage::PoolConfig config;
      config.database_url = db_->url();
      config.size = 4;
      auto pool = storage::ConnectionPool::Create(config);
      ASSERT_OK(pool);
      replica->pool = *std::move(pool);
      replica->store = std::make_unique<storage::PgRateLimitStore>(replica->pool.get());
      RateLimiterOptions options;
      options.defaults = storage::RateLimit{600, 20};
      replica->limiter =
          std::make_unique<RateLimiter>(replica->store.get(), options, &replica->registry);
      replicas_.push_back(std::move(replica));
    }
  }

  // Every replica's threads call as fast as they are let for `duration`
  // with the key's own limits; returns the admitted calls, by start.
  std::vector<Admitted> Hammer(const std::string& key, storage::RateLimit limit,
                               absl::Duration duration) {
    return Hammer(
        key, [limit] { return limit; }, duration);
  }
  // The same with the key's limits read before each call (set-limit
  // reaching the replicas).
  std::vector<Admitted> Hammer(const std::string& key,
                               const std::function<storage::RateLimit()>& limit_now,
                               absl::Duration duration,
                               absl::Duration pause = absl::ZeroDuration()) {
    absl::Mutex mu;
    std::vector<Admitted> admitted;
    std::atomic<int> errors{0};
    const absl::Duration stop = services::SteadyNow() + duration;
    std::vector<std::thread> threads;
    for (auto& replica : replicas_) {
      for (int t = 0; t < kThreadsPerReplica; ++t) {
        threads.emplace_back([&, limiter = replica->limiter.get()] {
          while (services::SteadyNow() < stop) {
            const storage::RateLimit limit = limit_now();
            AdmissionState state{Caller{"team_l", key}, {}};
            state.caller.rate_limit_per_minute = limit.per_minute;
            state.caller.rate_limit_per_second = limit.per_second;
            const absl::Duration start = services::SteadyNow();
            absl::Status status = limiter->Admit(AdmissionRequest{"Bearer k", 1, ""}, &state);
            const absl::Duration end = services::SteadyNow();
            if (status.ok()) {
              absl::MutexLock lock(&mu);
              admitted.push_back({start, end, limit});
              if (pause > absl::ZeroDuration()) absl::SleepFor(pause);
            } else if (status.code() == absl::StatusCode::kResourceExhausted) {
              absl::SleepFor(absl::Milliseconds(1));  // refused from memory: no busy loop
            } else {
              ADD_FAILURE() << status;
              errors++;
              return;
            }
          }
        });
      }
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(errors.load(), 0);
    std::sort(admitted.begin(), admitted.end(),
              [](const Admitted& a, const Admitted& b) { return a.start < b.start; });
    return admitted;
  }

  // The most calls certainly decided within one `window`: those that began
  // at or after some call's start and ended before that start + window.
  static int MostWithin(const std::vector<Admitted>& admitted, absl::Duration window) {
    int most = 0;
    for (size_t i = 0; i < admitted.size(); ++i) {
      int within = 0;
      for (size_t j = i; j < admitted.size(); ++j) {
        if (admitted[j].start >= admitted[i].start + window) break;
        if (admitted[j].end < admitted[i].start + window) ++within;
      }
      most = std::max(most, within);
    }
    return most;
  }

  uint64_t Leases(const char* kind) {
    uint64_t sum = 0;
    for (auto& replica : replicas_) {
      sum += replica->registry.AddCounter("affonso_rate_limit_leases_total", "", {"kind"})
                 .WithLabels({kind})
                 .Value();
    }
    return sum;
  }

  std::unique_ptr<storage::testing::TestDatabase> db_;
  std::vector<std::unique_ptr<Replica>> replicas_;
};

// 20 a second, the minute generous: no second of the test holds more than
// 20 of the replicas' calls together, and they use most of what the
// windows allow (a slot frees at most one 50 ms bucket late).
TEST_F(RateLimitLeasesTest, ReplicasTogetherKeepThePerSecondLimit) {
  const storage::RateLimit limit{100000, 20};
  const absl::Duration duration = absl::Seconds(3);
  const std::vector<Admitted> admitted = Hammer("key_s", limit, duration);
  const int most = MostWithin(admitted, absl::Seconds(1));
  std::printf(
      "%zu admitted in %s over %d replicas, at most %d within 1 s; leases: %lu granted, "
      "%lu refused, %lu returned\n",
      admitted.size(), absl::FormatDuration(duration).c_str(), kReplicas, most, Leases("granted"),
      Leases("refused"), Leases("returned"));
  EXPECT_LE(most, 20);
  // Near the limit: 3 s allow about 3 x 20 (less a bucket per second).
  EXPECT_GE(admitted.size(), 40u);
  EXPECT_EQ(Leases("error"), 0u);
}

// 40 a minute: together exactly 40 at most, and they reach it (a replica's
// unused requests go back to the budget); once every replica has stopped
// and given back what it held, the database counts exactly the admitted
// calls.
TEST_F(RateLimitLeasesTest, ReplicasTogetherKeepThePerMinuteLimitAndGiveBackTheRest) {
  const storage::RateLimit limit{40, 1000};
  const std::vector<Admitted> admitted = Hammer("key_m", limit, absl::Seconds(2));
  std::printf(
      "%zu admitted of 40 a minute over %d replicas; leases: %lu granted, %lu refused, "
      "%lu returned\n",
      admitted.size(), kReplicas, Leases("granted"), Leases("refused"), Leases("returned"));
  EXPECT_LE(admitted.size(), 40u);
  EXPECT_GE(admitted.size(), 36u);
  for (auto& replica : replicas_) replica->limiter.reset();  // gives back
  EXPECT_EQ(
      db_->QueryValue("SELECT minute_total FROM rate_limit_windows WHERE api_key_id = 'key_m'"),
      std::to_string(admitted.size()));
}

// Set-limit lowers the burst mid-stream, while the replicas admit the key
// from leases of many requests (it was far within 10,000,000/s): calls made
// under the new limit never use what was leased under the old one, so no
// second holds more than 4 of them. (The old calls of the last second
// count against the new limit: the first new ones pass a second later.)
TEST_F(RateLimitLeasesTest, ALoweredLimitHoldsAtOnce) {
  std::atomic<int> per_second{10000000};
  const absl::Duration change = services::SteadyNow() + absl::Milliseconds(1000);
  std::thread lower([&] {
    absl::SleepFor(change - services::SteadyNow());
    per_second = 4;
  });
  auto limit_now = [&] { return storage::RateLimit{1000000000, per_second.load()}; };
  const std::vector<Admitted> admitted = Hammer("key_c", limit_now, absl::Seconds(3));
  lower.join();
  std::vector<Admitted> before;
  std::vector<Admitted> after;
  for (const Admitted& a : admitted) (a.limit.per_second == 4 ? after : before).push_back(a);
  const uint64_t round_trips = Leases("granted") + Leases("refused");
  std::printf(
      "%zu admitted under 10000000/s, %zu under 4/s (at most %d within 1 s); %lu lease "
      "round trips\n",
      before.size(), after.size(), MostWithin(after, absl::Seconds(1)), round_trips);
  EXPECT_LE(MostWithin(after, absl::Seconds(1)), 4);
  EXPECT_GE(after.size(), 1u);
  EXPECT_LT(round_trips, before.size());  // leases were in use
}

// The point of leases: a key well within its limits is admitted mostly
// from memory, not one round trip per call.
TEST_F(RateLimitLeasesTest, AKeyInDemandMakesFewRoundTrips) {
  const storage::RateLimit limit{100000000, 10000000};
  const std::vector<Admitted> admitted = Hammer("key_d", limit, absl::Milliseconds(500));
  const uint64_t round_trips = Leases("granted") + Leases("refused");
  std::printf("%zu admitted over %lu lease round trips, %lu with requests ahead\n", admitted.size(),
              round_trips, Leases("ahead"));
  EXPECT_EQ(Leases("refused"), 0u);
  EXPECT_LT(4 * round_trips, admitted.size());
  EXPECT_GT(Leases("ahead"), 0u);  // over 10 buckets, of which a few near their end
}

}  // namespace
}  // namespace affonso::tests

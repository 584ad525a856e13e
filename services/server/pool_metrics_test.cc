#include "services/server/pool_metrics.h"

#include "gtest/gtest.h"

namespace affonso::services {
namespace {

TEST(PoolMetricsTest, ExportsWaitsTimeoutsAndOccupancyAtScrape) {
  metrics::Registry registry;
  PoolMetrics pool_metrics(&registry);
  pool_metrics.OnAcquired(absl::Microseconds(100));
  pool_metrics.OnAcquired(absl::Milliseconds(30));
  pool_metrics.OnAcquireTimeout();
  storage::PoolStats stats;
  stats.size = 16;
  stats.in_use = 3;
  stats.idle = 5;
  stats.waiting = 0;
  {
    auto registrations = pool_metrics.Watch([&] { return stats; });
    stats.in_use = 4;  // read at scrape, not at registration
    const std::string text = registry.Render();
    EXPECT_NE(text.find("\naffonso_db_pool_size 16\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\naffonso_db_pool_connections_in_use 4\n"), std::string::npos);
    EXPECT_NE(text.find("\naffonso_db_pool_connections_idle 5\n"), std::string::npos);
    EXPECT_NE(text.find("\naffonso_db_pool_waiting 0\n"), std::string::npos);
    EXPECT_NE(text.find("\naffonso_db_pool_acquire_timeouts_total 1\n"), std::string::npos);
    EXPECT_NE(text.find("\naffonso_db_connect_failures_total 0\n"), std::string::npos);
    EXPECT_NE(text.find("\naffonso_db_pool_wait_seconds_bucket{le=\"0.0005\"} 1\n"),
              std::string::npos);
    EXPECT_NE(text.find("\naffonso_db_pool_wait_seconds_bucket{le=\"0.025\"} 1\n"),
              std::string::npos);
    EXPECT_NE(text.find("\naffonso_db_pool_wait_seconds_bucket{le=\"0.05\"} 2\n"),
              std::string::npos);
    EXPECT_NE(text.find("\naffonso_db_pool_wait_seconds_count 2\n"), std::string::npos);
  }
  // Once the registrations go (before the pool does), nothing reads it.
  EXPECT_EQ(registry.Render().find("\naffonso_db_pool_connections_in_use "), std::string::npos);
}

}  // namespace
}  // namespace affonso::services

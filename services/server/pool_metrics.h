#ifndef AFFONSO_SERVICES_SERVER_POOL_METRICS_H_
#define AFFONSO_SERVICES_SERVER_POOL_METRICS_H_

#include <functional>
#include <vector>

#include "common/metrics.h"
#include "storage/pool.h"

namespace affonso::services {

// The database pool's metrics: acquisition waits and timeouts as the pool
// reports them, occupancy read from its snapshot at each scrape.
class PoolMetrics final : public storage::PoolObserver {
 public:
  explicit PoolMetrics(metrics::Registry* registry);

  void OnAcquired(absl::Duration waited) override;
  void OnAcquireTimeout() override;
  void OnConnectFailed() override;

  // Occupancy gauges read through `stats` at scrape, until the registrations
  // go: keep them no longer than what `stats` reads (the pool outlives its
  // observer's registrations, the observer outlives the pool).
  std::vector<metrics::CallbackRegistration> Watch(std::function<storage::PoolStats()> stats);

 private:
  metrics::Registry* registry_;
  metrics::Histogram& wait_;
  metrics::Counter& timeouts_;
  metrics::Counter& connect_failures_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_SERVER_POOL_METRICS_H_

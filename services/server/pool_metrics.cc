#include "services/server/pool_metrics.h"

namespace affonso::services {

PoolMetrics::PoolMetrics(metrics::Registry* registry)
    : registry_(registry),
      wait_(registry
                ->AddHistogram("affonso_db_pool_wait_seconds",
                               "Time to get a database connection from the pool, including "
                               "queueing behind other callers and opening a new connection.")
                .WithLabels({})),
      timeouts_(registry
                    ->AddCounter("affonso_db_pool_acquire_timeouts_total",
                                 "Callers that got no database connection within the acquire "
                                 "timeout (answered UNAVAILABLE).")
                    .WithLabels({})),
      connect_failures_(registry
                            ->AddCounter("affonso_db_connect_failures_total",
                                         "Failed attempts to open a database connection.")
                            .WithLabels({})) {}

void PoolMetrics::OnAcquired(absl::Duration waited) { wait_.Observe(waited); }
void PoolMetrics::OnAcquireTimeout() { timeouts_.Increment(); }
void PoolMetrics::OnConnectFailed() { connect_failures_.Increment(); }

std::vector<metrics::CallbackRegistration> PoolMetrics::Watch(
    std::function<storage::PoolStats()> stats) {
  std::vector<metrics::CallbackRegistration> registrations;
  auto gauge = [&](const char* name, const char* help, int storage::PoolStats::*field) {
    registrations.push_back(registry_->AddGauge(name, help).SetCallback({}, [stats, field] {
      return static_cast<double>(stats().*field);
    }));
  };
  gauge("affonso_db_pool_size", "Most database connections the pool opens.",
        &storage::PoolStats::size);
  gauge("affonso_db_pool_connections_in_use", "Database connections leased to callers.",
        &storage::PoolStats::in_use);
  gauge("affonso_db_pool_connections_idle", "Open database connections free for the next caller.",
        &storage::PoolStats::idle);
  gauge("affonso_db_pool_waiting", "Callers queued for a database connection.",
        &storage::PoolStats::waiting);
  return registrations;
}

}  // namespace affonso::services

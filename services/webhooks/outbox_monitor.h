#ifndef AFFONSO_SERVICES_WEBHOOKS_OUTBOX_MONITOR_H_
#define AFFONSO_SERVICES_WEBHOOKS_OUTBOX_MONITOR_H_

#include <cstdint>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "storage/webhook_dispatch_store.h"

namespace affonso::services {

struct OutboxMonitorOptions {
  // One cheap query per interval and replica, whatever the scrape rate.
  absl::Duration interval = absl::Seconds(5);
  int64_t count_cap = 100000;
};

// Webhook backlog gauges (queue depth and age), refreshed from the database
// on a timer of its own rather than per scrape. Runs beside the dispatcher.
class OutboxMonitor {
 public:
  OutboxMonitor(storage::WebhookDispatchStore* store, OutboxMonitorOptions options,
                metrics::Registry* registry);
  ~OutboxMonitor();  // Stop()

  // Refreshes now, then every interval on a thread of its own.
  void Start();
  void Stop();
  // One refresh; on failure the gauges keep their last values.
  absl::Status RefreshOnce();

 private:
  void Run();

  storage::WebhookDispatchStore* store_;
  const OutboxMonitorOptions options_;
  metrics::Gauge& events_pending_;
  metrics::Gauge& deliveries_due_;
  metrics::Gauge& deliveries_waiting_;
  metrics::Gauge& oldest_event_age_;
  metrics::Gauge& oldest_due_age_;
  metrics::Counter& errors_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_WEBHOOKS_OUTBOX_MONITOR_H_

#ifndef AFFONSO_SERVICES_WEBHOOK_DISPATCHER_H_
#define AFFONSO_SERVICES_WEBHOOK_DISPATCHER_H_

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/webhook_sender.h"
#include "storage/webhook_dispatch_store.h"

namespace affonso::services {

struct WebhookDispatcherOptions {
  int workers = 4;
  // How often an idle worker looks for events and due retries: bounds the
  // delay from commit to first attempt.
  absl::Duration poll_interval = absl::Milliseconds(200);
  // Longer than one send (connect + read timeouts): a delivery is only
  // re-sent by another dispatcher when its owner has died.
  absl::Duration lease = absl::Seconds(60);
  int claim_batch = 16;
  // Leased deliveries per endpoint (roughly: a claim can add a batch), so one
  // slow receiver cannot hold every worker.
  int per_endpoint_cap = 16;
  int fan_out_batch = 1000;
  // Delay before retry n (n = 1 is the second attempt), jittered by +-20%:
  // about three days in all; after the last one the delivery gives up.
  std::vector<absl::Duration> retry_schedule = DefaultRetrySchedule();
  // A Retry-After (429 / 503) is honoured up to this.
  absl::Duration max_retry_after = absl::Hours(24);
  // An endpoint failing without a success for this long is disabled.
  absl::Duration disable_after = absl::Hours(72);

  static std::vector<absl::Duration> DefaultRetrySchedule();
};

// Drains the outbox into signed HTTP POSTs: fans events out to subscribed
// endpoints, leases due deliveries (several dispatchers, in one process or
// many, share the work), sends, records every attempt, and schedules retries.
// Delivery is at least once: a dispatcher killed mid-send loses nothing, its
// lease runs out and another sends again, with the same event id.
class WebhookDispatcher {
 public:
  WebhookDispatcher(storage::WebhookDispatchStore* store, WebhookSender* sender,
                    WebhookDispatcherOptions options);
  ~WebhookDispatcher();  // Stop()

  void Start();
  // Finishes the sends in progress, then joins the workers.
  void Stop();

  // One pass: fan out, claim, send, record. Returns the work done (events
  // fanned out plus deliveries attempted); tests drive it directly.
  int RunOnce();

 private:
  void Work();
  void Deliver(const storage::ClaimedDelivery& delivery);

  storage::WebhookDispatchStore* store_;
  WebhookSender* sender_;
  const WebhookDispatcherOptions options_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

// When the next attempt is due after `attempt` failed (nullopt: give up).
std::optional<absl::Time> NextAttemptAt(const WebhookDispatcherOptions& options, int attempt,
                                        int status_code, const std::string& retry_after,
                                        absl::Time now, double jitter /* in [-1, 1] */);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_WEBHOOK_DISPATCHER_H_

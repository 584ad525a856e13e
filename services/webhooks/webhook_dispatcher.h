#ifndef AFFONSO_SERVICES_WEBHOOKS_WEBHOOK_DISPATCHER_H_
#define AFFONSO_SERVICES_WEBHOOKS_WEBHOOK_DISPATCHER_H_

#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "services/webhooks/webhook_sender.h"
#include "storage/webhook_dispatch_store.h"

namespace affonso::services {

struct WebhookDispatcherOptions {
  // Sends in flight at once in this dispatcher, one thread each: a slow
  // receiver holds one of them, never a whole claim.
  int workers = 32;
  // How often an idle dispatcher looks for events and due retries: bounds the
  // delay from commit to first attempt.
  absl::Duration poll_interval = absl::Milliseconds(200);
  // A claimed delivery is re-sent by another dispatcher only after this. The
  // dispatcher extends the leases it holds every lease / 3 while sending, so
  // it runs out only when its owner died (or lost the database).
  absl::Duration lease = absl::Seconds(60);
  // Most deliveries one claim takes (never more than the idle workers).
  int claim_batch = 16;
  // Live leases per endpoint and per team, across all dispatchers, so one
  // slow receiver or one tenant cannot hold every worker. The team cap is
  // kept below `workers`, so every dispatcher always has a worker for the
  // other teams.
  int per_endpoint_cap = 16;
  int per_team_cap = 24;
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
// many, share the work), sends them concurrently, records every attempt, and
// schedules retries. Delivery is at least once: a dispatcher killed mid-send
// loses nothing, its lease runs out and another sends again, with the same
// event id.
class WebhookDispatcher {
 public:
  // Starts the worker threads; nothing is claimed before Start or RunOnce.
  // Its metrics go to `registry`, which must outlive it.
  WebhookDispatcher(storage::WebhookDispatchStore* store, WebhookSender* sender,
                    WebhookDispatcherOptions options, metrics::Registry* registry);
  ~WebhookDispatcher();  // Stop()

  // Claims and sends in the background until Stop.
  void Start();
  // Stops claiming, finishes the sends in progress, then joins every thread.
  void Stop();

  // One pass: fan out, claim up to the idle workers, send those concurrently
  // and wait until each is recorded. Returns the work done (events fanned out
  // plus deliveries attempted); tests drive it directly.
  int RunOnce();

 private:
  struct Job {
    storage::ClaimedDelivery delivery;
    int* pending_in_pass;  // RunOnce's count of its jobs left, or nullptr
  };

  // Fans out and claims up to the idle workers; the jobs are queued for them.
  int Pass(int* pending_in_pass);
  void Claimer();
  void Worker();
  void LeaseKeeper();
  void Deliver(const storage::ClaimedDelivery& delivery);

  struct Metrics {
    explicit Metrics(metrics::Registry* registry);
    metrics::CounterFamily& deliveries;
    metrics::Histogram& send_duration;
    metrics::CounterFamily& errors;
  };

  storage::WebhookDispatchStore* store_;
  WebhookSender* sender_;
  const WebhookDispatcherOptions options_;
  const storage::ClaimCaps caps_;
  Metrics metrics_;

  absl::Mutex mu_;
  bool stopping_claims_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<Job> queue_ ABSL_GUARDED_BY(mu_);
  int busy_ ABSL_GUARDED_BY(mu_) = 0;  // queued or being sent and recorded
  // Sends ended so far: the claimer waits for one to end after its pass
  // began (a count, so an end during the pass is not missed).
  int64_t sends_ended_ ABSL_GUARDED_BY(mu_) = 0;
  // The leases to keep alive: delivery id -> the attempt its claim counted.
  absl::flat_hash_map<std::string, int> held_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> workers_;
  std::thread lease_keeper_;
  std::thread claimer_;
};

// When the next attempt is due after `attempt` failed (nullopt: give up).
std::optional<absl::Time> NextAttemptAt(const WebhookDispatcherOptions& options, int attempt,
                                        int status_code, const std::string& retry_after,
                                        absl::Time now, double jitter /* in [-1, 1] */);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_WEBHOOKS_WEBHOOK_DISPATCHER_H_

#ifndef AFFONSO_SERVICES_LIFECYCLE_HOLD_PERIOD_SCHEDULER_H_
#define AFFONSO_SERVICES_LIFECYCLE_HOLD_PERIOD_SCHEDULER_H_

#include <functional>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "services/lifecycle/periodic_worker.h"
#include "storage/hold_period_store.h"

namespace affonso::services {

struct HoldPeriodSchedulerOptions {
  absl::Duration interval = absl::Seconds(60);
  // Commissions approved per transaction.
  int batch = 500;
  // The time a hold is measured against; nullopt (the default) = the
  // database's clock, which every replica shares. Tests set one.
  std::function<std::optional<absl::Time>()> as_of = [] { return std::nullopt; };
};

// Moves pending commissions whose hold period has ended to ready_for_payment
// (transaction.approved each), on every replica that runs it: the store
// skips what another replica is approving, so each commission is approved
// once. State is only in the database.
class HoldPeriodScheduler {
 public:
  HoldPeriodScheduler(storage::HoldPeriodStore* store, HoldPeriodSchedulerOptions options,
                      metrics::Registry* registry);
  ~HoldPeriodScheduler();  // Stop()

  // Runs now, then every interval, on a thread of its own.
  void Start();
  void Stop();
  // Batches until one comes back short (nothing more due) or `keep_going`
  // turns false; the number approved. An error ends the run (the next one
  // tries again) and is counted.
  absl::StatusOr<int> RunOnce(const std::function<bool()>& keep_going = [] { return true; });

 private:
  storage::HoldPeriodStore* store_;
  const HoldPeriodSchedulerOptions options_;
  metrics::Counter& approved_;
  metrics::Counter& runs_ok_;
  metrics::Counter& runs_failed_;
  std::unique_ptr<PeriodicWorker> worker_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_LIFECYCLE_HOLD_PERIOD_SCHEDULER_H_

#include "services/lifecycle/hold_period_scheduler.h"

#include "common/log.h"
#include "services/lifecycle/lifecycle_metrics.h"

namespace affonso::services {

HoldPeriodScheduler::HoldPeriodScheduler(storage::HoldPeriodStore* store,
                                         HoldPeriodSchedulerOptions options,
                                         metrics::Registry* registry)
    : store_(store),
      options_(std::move(options)),
      approved_(registry
                    ->AddCounter("affonso_commissions_approved_total",
                                 "Pending commissions the hold-period scheduler moved to "
                                 "ready_for_payment (by this replica).",
                                 {})
                    .WithLabels({})),
      runs_ok_(LifecycleRuns(registry).WithLabels({"hold_period", "ok"})),
      runs_failed_(LifecycleRuns(registry).WithLabels({"hold_period", "error"})) {}

HoldPeriodScheduler::~HoldPeriodScheduler() { Stop(); }

void HoldPeriodScheduler::Start() {
  worker_ = std::make_unique<PeriodicWorker>(
      "hold_period", options_.interval,
      [this](const std::function<bool()>& keep_going) { RunOnce(keep_going).IgnoreError(); });
  worker_->Start();
}

void HoldPeriodScheduler::Stop() {
  if (worker_) worker_->Stop();
}

absl::StatusOr<int> HoldPeriodScheduler::RunOnce(const std::function<bool()>& keep_going) {
  int total = 0;
  while (keep_going()) {
    absl::StatusOr<int> moved = store_->ApproveDue(options_.as_of(), options_.batch);
    if (!moved.ok()) {
      runs_failed_.Increment();
      AFFONSO_LOG(kWarning, "hold-period scheduler: ", moved.status().ToString(), " (", total,
                  " approved before)");
      return moved.status();
    }
    total += *moved;
    approved_.Increment(*moved);
    if (*moved < options_.batch) break;
  }
  runs_ok_.Increment();
  if (total > 0) AFFONSO_LOG(kInfo, "hold-period scheduler: ", total, " commission(s) approved");
  return total;
}

}  // namespace affonso::services

#include "services/lifecycle/lifecycle_metrics.h"

namespace affonso::services {

metrics::CounterFamily& LifecycleRuns(metrics::Registry* registry) {
  return registry->AddCounter(
      "affonso_lifecycle_runs_total",
      "Runs of the commission lifecycle jobs, by job (hold_period, payout_generation) and result "
      "(ok, error: the next run tries again).",
      {"job", "result"});
}

}  // namespace affonso::services

#ifndef AFFONSO_SERVICES_LIFECYCLE_LIFECYCLE_METRICS_H_
#define AFFONSO_SERVICES_LIFECYCLE_LIFECYCLE_METRICS_H_

#include "common/metrics.h"

namespace affonso::services {

// affonso_lifecycle_runs_total{job, result}: runs of the background jobs
// (job hold_period or payout_generation; result ok or error).
metrics::CounterFamily& LifecycleRuns(metrics::Registry* registry);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_LIFECYCLE_LIFECYCLE_METRICS_H_

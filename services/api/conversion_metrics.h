#ifndef AFFONSO_SERVICES_API_CONVERSION_METRICS_H_
#define AFFONSO_SERVICES_API_CONVERSION_METRICS_H_

#include "absl/status/status.h"
#include "common/metrics.h"
#include "proto/affonso/v1/referrals.pb.h"

namespace affonso::services {

// Signup outcomes and fraud decisions, counted where the services learn them:
// from the referral a conversion wrote, so a conversion retried or lost to a
// concurrent caller counts once.
class ConversionMetrics {
 public:
  explicit ConversionMetrics(metrics::Registry* registry);

  // One RecordSignup answer. `referral` and `created` matter only when
  // `status` is OK: created (a new lead), existing (a repeat), rejected (the
  // request turned down: bad input, unknown click, no key, rate limited; or a
  // new referral a fraud check in block mode rejected) or failed (ours: retry).
  void CountSignup(const absl::Status& status, bool created, const affonso::v1::Referral* referral);
  // The fraud checks that fired on a new referral (signup or direct).
  void CountFraudFlags(const affonso::v1::Referral& referral);

 private:
  metrics::CounterFamily& signups_;
  metrics::CounterFamily& fraud_flags_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_CONVERSION_METRICS_H_

#include "services/rules/conversion_plan.h"

#include <utility>

#include "services/rules/fraud_checks.h"

namespace affonso::services {

storage::ConversionPlan PlanConversion(const storage::ConversionFacts& facts,
                                       const DisposableDomains& disposable) {
  FraudVerdict verdict = EvaluateFraud(facts.rules, facts.subject, disposable);
  storage::ConversionPlan plan;
  plan.fraud_flags = std::move(verdict.flags);
  if (verdict.rejected) {
    plan.status = affonso::v1::REFERRAL_STATUS_REJECTED;
    return plan;
  }
  plan.status = facts.requested_status;
  plan.lead_event = facts.requested_status == affonso::v1::REFERRAL_STATUS_LEAD;
  plan.commission = facts.incentive;
  return plan;
}

}  // namespace affonso::services

#ifndef AFFONSO_SERVICES_RULES_CONVERSION_PLAN_H_
#define AFFONSO_SERVICES_RULES_CONVERSION_PLAN_H_

#include "services/rules/disposable_domains.h"
#include "storage/conversion_policy.h"

namespace affonso::services {

// What a conversion (a signup, or a direct referral) does, in one pure rule:
// - the fraud checks run (fraud_checks.h), and every one that fires is a flag;
// - a flag in block mode rejects the referral: it is stored REJECTED, with
//   no commission and no event;
// - otherwise the referral gets the requested status, a referral.lead event
//   when that status is LEAD, and the lead incentive's commission (with its
//   transaction.created event) when the affiliate earns one.
storage::ConversionPlan PlanConversion(const storage::ConversionFacts& facts,
                                       const DisposableDomains& disposable);

// PlanConversion as the policy the stores apply.
class ConversionPlanner final : public storage::ConversionPolicy {
 public:
  explicit ConversionPlanner(const DisposableDomains* disposable = &DisposableDomains::Builtin())
      : disposable_(disposable) {}

  storage::ConversionPlan Plan(const storage::ConversionFacts& facts) const override {
    return PlanConversion(facts, *disposable_);
  }

 private:
  const DisposableDomains* disposable_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_RULES_CONVERSION_PLAN_H_

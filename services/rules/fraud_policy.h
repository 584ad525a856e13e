#ifndef AFFONSO_SERVICES_RULES_FRAUD_POLICY_H_
#define AFFONSO_SERVICES_RULES_FRAUD_POLICY_H_

#include "services/rules/disposable_domains.h"
#include "storage/conversion_policy.h"

namespace affonso::services {

// The fraud checks (services/rules/fraud_checks.h) as the conversion policy the
// stores apply: a check in block mode that fires rejects the referral; every
// enabled check that fires is recorded in its fraud_flags.
class FraudPolicy final : public storage::ConversionPolicy {
 public:
  explicit FraudPolicy(const DisposableDomains* disposable = &DisposableDomains::Builtin())
      : disposable_(disposable) {}

  storage::ConversionDecision Decide(const storage::ConversionFacts& facts) const override;

 private:
  const DisposableDomains* disposable_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_RULES_FRAUD_POLICY_H_

#ifndef AFFONSO_SERVICES_RULES_COMMISSION_CALCULATION_H_
#define AFFONSO_SERVICES_RULES_COMMISSION_CALCULATION_H_

#include "absl/time/time.h"
#include "storage/sale_commission_policy.h"

namespace affonso::services {

// A sale's commission (docs/MONEY.md, "Conversions"), in one pure rule:
// - the incentive: among the group's sale incentives, a specific_products
//   one whose product_ids share a product with the sale wins over an
//   all_products one; within each kind the oldest wins. A specific_products
//   incentive never applies to a sale without product ids.
// - the chosen incentive applies only within its length: lifetime always;
//   time_limited while the sale is less than length_value months after the
//   referral's first conversion; payment_limited to the referral's first
//   length_value paid conversions. Outside it, or with no incentive (or a
//   rejected referral), the commission is 0 and incentive_id "".
// - the amount: the override's when the affiliate has one (amount and
//   is_percentage), else the incentive's; a fixed amount as is, a
//   percentage of the sale rounded half away from zero (Money::PercentOf).
// - hold period and approval from the applied incentive, else the default.
storage::SaleCommission CalculateSaleCommission(const storage::SaleFacts& facts);

// `months` calendar months after `from` (UTC), the day clamped to the end of
// a shorter month (Jan 31 + 1 = Feb 28/29), as PostgreSQL's interval does.
absl::Time AddMonths(absl::Time from, int months);

class SaleCommissionCalculator final : public storage::SaleCommissionPolicy {
 public:
  storage::SaleCommission Calculate(const storage::SaleFacts& facts) const override {
    return CalculateSaleCommission(facts);
  }
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_RULES_COMMISSION_CALCULATION_H_

#ifndef AFFONSO_STORAGE_SALE_COMMISSION_POLICY_H_
#define AFFONSO_STORAGE_SALE_COMMISSION_POLICY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/money.h"

namespace affonso::storage {

// The seam between the conversion store and the commission rule
// (services/rules/commission_calculation.h), as ConversionPolicy is for
// signups: the store reads these facts inside the conversion's transaction
// (under the referral's lock), asks the policy, and writes the answer. The
// types live here so that storage never includes services/.

enum class IncentiveLength { kLifetime, kTimeLimited, kPaymentLimited };

// One `sale` incentive of the affiliate's group (incentives table), with the
// affiliate's override of it when there is one.
struct SaleIncentive {
  std::string id;
  Money amount;  // a percentage's is its percent: 12.50 = 12.5%
  bool is_percentage = false;
  std::string currency;
  int hold_period_days = 0;
  bool specific_products = false;  // apply_to specific_products (else all_products)
  std::vector<std::string> product_ids;
  bool manual_approval = false;  // approval_type manual
  IncentiveLength length = IncentiveLength::kLifetime;
  int length_value = 0;  // months (time_limited) or conversions (payment_limited)
  // commission_overrides: the affiliate's own amount, which wins.
  std::optional<Money> override_amount;
  bool override_is_percentage = false;
};

struct SaleFacts {
  // Oldest first (created_at, id): the order ties are broken in.
  std::vector<SaleIncentive> incentives;
  Money sale_amount;
  std::vector<std::string> product_ids;  // the sale's
  absl::Time sale_time;
  // The referral's first conversion (its earliest sale); none: this sale is
  // its first.
  std::optional<absl::Time> first_conversion_time;
  // The referral's conversions recorded before this one that were paid
  // (sales_status not failed), counted under the referral's lock.
  int earlier_paid_conversions = 0;
  // A referral a fraud check rejected earns nothing.
  bool referral_rejected = false;
  // The hold period of a sale no incentive pays.
  int default_hold_period_days = 30;
};

struct SaleCommission {
  std::string incentive_id;  // "" = no incentive applied: amount 0
  Money amount;
  // The chosen incentive's currency (also when outside its length), the
  // conversion's when the request names none; "" = none chosen.
  std::string incentive_currency;
  int hold_period_days = 0;
  bool manual_approval = false;
};

// Pure and thread-safe; called inside the store's transaction, so it must not
// block.
class SaleCommissionPolicy {
 public:
  virtual ~SaleCommissionPolicy() = default;
  virtual SaleCommission Calculate(const SaleFacts& facts) const = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_SALE_COMMISSION_POLICY_H_

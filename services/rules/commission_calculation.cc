#include "services/rules/commission_calculation.h"

#include <algorithm>

#include "absl/time/civil_time.h"

namespace affonso::services {
namespace {

using storage::IncentiveLength;
using storage::SaleFacts;
using storage::SaleIncentive;

bool SharesAProduct(const SaleIncentive& incentive, const SaleFacts& facts) {
  for (const std::string& product : facts.product_ids) {
    if (std::find(incentive.product_ids.begin(), incentive.product_ids.end(), product) !=
        incentive.product_ids.end()) {
      return true;
    }
  }
  return false;
}

const SaleIncentive* ChooseIncentive(const SaleFacts& facts) {
  for (const SaleIncentive& incentive : facts.incentives) {
    if (incentive.specific_products && SharesAProduct(incentive, facts)) return &incentive;
  }
  for (const SaleIncentive& incentive : facts.incentives) {
    if (!incentive.specific_products) return &incentive;
  }
  return nullptr;
}

bool WithinLength(const SaleIncentive& incentive, const SaleFacts& facts) {
  switch (incentive.length) {
    case IncentiveLength::kLifetime:
      return true;
    case IncentiveLength::kTimeLimited: {
      const absl::Time first = facts.first_conversion_time.value_or(facts.sale_time);
      return facts.sale_time < AddMonths(first, incentive.length_value);
    }
    case IncentiveLength::kPaymentLimited:
      return facts.earlier_paid_conversions < incentive.length_value;
  }
  return false;
}

}  // namespace

absl::Time AddMonths(absl::Time from, int months) {
  const absl::CivilSecond civil = absl::ToCivilSecond(from, absl::UTCTimeZone());
  const absl::CivilMonth month = absl::CivilMonth(civil) + months;
  // Days in the target month: from its first day to the next month's first.
  const int last_day = static_cast<int>(absl::CivilDay(month + 1) - absl::CivilDay(month));
  const int day = std::min(civil.day(), last_day);
  const absl::CivilSecond target(month.year(), month.month(), day, civil.hour(), civil.minute(),
                                 civil.second());
  const absl::Duration sub_second = from - absl::FromCivil(civil, absl::UTCTimeZone());
  return absl::FromCivil(target, absl::UTCTimeZone()) + sub_second;
}

storage::SaleCommission CalculateSaleCommission(const SaleFacts& facts) {
  storage::SaleCommission commission;
  commission.hold_period_days = facts.default_hold_period_days;
  if (facts.referral_rejected) return commission;
  const SaleIncentive* incentive = ChooseIncentive(facts);
  if (incentive == nullptr) return commission;
  commission.incentive_currency = incentive->currency;
  if (!WithinLength(*incentive, facts)) return commission;
  commission.incentive_id = incentive->id;
  commission.hold_period_days = incentive->hold_period_days;
  commission.manual_approval = incentive->manual_approval;
  const bool overridden = incentive->override_amount.has_value();
  const Money amount = overridden ? *incentive->override_amount : incentive->amount;
  const bool percentage = overridden ? incentive->override_is_percentage : incentive->is_percentage;
  // A percentage's Money is its percent with two decimals: its cents are
  // hundredths of a percent.
  commission.amount = percentage ? facts.sale_amount.PercentOf(amount.cents()) : amount;
  return commission;
}

}  // namespace affonso::services

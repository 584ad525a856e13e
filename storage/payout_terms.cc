#include "storage/payout_terms.h"

#include "absl/time/civil_time.h"

namespace affonso::storage {

PayoutTerms DefaultPayoutTerms() { return PayoutTerms(); }

absl::Time PeriodStart(PaymentFrequency frequency, absl::Time now) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  switch (frequency) {
    case PaymentFrequency::kWeekly: {
      const absl::CivilDay today = absl::ToCivilDay(now, utc);
      return absl::FromCivil(absl::PrevWeekday(today + 1, absl::Weekday::monday), utc);
    }
    case PaymentFrequency::kMonthly:
      break;
  }
  return absl::FromCivil(absl::ToCivilMonth(now, utc), utc);
}

}  // namespace affonso::storage

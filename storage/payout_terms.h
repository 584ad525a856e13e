#ifndef AFFONSO_STORAGE_PAYOUT_TERMS_H_
#define AFFONSO_STORAGE_PAYOUT_TERMS_H_

#include "absl/time/time.h"
#include "common/money.h"

namespace affonso::storage {

enum class PaymentFrequency { kWeekly, kMonthly };

// When and from how much an affiliate is paid. Each program sets its own
// (PATCH /v1/program/payment-terms: payment_threshold, payment_frequency);
// a program that never did pays on DefaultPayoutTerms(), the one place that
// says what those are (docs/MONEY.md "Payouts"; migration 021's column
// defaults agree).
struct PayoutTerms {
  // A payout is made only when the net (commissions less clawbacks) of an
  // affiliate in one currency reaches this, in that currency's units.
  Money threshold = Money::FromCents(5000);  // 50.00
  PaymentFrequency frequency = PaymentFrequency::kMonthly;
};

// 50.00 per currency, monthly.
PayoutTerms DefaultPayoutTerms();

// The start of the payment period that `now` is in, in UTC: 00:00 on the 1st
// of the month (monthly) or on Monday (weekly). Generation during a period
// pays what was ready_for_payment before it began.
absl::Time PeriodStart(PaymentFrequency frequency, absl::Time now);

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PAYOUT_TERMS_H_

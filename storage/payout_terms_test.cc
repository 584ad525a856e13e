#include "storage/payout_terms.h"

#include "gtest/gtest.h"

namespace affonso::storage {
namespace {

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone());
}

TEST(PayoutTermsTest, DefaultsAreFiftyMonthly) {
  const PayoutTerms terms = DefaultPayoutTerms();
  EXPECT_EQ(terms.threshold, Money::FromCents(5000));
  EXPECT_EQ(terms.frequency, PaymentFrequency::kMonthly);
}

TEST(PayoutTermsTest, MonthlyPeriodStartsOnTheFirstUtc) {
  EXPECT_EQ(PeriodStart(PaymentFrequency::kMonthly, Utc(2024, 3, 17, 13, 5)), Utc(2024, 3, 1));
  EXPECT_EQ(PeriodStart(PaymentFrequency::kMonthly, Utc(2024, 3, 1)), Utc(2024, 3, 1));
  EXPECT_EQ(PeriodStart(PaymentFrequency::kMonthly, Utc(2024, 2, 29, 23, 59, 59)), Utc(2024, 2, 1));
  EXPECT_EQ(PeriodStart(PaymentFrequency::kMonthly, Utc(2025, 1, 1) - absl::Seconds(1)),
            Utc(2024, 12, 1));
}

TEST(PayoutTermsTest, WeeklyPeriodStartsOnMondayUtc) {
  // 2024-03-18 is a Monday.
  EXPECT_EQ(PeriodStart(PaymentFrequency::kWeekly, Utc(2024, 3, 18)), Utc(2024, 3, 18));
  EXPECT_EQ(PeriodStart(PaymentFrequency::kWeekly, Utc(2024, 3, 24, 23, 59)), Utc(2024, 3, 18));
  EXPECT_EQ(PeriodStart(PaymentFrequency::kWeekly, Utc(2024, 3, 25, 0, 0, 1)), Utc(2024, 3, 25));
}

}  // namespace
}  // namespace affonso::storage

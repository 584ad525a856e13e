#include "services/rules/commission_calculation.h"

#include "gtest/gtest.h"

namespace affonso::services {
namespace {

using storage::IncentiveLength;
using storage::SaleCommission;
using storage::SaleFacts;
using storage::SaleIncentive;

const absl::Time kJan31 =
    absl::FromCivil(absl::CivilSecond(2024, 1, 31, 10, 0, 0), absl::UTCTimeZone());

SaleIncentive Fixed(const std::string& id, int64_t cents) {
  SaleIncentive incentive;
  incentive.id = id;
  incentive.amount = Money::FromCents(cents);
  incentive.currency = "EUR";
  incentive.hold_period_days = 14;
  return incentive;
}

SaleIncentive Percent(const std::string& id, int64_t hundredths) {
  SaleIncentive incentive = Fixed(id, hundredths);
  incentive.is_percentage = true;
  return incentive;
}

SaleFacts Sale(int64_t cents, std::vector<SaleIncentive> incentives) {
  SaleFacts facts;
  facts.sale_amount = Money::FromCents(cents);
  facts.incentives = std::move(incentives);
  facts.sale_time = kJan31;
  facts.default_hold_period_days = 30;
  return facts;
}

TEST(CommissionCalculationTest, FixedAmountIsTakenAsIs) {
  const SaleCommission commission = CalculateSaleCommission(Sale(9999, {Fixed("inc_a", 1250)}));
  EXPECT_EQ(commission.incentive_id, "inc_a");
  EXPECT_EQ(commission.amount, Money::FromCents(1250));
  EXPECT_EQ(commission.incentive_currency, "EUR");
  EXPECT_EQ(commission.hold_period_days, 14);
  EXPECT_FALSE(commission.manual_approval);
}

TEST(CommissionCalculationTest, PercentageRoundsHalfAwayFromZero) {
  // 10% of 0.05 = 0.005: exactly half a cent, rounded up to 0.01.
  EXPECT_EQ(CalculateSaleCommission(Sale(5, {Percent("inc_p", 1000)})).amount, Money::FromCents(1));
  // 12.5% of 0.99 = 0.12375 -> 0.12; of 1.00 = 0.125 -> 0.13.
  EXPECT_EQ(CalculateSaleCommission(Sale(99, {Percent("inc_p", 1250)})).amount,
            Money::FromCents(12));
  EXPECT_EQ(CalculateSaleCommission(Sale(100, {Percent("inc_p", 1250)})).amount,
            Money::FromCents(13));
  // 33.33% of 100.00 = 33.33 exactly.
  EXPECT_EQ(CalculateSaleCommission(Sale(10000, {Percent("inc_p", 3333)})).amount,
            Money::FromCents(3333));
}

TEST(CommissionCalculationTest, SpecificProductsWinWhenTheyMatch) {
  SaleIncentive all = Fixed("inc_all", 100);
  SaleIncentive pro = Fixed("inc_pro", 500);
  pro.specific_products = true;
  pro.product_ids = {"prod_pro", "prod_team"};
  SaleFacts facts = Sale(10000, {all, pro});
  facts.product_ids = {"prod_other", "prod_team"};
  EXPECT_EQ(CalculateSaleCommission(facts).incentive_id, "inc_pro");
  facts.product_ids = {"prod_other"};
  EXPECT_EQ(CalculateSaleCommission(facts).incentive_id, "inc_all");
  facts.product_ids.clear();
  EXPECT_EQ(CalculateSaleCommission(facts).incentive_id, "inc_all");
  // Only a specific incentive, and the sale is for none of its products.
  SaleFacts only_pro = Sale(10000, {pro});
  only_pro.product_ids = {"prod_other"};
  const SaleCommission none = CalculateSaleCommission(only_pro);
  EXPECT_EQ(none.incentive_id, "");
  EXPECT_EQ(none.amount, Money());
  EXPECT_EQ(none.hold_period_days, 30);
}

TEST(CommissionCalculationTest, OldestOfSeveralMatchingWins) {
  EXPECT_EQ(CalculateSaleCommission(Sale(10000, {Fixed("inc_old", 100), Fixed("inc_new", 900)}))
                .incentive_id,
            "inc_old");
}

TEST(CommissionCalculationTest, OverrideAmountWins) {
  SaleIncentive incentive = Percent("inc_p", 1000);
  incentive.override_amount = Money::FromCents(2000);
  incentive.override_is_percentage = true;
  EXPECT_EQ(CalculateSaleCommission(Sale(5000, {incentive})).amount, Money::FromCents(1000));
  incentive.override_is_percentage = false;  // a fixed override of a percentage incentive
  EXPECT_EQ(CalculateSaleCommission(Sale(5000, {incentive})).amount, Money::FromCents(2000));
}

TEST(CommissionCalculationTest, ManualApprovalIsReported) {
  SaleIncentive incentive = Fixed("inc_m", 100);
  incentive.manual_approval = true;
  EXPECT_TRUE(CalculateSaleCommission(Sale(1000, {incentive})).manual_approval);
}

TEST(CommissionCalculationTest, TimeLimitedCountsMonthsFromTheFirstConversion) {
  SaleIncentive incentive = Fixed("inc_t", 300);
  incentive.length = IncentiveLength::kTimeLimited;
  incentive.length_value = 1;
  SaleFacts first = Sale(1000, {incentive});
  EXPECT_EQ(CalculateSaleCommission(first).incentive_id, "inc_t");  // the first itself
  // Renewals: one month after Jan 31 is Feb 29 (2024) at the same time.
  SaleFacts renewal = first;
  renewal.first_conversion_time = kJan31;
  renewal.sale_time = kJan31 + absl::Hours(24 * 29) - absl::Seconds(1);  // Feb 29 09:59:59
  EXPECT_EQ(CalculateSaleCommission(renewal).amount, Money::FromCents(300));
  renewal.sale_time = kJan31 + absl::Hours(24 * 29);  // Feb 29 10:00:00: outside
  const SaleCommission outside = CalculateSaleCommission(renewal);
  EXPECT_EQ(outside.incentive_id, "");
  EXPECT_EQ(outside.amount, Money());
  EXPECT_EQ(outside.incentive_currency, "EUR");  // still the conversion's default currency
  EXPECT_EQ(outside.hold_period_days, 30);
}

TEST(CommissionCalculationTest, PaymentLimitedPaysTheFirstN) {
  SaleIncentive incentive = Percent("inc_n", 1000);
  incentive.length = IncentiveLength::kPaymentLimited;
  incentive.length_value = 3;
  SaleFacts facts = Sale(2000, {incentive});
  for (int earlier = 0; earlier < 3; ++earlier) {
    facts.earlier_paid_conversions = earlier;
    EXPECT_EQ(CalculateSaleCommission(facts).amount, Money::FromCents(200)) << earlier;
  }
  facts.earlier_paid_conversions = 3;
  EXPECT_EQ(CalculateSaleCommission(facts).incentive_id, "");
  EXPECT_EQ(CalculateSaleCommission(facts).amount, Money());
}

TEST(CommissionCalculationTest, LifetimeHonoursEveryRenewal) {
  SaleFacts facts = Sale(1000, {Fixed("inc_l", 100)});
  facts.first_conversion_time = kJan31 - absl::Hours(24 * 365 * 5);
  facts.earlier_paid_conversions = 500;
  EXPECT_EQ(CalculateSaleCommission(facts).incentive_id, "inc_l");
}

TEST(CommissionCalculationTest, RejectedReferralEarnsNothing) {
  SaleFacts facts = Sale(1000, {Fixed("inc_l", 100)});
  facts.referral_rejected = true;
  EXPECT_EQ(CalculateSaleCommission(facts).amount, Money());
  EXPECT_EQ(CalculateSaleCommission(facts).incentive_id, "");
}

TEST(CommissionCalculationTest, AddMonthsClampsToTheMonthEnd) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  EXPECT_EQ(AddMonths(kJan31, 1), absl::FromCivil(absl::CivilSecond(2024, 2, 29, 10, 0, 0), utc));
  EXPECT_EQ(AddMonths(kJan31, 13), absl::FromCivil(absl::CivilSecond(2025, 2, 28, 10, 0, 0), utc));
  EXPECT_EQ(AddMonths(kJan31, 2), absl::FromCivil(absl::CivilSecond(2024, 3, 31, 10, 0, 0), utc));
  const absl::Time fraction = kJan31 + absl::Milliseconds(250);
  EXPECT_EQ(AddMonths(fraction, 12) - AddMonths(kJan31, 12), absl::Milliseconds(250));
}

}  // namespace
}  // namespace affonso::services

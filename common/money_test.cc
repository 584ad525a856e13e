#include "common/money.h"

#include <cmath>
#include <utility>
#include <vector>

#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso {
namespace {

using ::affonso::matchers::HasApiError;

TEST(MoneyTest, AmountsWithTwoDecimalsAreExactCents) {
  for (const auto& [amount, cents] :
       std::vector<std::pair<double, int64_t>>{{0, 0},
                                               {0.1, 10},
                                               {0.29, 29},
                                               {19.99, 1999},
                                               {1234567.89, 123456789},
                                               {9999999999999.99, 999999999999999}}) {
    ASSERT_OK_AND_ASSIGN(Money money, Money::FromAmount("sale_amount", amount));
    EXPECT_EQ(money.cents(), cents) << amount;
    EXPECT_EQ(money.ToAmount(), amount);
  }
}

TEST(MoneyTest, RefusesWhatCannotBeStoredExactly) {
  for (double amount : {-0.01, 0.001, 10.005, 1e13, std::nan(""), 1.0 / 0.0}) {
    EXPECT_THAT(Money::FromAmount("sale_amount", amount),
                HasApiError("VALIDATION_ERROR", "sale_amount"))
        << amount;
  }
}

TEST(MoneyTest, DecimalTextRoundTrips) {
  for (const auto& [text, cents] : std::vector<std::pair<std::string, int64_t>>{
           {"12.30", 1230}, {"12.3", 1230}, {"7", 700}, {"-4.05", -405}, {"0.00", 0}}) {
    ASSERT_OK_AND_ASSIGN(Money money, Money::FromDecimalText(text));
    EXPECT_EQ(money.cents(), cents) << text;
  }
  EXPECT_EQ(Money::FromCents(-5).ToDecimalText(), "-0.05");
  EXPECT_EQ(Money::FromCents(123456).ToDecimalText(), "1234.56");
  for (const char* bad : {"", "1.234", "abc", "1e3", "--1", "1.2.3"}) {
    EXPECT_FALSE(Money::FromDecimalText(bad).ok()) << bad;
  }
}

// Half away from zero, as PostgreSQL's round(numeric, 2).
TEST(MoneyTest, PercentRoundsHalfAwayFromZero) {
  EXPECT_EQ(Money::FromCents(15).PercentOf(5000).cents(), 8);      // 0.075 -> 0.08
  EXPECT_EQ(Money::FromCents(-15).PercentOf(5000).cents(), -8);    // -0.075 -> -0.08
  EXPECT_EQ(Money::FromCents(14).PercentOf(5000).cents(), 7);      // 0.07
  EXPECT_EQ(Money::FromCents(1999).PercentOf(1250).cents(), 250);  // 2.49875 -> 2.50
  EXPECT_EQ(Money::FromCents(999999999999999).PercentOf(10000).cents(), 999999999999999);
  EXPECT_EQ(Money::FromCents(10000).PercentOf(0).cents(), 0);
}

TEST(MoneyTest, ScaledByKeepsTheRemainingShare) {
  // A 10.00 commission on a 30.00 sale, 10.00 of it refunded: 6.67 remains.
  EXPECT_EQ(Money::FromCents(1000).ScaledBy(Money::FromCents(2000), Money::FromCents(3000)).cents(),
            667);
  EXPECT_EQ(Money::FromCents(1000).ScaledBy(Money::FromCents(0), Money::FromCents(3000)).cents(),
            0);
  EXPECT_EQ(Money::FromCents(1000).ScaledBy(Money::FromCents(3000), Money::FromCents(3000)).cents(),
            1000);
}

TEST(MoneyTest, PercentagesAreHundredths) {
  ASSERT_OK_AND_ASSIGN(int64_t hundredths, PercentHundredthsFromAmount("amount", 12.5));
  EXPECT_EQ(hundredths, 1250);
  EXPECT_THAT(PercentHundredthsFromAmount("amount", 100.01),
              HasApiError("VALIDATION_ERROR", "amount"));
}

}  // namespace
}  // namespace affonso

#ifndef AFFONSO_COMMON_MONEY_H_
#define AFFONSO_COMMON_MONEY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace affonso {

// Money as an exact count of minor units (cents): every amount the API
// accepts has at most two decimals and is stored as numeric(18,2), so
// arithmetic on it is integer arithmetic, never binary floating point. The
// same scale is used for every currency (a JPY amount of 1000 is 1000.00).
//
// Rounding (docs/MONEY.md): a share that falls between two cents is rounded
// half away from zero, as PostgreSQL's round(numeric) does, so a figure
// recomputed in SQL from the rows agrees with the one the service wrote.
class Money {
 public:
  static constexpr int64_t kMaxCents = 999999999999999;  // 9999999999999.99

  constexpr Money() = default;
  static constexpr Money FromCents(int64_t cents) { return Money(cents); }

  // The JSON amount (a double) as exact cents: VALIDATION_ERROR naming
  // `field` unless it is finite, 0 <= amount < 10^13 and has at most two
  // decimals (the double of such an amount is the nearest to it, so its
  // shortest decimal form has at most two decimals).
  static absl::StatusOr<Money> FromAmount(absl::string_view field, double amount);
  // numeric(18,2) text as PostgreSQL writes it ("12.30", "-4.00", "7").
  static absl::StatusOr<Money> FromDecimalText(absl::string_view text);

  constexpr int64_t cents() const { return cents_; }
  // For the wire: the double nearest to the exact amount.
  double ToAmount() const;
  // "12.30", "-0.05": what a numeric(18,2) parameter takes.
  std::string ToDecimalText() const;

  // `percent` of this amount, percent given in hundredths of a percent
  // (12.5% = 1250), rounded half away from zero.
  Money PercentOf(int64_t percent_hundredths) const;
  // This amount scaled by part/whole (0 <= part <= whole, whole > 0), rounded
  // half away from zero: the commission that remains when `part` of a sale of
  // `whole` remains.
  Money ScaledBy(Money part, Money whole) const;

  friend constexpr Money operator+(Money a, Money b) { return Money(a.cents_ + b.cents_); }
  friend constexpr Money operator-(Money a, Money b) { return Money(a.cents_ - b.cents_); }
  friend constexpr bool operator==(Money a, Money b) { return a.cents_ == b.cents_; }
  friend constexpr bool operator!=(Money a, Money b) { return a.cents_ != b.cents_; }
  friend constexpr bool operator<(Money a, Money b) { return a.cents_ < b.cents_; }
  friend constexpr bool operator<=(Money a, Money b) { return a.cents_ <= b.cents_; }
  friend constexpr bool operator>(Money a, Money b) { return a.cents_ > b.cents_; }
  friend constexpr bool operator>=(Money a, Money b) { return a.cents_ >= b.cents_; }

 private:
  constexpr explicit Money(int64_t cents) : cents_(cents) {}
  int64_t cents_ = 0;
};

// A percentage incentive's amount (at most two decimals, 0-100) as
// hundredths of a percent; the same validation as Money::FromAmount.
absl::StatusOr<int64_t> PercentHundredthsFromAmount(absl::string_view field, double percent);

}  // namespace affonso

#endif  // AFFONSO_COMMON_MONEY_H_

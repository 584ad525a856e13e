#include "common/money.h"

#include <cmath>
#include <cstdlib>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/api_error.h"

namespace affonso {
namespace {

// num / den rounded half away from zero; den > 0.
int64_t DivideRounded(__int128 num, __int128 den) {
  const bool negative = num < 0;
  const __int128 magnitude = negative ? -num : num;
  const __int128 quotient = (2 * magnitude + den) / (2 * den);
  return static_cast<int64_t>(negative ? -quotient : quotient);
}

absl::StatusOr<int64_t> CentsOf(absl::string_view field, double amount) {
  // 13 integer digits and 2 decimals are 15 significant digits, which a
  // double carries exactly; above that a JSON amount no longer reaches us as
  // written (99999999999999.99 is the same double as ...98).
  if (!std::isfinite(amount) || amount < 0 || amount >= 1e13) {
    return ValidationError(field,
                           absl::StrCat(field, " must be a number from 0 to 9999999999999.99"));
  }
  const int64_t cents = std::llround(amount * 100);
  // Only an amount whose two-decimal form reads back as this very double is
  // exact; anything else would be rounded silently.
  if (std::strtod(Money::FromCents(cents).ToDecimalText().c_str(), nullptr) != amount) {
    return ValidationError(field, absl::StrCat(field, " may have at most 2 decimals"));
  }
  return cents;
}

}  // namespace

absl::StatusOr<Money> Money::FromAmount(absl::string_view field, double amount) {
  absl::StatusOr<int64_t> cents = CentsOf(field, amount);
  if (!cents.ok()) return cents.status();
  return Money(*cents);
}

absl::StatusOr<Money> Money::FromDecimalText(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  const size_t dot = text.find('.');
  absl::string_view whole = text.substr(0, dot);
  absl::string_view fraction = dot == absl::string_view::npos ? "" : text.substr(dot + 1);
  int64_t units = 0;
  int64_t hundredths = 0;
  const bool digits_only =
      absl::c_all_of(whole, absl::ascii_isdigit) && absl::c_all_of(fraction, absl::ascii_isdigit);
  if (whole.empty() || whole.size() > 16 || fraction.size() > 2 || !digits_only ||
      !absl::SimpleAtoi(whole, &units) ||
      (!fraction.empty() && !absl::SimpleAtoi(fraction, &hundredths))) {
    return absl::InvalidArgumentError(absl::StrCat("not a two-decimal amount: ", text));
  }
  if (fraction.size() == 1) hundredths *= 10;
  const int64_t cents = units * 100 + hundredths;
  return Money(negative ? -cents : cents);
}

double Money::ToAmount() const { return std::strtod(ToDecimalText().c_str(), nullptr); }

std::string Money::ToDecimalText() const {
  const uint64_t magnitude =
      cents_ < 0 ? uint64_t{0} - static_cast<uint64_t>(cents_) : static_cast<uint64_t>(cents_);
  return absl::StrFormat("%s%d.%02d", cents_ < 0 ? "-" : "", magnitude / 100, magnitude % 100);
}

Money Money::PercentOf(int64_t percent_hundredths) const {
  return Money(DivideRounded(static_cast<__int128>(cents_) * percent_hundredths, 10000));
}

Money Money::ScaledBy(Money part, Money whole) const {
  if (whole.cents_ <= 0) return Money(0);
  return Money(DivideRounded(static_cast<__int128>(cents_) * part.cents_, whole.cents_));
}

absl::StatusOr<int64_t> PercentHundredthsFromAmount(absl::string_view field, double percent) {
  absl::StatusOr<int64_t> hundredths = CentsOf(field, percent);
  if (!hundredths.ok()) return hundredths.status();
  if (*hundredths > 10000) {
    return ValidationError(field, absl::StrCat(field, " must be a percentage from 0 to 100"));
  }
  return *hundredths;
}

}  // namespace affonso

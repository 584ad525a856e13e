#include "services/api/program_terms.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/api_error.h"
#include "common/money.h"
#include "common/status_macros.h"
#include "common/untrusted_text.h"
#include "services/call/validation.h"
#include "storage/program_terms_store.h"

namespace affonso::services {
namespace {

using affonso::v1::PaymentTermsUpdate;
using affonso::v1::PortalSettingsUpdate;
using affonso::v1::RestrictionsUpdate;
using google::protobuf::ListValue;
using google::protobuf::Value;

constexpr size_t kMaxPaymentMethodLength = 50;
constexpr size_t kMaxInvoicePrefixLength = 20;
constexpr size_t kMaxOwnerTextLength = 255;
constexpr size_t kMaxOwnerCityLength = 100;
constexpr size_t kMaxPostalCodeLength = 20;
constexpr size_t kMaxVatIdLength = 50;
constexpr size_t kMaxLongTextLength = 5000;
constexpr int kMaxCustomTextKeys = 50;
constexpr size_t kMaxCustomTextKeyLength = 64;
constexpr size_t kMaxCustomTextsBytes = 8 * 1024;

// Present and UNSPECIFIED (or a number outside the enum) is an error.
template <typename IsValid>
absl::Status CheckEnum(absl::string_view field, bool present, int value, IsValid is_valid,
                       absl::string_view names) {
  if (present && (!is_valid(value) || value == 0)) {
    return ValidationError(field, absl::StrCat(field, " must be ", names));
  }
  return absl::OkStatus();
}

// A nullable text: null, or a string of at most `max` characters; "" is
// null. `*value` normalised in place.
absl::Status NullableText(absl::string_view field, bool present, Value* value, size_t max) {
  if (!present) return absl::OkStatus();
  AFFONSO_RETURN_IF_ERROR(CheckNullableText(field, *value, max));
  if (value->kind_case() == Value::kStringValue && value->string_value().empty()) {
    value->set_null_value(google::protobuf::NULL_VALUE);
  }
  return absl::OkStatus();
}

// A nullable integer from `min` to `max`.
absl::Status NullableInteger(absl::string_view field, bool present, const Value& value, int min,
                             int max) {
  if (!present || value.kind_case() == Value::kNullValue) return absl::OkStatus();
  const double number = value.number_value();
  if (value.kind_case() != Value::kNumberValue || !std::isfinite(number) ||
      std::trunc(number) != number || number < min || number > max) {
    return ValidationError(
        field, absl::StrCat(field, " must be an integer from ", min, " to ", max, " or null"));
  }
  return absl::OkStatus();
}

absl::Status NormalizePaymentMethods(ListValue* list) {
  constexpr char kField[] = "payment_methods";
  if (list->values_size() > storage::kMaxPaymentMethods) {
    return ValidationError(
        kField, absl::StrCat("at most ", storage::kMaxPaymentMethods, " payment_methods"));
  }
  ListValue kept;
  absl::flat_hash_set<std::string> seen;
  for (const Value& value : list->values()) {
    if (value.kind_case() != Value::kStringValue) {
      return ValidationError(kField, "payment_methods must be an array of strings");
    }
    std::string method(absl::StripAsciiWhitespace(value.string_value()));
    if (method.empty() || HasControlCharacter(method)) {
      return ValidationError(kField, "each payment method must be 1-50 printable characters");
    }
    AFFONSO_RETURN_IF_ERROR(CheckMaxLength(kField, method, kMaxPaymentMethodLength));
    if (seen.insert(method).second) kept.add_values()->set_string_value(std::move(method));
  }
  list->Swap(&kept);
  return absl::OkStatus();
}

bool IsLetter(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)); }

// "#rrggbb" in any case, lower-cased; or null.
absl::Status NormalizeColor(absl::string_view field, bool present, Value* value) {
  if (!present || value->kind_case() == Value::kNullValue) return absl::OkStatus();
  const std::string* color =
      value->kind_case() == Value::kStringValue ? &value->string_value() : nullptr;
  const bool ok = color != nullptr && color->size() == 7 && (*color)[0] == '#' &&
                  std::all_of(color->begin() + 1, color->end(), [](char c) {
                    return absl::ascii_isxdigit(static_cast<unsigned char>(c));
                  });
  if (!ok) return ValidationError(field, absl::StrCat(field, " must be \"#rrggbb\" or null"));
  value->set_string_value(absl::AsciiStrToLower(*color));
  return absl::OkStatus();
}

absl::Status CheckCustomTexts(const Value& value) {
  constexpr char kField[] = "custom_texts";
  if (value.kind_case() == Value::kNullValue) return absl::OkStatus();
  if (value.kind_case() != Value::kStructValue) {
    return ValidationError(kField, "custom_texts must be an object or null");
  }
  const auto& fields = value.struct_value().fields();
  if (fields.size() > kMaxCustomTextKeys) {
    return ValidationError(kField, absl::StrCat("at most ", kMaxCustomTextKeys, " custom_texts"));
  }
  for (const auto& [key, unused] : fields) {
    const bool key_ok = !key.empty() && key.size() <= kMaxCustomTextKeyLength &&
                        std::all_of(key.begin(), key.end(), [](char c) {
                          return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                                 c == '-' || c == '.';
                        });
    if (!key_ok) {
      return ValidationError(kField,
                             absl::StrCat("custom_texts keys must be 1-", kMaxCustomTextKeyLength,
                                          " letters, digits, '_', '-' or '.'"));
    }
  }
  return CheckEncodedSize(kField, value, kMaxCustomTextsBytes);
}

// The mutable_ accessors that normalise a nullable Value in place make an
// absent one present: clear in `normalized` every field `original` lacks.
void KeepPresence(const google::protobuf::Message& original,
                  google::protobuf::Message* normalized) {
  const auto* reflection = original.GetReflection();
  const auto* type = original.GetDescriptor();
  for (int i = 0; i < type->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = type->field(i);
    if (!field->is_repeated() && !reflection->HasField(original, field)) {
      reflection->ClearField(normalized, field);
    }
  }
}

}  // namespace

absl::StatusOr<PaymentTermsUpdate> ValidatePaymentTermsUpdate(const PaymentTermsUpdate& update) {
  PaymentTermsUpdate normalized = update;
  AFFONSO_RETURN_IF_ERROR(
      CheckEnum("commission_type", update.has_commission_type(), update.commission_type(),
                affonso::v1::PaymentCommissionType_IsValid, "FIXED, PERCENTAGE or CREDITS"));
  if (update.has_commission_rate()) {
    AFFONSO_ASSIGN_OR_RETURN(Money rate,
                             Money::FromAmount("commission_rate", update.commission_rate()));
    if (update.commission_type() == affonso::v1::PAYMENT_COMMISSION_TYPE_PERCENTAGE &&
        rate > Money::FromCents(10000)) {
      return ValidationError("commission_rate",
                             "a percentage commission_rate must be from 0 to 100");
    }
  }
  AFFONSO_RETURN_IF_ERROR(CheckEnum(
      "commission_duration", update.has_commission_duration(), update.commission_duration(),
      affonso::v1::CommissionDuration_IsValid, "lifetime, time_limited or payment_limited"));
  AFFONSO_RETURN_IF_ERROR(NullableInteger("commissions_limit", update.has_commissions_limit(),
                                          update.commissions_limit(), 1,
                                          storage::kMaxCommissionsLimit));
  AFFONSO_RETURN_IF_ERROR(
      NullableInteger("commissions_hold_days", update.has_commissions_hold_days(),
                      update.commissions_hold_days(), 0, storage::kMaxCommissionsHoldDays));
  if (update.has_payment_threshold()) {
    AFFONSO_RETURN_IF_ERROR(
        Money::FromAmount("payment_threshold", update.payment_threshold()).status());
  }
  AFFONSO_RETURN_IF_ERROR(CheckEnum("payment_frequency", update.has_payment_frequency(),
                                    update.payment_frequency(),
                                    affonso::v1::PaymentFrequency_IsValid, "weekly or monthly"));
  if (update.has_payment_methods()) {
    AFFONSO_RETURN_IF_ERROR(NormalizePaymentMethods(normalized.mutable_payment_methods()));
  }
  if (update.has_cookie_lifetime() &&
      (update.cookie_lifetime() < 1 ||
       update.cookie_lifetime() > storage::kMaxCookieLifetimeDays)) {
    return ValidationError(
        "cookie_lifetime",
        absl::StrCat("cookie_lifetime must be 1 to ", storage::kMaxCookieLifetimeDays, " days"));
  }
  AFFONSO_RETURN_IF_ERROR(CheckEnum("invoice_rule", update.has_invoice_rule(),
                                    update.invoice_rule(), affonso::v1::InvoiceRule_IsValid,
                                    "NONE, OWNER_PROVIDES, AFFILIATE_PROVIDES or SELF_BILLING"));
  AFFONSO_RETURN_IF_ERROR(NullableText("invoice_prefix", update.has_invoice_prefix(),
                                       normalized.mutable_invoice_prefix(),
                                       kMaxInvoicePrefixLength));
  if (normalized.has_invoice_prefix() &&
      normalized.invoice_prefix().kind_case() == Value::kStringValue) {
    const std::string& prefix = normalized.invoice_prefix().string_value();
    if (!std::all_of(prefix.begin(), prefix.end(), [](char c) {
          return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        })) {
      return ValidationError("invoice_prefix",
                             "invoice_prefix must be 1-20 letters, digits, '-' or '_'");
    }
  }
  AFFONSO_RETURN_IF_ERROR(NullableText("owner_company_name", update.has_owner_company_name(),
                                       normalized.mutable_owner_company_name(),
                                       kMaxOwnerTextLength));
  AFFONSO_RETURN_IF_ERROR(NullableText("owner_address_line_1", update.has_owner_address_line_1(),
                                       normalized.mutable_owner_address_line_1(),
                                       kMaxOwnerTextLength));
  AFFONSO_RETURN_IF_ERROR(NullableText("owner_address_line_2", update.has_owner_address_line_2(),
                                       normalized.mutable_owner_address_line_2(),
                                       kMaxOwnerTextLength));
  AFFONSO_RETURN_IF_ERROR(NullableText("owner_city", update.has_owner_city(),
                                       normalized.mutable_owner_city(), kMaxOwnerCityLength));
  AFFONSO_RETURN_IF_ERROR(NullableText("owner_postal_code", update.has_owner_postal_code(),
                                       normalized.mutable_owner_postal_code(),
                                       kMaxPostalCodeLength));
  AFFONSO_RETURN_IF_ERROR(NullableText("owner_vat_id", update.has_owner_vat_id(),
                                       normalized.mutable_owner_vat_id(), kMaxVatIdLength));
  AFFONSO_RETURN_IF_ERROR(NullableText("owner_country", update.has_owner_country(),
                                       normalized.mutable_owner_country(), 2));
  if (normalized.has_owner_country() &&
      normalized.owner_country().kind_case() == Value::kStringValue) {
    std::string country = absl::AsciiStrToUpper(normalized.owner_country().string_value());
    if (country.size() != 2 || !IsLetter(country[0]) || !IsLetter(country[1])) {
      return ValidationError("owner_country",
                             "owner_country must be an ISO 3166-1 alpha-2 country code or null");
    }
    normalized.mutable_owner_country()->set_string_value(country);
  }
  if (update.has_owner_vat_rate() && update.owner_vat_rate().kind_case() != Value::kNullValue) {
    if (update.owner_vat_rate().kind_case() != Value::kNumberValue) {
      return ValidationError("owner_vat_rate", "owner_vat_rate must be a number or null");
    }
    AFFONSO_RETURN_IF_ERROR(
        PercentHundredthsFromAmount("owner_vat_rate", update.owner_vat_rate().number_value())
            .status());
  }
  KeepPresence(update, &normalized);
  return normalized;
}

absl::StatusOr<RestrictionsUpdate> ValidateRestrictionsUpdate(const RestrictionsUpdate& update) {
  RestrictionsUpdate normalized = update;
  AFFONSO_RETURN_IF_ERROR(
      NullableText("additional_restrictions", update.has_additional_restrictions(),
                   normalized.mutable_additional_restrictions(), kMaxLongTextLength));
  KeepPresence(update, &normalized);
  return normalized;
}

absl::StatusOr<PortalSettingsUpdate> ValidatePortalSettingsUpdate(
    const PortalSettingsUpdate& update) {
  PortalSettingsUpdate normalized = update;
  AFFONSO_RETURN_IF_ERROR(NormalizeColor("primary_color", update.has_primary_color(),
                                         normalized.mutable_primary_color()));
  AFFONSO_RETURN_IF_ERROR(NormalizeColor("secondary_color", update.has_secondary_color(),
                                         normalized.mutable_secondary_color()));
  AFFONSO_RETURN_IF_ERROR(
      NullableText("terms_conditions_value", update.has_terms_conditions_value(),
                   normalized.mutable_terms_conditions_value(), kMaxLongTextLength));
  AFFONSO_RETURN_IF_ERROR(NullableText("privacy_policy_value", update.has_privacy_policy_value(),
                                       normalized.mutable_privacy_policy_value(),
                                       kMaxLongTextLength));
  AFFONSO_RETURN_IF_ERROR(NullableText("support_email_value", update.has_support_email_value(),
                                       normalized.mutable_support_email_value(), 254));
  if (normalized.has_support_email_value() &&
      normalized.support_email_value().kind_case() == Value::kStringValue) {
    std::string email(absl::StripAsciiWhitespace(normalized.support_email_value().string_value()));
    if (!IsValidEmail(email)) {
      return ValidationError("support_email_value",
                             "support_email_value must be an email address or null");
    }
    normalized.mutable_support_email_value()->set_string_value(email);
  }
  if (update.has_custom_texts()) AFFONSO_RETURN_IF_ERROR(CheckCustomTexts(update.custom_texts()));
  KeepPresence(update, &normalized);
  return normalized;
}

}  // namespace affonso::services

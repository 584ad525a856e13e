#include "services/api/program_service.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/api_error.h"
#include "common/status_macros.h"
#include "services/api/program_terms.h"
#include "services/call/validation.h"

namespace affonso::services {
namespace {

using affonso::v1::FraudRulesUpdate;
using affonso::v1::IncentiveInput;
using affonso::v1::ProgramSettingsUpdate;
using affonso::v1::TrackingSettingsUpdate;
using google::protobuf::ListValue;
using google::protobuf::Value;

constexpr size_t kMaxGroupNameLength = 255;
constexpr size_t kMaxGroupDescriptionLength = 1000;
constexpr size_t kMaxIncentiveNameLength = 255;
constexpr size_t kMaxUtmMediumLength = 64;
constexpr int kMaxUtmMediums = 50;
constexpr int kMaxAllowedDomains = 100;
constexpr size_t kMaxReferralParameterLength = 32;
// Free-form configs are bounded so a rules row stays small: it is read with
// every signup of the program.
constexpr int kMaxBannedReferralDomains = 100;
constexpr int kMaxBlockedCountries = 250;
constexpr int kMaxEnabledReferralParameters = 10;
constexpr int kMaxTrackingTemplateEntries = 20;
constexpr size_t kMaxTemplateKeyLength = 64;
constexpr size_t kMaxTemplateValueLength = 500;
constexpr size_t kMaxProgramNameLength = 255;
constexpr size_t kMaxTaglineLength = 255;
constexpr size_t kMaxCategoryLength = 100;
constexpr size_t kMaxProgramDescriptionLength = 5000;
constexpr size_t kMaxUrlLength = 2000;
constexpr int kDefaultHoldPeriodDays = 30;
constexpr int kMaxHoldPeriodDays = 3650;
// numeric(18,2) holds 16 integer digits; stay clear of float rounding there.
constexpr char kDefaultCurrency[] = "USD";
constexpr size_t kMaxWebsiteUrlLength = 2048;
constexpr int kMaxProductIds = 20;
constexpr size_t kMaxProductIdLength = 64;
constexpr size_t kMaxVariableConfigBytes = 1024;
constexpr int kMaxLengthValue = 1200;

// The click parameters the clicks table records.
const absl::flat_hash_set<std::string>& PaidClickParams() {
  static const auto* params =
      new absl::flat_hash_set<std::string>{"gclid", "fbclid", "msclkid", "ttclid"};
  return *params;
}

std::string Normalized(absl::string_view value) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
}

// Present and UNSPECIFIED (or a number outside the contract) is an error.
absl::Status CheckFraudMode(absl::string_view field, bool present, int mode) {
  if (present &&
      (!affonso::v1::FraudMode_IsValid(mode) || mode == affonso::v1::FRAUD_MODE_UNSPECIFIED)) {
    return ValidationError(field, absl::StrCat(field, " must be off, detect or block"));
  }
  return absl::OkStatus();
}

// Normalises `values` in place: trimmed, lower-cased, first occurrence kept.
absl::Status NormalizeClickParams(google::protobuf::RepeatedPtrField<std::string>* values) {
  constexpr char kField[] = "paid_traffic_config.click_params";
  google::protobuf::RepeatedPtrField<std::string> kept;
  absl::flat_hash_set<std::string> seen;
  for (const std::string& raw : *values) {
    std::string param = Normalized(raw);
    if (!PaidClickParams().contains(param)) {
      return ValidationError(kField, "click_params may only be gclid, fbclid, msclkid, ttclid");
    }
    if (seen.insert(param).second) kept.Add(std::move(param));
  }
  values->Swap(&kept);
  return absl::OkStatus();
}

absl::Status NormalizeUtmMediums(google::protobuf::RepeatedPtrField<std::string>* values) {
  constexpr char kField[] = "paid_traffic_config.utm_mediums";
  if (values->size() > kMaxUtmMediums) {
    return ValidationError(kField, absl::StrCat("at most ", kMaxUtmMediums, " utm_mediums"));
  }
  google::protobuf::RepeatedPtrField<std::string> kept;
  absl::flat_hash_set<std::string> seen;
  for (const std::string& raw : *values) {
    std::string medium = Normalized(raw);
    if (medium.empty()) return ValidationError(kField, "a utm_medium must not be empty");
    AFFONSO_RETURN_IF_ERROR(CheckMaxLength(kField, medium, kMaxUtmMediumLength));
    if (seen.insert(medium).second) kept.Add(std::move(medium));
  }
  values->Swap(&kept);
  return absl::OkStatus();
}

bool IsPlausibleDomain(const std::string& domain) {
  // A domain is valid exactly when it is valid after the '@' of an address.
  return IsValidEmail(absl::StrCat("x@", domain));
}

absl::Status NormalizeAllowedDomains(google::protobuf::ListValue* list) {
  constexpr char kField[] = "allowed_email_domains";
  if (list->values_size() > kMaxAllowedDomains) {
    return ValidationError(kField, absl::StrCat("at most ", kMaxAllowedDomains, " domains"));
  }
  google::protobuf::ListValue kept;
  absl::flat_hash_set<std::string> seen;
  for (const google::protobuf::Value& value : list->values()) {
    if (value.kind_case() != google::protobuf::Value::kStringValue) {
      return ValidationError(kField, "allowed_email_domains must be an array of strings");
    }
    std::string domain = Normalized(value.string_value());
    if (!IsPlausibleDomain(domain)) {
      return ValidationError(kField, "allowed_email_domains must hold domain names");
    }
    if (seen.insert(domain).second) kept.add_values()->set_string_value(std::move(domain));
  }
  list->Swap(&kept);
  return absl::OkStatus();
}

// "" = none.
absl::Status CheckWebsiteUrl(const std::string& url) {
  if (url.empty()) return absl::OkStatus();
  return CheckHttpUrl("custom_website_url", url, kMaxWebsiteUrlLength);
}

// Ids we never issue are NOT_FOUND without a query.
absl::Status CheckId(const std::string& id, absl::string_view prefix, absl::string_view what) {
  return LooksLikeId(id, prefix) ? absl::OkStatus() : affonso::NotFoundError(what);
}

// A config object: only `key`, holding a list of strings; each normalised
// by `normalize` (an error names `field`), duplicates dropped. Returns the
// canonical object, or null for null.
absl::StatusOr<Value> NormalizeListConfig(
    absl::string_view field, const Value& config, absl::string_view key, int max_items,
    absl::StatusOr<std::string> (*normalize)(absl::string_view field, const std::string& raw)) {
  if (config.kind_case() == Value::kNullValue) return config;
  if (config.kind_case() != Value::kStructValue) {
    return ValidationError(field, absl::StrCat(field, " must be an object or null"));
  }
  const std::string list_field = absl::StrCat(field, ".", key);
  const google::protobuf::Map<std::string, Value>& fields = config.struct_value().fields();
  for (const auto& [name, unused] : fields) {
    if (name != key) {
      return ValidationError(field, absl::StrCat(field, " takes only \"", key, "\""));
    }
  }
  Value canonical;
  ListValue* kept =
      (*canonical.mutable_struct_value()->mutable_fields())[std::string(key)].mutable_list_value();
  auto list = fields.find(std::string(key));
  if (list == fields.end()) return canonical;  // {} = an empty list
  if (list->second.kind_case() != Value::kListValue) {
    return ValidationError(list_field, absl::StrCat(list_field, " must be an array of strings"));
  }
  if (list->second.list_value().values_size() > max_items) {
    return ValidationError(list_field,
                           absl::StrCat("at most ", max_items, " entries in ", list_field));
  }
  absl::flat_hash_set<std::string> seen;
  for (const Value& item : list->second.list_value().values()) {
    if (item.kind_case() != Value::kStringValue) {
      return ValidationError(list_field, absl::StrCat(list_field, " must be an array of strings"));
    }
    AFFONSO_ASSIGN_OR_RETURN(std::string normalized, normalize(list_field, item.string_value()));
    if (seen.insert(normalized).second) kept->add_values()->set_string_value(std::move(normalized));
  }
  return canonical;
}

// A banned referrer: a domain, optionally written "*.domain" (the same: a
// domain always covers its subdomains).
absl::StatusOr<std::string> NormalizeBannedDomain(absl::string_view field, const std::string& raw) {
  std::string domain = Normalized(raw);
  if (absl::StartsWith(domain, "*.")) domain.erase(0, 2);
  if (domain.size() > 253 || !IsPlausibleDomain(domain)) {
    return ValidationError(field, absl::StrCat(field, " must hold domain names"));
  }
  return domain;
}

absl::StatusOr<std::string> NormalizeCountry(absl::string_view field, const std::string& raw) {
  std::string country = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(raw));
  if (country.size() != 2 || !absl::ascii_isalpha(static_cast<unsigned char>(country[0])) ||
      !absl::ascii_isalpha(static_cast<unsigned char>(country[1]))) {
    return ValidationError(field,
                           absl::StrCat(field, " must hold ISO 3166-1 alpha-2 country codes"));
  }
  return country;
}

// A query parameter name of referral links: URL-safe.
bool IsReferralParameter(absl::string_view parameter) {
  bool url_safe = !parameter.empty() && parameter.size() <= kMaxReferralParameterLength;
  for (char c : parameter) {
    url_safe =
        url_safe && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  }
  return url_safe;
}

// The macros a tracking template may use (the SDK's TrackingTemplateMacro).
bool IsTemplateMacro(absl::string_view value) {
  static const auto* macros = new absl::flat_hash_set<std::string>{
      "{tracking_id}", "{affiliate_id}", "{program_id}",     "{program_slug}",
      "{affonso_id}",  "{program_name}", "{affiliate_name}", "{group_id}",
      "{group_name}",  "{timestamp}",    "{randint}"};
  return macros->contains(value);
}

// null, or an array of {key, value, type}: returned with exactly those keys.
absl::StatusOr<Value> NormalizeTrackingTemplate(const Value& tmpl) {
  constexpr char kField[] = "tracking_template";
  if (tmpl.kind_case() == Value::kNullValue) return tmpl;
  if (tmpl.kind_case() != Value::kListValue) {
    return ValidationError(kField, "tracking_template must be an array or null");
  }
  if (tmpl.list_value().values_size() > kMaxTrackingTemplateEntries) {
    return ValidationError(kField, absl::StrCat("at most ", kMaxTrackingTemplateEntries,
                                                " entries in tracking_template"));
  }
  Value canonical;
  ListValue* kept = canonical.mutable_list_value();
  absl::flat_hash_set<std::string> keys;
  for (const Value& entry : tmpl.list_value().values()) {
    if (entry.kind_case() != Value::kStructValue) {
      return ValidationError(kField, "each tracking_template entry must be an object");
    }
    const auto& fields = entry.struct_value().fields();
    auto text = [&](const char* name) -> const std::string* {
      auto it = fields.find(name);
      if (it == fields.end() || it->second.kind_case() != Value::kStringValue) return nullptr;
      return &it->second.string_value();
    };
    for (const auto& [name, unused] : fields) {
      if (name != "key" && name != "value" && name != "type") {
        return ValidationError(kField, "a tracking_template entry takes only key, value and type");
      }
    }
    const std::string* key = text("key");
    const std::string* value = text("value");
    const std::string* type = text("type");
    if (key == nullptr || value == nullptr || type == nullptr) {
      return ValidationError(kField, "each tracking_template entry needs string key, value, type");
    }
    // It becomes a query parameter name of the affiliate's links.
    const bool key_ok = !key->empty() && key->size() <= kMaxTemplateKeyLength &&
                        std::all_of(key->begin(), key->end(), [](char c) {
                          return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                                 c == '-' || c == '.';
                        });
    if (!key_ok) {
      return ValidationError(
          kField, absl::StrCat("a tracking_template key must be 1-", kMaxTemplateKeyLength,
                               " letters, digits, '_', '-' or '.'"));
    }
    if (!keys.insert(*key).second) {
      return ValidationError(kField, "tracking_template keys must be unique");
    }
    if (*type == "literal") {
      if (value->size() > kMaxTemplateValueLength) {
        return ValidationError(kField, absl::StrCat("a tracking_template value has at most ",
                                                    kMaxTemplateValueLength, " characters"));
      }
    } else if (*type == "macro") {
      if (!IsTemplateMacro(*value)) {
        return ValidationError(kField, "a macro's value must be one of the tracking macros");
      }
    } else {
      return ValidationError(kField, "a tracking_template type must be literal or macro");
    }
    auto& out = *kept->add_values()->mutable_struct_value()->mutable_fields();
    out["key"].set_string_value(*key);
    out["value"].set_string_value(*value);
    out["type"].set_string_value(*type);
  }
  return canonical;
}

// A nullable text of the program PATCH: a string (<= max) or null.
absl::Status CheckNullableText(absl::string_view field, bool present, const Value& value,
                               size_t max) {
  if (!present) return absl::OkStatus();
  AFFONSO_RETURN_IF_ERROR(CheckNullableString(field, value));
  if (value.kind_case() == Value::kNullValue) return absl::OkStatus();
  return CheckMaxLength(field, value.string_value(), max);
}

}  // namespace

absl::StatusOr<FraudRulesUpdate> ValidateFraudRulesUpdate(const FraudRulesUpdate& update) {
  AFFONSO_RETURN_IF_ERROR(CheckFraudMode("self_referral_mode", update.has_self_referral_mode(),
                                         update.self_referral_mode()));
  AFFONSO_RETURN_IF_ERROR(CheckFraudMode(
      "suspicious_email_mode", update.has_suspicious_email_mode(), update.suspicious_email_mode()));
  AFFONSO_RETURN_IF_ERROR(CheckFraudMode("paid_traffic_mode", update.has_paid_traffic_mode(),
                                         update.paid_traffic_mode()));
  AFFONSO_RETURN_IF_ERROR(CheckFraudMode("cross_program_ban_mode",
                                         update.has_cross_program_ban_mode(),
                                         update.cross_program_ban_mode()));
  AFFONSO_RETURN_IF_ERROR(CheckFraudMode(
      "duplicate_payout_mode", update.has_duplicate_payout_mode(), update.duplicate_payout_mode()));
  AFFONSO_RETURN_IF_ERROR(CheckFraudMode("banned_referral_mode", update.has_banned_referral_mode(),
                                         update.banned_referral_mode()));
  AFFONSO_RETURN_IF_ERROR(CheckFraudMode("blocked_country_mode", update.has_blocked_country_mode(),
                                         update.blocked_country_mode()));
  FraudRulesUpdate normalized = update;
  if (update.has_banned_referral_config()) {
    AFFONSO_ASSIGN_OR_RETURN(
        *normalized.mutable_banned_referral_config(),
        NormalizeListConfig("banned_referral_config", update.banned_referral_config(), "domains",
                            kMaxBannedReferralDomains, &NormalizeBannedDomain));
  }
  if (update.has_blocked_country_config()) {
    AFFONSO_ASSIGN_OR_RETURN(
        *normalized.mutable_blocked_country_config(),
        NormalizeListConfig("blocked_country_config", update.blocked_country_config(), "countries",
                            kMaxBlockedCountries, &NormalizeCountry));
  }
  if (normalized.has_paid_traffic_config()) {
    auto* config = normalized.mutable_paid_traffic_config();
    AFFONSO_RETURN_IF_ERROR(NormalizeClickParams(config->mutable_click_params()));
    AFFONSO_RETURN_IF_ERROR(NormalizeUtmMediums(config->mutable_utm_mediums()));
  }
  if (normalized.has_allowed_email_domains()) {
    AFFONSO_RETURN_IF_ERROR(NormalizeAllowedDomains(normalized.mutable_allowed_email_domains()));
  }
  return normalized;
}

absl::StatusOr<TrackingSettingsUpdate> ValidateTrackingSettingsUpdate(
    const TrackingSettingsUpdate& update) {
  TrackingSettingsUpdate normalized = update;
  // The names before SDK 1.0.1 fold into the new ones.
  if (update.has_track_email()) {
    if (update.has_email_tracking_enabled() &&
        update.email_tracking_enabled() != update.track_email()) {
      return ValidationError("track_email", "track_email contradicts email_tracking_enabled");
    }
    normalized.set_email_tracking_enabled(update.track_email());
    normalized.clear_track_email();
  }
  if (update.has_track_name()) {
    if (update.has_name_tracking_enabled() &&
        update.name_tracking_enabled() != update.track_name()) {
      return ValidationError("track_name", "track_name contradicts name_tracking_enabled");
    }
    normalized.set_name_tracking_enabled(update.track_name());
    normalized.clear_track_name();
  }
  if (update.has_default_referral_parameter() &&
      !IsReferralParameter(update.default_referral_parameter())) {
    return ValidationError("default_referral_parameter",
                           "default_referral_parameter must be 1-32 letters, digits, '_' or '-'");
  }
  if (update.has_enabled_referral_parameters()) {
    constexpr char kField[] = "enabled_referral_parameters";
    const ListValue& list = update.enabled_referral_parameters();
    if (list.values_size() > kMaxEnabledReferralParameters) {
      return ValidationError(kField,
                             absl::StrCat("at most ", kMaxEnabledReferralParameters, " ", kField));
    }
    ListValue kept;
    absl::flat_hash_set<std::string> seen;
    for (const Value& value : list.values()) {
      if (value.kind_case() != Value::kStringValue || !IsReferralParameter(value.string_value())) {
        return ValidationError(
            kField, "enabled_referral_parameters must hold 1-32 letters, digits, '_' or '-'");
      }
      if (seen.insert(value.string_value()).second) *kept.add_values() = value;
    }
    normalized.mutable_enabled_referral_parameters()->Swap(&kept);
  }
  if (update.has_tracking_template()) {
    AFFONSO_ASSIGN_OR_RETURN(*normalized.mutable_tracking_template(),
                             NormalizeTrackingTemplate(update.tracking_template()));
  }
  return normalized;
}

namespace {

// One DNS label: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'.
bool IsHostLabel(absl::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return false;
  }
  for (char c : label) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') return false;
  }
  return true;
}

// A lower-case host name, optionally "*." and one: what an Origin's host is
// compared with (services/api/tracking_service.h).
bool IsPixelDomain(absl::string_view domain) {
  constexpr size_t kMaxHostLength = 253;
  if (domain.empty() || domain.size() > kMaxHostLength) return false;
  absl::ConsumePrefix(&domain, "*.");
  if (domain.empty()) return false;
  for (absl::string_view label : absl::StrSplit(domain, '.')) {
    if (!IsHostLabel(label)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<affonso::v1::PixelSettingsUpdate> ValidatePixelSettingsUpdate(
    const affonso::v1::PixelSettingsUpdate& update) {
  affonso::v1::PixelSettingsUpdate normalized = update;
  if (update.has_allowed_domains()) {
    constexpr char kField[] = "allowed_domains";
    const ListValue& list = update.allowed_domains();
    if (list.values_size() > storage::kMaxAllowedPixelDomains) {
      return ValidationError(
          kField, absl::StrCat("at most ", storage::kMaxAllowedPixelDomains, " allowed_domains"));
    }
    ListValue kept;
    absl::flat_hash_set<std::string> seen;
    for (const Value& value : list.values()) {
      if (value.kind_case() != Value::kStringValue) {
        return ValidationError(kField, "allowed_domains must be an array of strings");
      }
      std::string domain = Normalized(value.string_value());
      if (!IsPixelDomain(domain)) {
        return ValidationError(
            kField,
            "allowed_domains must hold host names (\"shop.example.com\") or \"*.\" and one "
            "(\"*.example.com\"), without scheme, port or path");
      }
      if (seen.insert(domain).second) kept.add_values()->set_string_value(std::move(domain));
    }
    normalized.mutable_allowed_domains()->Swap(&kept);
  }
  if (update.has_click_dedup_window_seconds() &&
      (update.click_dedup_window_seconds() < 0 ||
       update.click_dedup_window_seconds() > storage::kMaxClickDedupWindowSeconds)) {
    return ValidationError("click_dedup_window_seconds",
                           absl::StrCat("click_dedup_window_seconds must be 0 to ",
                                        storage::kMaxClickDedupWindowSeconds));
  }
  return normalized;
}

absl::Status ValidateProgramSettingsUpdate(const ProgramSettingsUpdate& update) {
  if (update.has_name()) {
    AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("name", update.name()));
    AFFONSO_RETURN_IF_ERROR(CheckMaxLength("name", update.name(), kMaxProgramNameLength));
  }
  AFFONSO_RETURN_IF_ERROR(
      CheckNullableText("tagline", update.has_tagline(), update.tagline(), kMaxTaglineLength));
  AFFONSO_RETURN_IF_ERROR(
      CheckNullableText("category", update.has_category(), update.category(), kMaxCategoryLength));
  AFFONSO_RETURN_IF_ERROR(CheckNullableText("description", update.has_description(),
                                            update.description(), kMaxProgramDescriptionLength));
  if (update.has_website_url()) {
    AFFONSO_RETURN_IF_ERROR(CheckHttpUrl("website_url", update.website_url(), kMaxUrlLength));
  }
  AFFONSO_RETURN_IF_ERROR(
      CheckNullableText("logo_url", update.has_logo_url(), update.logo_url(), kMaxUrlLength));
  if (update.has_logo_url() && update.logo_url().kind_case() == Value::kStringValue) {
    AFFONSO_RETURN_IF_ERROR(
        CheckHttpUrl("logo_url", update.logo_url().string_value(), kMaxUrlLength));
  }
  if (update.has_access_mode() &&
      (!affonso::v1::ProgramAccessMode_IsValid(update.access_mode()) ||
       update.access_mode() == affonso::v1::PROGRAM_ACCESS_MODE_UNSPECIFIED)) {
    return ValidationError("access_mode", "access_mode must be PUBLIC, PRIVATE or INVITE");
  }
  return absl::OkStatus();
}

absl::Status ValidateGroupInput(const affonso::v1::GroupInput& input) {
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("name", input.name()));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("name", input.name(), kMaxGroupNameLength));
  AFFONSO_RETURN_IF_ERROR(
      CheckMaxLength("description", input.description(), kMaxGroupDescriptionLength));
  return CheckWebsiteUrl(input.custom_website_url());
}

absl::Status ValidateGroupUpdate(const affonso::v1::GroupUpdate& update) {
  if (update.has_name()) {
    AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("name", update.name()));
    AFFONSO_RETURN_IF_ERROR(CheckMaxLength("name", update.name(), kMaxGroupNameLength));
  }
  if (update.has_description()) {
    AFFONSO_RETURN_IF_ERROR(
        CheckMaxLength("description", update.description(), kMaxGroupDescriptionLength));
  }
  if (update.has_custom_website_url()) {
    AFFONSO_RETURN_IF_ERROR(CheckWebsiteUrl(update.custom_website_url()));
  }
  return absl::OkStatus();
}

absl::StatusOr<GroupExpansions> ParseGroupExpand(
    const google::protobuf::RepeatedPtrField<std::string>& expand) {
  AFFONSO_ASSIGN_OR_RETURN(
      std::vector<std::string> names,
      ParseNameList("expand", expand, {"incentives", "multi_level_incentives"}));
  GroupExpansions expansions;
  expansions.incentives = Names(names, "incentives");
  expansions.multi_level_incentives = Names(names, "multi_level_incentives");
  return expansions;
}

void ApplyGroupExpansions(const GroupExpansions& expansions, affonso::v1::Group* group) {
  group->clear_expanded();
  if (expansions.incentives) {
    group->add_expanded("incentives");
  } else {
    group->clear_incentives();
  }
  // No multi-level incentives are stored: expanded, the list is [].
  group->clear_multi_level_incentives();
  if (expansions.multi_level_incentives) group->add_expanded("multi_level_incentives");
}

absl::StatusOr<IncentiveInput> ValidateIncentiveInput(const IncentiveInput& input) {
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("name", input.name()));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("name", input.name(), kMaxIncentiveNameLength));
  IncentiveInput normalized = input;
  // incentive_type is the SDK's name for type.
  if (input.incentive_type() != affonso::v1::INCENTIVE_TYPE_UNSPECIFIED) {
    if (input.type() != affonso::v1::INCENTIVE_TYPE_UNSPECIFIED &&
        input.type() != input.incentive_type()) {
      return ValidationError("incentive_type", "type and incentive_type disagree");
    }
    normalized.set_type(input.incentive_type());
    normalized.clear_incentive_type();
  }
  if (normalized.type() != affonso::v1::INCENTIVE_TYPE_LEAD &&
      normalized.type() != affonso::v1::INCENTIVE_TYPE_SALE) {
    return ValidationError("type", "type must be lead or sale");
  }
  if (normalized.type() == affonso::v1::INCENTIVE_TYPE_LEAD && input.is_percentage()) {
    return ValidationError("is_percentage", "a lead incentive pays a fixed amount");
  }
  AFFONSO_RETURN_IF_ERROR(CheckAmount(input.amount(), input.is_percentage()));
  if (normalized.apply_to().empty()) normalized.set_apply_to("all_products");
  if (normalized.apply_to() != "all_products" && normalized.apply_to() != "specific_products") {
    return ValidationError("apply_to", "apply_to must be all_products or specific_products");
  }
  if (normalized.apply_to() == "specific_products" && normalized.product_ids().empty()) {
    return ValidationError("product_ids", "specific_products needs product_ids");
  }
  if (normalized.apply_to() == "all_products" && !normalized.product_ids().empty()) {
    return ValidationError("product_ids", "product_ids apply only to specific_products");
  }
  if (normalized.product_ids_size() > kMaxProductIds) {
    return ValidationError("product_ids", absl::StrCat("at most ", kMaxProductIds, " product_ids"));
  }
  for (const std::string& product_id : normalized.product_ids()) {
    const bool printable_ascii = std::all_of(product_id.begin(), product_id.end(),
                                             [](char c) { return c > 0x20 && c < 0x7f; });
    if (product_id.empty() || product_id.size() > kMaxProductIdLength || !printable_ascii) {
      return ValidationError("product_ids",
                             "each product id must be 1-64 printable ASCII characters");
    }
  }
  if (normalized.approval_type().empty()) normalized.set_approval_type("auto");
  if (normalized.approval_type() != "auto" && normalized.approval_type() != "manual") {
    return ValidationError("approval_type", "approval_type must be auto or manual");
  }
  if (normalized.incentive_length().empty()) normalized.set_incentive_length("lifetime");
  const std::string& length = normalized.incentive_length();
  if (length != "lifetime" && length != "time_limited" && length != "payment_limited") {
    return ValidationError("incentive_length",
                           "incentive_length must be lifetime, time_limited or payment_limited");
  }
  if (length == "lifetime" && normalized.has_length_value()) {
    return ValidationError("length_value", "a lifetime incentive has no length_value");
  }
  if (length != "lifetime" && (!normalized.has_length_value() || normalized.length_value() < 1 ||
                               normalized.length_value() > kMaxLengthValue)) {
    return ValidationError("length_value", absl::StrCat("length_value must be 1 to ",
                                                        kMaxLengthValue, " for ", length));
  }
  if (normalized.has_variable_config()) {
    AFFONSO_RETURN_IF_ERROR(
        CheckEncodedSize("variable_config", normalized.variable_config(), kMaxVariableConfigBytes));
  }
  if (normalized.currency().empty()) normalized.set_currency(kDefaultCurrency);
  absl::AsciiStrToUpper(normalized.mutable_currency());
  const std::string& currency = normalized.currency();
  if (currency.size() != 3 ||
      !std::all_of(currency.begin(), currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return ValidationError("currency", "currency must be a 3-letter ISO 4217 code");
  }
  if (!normalized.has_hold_period_days()) normalized.set_hold_period_days(kDefaultHoldPeriodDays);
  if (normalized.hold_period_days() < 0 || normalized.hold_period_days() > kMaxHoldPeriodDays) {
    return ValidationError("hold_period_days",
                           absl::StrCat("hold_period_days must be 0 to ", kMaxHoldPeriodDays));
  }
  return normalized;
}

absl::StatusOr<std::string> ProgramIdParam(bool present, const std::string& program_id) {
  if (!present || program_id.empty()) return std::string();
  AFFONSO_RETURN_IF_ERROR(CheckId(program_id, "prg", "program"));
  return program_id;
}

grpc::Status ProgramServiceImpl::GetProgram(grpc::ServerContext* context,
                                            const affonso::v1::GetProgramRequest* request,
                                            affonso::v1::ProgramSettings* response) {
  return runner_.Run(context, "GetProgram", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(std::string program,
                             ProgramIdParam(request->has_program_id(), request->program_id()));
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->GetProgram(caller.team_id, program));
    return absl::OkStatus();
  });
}

grpc::Status ProgramServiceImpl::UpdateProgram(grpc::ServerContext* context,
                                               const affonso::v1::UpdateProgramRequest* request,
                                               affonso::v1::ProgramSettings* response) {
  return runner_.Run(context, "UpdateProgram", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_RETURN_IF_ERROR(ValidateProgramSettingsUpdate(request->program()));
    AFFONSO_ASSIGN_OR_RETURN(std::string program,
                             ProgramIdParam(request->has_program_id(), request->program_id()));
    AFFONSO_ASSIGN_OR_RETURN(*response,
                             store_->UpdateProgram(caller.team_id, program, request->program()));
    return absl::OkStatus();
  });
}

grpc::Status ProgramServiceImpl::GetFraudRules(grpc::ServerContext* context,
                                               const affonso::v1::GetFraudRulesRequest* request,
                                               affonso::v1::FraudRules* response) {
  return runner_.Run(context, "GetFraudRules", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(std::string program,
                             ProgramIdParam(request->has_program_id(), request->program_id()));
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->GetFraudRules(caller.team_id, program));
    return absl::OkStatus();
  });
}

grpc::Status ProgramServiceImpl::UpdateFraudRules(
    grpc::ServerContext* context, const affonso::v1::UpdateFraudRulesRequest* request,
    affonso::v1::FraudRules* response) {
  return runner_.Run(
      context, "UpdateFraudRules", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(FraudRulesUpdate update,
                                 ValidateFraudRulesUpdate(request->fraud_rules()));
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(*response,
                                 store_->UpdateFraudRules(caller.team_id, program, update));
        return absl::OkStatus();
      });
}

grpc::Status ProgramServiceImpl::GetTrackingSettings(
    grpc::ServerContext* context, const affonso::v1::GetTrackingSettingsRequest* request,
    affonso::v1::TrackingSettings* response) {
  return runner_.Run(
      context, "GetTrackingSettings", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(*response, store_->GetTrackingSettings(caller.team_id, program));
        return absl::OkStatus();
      });
}

grpc::Status ProgramServiceImpl::UpdateTrackingSettings(
    grpc::ServerContext* context, const affonso::v1::UpdateTrackingSettingsRequest* request,
    affonso::v1::TrackingSettings* response) {
  return runner_.Run(
      context, "UpdateTrackingSettings", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(TrackingSettingsUpdate update,
                                 ValidateTrackingSettingsUpdate(request->tracking()));
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(*response,
                                 store_->UpdateTrackingSettings(caller.team_id, program, update));
        return absl::OkStatus();
      });
}

grpc::Status ProgramServiceImpl::GetPixelSettings(
    grpc::ServerContext* context, const affonso::v1::GetPixelSettingsRequest* request,
    affonso::v1::PixelSettings* response) {
  return runner_.Run(
      context, "GetPixelSettings", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(*response, store_->GetPixelSettings(caller.team_id, program));
        return absl::OkStatus();
      });
}

grpc::Status ProgramServiceImpl::UpdatePixelSettings(
    grpc::ServerContext* context, const affonso::v1::UpdatePixelSettingsRequest* request,
    affonso::v1::PixelSettings* response) {
  return runner_.Run(
      context, "UpdatePixelSettings", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(affonso::v1::PixelSettingsUpdate update,
                                 ValidatePixelSettingsUpdate(request->pixel()));
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(*response,
                                 store_->UpdatePixelSettings(caller.team_id, program, update));
        return absl::OkStatus();
      });
}

grpc::Status ProgramServiceImpl::ListGroups(grpc::ServerContext* context,
                                            const affonso::v1::ListGroupsRequest* request,
                                            affonso::v1::ListGroupsResponse* response) {
  return runner_.Run(context, "ListGroups", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(GroupExpansions expansions, ParseGroupExpand(request->expand()));
    AFFONSO_ASSIGN_OR_RETURN(std::string program,
                             ProgramIdParam(request->has_program_id(), request->program_id()));
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->ListGroups(caller.team_id, program));
    for (affonso::v1::Group& group : *response->mutable_data()) {
      ApplyGroupExpansions(expansions, &group);
    }
    return absl::OkStatus();
  });
}

grpc::Status ProgramServiceImpl::CreateGroup(grpc::ServerContext* context,
                                             const affonso::v1::CreateGroupRequest* request,
                                             affonso::v1::Group* response) {
  return runner_.Run(context, "CreateGroup", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_RETURN_IF_ERROR(ValidateGroupInput(request->group()));
    AFFONSO_ASSIGN_OR_RETURN(std::string program,
                             ProgramIdParam(request->has_program_id(), request->program_id()));
    AFFONSO_ASSIGN_OR_RETURN(*response,
                             store_->CreateGroup(caller.team_id, program, request->group()));
    ApplyGroupExpansions(GroupExpansions(), response);
    RpcRunner::SetHttpCode(context, 201);
    return absl::OkStatus();
  });
}

grpc::Status ProgramServiceImpl::GetGroup(grpc::ServerContext* context,
                                          const affonso::v1::GetGroupRequest* request,
                                          affonso::v1::Group* response) {
  return runner_.Run(context, "GetGroup", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(GroupExpansions expansions, ParseGroupExpand(request->expand()));
    AFFONSO_ASSIGN_OR_RETURN(std::string program,
                             ProgramIdParam(request->has_program_id(), request->program_id()));
    AFFONSO_RETURN_IF_ERROR(CheckId(request->id(), "grp", "group"));
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->GetGroup(caller.team_id, program, request->id()));
    ApplyGroupExpansions(expansions, response);
    return absl::OkStatus();
  });
}

grpc::Status ProgramServiceImpl::UpdateGroup(grpc::ServerContext* context,
                                             const affonso::v1::UpdateGroupRequest* request,
                                             affonso::v1::Group* response) {
  return runner_.Run(context, "UpdateGroup", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_RETURN_IF_ERROR(ValidateGroupUpdate(request->group()));
    AFFONSO_ASSIGN_OR_RETURN(std::string program,
                             ProgramIdParam(request->has_program_id(), request->program_id()));
    AFFONSO_RETURN_IF_ERROR(CheckId(request->id(), "grp", "group"));
    AFFONSO_ASSIGN_OR_RETURN(
        *response, store_->UpdateGroup(caller.team_id, program, request->id(), request->group()));
    ApplyGroupExpansions(GroupExpansions(), response);
    return absl::OkStatus();
  });
}

grpc::Status ProgramServiceImpl::DeleteGroup(grpc::ServerContext* context,
                                             const affonso::v1::DeleteGroupRequest* request,
                                             affonso::v1::DeleteGroupResponse* response) {
  return runner_.Run(context, "DeleteGroup", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(std::string program,
                             ProgramIdParam(request->has_program_id(), request->program_id()));
    AFFONSO_RETURN_IF_ERROR(CheckId(request->id(), "grp", "group"));
    AFFONSO_RETURN_IF_ERROR(store_->DeleteGroup(caller.team_id, program, request->id()));
    response->set_id(request->id());
    response->set_deleted(true);
    response->set_message("group deleted");
    return absl::OkStatus();
  });
}

grpc::Status ProgramServiceImpl::CreateIncentive(grpc::ServerContext* context,
                                                 const affonso::v1::CreateIncentiveRequest* request,
                                                 affonso::v1::Incentive* response) {
  return runner_.Run(
      context, "CreateIncentive", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(IncentiveInput input,
                                 ValidateIncentiveInput(request->incentive()));
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_RETURN_IF_ERROR(CheckId(request->group_id(), "grp", "group"));
        AFFONSO_ASSIGN_OR_RETURN(*response, store_->CreateIncentive(caller.team_id, program,
                                                                    request->group_id(), input));
        RpcRunner::SetHttpCode(context, 201);
        return absl::OkStatus();
      });
}

grpc::Status ProgramServiceImpl::DeleteIncentive(grpc::ServerContext* context,
                                                 const affonso::v1::DeleteIncentiveRequest* request,
                                                 affonso::v1::DeleteIncentiveResponse* response) {
  return runner_.Run(
      context, "DeleteIncentive", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_RETURN_IF_ERROR(CheckId(request->group_id(), "grp", "group"));
        AFFONSO_RETURN_IF_ERROR(CheckId(request->id(), "inc", "incentive"));
        AFFONSO_RETURN_IF_ERROR(
            store_->DeleteIncentive(caller.team_id, program, request->group_id(), request->id()));
        response->set_id(request->id());
        response->set_deleted(true);
        response->set_message("incentive deleted");
        return absl::OkStatus();
      });
}

grpc::Status ProgramServiceImpl::GetPaymentTerms(grpc::ServerContext* context,
                                                 const affonso::v1::GetPaymentTermsRequest* request,
                                                 affonso::v1::PaymentTermsResult* response) {
  return runner_.Run(
      context, "GetPaymentTerms", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(*response, terms_->GetPaymentTerms(caller.team_id, program));
        return absl::OkStatus();
      });
}

grpc::Status ProgramServiceImpl::UpdatePaymentTerms(
    grpc::ServerContext* context, const affonso::v1::UpdatePaymentTermsRequest* request,
    affonso::v1::PaymentTerms* response) {
  return runner_.Run(
      context, "UpdatePaymentTerms", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(affonso::v1::PaymentTermsUpdate update,
                                 ValidatePaymentTermsUpdate(request->payment_terms()));
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(*response,
                                 terms_->UpdatePaymentTerms(caller.team_id, program, update));
        return absl::OkStatus();
      });
}

grpc::Status ProgramServiceImpl::GetRestrictions(grpc::ServerContext* context,
                                                 const affonso::v1::GetRestrictionsRequest* request,
                                                 affonso::v1::RestrictionsResult* response) {
  return runner_.Run(
      context, "GetRestrictions", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(*response, terms_->GetRestrictions(caller.team_id, program));
        return absl::OkStatus();
      });
}

grpc::Status ProgramServiceImpl::UpdateRestrictions(
    grpc::ServerContext* context, const affonso::v1::UpdateRestrictionsRequest* request,
    affonso::v1::Restrictions* response) {
  return runner_.Run(
      context, "UpdateRestrictions", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(affonso::v1::RestrictionsUpdate update,
                                 ValidateRestrictionsUpdate(request->restrictions()));
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(*response,
                                 terms_->UpdateRestrictions(caller.team_id, program, update));
        return absl::OkStatus();
      });
}

grpc::Status ProgramServiceImpl::GetPortalSettings(
    grpc::ServerContext* context, const affonso::v1::GetPortalSettingsRequest* request,
    affonso::v1::PortalSettingsResult* response) {
  return runner_.Run(
      context, "GetPortalSettings", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(*response, terms_->GetPortalSettings(caller.team_id, program));
        return absl::OkStatus();
      });
}

grpc::Status ProgramServiceImpl::UpdatePortalSettings(
    grpc::ServerContext* context, const affonso::v1::UpdatePortalSettingsRequest* request,
    affonso::v1::PortalSettings* response) {
  return runner_.Run(
      context, "UpdatePortalSettings", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(affonso::v1::PortalSettingsUpdate update,
                                 ValidatePortalSettingsUpdate(request->portal()));
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(*response,
                                 terms_->UpdatePortalSettings(caller.team_id, program, update));
        return absl::OkStatus();
      });
}

}  // namespace affonso::services

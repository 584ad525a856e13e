#include "storage/pg_program_terms_store.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/money.h"
#include "common/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "storage/joined_statement.h"
#include "storage/pg_values.h"
#include "storage/program_scope_sql.h"
#include "storage/query_one.h"

namespace affonso::storage {
namespace {

using affonso::v1::PaymentTerms;
using affonso::v1::PaymentTermsResult;
using affonso::v1::PortalSettings;
using affonso::v1::PortalSettingsResult;
using affonso::v1::Restrictions;
using affonso::v1::RestrictionsResult;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Value;

// One rule for the three tables: a column is named as the proto field it
// holds (PaymentTerms.payment_threshold is program_payment_terms.
// payment_threshold), so the PATCH and the reads are written once, by
// reflection, below.

constexpr JoinedStatement kProgramId{"terms_program_resolve", kWithProgram, "SELECT id FROM prog"};

// Numbers and JSON as text: exact decimals (ReadDecimal), objects (ReadStruct).
constexpr char kPaymentTermsColumns[] =
    "t.program_id AS row_program_id, t.commission_type, t.commission_rate::text AS "
    "commission_rate, t.commission_duration, t.commissions_limit, t.commissions_hold_days, "
    "t.payment_threshold::text AS payment_threshold, t.payment_frequency, t.payment_methods, "
    "t.cookie_lifetime, t.auto_payout, t.invoice_rule, t.invoice_prefix, t.require_tax_forms, "
    "t.owner_company_name, t.owner_address_line_1, t.owner_address_line_2, t.owner_city, "
    "t.owner_postal_code, t.owner_country, t.owner_vat_id, t.owner_vat_rate::text AS "
    "owner_vat_rate";
constexpr char kRestrictionsColumns[] =
    "t.program_id AS row_program_id, t.websites, t.social_marketing, t.organic_social, "
    "t.email_marketing, t.mobile_traffic, t.search_engine_marketing, t.organic_search, "
    "t.rebrokering, t.incent, t.brand_bidding, t.additional_restrictions";
constexpr char kPortalColumns[] =
    "t.program_id AS row_program_id, t.single_program_portal, t.hide_branding, t.hide_details, "
    "t.primary_color, t.secondary_color, t.show_leaderboard, t.terms_conditions_status, "
    "t.terms_conditions_value, t.privacy_policy_status, t.privacy_policy_value, "
    "t.support_email_status, t.support_email_value, t.custom_texts::text AS custom_texts";

// One row when the program is the team's (no row: not found); row_program_id
// NULL when it never set them.
constexpr JoinedStatement kSelectPaymentTerms{
    "payment_terms_select", kWithProgram, "SELECT ", kPaymentTermsColumns,
    " FROM prog LEFT JOIN program_payment_terms t ON t.team_id = $1 AND t.program_id = prog.id"};
constexpr JoinedStatement kSelectRestrictions{
    "restrictions_select", kWithProgram, "SELECT ", kRestrictionsColumns,
    " FROM prog LEFT JOIN program_restrictions t ON t.team_id = $1 AND t.program_id = prog.id"};
constexpr JoinedStatement kSelectPortal{
    "portal_select", kWithProgram, "SELECT ", kPortalColumns,
    " FROM prog LEFT JOIN program_portal_settings t ON t.team_id = $1 AND t.program_id = prog.id"};

// $1 team, $2 the resolved program: the first update starts from the
// column defaults.
constexpr Statement kEnsurePaymentTerms{
    "payment_terms_ensure",
    "INSERT INTO program_payment_terms (team_id, program_id) VALUES ($1, $2) "
    "ON CONFLICT (team_id, program_id) DO NOTHING"};
constexpr Statement kEnsureRestrictions{
    "restrictions_ensure",
    "INSERT INTO program_restrictions (team_id, program_id) VALUES ($1, $2) "
    "ON CONFLICT (team_id, program_id) DO NOTHING"};
constexpr Statement kEnsurePortal{
    "portal_ensure",
    "INSERT INTO program_portal_settings (team_id, program_id) VALUES ($1, $2) "
    "ON CONFLICT (team_id, program_id) DO NOTHING"};

// What the percentage check reads, locked until the update commits.
constexpr Statement kLockPaymentTerms{
    "payment_terms_lock",
    "SELECT commission_type, commission_rate::text AS commission_rate FROM program_payment_terms "
    "WHERE team_id = $1 AND program_id = $2 FOR UPDATE"};

// $3 the PATCH as a JSON object holding only the present fields (PatchJson):
// a column named there takes its value (JSON null: NULL), any other keeps
// its own. Numbers arrive as decimal text, so numeric columns are exact.
#define AFFONSO_PATCH(column, type)                                                     \
  column " = CASE WHEN $3::jsonb ? '" column "' THEN ($3::jsonb->>'" column "')::" type \
         " ELSE t." column " END, "
#define AFFONSO_PATCH_TEXT_ARRAY(column)                 \
  column " = CASE WHEN $3::jsonb ? '" column             \
         "' THEN ARRAY(SELECT e FROM "                   \
         "jsonb_array_elements_text($3::jsonb->'" column \
         "') WITH ORDINALITY AS x(e, n) "                \
         "ORDER BY n) ELSE t." column " END, "
#define AFFONSO_PATCH_JSON(column)                                               \
  column " = CASE WHEN $3::jsonb ? '" column "' THEN NULLIF($3::jsonb->'" column \
         "', 'null'::jsonb) ELSE t." column " END, "

// clang-format off
constexpr JoinedStatement kUpdatePaymentTerms{
    "payment_terms_update",
    "UPDATE program_payment_terms t SET "
    AFFONSO_PATCH("commission_type", "text")
    AFFONSO_PATCH("commission_rate", "numeric")
    AFFONSO_PATCH("commission_duration", "text")
    AFFONSO_PATCH("commissions_limit", "integer")
    AFFONSO_PATCH("commissions_hold_days", "integer")
    AFFONSO_PATCH("payment_threshold", "numeric")
    AFFONSO_PATCH("payment_frequency", "text")
    AFFONSO_PATCH_TEXT_ARRAY("payment_methods")
    AFFONSO_PATCH("cookie_lifetime", "integer")
    AFFONSO_PATCH("auto_payout", "boolean")
    AFFONSO_PATCH("invoice_rule", "text")
    AFFONSO_PATCH("invoice_prefix", "text")
    AFFONSO_PATCH("require_tax_forms", "boolean")
    AFFONSO_PATCH("owner_company_name", "text")
    AFFONSO_PATCH("owner_address_line_1", "text")
    AFFONSO_PATCH("owner_address_line_2", "text")
    AFFONSO_PATCH("owner_city", "text")
    AFFONSO_PATCH("owner_postal_code", "text")
    AFFONSO_PATCH("owner_country", "text")
    AFFONSO_PATCH("owner_vat_id", "text")
    AFFONSO_PATCH("owner_vat_rate", "numeric")
    "  updated_at = now() WHERE t.team_id = $1 AND t.program_id = $2 RETURNING ",
    kPaymentTermsColumns};

constexpr JoinedStatement kUpdateRestrictions{
    "restrictions_update",
    "UPDATE program_restrictions t SET "
    AFFONSO_PATCH("websites", "boolean")
    AFFONSO_PATCH("social_marketing", "boolean")
    AFFONSO_PATCH("organic_social", "boolean")
    AFFONSO_PATCH("email_marketing", "boolean")
    AFFONSO_PATCH("mobile_traffic", "boolean")
    AFFONSO_PATCH("search_engine_marketing", "boolean")
    AFFONSO_PATCH("organic_search", "boolean")
    AFFONSO_PATCH("rebrokering", "boolean")
    AFFONSO_PATCH("incent", "boolean")
    AFFONSO_PATCH("brand_bidding", "boolean")
    AFFONSO_PATCH("additional_restrictions", "text")
    "  updated_at = now() WHERE t.team_id = $1 AND t.program_id = $2 RETURNING ",
    kRestrictionsColumns};

constexpr JoinedStatement kUpdatePortal{
    "portal_update",
    "UPDATE program_portal_settings t SET "
    AFFONSO_PATCH("single_program_portal", "boolean")
    AFFONSO_PATCH("hide_branding", "boolean")
    AFFONSO_PATCH("hide_details", "boolean")
    AFFONSO_PATCH("primary_color", "text")
    AFFONSO_PATCH("secondary_color", "text")
    AFFONSO_PATCH("show_leaderboard", "boolean")
    AFFONSO_PATCH("terms_conditions_status", "boolean")
    AFFONSO_PATCH("terms_conditions_value", "text")
    AFFONSO_PATCH("privacy_policy_status", "boolean")
    AFFONSO_PATCH("privacy_policy_value", "text")
    AFFONSO_PATCH("support_email_status", "boolean")
    AFFONSO_PATCH("support_email_value", "text")
    AFFONSO_PATCH_JSON("custom_texts")
    "  updated_at = now() WHERE t.team_id = $1 AND t.program_id = $2 RETURNING ",
    kPortalColumns};
// clang-format on

#undef AFFONSO_PATCH_JSON
#undef AFFONSO_PATCH_TEXT_ARRAY
#undef AFFONSO_PATCH

// "PAYMENT_COMMISSION_TYPE_" for PaymentCommissionType: its UNSPECIFIED
// value's name without "UNSPECIFIED".
std::string EnumPrefix(const google::protobuf::EnumDescriptor& type) {
  std::string prefix = type.FindValueByNumber(0)->name();
  prefix.resize(prefix.size() - std::string("UNSPECIFIED").size());
  return prefix;
}

// The stored lower-case name (PAYMENT_FREQUENCY_WEEKLY <-> "weekly").
std::string EnumToDb(const google::protobuf::EnumValueDescriptor& value) {
  return absl::AsciiStrToLower(value.name().substr(EnumPrefix(*value.type()).size()));
}

// Unknown text reads as UNSPECIFIED (the schema's CHECKs allow none).
int EnumFromDb(const google::protobuf::EnumDescriptor& type, const std::string& text) {
  const auto* value = type.FindValueByName(EnumPrefix(type) + absl::AsciiStrToUpper(text));
  return value == nullptr ? 0 : value->number();
}

// A number as the statements take it: decimal text, exact (the service let
// only integers, or amounts of at most two decimals, through).
std::string NumberText(double number) {
  if (std::trunc(number) == number && std::fabs(number) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(number));
  }
  absl::StatusOr<Money> money = Money::FromAmount("", number);
  return money.ok() ? money->ToDecimalText() : absl::StrCat(number);
}

// The present fields of a validated update as the statements' $3: each under
// its field name, enums by their stored names, numbers as decimal text, a
// nullable Value as its string, number, object or null, a ListValue as its
// array. INTERNAL for what protobuf's JSON printer refuses (an object nested
// past its recursion limit), so such an update fails instead of patching
// nothing with a 200.
absl::StatusOr<std::string> PatchJson(const Message& update) {
  google::protobuf::Struct patch;
  auto& fields = *patch.mutable_fields();
  const auto* reflection = update.GetReflection();
  const auto* type = update.GetDescriptor();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    if (field->is_repeated() || !reflection->HasField(update, field)) continue;
    Value& out = fields[field->name()];
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_BOOL:
        out.set_bool_value(reflection->GetBool(update, field));
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        out.set_string_value(absl::StrCat(reflection->GetInt32(update, field)));
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        out.set_string_value(NumberText(reflection->GetDouble(update, field)));
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        out.set_string_value(EnumToDb(*reflection->GetEnum(update, field)));
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        const Message& message = reflection->GetMessage(update, field);
        if (const auto* list = dynamic_cast<const google::protobuf::ListValue*>(&message)) {
          *out.mutable_list_value() = *list;
        } else if (const auto* value = dynamic_cast<const Value*>(&message)) {
          if (value->kind_case() == Value::kNumberValue) {
            out.set_string_value(NumberText(value->number_value()));
          } else {
            out = *value;
          }
        }
        break;
      }
      default:
        fields.erase(field->name());
        break;
    }
  }
  return StructJson(patch);
}

// Fills `out` from the columns named as its fields: a NULL leaves a field
// with presence unset (null in JSON).
absl::Status ReadColumns(const pqxx::row& row, Message* out) {
  const auto* reflection = out->GetReflection();
  const auto* type = out->GetDescriptor();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    const pqxx::field column = row[field->name()];
    if (field->is_repeated()) {
      google::protobuf::RepeatedPtrField<std::string> values;
      ReadTextArray(column, &values);
      for (std::string& value : values) reflection->AddString(out, field, std::move(value));
      continue;
    }
    if (column.is_null()) continue;
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_BOOL:
        reflection->SetBool(out, field, column.as<bool>());
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        reflection->SetInt32(out, field, column.as<int>());
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        reflection->SetDouble(out, field, ReadDecimal(column));
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        reflection->SetString(out, field, ReadText(column));
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        reflection->SetEnumValue(out, field, EnumFromDb(*field->enum_type(), ReadText(column)));
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        auto* object =
            dynamic_cast<google::protobuf::Struct*>(reflection->MutableMessage(out, field));
        if (object == nullptr) return absl::InternalError("internal error");
        AFFONSO_RETURN_IF_ERROR(ReadStruct(column, object));
        break;
      }
      default:
        return absl::InternalError("internal error");
    }
  }
  return absl::OkStatus();
}

template <typename T>
absl::StatusOr<T> ReadSettings(const pqxx::row& row) {
  T settings;
  AFFONSO_RETURN_IF_ERROR(ReadColumns(row, &settings));
  return settings;
}

std::string ReadProgramId(const pqxx::row& row) { return ReadText(row["id"]); }

// Get: the settings in `*set` when the program has a row.
template <typename T>
absl::StatusOr<bool> GetSettings(ConnectionPool* pool, const char* operation,
                                 const Statement& select, absl::string_view team_id,
                                 absl::string_view program_id, T* set) {
  const std::string team(team_id), program(program_id);
  return pool->Autocommit(operation, [&](Tx& tx) -> absl::StatusOr<bool> {
    pqxx::result rows = tx.Exec(select, team, NullIfEmpty(program));
    if (rows.empty()) return NotFoundError("program");
    if (rows[0]["row_program_id"].is_null()) return false;
    AFFONSO_ASSIGN_OR_RETURN(*set, ReadSettings<T>(rows[0]));
    return true;
  });
}

// Update: resolves the program, makes its row from the defaults when it has
// none, runs `check(tx, team, resolved)` (under the row lock it may take) and
// the update.
template <typename T, typename Check>
absl::StatusOr<T> UpdateSettings(ConnectionPool* pool, const char* operation,
                                 const Statement& ensure, const Statement& update,
                                 absl::string_view team_id, absl::string_view program_id,
                                 const Message& patch_of, Check check) {
  const std::string team(team_id), program(program_id);
  AFFONSO_ASSIGN_OR_RETURN(const std::string patch, PatchJson(patch_of));
  return pool->InTransaction(operation, [&](Tx& tx) -> absl::StatusOr<T> {
    AFFONSO_ASSIGN_OR_RETURN(
        const std::string resolved,
        QueryOne(tx, kProgramId, ReadProgramId, "program", team, NullIfEmpty(program)));
    tx.Exec(ensure, team, resolved);
    AFFONSO_RETURN_IF_ERROR(check(tx, team, resolved));
    pqxx::result rows = tx.Exec(update, team, resolved, patch);
    if (rows.empty()) return NotFoundError("program");
    return ReadSettings<T>(rows[0]);
  });
}

absl::Status NoCheck(Tx&, const std::string&, const std::string&) { return absl::OkStatus(); }

}  // namespace

absl::StatusOr<PaymentTermsResult> PgProgramTermsStore::GetPaymentTerms(
    absl::string_view team_id, absl::string_view program_id) {
  PaymentTermsResult result;
  PaymentTerms terms;
  AFFONSO_ASSIGN_OR_RETURN(
      const bool set,
      GetSettings(pool_, "get_payment_terms", kSelectPaymentTerms, team_id, program_id, &terms));
  if (set) *result.mutable_terms() = std::move(terms);
  return result;
}

absl::StatusOr<PaymentTerms> PgProgramTermsStore::UpdatePaymentTerms(
    absl::string_view team_id, absl::string_view program_id,
    const affonso::v1::PaymentTermsUpdate& update) {
  // A percentage is at most 100, whichever of type and rate this update
  // changes: checked against the stored other half, under its row lock.
  auto check = [&update](Tx& tx, const std::string& team,
                         const std::string& program) -> absl::Status {
    pqxx::result locked = tx.Exec(kLockPaymentTerms, team, program);
    if (locked.empty()) return NotFoundError("program");
    const bool percentage =
        update.has_commission_type()
            ? update.commission_type() == affonso::v1::PAYMENT_COMMISSION_TYPE_PERCENTAGE
            : ReadText(locked[0]["commission_type"]) == "percentage";
    absl::StatusOr<Money> rate =
        update.has_commission_rate()
            ? Money::FromAmount("commission_rate", update.commission_rate())
            : Money::FromDecimalText(ReadText(locked[0]["commission_rate"]));
    if (!rate.ok()) return rate.status();
    if (percentage && *rate > Money::FromCents(10000)) {
      return ValidationError("commission_rate",
                             "a percentage commission_rate must be from 0 to 100");
    }
    return absl::OkStatus();
  };
  return UpdateSettings<PaymentTerms>(pool_, "update_payment_terms", kEnsurePaymentTerms,
                                      kUpdatePaymentTerms, team_id, program_id, update, check);
}

absl::StatusOr<RestrictionsResult> PgProgramTermsStore::GetRestrictions(
    absl::string_view team_id, absl::string_view program_id) {
  RestrictionsResult result;
  Restrictions restrictions;
  AFFONSO_ASSIGN_OR_RETURN(const bool set,
                           GetSettings(pool_, "get_restrictions", kSelectRestrictions, team_id,
                                       program_id, &restrictions));
  if (set) *result.mutable_restrictions() = std::move(restrictions);
  return result;
}

absl::StatusOr<Restrictions> PgProgramTermsStore::UpdateRestrictions(
    absl::string_view team_id, absl::string_view program_id,
    const affonso::v1::RestrictionsUpdate& update) {
  return UpdateSettings<Restrictions>(pool_, "update_restrictions", kEnsureRestrictions,
                                      kUpdateRestrictions, team_id, program_id, update, NoCheck);
}

absl::StatusOr<PortalSettingsResult> PgProgramTermsStore::GetPortalSettings(
    absl::string_view team_id, absl::string_view program_id) {
  PortalSettingsResult result;
  PortalSettings portal;
  AFFONSO_ASSIGN_OR_RETURN(const bool set, GetSettings(pool_, "get_portal", kSelectPortal, team_id,
                                                       program_id, &portal));
  if (set) *result.mutable_portal() = std::move(portal);
  return result;
}

absl::StatusOr<PortalSettings> PgProgramTermsStore::UpdatePortalSettings(
    absl::string_view team_id, absl::string_view program_id,
    const affonso::v1::PortalSettingsUpdate& update) {
  return UpdateSettings<PortalSettings>(pool_, "update_portal", kEnsurePortal, kUpdatePortal,
                                        team_id, program_id, update, NoCheck);
}

}  // namespace affonso::storage

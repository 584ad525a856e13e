#include "storage/pg_program_store.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "storage/fraud_names.h"
#include "storage/incentive_names.h"
#include "storage/incentive_rows.h"
#include "storage/joined_statement.h"
#include "storage/pg_values.h"
#include "storage/program_scope_sql.h"
#include "storage/query_one.h"

namespace affonso::storage {
namespace {

using affonso::v1::FraudRules;
using affonso::v1::Group;
using affonso::v1::Incentive;
using affonso::v1::ListGroupsResponse;
using affonso::v1::ProgramSettings;
using affonso::v1::TrackingSettings;

// The select lists, under the names their readers read. Incentive columns
// carry a prefix: kSelectGroups returns them beside the group's own.
constexpr char kFraudRulesColumns[] =
    "r.program_id, r.self_referral_mode, r.suspicious_email_mode, r.paid_traffic_mode, "
    "r.cross_program_ban_mode, r.duplicate_payout_mode, r.banned_referral_mode, "
    "r.blocked_country_mode, r.paid_click_params, r.paid_utm_mediums, r.allowed_email_domains, "
    "r.banned_referral_domains, r.blocked_countries";
constexpr char kTrackingColumns[] =
    "t.program_id, t.track_email, t.track_name, t.default_referral_parameter, "
    "t.enabled_referral_parameters, t.postbacks_enabled, t.append_affonso_id_enabled, "
    "t.tracking_template_enabled, t.tracking_template::text AS tracking_template";
// Over `p` (the program) and `t` (its tracking settings, NULL-extended).
constexpr char kProgramColumns[] =
    "p.id, p.name, p.slug, p.tagline, p.category, p.description, p.website_url, p.logo_url, "
    "p.access_mode, p.status, p.affiliate_links_enabled, p.marketplace_listed, "
    "COALESCE(t.default_referral_parameter, 'via') AS default_referral_parameter, "
    "p.plan_tier, p.plan_postbacks, p.plan_groups_limit, " AFFONSO_SQL_MICROS(
        "p.created_at") " AS created_at, " AFFONSO_SQL_MICROS("p.updated_at") " AS updated_at";
// Amounts are read as text: the exact decimal, converted once (ReadDecimal).
constexpr char kIncentiveColumns[] =
    "i.id AS incentive_id, i.group_id AS incentive_group_id, i.name AS incentive_name, "
    "i.type AS incentive_type, i.amount::text AS incentive_amount, "
    "i.is_percentage AS incentive_is_percentage, i.currency AS "
    "incentive_currency, " AFFONSO_INCENTIVE_TERM_COLUMNS("i");

constexpr JoinedStatement kProgramId{"program_resolve", kWithProgram, "SELECT id FROM prog"};

constexpr JoinedStatement kSelectProgram{
    "program_select", kWithProgram, "SELECT ", kProgramColumns,
    " FROM prog JOIN programs p ON p.id = prog.id "
    "LEFT JOIN program_tracking_settings t ON t.program_id = p.id"};

// $3 the PATCH as a JSON object holding only the present fields (a nullable
// text's null clears it; access_mode in its stored, lower-case form).
#define AFFONSO_PATCH_TEXT(column)                                                            \
  column " = CASE WHEN $3::jsonb ? '" column "' THEN $3::jsonb->>'" column "' ELSE p." column \
         " END, "
constexpr JoinedStatement kUpdateProgram{
    "program_update",
    kWithProgram,
    ", upd AS (UPDATE programs p SET " AFFONSO_PATCH_TEXT("name") AFFONSO_PATCH_TEXT(
        "tagline") AFFONSO_PATCH_TEXT("category") AFFONSO_PATCH_TEXT("description")
        AFFONSO_PATCH_TEXT("website_url") AFFONSO_PATCH_TEXT("logo_url")
            AFFONSO_PATCH_TEXT("access_mode")
    "  affiliate_links_enabled = CASE WHEN $3::jsonb ? 'affiliate_links_enabled' "
    "    THEN ($3::jsonb->>'affiliate_links_enabled')::boolean "
    "    ELSE p.affiliate_links_enabled END, "
    "  marketplace_listed = CASE WHEN $3::jsonb ? 'marketplace_listed' "
    "    THEN ($3::jsonb->>'marketplace_listed')::boolean ELSE p.marketplace_listed END, "
    "  updated_at = now() "
    "  FROM prog WHERE p.id = prog.id RETURNING p.*) "
    "SELECT ",
    kProgramColumns,
    " FROM upd p LEFT JOIN program_tracking_settings t ON t.program_id = p.id"};
#undef AFFONSO_PATCH_TEXT

// Serialises changes to a program's groups (the default flag, deletions).
// NO KEY UPDATE does not block inserts elsewhere that reference the program.
// Under READ COMMITTED the locked row is re-checked only on p.id = prog.id:
// enough while a program's team and default flag never change once created
// (nothing updates them); a statement that changes them must repeat prog's
// predicate here.
constexpr JoinedStatement kLockProgram{
    "program_lock", kWithProgram,
    "SELECT p.id FROM prog JOIN programs p ON p.id = prog.id FOR NO KEY UPDATE OF p"};

// Reads the rules, inserting the defaults when the program has none yet. The
// outer SELECT cannot see the CTE's insert, hence the UNION: exactly one side
// has the row.
constexpr JoinedStatement kGetOrCreateFraudRules{
    "fraud_rules_get_or_create",
    kWithProgram,
    ", ins AS (INSERT INTO program_fraud_rules AS r (program_id) "
    "  SELECT prog.id FROM prog WHERE NOT EXISTS "
    "    (SELECT 1 FROM program_fraud_rules x WHERE x.program_id = prog.id) "
    "  ON CONFLICT (program_id) DO NOTHING "
    "  RETURNING ",
    kFraudRulesColumns,
    ") "
    "SELECT * FROM ins UNION ALL "
    "SELECT ",
    kFraudRulesColumns,
    " FROM program_fraud_rules r "
    "JOIN prog ON r.program_id = prog.id"};

// After losing an insert race the first statement's snapshot misses the
// winner's row; a new statement sees it.
constexpr JoinedStatement kSelectFraudRules{
    "fraud_rules_select", kWithProgram, "SELECT ", kFraudRulesColumns,
    " FROM program_fraud_rules r JOIN prog ON r.program_id = prog.id"};

// $1 the resolved program.
constexpr Statement kEnsureFraudRules{"fraud_rules_ensure",
                                      "INSERT INTO program_fraud_rules (program_id) VALUES ($1) "
                                      "ON CONFLICT (program_id) DO NOTHING"};

// $1 the resolved program, $2-$4 the self-referral, suspicious-email and
// paid-traffic modes, $5-$7 the click params, UTM mediums and allowed email
// domains as JSON arrays (taken in their order), $8-$11 the cross-program-ban,
// duplicate-payout, banned-referral and blocked-country modes. A NULL
// parameter keeps the column. $12 / $14: whether the banned-referral /
// blocked-country config is present; then $13 / $15 is its list as a JSON
// array, NULL for a null config.
constexpr JoinedStatement kUpdateFraudRules{
    "fraud_rules_update",
    "UPDATE program_fraud_rules r SET "
    "  self_referral_mode = COALESCE($2::text, r.self_referral_mode), "
    "  suspicious_email_mode = COALESCE($3::text, r.suspicious_email_mode), "
    "  paid_traffic_mode = COALESCE($4::text, r.paid_traffic_mode), "
    "  paid_click_params = CASE WHEN $5::jsonb IS NULL THEN r.paid_click_params "
    "    ELSE ARRAY(SELECT e FROM jsonb_array_elements_text($5::jsonb) "
    "      WITH ORDINALITY AS t(e, n) ORDER BY n) END, "
    "  paid_utm_mediums = CASE WHEN $6::jsonb IS NULL THEN r.paid_utm_mediums "
    "    ELSE ARRAY(SELECT e FROM jsonb_array_elements_text($6::jsonb) "
    "      WITH ORDINALITY AS t(e, n) ORDER BY n) END, "
    "  allowed_email_domains = CASE WHEN $7::jsonb IS NULL THEN r.allowed_email_domains "
    "    ELSE ARRAY(SELECT e FROM jsonb_array_elements_text($7::jsonb) "
    "      WITH ORDINALITY AS t(e, n) ORDER BY n) END, "
    "  cross_program_ban_mode = COALESCE($8::text, r.cross_program_ban_mode), "
    "  duplicate_payout_mode = COALESCE($9::text, r.duplicate_payout_mode), "
    "  banned_referral_mode = COALESCE($10::text, r.banned_referral_mode), "
    "  blocked_country_mode = COALESCE($11::text, r.blocked_country_mode), "
    "  banned_referral_domains = CASE WHEN NOT $12::boolean THEN r.banned_referral_domains "
    "    WHEN $13::jsonb IS NULL THEN NULL "
    "    ELSE ARRAY(SELECT e FROM jsonb_array_elements_text($13::jsonb) "
    "      WITH ORDINALITY AS t(e, n) ORDER BY n) END, "
    "  blocked_countries = CASE WHEN NOT $14::boolean THEN r.blocked_countries "
    "    WHEN $15::jsonb IS NULL THEN NULL "
    "    ELSE ARRAY(SELECT e FROM jsonb_array_elements_text($15::jsonb) "
    "      WITH ORDINALITY AS t(e, n) ORDER BY n) END, "
    "  updated_at = now() "
    "WHERE r.program_id = $1 "
    "RETURNING ",
    kFraudRulesColumns};

constexpr JoinedStatement kGetOrCreateTracking{
    "tracking_get_or_create",
    kWithProgram,
    ", ins AS (INSERT INTO program_tracking_settings AS t (program_id) "
    "  SELECT prog.id FROM prog WHERE NOT EXISTS "
    "    (SELECT 1 FROM program_tracking_settings x WHERE x.program_id = prog.id) "
    "  ON CONFLICT (program_id) DO NOTHING "
    "  RETURNING ",
    kTrackingColumns,
    ") "
    "SELECT * FROM ins UNION ALL "
    "SELECT ",
    kTrackingColumns,
    " FROM program_tracking_settings t "
    "JOIN prog ON t.program_id = prog.id"};

constexpr JoinedStatement kSelectTracking{
    "tracking_select", kWithProgram, "SELECT ", kTrackingColumns,
    " FROM program_tracking_settings t JOIN prog ON t.program_id = prog.id"};

// $1 the resolved program.
constexpr Statement kEnsureTracking{
    "tracking_ensure",
    "INSERT INTO program_tracking_settings (program_id) VALUES ($1) "
    "ON CONFLICT (program_id) DO NOTHING"};

// $1 the resolved program, $2 email tracking, $3 name tracking, $4 default
// referral parameter, $5 the enabled parameters as a JSON array (taken in
// order), $6 postbacks, $7 append affonso id, $8 tracking template enabled.
// A NULL parameter keeps the column. $9: whether the template is present;
// then $10 is it (a JSON array), NULL for null.
constexpr JoinedStatement kUpdateTracking{
    "tracking_update",
    "UPDATE program_tracking_settings t SET "
    "  track_email = COALESCE($2::boolean, t.track_email), "
    "  track_name = COALESCE($3::boolean, t.track_name), "
    "  default_referral_parameter = COALESCE($4::text, t.default_referral_parameter), "
    "  enabled_referral_parameters = CASE WHEN $5::jsonb IS NULL "
    "    THEN t.enabled_referral_parameters "
    "    ELSE ARRAY(SELECT e FROM jsonb_array_elements_text($5::jsonb) "
    "      WITH ORDINALITY AS x(e, n) ORDER BY n) END, "
    "  postbacks_enabled = COALESCE($6::boolean, t.postbacks_enabled), "
    "  append_affonso_id_enabled = COALESCE($7::boolean, t.append_affonso_id_enabled), "
    "  tracking_template_enabled = COALESCE($8::boolean, t.tracking_template_enabled), "
    "  tracking_template = CASE WHEN $9::boolean THEN $10::jsonb ELSE t.tracking_template END, "
    "  updated_at = now() "
    "WHERE t.program_id = $1 "
    "RETURNING ",
    kTrackingColumns};

// The pixel settings, the defaults ($3 the window) while the program has no
// row.
constexpr JoinedStatement kSelectPixel{
    "pixel_select", kWithProgram,
    "SELECT prog.id AS program_id, COALESCE(px.allowed_domains, '{}') AS allowed_domains, "
    "  COALESCE(px.click_dedup_window_seconds, $3::int) AS click_dedup_window_seconds, "
    "  COALESCE(px.browser_external_user_id, false) AS browser_external_user_id "
    "FROM prog LEFT JOIN program_pixel_settings px "
    "  ON px.team_id = $1 AND px.program_id = prog.id"};

// One statement whether or not the program has a row yet. $3 the domains as
// a JSON array (taken in order), NULL keeps them; $4 the window, NULL keeps
// it; $5 the default window for a new row; $6 browser_external_user_id,
// NULL keeps it.
constexpr JoinedStatement kUpsertPixel{
    "pixel_upsert", kWithProgram,
    "INSERT INTO program_pixel_settings AS px (team_id, program_id, allowed_domains, "
    "  click_dedup_window_seconds, browser_external_user_id) "
    "SELECT $1, prog.id, "
    "  CASE WHEN $3::jsonb IS NULL THEN '{}'::text[] "
    "    ELSE ARRAY(SELECT e FROM jsonb_array_elements_text($3::jsonb) "
    "      WITH ORDINALITY AS t(e, n) ORDER BY n) END, "
    "  COALESCE($4::int, $5::int), COALESCE($6::boolean, false) "
    "FROM prog "
    "ON CONFLICT (team_id, program_id) DO UPDATE SET "
    "  allowed_domains = CASE WHEN $3::jsonb IS NULL THEN px.allowed_domains "
    "    ELSE EXCLUDED.allowed_domains END, "
    "  click_dedup_window_seconds = COALESCE($4::int, px.click_dedup_window_seconds), "
    "  browser_external_user_id = COALESCE($6::boolean, px.browser_external_user_id), "
    "  updated_at = now() "
    "RETURNING px.program_id, px.allowed_domains, px.click_dedup_window_seconds, "
    "  px.browser_external_user_id"};

// The program's groups ($3 NULL) or one group, one row per incentive (a
// group without incentives has one row with NULL incentive columns). No row
// at all: no such program; one row with a NULL group: no such group.
// created_at is epoch microseconds, as ReadTimestamp reads it.
// An empty description (the column's default) reads as NULL.
constexpr JoinedStatement kSelectGroups{
    "groups_select", kWithProgram,
    ", grp AS (SELECT g.id, g.name, g.description, g.custom_website_url, g.is_default, "
    "    g.created_at "
    "  FROM affiliate_groups g JOIN prog ON g.program_id = prog.id "
    "  WHERE g.team_id = $1 AND ($3::text IS NULL OR g.id = $3::text)) "
    "SELECT gr.id, gr.name, NULLIF(gr.description, '') AS description, gr.custom_website_url, "
    "  gr.is_default, (extract(epoch from gr.created_at) * 1000000)::bigint AS created_at, ",
    kIncentiveColumns,
    " "
    "FROM prog LEFT JOIN grp gr ON true "
    "LEFT JOIN incentives i ON i.group_id = gr.id AND i.program_id = prog.id "
    "ORDER BY gr.is_default DESC, gr.created_at, gr.id, i.created_at, i.id"};

// $3 id, $4 name, $5 description ("" for none), $6 custom website url,
// $7 is_default (the old default cleared first: kClearDefaultGroup).
constexpr JoinedStatement kInsertGroup{
    "group_insert", kWithProgram,
    "INSERT INTO affiliate_groups AS g (id, team_id, program_id, name, description, "
    "  custom_website_url, is_default) "
    "SELECT $3, $1, prog.id, $4, $5, $6::text, $7::boolean FROM prog "
    "RETURNING g.id, g.name, NULLIF(g.description, '') AS description, g.custom_website_url, "
    "  g.is_default, (extract(epoch from g.created_at) * 1000000)::bigint AS created_at"};

// $1 the resolved program.
constexpr Statement kCountGroups{
    "group_count", "SELECT count(*)::int AS groups FROM affiliate_groups WHERE program_id = $1"};

// $1 group, $2 the resolved program.
constexpr Statement kCountIncentives{
    "incentive_count",
    "SELECT count(*)::int AS incentives FROM incentives WHERE group_id = $1 AND program_id = $2"};

// Locks the group against concurrent default moves, deletion and affiliates
// joining it (their foreign key check waits for us). $1 group, $2 the
// resolved program (also the group statements below).
constexpr Statement kLockGroup{
    "group_lock",
    "SELECT is_default FROM affiliate_groups WHERE id = $1 AND program_id = $2 FOR UPDATE"};

// The unique index allows one default per program at any instant, so the old
// default is cleared before the new one is set. $1 the resolved program.
constexpr Statement kClearDefaultGroup{
    "group_clear_default",
    "UPDATE affiliate_groups SET is_default = false WHERE program_id = $1 AND is_default"};

constexpr Statement kSetDefaultGroup{
    "group_set_default",
    "UPDATE affiliate_groups SET is_default = true WHERE id = $1 AND program_id = $2"};

// $3 name, $4 description; NULL keeps the column. $5 custom website url
// given?, $6 the url (NULL clears it).
constexpr Statement kUpdateGroupText{
    "group_update_text",
    "UPDATE affiliate_groups SET name = COALESCE($3::text, name), "
    "  description = COALESCE($4::text, description), "
    "  custom_website_url = CASE WHEN $5::boolean THEN $6::text ELSE custom_website_url END "
    "WHERE id = $1 AND program_id = $2"};

// A NULL group_id means the default group, so this is the fall-back.
constexpr Statement kUngroupAffiliates{"group_ungroup_affiliates",
                                       "UPDATE affiliates SET group_id = NULL, updated_at = now() "
                                       "WHERE group_id = $1 AND program_id = $2"};

// Incentives cascade, and commission overrides with them.
constexpr Statement kDeleteGroup{"group_delete",
                                 "DELETE FROM affiliate_groups WHERE id = $1 AND program_id = $2"};

// $3 group, $4 id, $5 name, $6 type, $7 amount, $8 is_percentage,
// $9 currency, $10 hold period days, $11 apply_to, $12 product ids (a JSON
// array), $13 approval type, $14 incentive length, $15 length value,
// $16 variable commission, $17 variable config (JSON).
constexpr JoinedStatement kInsertIncentive{
    "incentive_insert", kWithProgram,
    "INSERT INTO incentives AS i (id, team_id, program_id, group_id, name, type, amount, "
    "  is_percentage, currency, hold_period_days, apply_to, product_ids, approval_type, "
    "  incentive_length, length_value, variable_commission, variable_config) "
    "SELECT $4, g.team_id, g.program_id, g.id, $5, $6, $7::numeric, $8::boolean, $9, $10::int, "
    "  $11, ARRAY(SELECT e FROM jsonb_array_elements_text($12::jsonb) WITH ORDINALITY "
    "    AS t(e, n) ORDER BY n), "
    "  $13, $14, $15::int, $16::boolean, $17::jsonb "
    "FROM affiliate_groups g JOIN prog ON g.program_id = prog.id "
    "WHERE g.id = $3 AND g.team_id = $1 "
    "RETURNING ",
    kIncentiveColumns};

// $3 group, $4 incentive.
constexpr JoinedStatement kDeleteIncentive{
    "incentive_delete", kWithProgram,
    "DELETE FROM incentives i USING prog "
    "WHERE i.id = $4 AND i.group_id = $3 AND i.program_id = prog.id AND i.team_id = $1"};

std::string JsonArray(const google::protobuf::ListValue& list) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(list, &json).ok()) return "[]";
  return json;
}

// Only the string elements; the service rejects any other kind before here.
google::protobuf::ListValue StringsOnly(const google::protobuf::ListValue& list) {
  google::protobuf::ListValue strings;
  for (const auto& value : list.values()) {
    if (value.kind_case() == google::protobuf::Value::kStringValue) *strings.add_values() = value;
  }
  return strings;
}

// A present config's list as the update statements take it: a JSON array, or
// NULL ("") for a null config. `config` is normalised (the service's).
std::string ConfigList(const google::protobuf::Value& config, const std::string& key) {
  if (config.kind_case() != google::protobuf::Value::kStructValue) return "";
  auto list = config.struct_value().fields().find(key);
  if (list == config.struct_value().fields().end()) return "[]";
  return JsonArray(StringsOnly(list->second.list_value()));
}

FraudRules ReadFraudRules(const pqxx::row& row) {
  // program_id stays unset: it is not part of the SDK's type (the caller
  // named the program).
  FraudRules rules;
  rules.set_self_referral_mode(FraudModeFromDb(ReadText(row["self_referral_mode"])));
  rules.set_cross_program_ban_mode(FraudModeFromDb(ReadText(row["cross_program_ban_mode"])));
  rules.set_duplicate_payout_mode(FraudModeFromDb(ReadText(row["duplicate_payout_mode"])));
  rules.set_suspicious_email_mode(FraudModeFromDb(ReadText(row["suspicious_email_mode"])));
  rules.set_banned_referral_mode(FraudModeFromDb(ReadText(row["banned_referral_mode"])));
  rules.set_paid_traffic_mode(FraudModeFromDb(ReadText(row["paid_traffic_mode"])));
  rules.set_blocked_country_mode(FraudModeFromDb(ReadText(row["blocked_country_mode"])));
  if (!row["banned_referral_domains"].is_null()) {
    ReadTextArray(row["banned_referral_domains"],
                  rules.mutable_banned_referral_config()->mutable_domains());
  }
  if (!row["blocked_countries"].is_null()) {
    ReadTextArray(row["blocked_countries"],
                  rules.mutable_blocked_country_config()->mutable_countries());
  }
  ReadTextArray(row["paid_click_params"],
                rules.mutable_paid_traffic_config()->mutable_click_params());
  ReadTextArray(row["paid_utm_mediums"],
                rules.mutable_paid_traffic_config()->mutable_utm_mediums());
  // Only rendered when there are some (an extension to the SDK's type).
  ReadTextArray(row["allowed_email_domains"], rules.mutable_allowed_email_domains());
  return rules;
}

TrackingSettings ReadTracking(const pqxx::row& row) {
  TrackingSettings settings;
  settings.set_email_tracking_enabled(row["track_email"].as<bool>());
  settings.set_name_tracking_enabled(row["track_name"].as<bool>());
  settings.set_default_referral_parameter(ReadText(row["default_referral_parameter"]));
  // The default parameter is always enabled, and listed first.
  settings.add_enabled_referral_parameters(settings.default_referral_parameter());
  google::protobuf::RepeatedPtrField<std::string> enabled;
  ReadTextArray(row["enabled_referral_parameters"], &enabled);
  for (std::string& parameter : enabled) {
    if (parameter != settings.default_referral_parameter()) {
      settings.add_enabled_referral_parameters(std::move(parameter));
    }
  }
  settings.set_postbacks_enabled(row["postbacks_enabled"].as<bool>());
  settings.set_append_affonso_id_enabled(row["append_affonso_id_enabled"].as<bool>());
  settings.set_tracking_template_enabled(row["tracking_template_enabled"].as<bool>());
  if (!row["tracking_template"].is_null()) {
    // The service wrote it as an array of objects; anything else reads as [].
    google::protobuf::ListValue tmpl;
    if (google::protobuf::util::JsonStringToMessage(ReadText(row["tracking_template"]), &tmpl)
            .ok()) {
      settings.mutable_tracking_template()->Swap(&tmpl);
    } else {
      settings.mutable_tracking_template();
    }
  }
  return settings;
}

// Reads kSelectPixel / kUpsertPixel.
affonso::v1::PixelSettings ReadPixel(const pqxx::row& row) {
  affonso::v1::PixelSettings settings;
  ReadTextArray(row["allowed_domains"], settings.mutable_allowed_domains());
  settings.set_click_dedup_window_seconds(row["click_dedup_window_seconds"].as<int>());
  settings.set_browser_external_user_id(row["browser_external_user_id"].as<bool>());
  settings.set_program_id(ReadText(row["program_id"]));
  return settings;
}

// The stored lower-case names <-> the enums (PROGRAM_ACCESS_MODE_PUBLIC <->
// "public"); unknown text reads as UNSPECIFIED.
template <typename Enum>
Enum EnumFromDb(const google::protobuf::EnumDescriptor* type, const std::string& prefix,
                const std::string& text) {
  const google::protobuf::EnumValueDescriptor* value =
      type->FindValueByName(prefix + absl::AsciiStrToUpper(text));
  return static_cast<Enum>(value != nullptr ? value->number() : 0);
}

std::string EnumToDb(const google::protobuf::EnumDescriptor* type, const std::string& prefix,
                     int number) {
  const google::protobuf::EnumValueDescriptor* value = type->FindValueByNumber(number);
  if (value == nullptr || number == 0) return "";
  return absl::AsciiStrToLower(absl::string_view(value->name()).substr(prefix.size()));
}

constexpr char kAccessModePrefix[] = "PROGRAM_ACCESS_MODE_";
constexpr char kPlanTierPrefix[] = "PROGRAM_PLAN_TIER_";

// Reads kProgramColumns.
ProgramSettings ReadProgram(const pqxx::row& row) {
  ProgramSettings program;
  program.set_id(ReadText(row["id"]));
  program.set_name(ReadText(row["name"]));
  if (!row["slug"].is_null()) program.set_slug(ReadText(row["slug"]));
  if (!row["tagline"].is_null()) program.set_tagline(ReadText(row["tagline"]));
  if (!row["category"].is_null()) program.set_category(ReadText(row["category"]));
  if (!row["description"].is_null()) program.set_description(ReadText(row["description"]));
  program.set_website_url(ReadText(row["website_url"]));
  if (!row["logo_url"].is_null()) program.set_logo_url(ReadText(row["logo_url"]));
  program.set_access_mode(
      EnumFromDb<affonso::v1::ProgramAccessMode>(affonso::v1::ProgramAccessMode_descriptor(),
                                                 kAccessModePrefix, ReadText(row["access_mode"])));
  program.set_status(ReadText(row["status"]));
  program.set_affiliate_links_enabled(row["affiliate_links_enabled"].as<bool>());
  program.set_marketplace_listed(row["marketplace_listed"].as<bool>());
  program.set_default_referral_parameter(ReadText(row["default_referral_parameter"]));
  affonso::v1::ProgramPlan* plan = program.mutable_plan();
  if (!row["plan_tier"].is_null()) {
    plan->set_tier(EnumFromDb<affonso::v1::ProgramPlanTier>(
        affonso::v1::ProgramPlanTier_descriptor(), kPlanTierPrefix, ReadText(row["plan_tier"])));
  }
  plan->set_postbacks(row["plan_postbacks"].as<bool>());
  if (!row["plan_groups_limit"].is_null()) {
    plan->set_groups_limit(row["plan_groups_limit"].as<int>());
  }
  ReadTimestamp(row["created_at"], program.mutable_created_at());
  ReadTimestamp(row["updated_at"], program.mutable_updated_at());
  return program;
}

// The present fields of a (validated) program PATCH as kUpdateProgram's $3.
std::string ProgramPatchJson(const affonso::v1::ProgramSettingsUpdate& update) {
  google::protobuf::Struct patch;
  auto& fields = *patch.mutable_fields();
  if (update.has_name()) fields["name"].set_string_value(update.name());
  if (update.has_tagline()) fields["tagline"] = update.tagline();
  if (update.has_category()) fields["category"] = update.category();
  if (update.has_description()) fields["description"] = update.description();
  if (update.has_website_url()) fields["website_url"].set_string_value(update.website_url());
  if (update.has_logo_url()) fields["logo_url"] = update.logo_url();
  if (update.has_access_mode()) {
    fields["access_mode"].set_string_value(EnumToDb(affonso::v1::ProgramAccessMode_descriptor(),
                                                    kAccessModePrefix, update.access_mode()));
  }
  if (update.has_affiliate_links_enabled()) {
    fields["affiliate_links_enabled"].set_bool_value(update.affiliate_links_enabled());
  }
  if (update.has_marketplace_listed()) {
    fields["marketplace_listed"].set_bool_value(update.marketplace_listed());
  }
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(patch, &json).ok()) return "{}";
  return json;
}

// Reads kIncentiveColumns.
absl::StatusOr<Incentive> ReadIncentive(const pqxx::row& row) {
  Incentive incentive;
  incentive.set_id(ReadText(row["incentive_id"]));
  incentive.set_incentive_id(incentive.id());
  incentive.set_group_id(ReadText(row["incentive_group_id"]));
  incentive.set_name(ReadText(row["incentive_name"]));
  incentive.set_incentive_type(IncentiveTypeFromDb(ReadText(row["incentive_type"])));
  incentive.set_amount(ReadDecimal(row["incentive_amount"]));
  incentive.set_is_percentage(row["incentive_is_percentage"].as<bool>());
  incentive.set_currency(ReadText(row["incentive_currency"]));
  AFFONSO_RETURN_IF_ERROR(ReadIncentiveTerms(row, &incentive));
  return incentive;
}

// The group's own columns (kInsertGroup's RETURNING, kSelectGroups).
Group ReadGroup(const pqxx::row& row) {
  Group group;
  group.set_id(ReadText(row["id"]));
  group.set_name(ReadText(row["name"]));
  if (!row["description"].is_null()) group.set_description(ReadText(row["description"]));
  if (!row["custom_website_url"].is_null()) {
    group.set_custom_website_url(ReadText(row["custom_website_url"]));
  }
  group.set_is_default(row["is_default"].as<bool>());
  ReadTimestamp(row["created_at"], group.mutable_created_at());
  return group;
}

// Folds kSelectGroups' rows (ordered by group) into groups, each with all
// its incentives (the service keeps them for expand=incentives only).
absl::StatusOr<ListGroupsResponse> ReadGroups(const pqxx::result& rows) {
  ListGroupsResponse groups;
  for (const pqxx::row& row : rows) {
    if (row["id"].is_null()) continue;
    if (groups.data().empty() || groups.data().rbegin()->id() != ReadText(row["id"])) {
      *groups.add_data() = ReadGroup(row);
    }
    if (!row["incentive_id"].is_null()) {
      AFFONSO_ASSIGN_OR_RETURN(*groups.mutable_data()->rbegin()->add_incentives(),
                               ReadIncentive(row));
    }
  }
  return groups;
}

// The resolved program id (kProgramId, kLockProgram).
std::string ReadProgramId(const pqxx::row& row) { return ReadText(row["id"]); }

// The group under its program; `program` is a resolved id.
absl::StatusOr<Group> SelectGroup(Tx& tx, const std::string& team, const std::string& program,
                                  const std::string& group_id) {
  AFFONSO_ASSIGN_OR_RETURN(ListGroupsResponse groups,
                           ReadGroups(tx.Exec(kSelectGroups, team, program, group_id)));
  if (groups.data().empty()) return NotFoundError("group");
  return std::move(*groups.mutable_data(0));
}

// The team's program named by `program` ("" = default), locked for changes to
// its groups.
absl::StatusOr<std::string> LockProgram(Tx& tx, const std::string& team,
                                        const std::string& program) {
  return QueryOne(tx, kLockProgram, ReadProgramId, "program", team, NullIfEmpty(program));
}

// The team's program named by `program` ("" = default), resolved to its id.
absl::StatusOr<std::string> ResolveProgram(Tx& tx, const std::string& team,
                                           const std::string& program) {
  return QueryOne(tx, kProgramId, ReadProgramId, "program", team, NullIfEmpty(program));
}

absl::Status ProgramThenMissing(Tx& tx, const std::string& team, const std::string& program,
                                absl::string_view what) {
  AFFONSO_RETURN_IF_ERROR(RequireRow(tx, kProgramId, "program", team, NullIfEmpty(program)));
  return affonso::NotFoundError(what);
}

}  // namespace

absl::StatusOr<ProgramSettings> PgProgramStore::GetProgram(absl::string_view team_id,
                                                           absl::string_view program_id) {
  const std::string team(team_id), program(program_id);
  return pool_->Autocommit("get_program", [&](Tx& tx) -> absl::StatusOr<ProgramSettings> {
    return QueryOne(tx, kSelectProgram, ReadProgram, "program", team, NullIfEmpty(program));
  });
}

absl::StatusOr<ProgramSettings> PgProgramStore::UpdateProgram(
    absl::string_view team_id, absl::string_view program_id,
    const affonso::v1::ProgramSettingsUpdate& update) {
  const std::string team(team_id), program(program_id);
  const std::string patch = ProgramPatchJson(update);
  return pool_->Autocommit("update_program", [&](Tx& tx) -> absl::StatusOr<ProgramSettings> {
    return QueryOne(tx, kUpdateProgram, ReadProgram, "program", team, NullIfEmpty(program), patch);
  });
}

absl::StatusOr<FraudRules> PgProgramStore::GetFraudRules(absl::string_view team_id,
                                                         absl::string_view program_id) {
  const std::string team(team_id), program(program_id);
  return pool_->Autocommit("get_fraud_rules", [&](Tx& tx) -> absl::StatusOr<FraudRules> {
    pqxx::result rows = tx.Exec(kGetOrCreateFraudRules, team, NullIfEmpty(program));
    if (rows.empty()) rows = tx.Exec(kSelectFraudRules, team, NullIfEmpty(program));
    if (rows.empty()) return NotFoundError("program");
    return ReadFraudRules(rows[0]);
  });
}

absl::StatusOr<FraudRules> PgProgramStore::UpdateFraudRules(
    absl::string_view team_id, absl::string_view program_id,
    const affonso::v1::FraudRulesUpdate& update) {
  const std::string team(team_id), program(program_id);
  std::string click_params, utm_mediums, allowed_domains;
  if (update.has_paid_traffic_config()) {
    click_params = JsonTextArray(update.paid_traffic_config().click_params());
    utm_mediums = JsonTextArray(update.paid_traffic_config().utm_mediums());
  }
  if (update.has_allowed_email_domains()) {
    allowed_domains = JsonArray(StringsOnly(update.allowed_email_domains()));
  }
  auto mode = [](bool present, affonso::v1::FraudMode value) -> const char* {
    return present ? FraudModeToDb(value) : nullptr;
  };
  const bool has_banned = update.has_banned_referral_config();
  const bool has_blocked = update.has_blocked_country_config();
  const std::string banned = ConfigList(update.banned_referral_config(), "domains");
  const std::string blocked = ConfigList(update.blocked_country_config(), "countries");
  return pool_->InTransaction("update_fraud_rules", [&](Tx& tx) -> absl::StatusOr<FraudRules> {
    AFFONSO_ASSIGN_OR_RETURN(const std::string resolved, ResolveProgram(tx, team, program));
    tx.Exec(kEnsureFraudRules, resolved);
    pqxx::result rows =
        tx.Exec(kUpdateFraudRules, resolved,
                mode(update.has_self_referral_mode(), update.self_referral_mode()),
                mode(update.has_suspicious_email_mode(), update.suspicious_email_mode()),
                mode(update.has_paid_traffic_mode(), update.paid_traffic_mode()),
                NullIfEmpty(click_params), NullIfEmpty(utm_mediums), NullIfEmpty(allowed_domains),
                mode(update.has_cross_program_ban_mode(), update.cross_program_ban_mode()),
                mode(update.has_duplicate_payout_mode(), update.duplicate_payout_mode()),
                mode(update.has_banned_referral_mode(), update.banned_referral_mode()),
                mode(update.has_blocked_country_mode(), update.blocked_country_mode()), has_banned,
                NullIfEmpty(banned), has_blocked, NullIfEmpty(blocked));
    if (rows.empty()) return NotFoundError("program");
    return ReadFraudRules(rows[0]);
  });
}

absl::StatusOr<TrackingSettings> PgProgramStore::GetTrackingSettings(absl::string_view team_id,
                                                                     absl::string_view program_id) {
  const std::string team(team_id), program(program_id);
  return pool_->Autocommit("get_tracking", [&](Tx& tx) -> absl::StatusOr<TrackingSettings> {
    pqxx::result rows = tx.Exec(kGetOrCreateTracking, team, NullIfEmpty(program));
    if (rows.empty()) rows = tx.Exec(kSelectTracking, team, NullIfEmpty(program));
    if (rows.empty()) return NotFoundError("program");
    return ReadTracking(rows[0]);
  });
}

absl::StatusOr<TrackingSettings> PgProgramStore::UpdateTrackingSettings(
    absl::string_view team_id, absl::string_view program_id,
    const affonso::v1::TrackingSettingsUpdate& update) {
  const std::string team(team_id), program(program_id);
  auto flag = [](bool present, bool value) -> const char* {
    return present ? (value ? "true" : "false") : nullptr;
  };
  const std::string enabled = update.has_enabled_referral_parameters()
                                  ? JsonArray(StringsOnly(update.enabled_referral_parameters()))
                                  : "";
  const bool has_template = update.has_tracking_template();
  std::string tmpl;  // "" (NULL) for a null template
  if (has_template &&
      update.tracking_template().kind_case() == google::protobuf::Value::kListValue) {
    tmpl = JsonArray(update.tracking_template().list_value());
  }
  return pool_->InTransaction("update_tracking", [&](Tx& tx) -> absl::StatusOr<TrackingSettings> {
    AFFONSO_ASSIGN_OR_RETURN(const std::string resolved, ResolveProgram(tx, team, program));
    tx.Exec(kEnsureTracking, resolved);
    pqxx::result rows = tx.Exec(
        kUpdateTracking, resolved,
        flag(update.has_email_tracking_enabled(), update.email_tracking_enabled()),
        flag(update.has_name_tracking_enabled(), update.name_tracking_enabled()),
        update.has_default_referral_parameter() ? update.default_referral_parameter().c_str()
                                                : nullptr,
        NullIfEmpty(enabled), flag(update.has_postbacks_enabled(), update.postbacks_enabled()),
        flag(update.has_append_affonso_id_enabled(), update.append_affonso_id_enabled()),
        flag(update.has_tracking_template_enabled(), update.tracking_template_enabled()),
        has_template, NullIfEmpty(tmpl));
    if (rows.empty()) return NotFoundError("program");
    return ReadTracking(rows[0]);
  });
}

absl::StatusOr<affonso::v1::PixelSettings> PgProgramStore::GetPixelSettings(
    absl::string_view team_id, absl::string_view program_id) {
  const std::string team(team_id), program(program_id);
  return pool_->Autocommit("get_pixel", [&](Tx& tx) -> absl::StatusOr<affonso::v1::PixelSettings> {
    return QueryOne(tx, kSelectPixel, ReadPixel, "program", team, NullIfEmpty(program),
                    kDefaultClickDedupWindowSeconds);
  });
}

absl::StatusOr<affonso::v1::PixelSettings> PgProgramStore::UpdatePixelSettings(
    absl::string_view team_id, absl::string_view program_id,
    const affonso::v1::PixelSettingsUpdate& update) {
  const std::string team(team_id), program(program_id);
  const std::string domains =
      update.has_allowed_domains() ? JsonArray(StringsOnly(update.allowed_domains())) : "";
  const std::string window = update.has_click_dedup_window_seconds()
                                 ? std::to_string(update.click_dedup_window_seconds())
                                 : "";
  const char* browser_external_user_id =
      update.has_browser_external_user_id() ? (update.browser_external_user_id() ? "true" : "false")
                                            : nullptr;
  return pool_->Autocommit(
      "update_pixel", [&](Tx& tx) -> absl::StatusOr<affonso::v1::PixelSettings> {
        return QueryOne(tx, kUpsertPixel, ReadPixel, "program", team, NullIfEmpty(program),
                        NullIfEmpty(domains), NullIfEmpty(window), kDefaultClickDedupWindowSeconds,
                        browser_external_user_id);
      });
}

absl::StatusOr<ListGroupsResponse> PgProgramStore::ListGroups(absl::string_view team_id,
                                                              absl::string_view program_id) {
  const std::string team(team_id), program(program_id);
  return pool_->Autocommit("list_groups", [&](Tx& tx) -> absl::StatusOr<ListGroupsResponse> {
    pqxx::result rows =
        tx.Exec(kSelectGroups, team, NullIfEmpty(program), static_cast<const char*>(nullptr));
    if (rows.empty()) return NotFoundError("program");
    return ReadGroups(rows);
  });
}

absl::StatusOr<Group> PgProgramStore::CreateGroup(absl::string_view team_id,
                                                  absl::string_view program_id,
                                                  const affonso::v1::GroupInput& input) {
  const std::string team(team_id), program(program_id);
  const std::string id = NewId("grp");
  const char* url =
      input.has_custom_website_url() ? NullIfEmpty(input.custom_website_url()) : nullptr;
  return pool_->InTransaction("create_group", [&](Tx& tx) -> absl::StatusOr<Group> {
    // The program lock makes the cap and the default move race-free.
    AFFONSO_ASSIGN_OR_RETURN(const std::string resolved, LockProgram(tx, team, program));
    if (tx.Exec(kCountGroups, resolved)[0]["groups"].as<int>() >= kMaxGroupsPerProgram) {
      return ValidationError(
          "name", absl::StrCat("a program has at most ", kMaxGroupsPerProgram, " groups"));
    }
    if (input.is_default()) tx.Exec(kClearDefaultGroup, resolved);
    pqxx::result rows = tx.Exec(kInsertGroup, team, resolved, id, input.name(), input.description(),
                                url, input.is_default());
    if (rows.empty()) return NotFoundError("program");
    return ReadGroup(rows[0]);
  });
}

absl::StatusOr<Group> PgProgramStore::GetGroup(absl::string_view team_id,
                                               absl::string_view program_id,
                                               absl::string_view group_id) {
  const std::string team(team_id), program(program_id), group(group_id);
  return pool_->Autocommit("get_group", [&](Tx& tx) -> absl::StatusOr<Group> {
    pqxx::result rows = tx.Exec(kSelectGroups, team, NullIfEmpty(program), group);
    if (rows.empty()) return NotFoundError("program");
    AFFONSO_ASSIGN_OR_RETURN(ListGroupsResponse groups, ReadGroups(rows));
    if (groups.data().empty()) return NotFoundError("group");
    return std::move(*groups.mutable_data(0));
  });
}

absl::StatusOr<Group> PgProgramStore::UpdateGroup(absl::string_view team_id,
                                                  absl::string_view program_id,
                                                  absl::string_view group_id,
                                                  const affonso::v1::GroupUpdate& update) {
  const std::string team(team_id), program(program_id), group(group_id);
  return pool_->InTransaction("update_group", [&](Tx& tx) -> absl::StatusOr<Group> {
    absl::StatusOr<std::string> resolved = LockProgram(tx, team, program);
    if (!resolved.ok()) return resolved.status();
    pqxx::result locked = tx.Exec(kLockGroup, group, *resolved);
    if (locked.empty()) return NotFoundError("group");
    const bool is_default = locked[0]["is_default"].as<bool>();
    if (update.has_is_default()) {
      if (!update.is_default() && is_default) {
        return ValidationError("is_default",
                               "a program always has a default group: make another group "
                               "the default instead");
      }
      if (update.is_default() && !is_default) {
        tx.Exec(kClearDefaultGroup, *resolved);
        tx.Exec(kSetDefaultGroup, group, *resolved);
      }
    }
    if (update.has_name() || update.has_description() || update.has_custom_website_url()) {
      tx.Exec(kUpdateGroupText, group, *resolved,
              update.has_name() ? update.name().c_str() : nullptr,
              update.has_description() ? update.description().c_str() : nullptr,
              update.has_custom_website_url(),
              update.has_custom_website_url() ? NullIfEmpty(update.custom_website_url()) : nullptr);
    }
    return SelectGroup(tx, team, *resolved, group);
  });
}

absl::Status PgProgramStore::DeleteGroup(absl::string_view team_id, absl::string_view program_id,
                                         absl::string_view group_id) {
  const std::string team(team_id), program(program_id), group(group_id);
  return pool_->InTransaction("delete_group", [&](Tx& tx) -> absl::Status {
    absl::StatusOr<std::string> resolved = LockProgram(tx, team, program);
    if (!resolved.ok()) return resolved.status();
    pqxx::result locked = tx.Exec(kLockGroup, group, *resolved);
    if (locked.empty()) return NotFoundError("group");
    if (locked[0]["is_default"].as<bool>()) {
      return ValidationError("id", "the default group cannot be deleted");
    }
    tx.Exec(kUngroupAffiliates, group, *resolved);
    tx.Exec(kDeleteGroup, group, *resolved);
    return absl::OkStatus();
  });
}

absl::StatusOr<Incentive> PgProgramStore::CreateIncentive(
    absl::string_view team_id, absl::string_view program_id, absl::string_view group_id,
    const affonso::v1::IncentiveInput& input) {
  const std::string team(team_id), program(program_id), group(group_id);
  const std::string id = NewId("inc");
  const std::string amount = absl::StrFormat("%.2f", input.amount());
  const int hold_period_days = input.has_hold_period_days() ? input.hold_period_days() : 30;
  const std::string currency = input.currency().empty() ? "USD" : input.currency();
  const std::string apply_to = input.apply_to().empty() ? "all_products" : input.apply_to();
  const std::string approval_type = input.approval_type().empty() ? "auto" : input.approval_type();
  const std::string length =
      input.incentive_length().empty() ? "lifetime" : input.incentive_length();
  const std::string length_value =
      input.has_length_value() ? std::to_string(input.length_value()) : "";
  const std::string product_ids = JsonTextArray(input.product_ids());
  const std::string variable_config =
      input.has_variable_config() ? ValueToJson(input.variable_config()) : "";
  return pool_->InTransaction("create_incentive", [&](Tx& tx) -> absl::StatusOr<Incentive> {
    AFFONSO_ASSIGN_OR_RETURN(const std::string resolved, ResolveProgram(tx, team, program));
    // The group lock makes the cap race-free.
    if (tx.Exec(kLockGroup, group, resolved).empty()) return NotFoundError("group");
    if (tx.Exec(kCountIncentives, group, resolved)[0]["incentives"].as<int>() >=
        kMaxIncentivesPerGroup) {
      return ValidationError(
          "name", absl::StrCat("a group has at most ", kMaxIncentivesPerGroup, " incentives"));
    }
    pqxx::result rows = tx.Exec(kInsertIncentive, team, resolved, group, id, input.name(),
                                IncentiveTypeToDb(input.type()), amount, input.is_percentage(),
                                currency, hold_period_days, apply_to, product_ids, approval_type,
                                length, NullIfEmpty(length_value), input.variable_commission(),
                                NullIfEmpty(variable_config));
    if (rows.empty()) return NotFoundError("group");
    return ReadIncentive(rows[0]);
  });
}

absl::Status PgProgramStore::DeleteIncentive(absl::string_view team_id,
                                             absl::string_view program_id,
                                             absl::string_view group_id,
                                             absl::string_view incentive_id) {
  const std::string team(team_id), program(program_id), group(group_id), incentive(incentive_id);
  return pool_->Autocommit("delete_incentive", [&](Tx& tx) -> absl::Status {
    pqxx::result deleted = tx.Exec(kDeleteIncentive, team, NullIfEmpty(program), group, incentive);
    if (deleted.affected_rows() == 0) return ProgramThenMissing(tx, team, program, "incentive");
    return absl::OkStatus();
  });
}

}  // namespace affonso::storage

#include "storage/pg_affiliate_store.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "storage/affiliate_event_sql.h"
#include "storage/conversion_sql.h"
#include "storage/incentive_names.h"
#include "storage/incentive_rows.h"
#include "storage/pg_values.h"
#include "storage/query_one.h"

namespace affonso::storage {
namespace {

using affonso::v1::Affiliate;

// The list filters; a NULL parameter disables its filter. $1 team,
// $2 partnership status, $3 program, $4 group, $5 ContainsPattern(search),
// $6 created at or after, $7 created before (epoch microseconds).
#define AFFONSO_AFFILIATE_LIST_FILTER \
  "WHERE a.team_id = $1 AND a.deleted_at IS NULL "                                       \
  "AND ($2::text IS NULL OR a.partnership_status = $2::text) "                           \
  "AND ($3::text IS NULL OR a.program_id = $3::text) "                                   \
  "AND ($4::text IS NULL OR " AFFONSO_AFFILIATE_EFFECTIVE_GROUP                          \
  " = $4::text) "                                                                        \
  "AND ($5::text IS NULL OR a.name ILIKE $5::text ESCAPE '\\' "                          \
  "  OR a.email ILIKE $5::text ESCAPE '\\') "                                            \
  "AND ($6::bigint IS NULL OR a.created_at >= " AFFONSO_SQL_FROM_MICROS("$6::bigint") ") " \
  "AND ($7::bigint IS NULL OR a.created_at < " AFFONSO_SQL_FROM_MICROS("$7::bigint") ") "

// The program and the group are checked inside the INSERT, team-scoped, so an
// affiliate can only ever attach to the caller's own program and its groups.
// affiliate.created ($16 its event id), and affiliate.confirmed ($17) for an
// affiliate created approved, go to the outbox in the same statement: a
// create that fails (a taken tracking id) writes neither.
// $1 id, $2 team, $3 program, $4 group (NULL = default), $5 name, $6 email,
// $7 tracking id, $8 partnership status, $9 external user id, $10 metadata,
// $11 onboarding completed, $12 company name, $13 country code, $14 payout
// method, $15 payout details (NULLs for the last four when not given).
constexpr Statement kInsertAffiliate{
    "affiliate_insert",
    "WITH ins AS ( "
    "INSERT INTO affiliates AS a (id, team_id, program_id, group_id, name, email, "
    "  tracking_id, partnership_status, external_user_id, metadata, source, "
    "  onboarding_completed, company_name, country_code, payout_method, payout_details) "
    "SELECT $1, p.team_id, p.id, $4::text, $5, $6, $7, $8, $9, $10::jsonb, 'api', "
    "  $11::boolean, $12::text, $13::text, $14::text, $15::jsonb "
    "FROM programs p "
    "WHERE p.id = $3 AND p.team_id = $2 "
    "  AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM affiliate_groups g "
    "    WHERE g.id = $4::text AND g.program_id = p.id)) "
    "RETURNING " AFFONSO_AFFILIATE_COLUMNS ", " AFFONSO_AFFILIATE_EVENT_COLUMNS "), "
    "ev AS ( "
    "  INSERT INTO outbox_events (id, team_id, type, payload) "
    "  SELECT e.id, ins.owner_team, e.type, " AFFONSO_AFFILIATE_EVENT_PAYLOAD("e.id", "e.type",
                                                                            "ins") " "
    "  FROM ins CROSS JOIN LATERAL (VALUES ($16::text, 'affiliate.created'), "
    "    (CASE WHEN ins.partnership_status = 'approved' THEN $17::text END, "
    "     'affiliate.confirmed')) AS e(id, type) "
    "  WHERE e.id IS NOT NULL RETURNING id) "
    "SELECT * FROM ins"};

// $1 program, $2 team.
constexpr Statement kProgramExists{"affiliate_program_exists",
                                   "SELECT 1 FROM programs WHERE id = $1 AND team_id = $2"};

// FindOrCreateAffiliateByEmail's lock: one (team, program, lower(email)) at a
// time, until the transaction ends. Seed 24: apart from the other advisory
// locks' keys. $1 team, $2 program, $3 email.
constexpr Statement kLockEmail{
    "affiliate_lock_email",
    "SELECT pg_advisory_xact_lock(hashtextextended($1::text || '/' || $2::text || '/' || "
    "  lower($3::text), 24))"};

// $1 team, $2 program, $3 email: the oldest live affiliate with that email.
constexpr Statement kFindLiveByEmail{
    "affiliate_find_live_by_email",
    "SELECT id FROM affiliates WHERE team_id = $1 AND program_id = $2 "
    "  AND lower(email) = lower($3) AND deleted_at IS NULL "
    "ORDER BY created_at, id LIMIT 1"};

// $1 id, $2 team (also kAffiliateExists and kSoftDeleteAffiliate).
constexpr Statement kSelectAffiliate{"affiliate_select",
                                     "SELECT " AFFONSO_AFFILIATE_COLUMNS
                                     " FROM affiliates a "
                                     "WHERE a.id = $1 AND a.team_id = $2 AND a.deleted_at IS NULL"};

constexpr Statement kAffiliateExists{
    "affiliate_exists",
    "SELECT 1 FROM affiliates WHERE id = $1 AND team_id = $2 AND deleted_at IS NULL"};

// Partial update in one statement: a NULL parameter (or a false presence flag,
// for the columns where "" means "clear") keeps the column as it is. The row
// as it was (`o`, locked) decides the events, written in the same statement:
// affiliate.updated ($20) when any stored field changed (a no-op update
// writes none), affiliate.confirmed ($21) when the status becomes approved.
// A rejection revokes the affiliate's partner tokens.
// $1 id, $2 team, $3 name, $4 email, $5 tracking id, $6 partnership status,
// $7 group given?, $8 group, $9 external user id given?, $10 external user id,
// $11 metadata, $12 company name given?, $13 company name, $14 country code
// given?, $15 country code, $16 onboarding completed, $17 payout method
// given?, $18 payout method (NULL clears it and the details), $19 payout
// details.
constexpr Statement kUpdateAffiliate{
    "affiliate_update",
    "WITH o AS ( "
    "  SELECT * FROM affiliates WHERE id = $1 AND team_id = $2 AND deleted_at IS NULL "
    "  FOR UPDATE), "
    "upd AS ( "
    "UPDATE affiliates AS a SET "
    "  name = COALESCE($3::text, a.name), "
    "  email = COALESCE($4::text, a.email), "
    "  tracking_id = COALESCE($5::text, a.tracking_id), "
    "  partnership_status = COALESCE($6::text, a.partnership_status), "
    "  group_id = CASE WHEN $7::boolean THEN $8::text ELSE a.group_id END, "
    "  external_user_id = CASE WHEN $9::boolean THEN $10::text ELSE a.external_user_id END, "
    "  metadata = COALESCE($11::jsonb, a.metadata), "
    "  company_name = CASE WHEN $12::boolean THEN $13::text ELSE a.company_name END, "
    "  country_code = CASE WHEN $14::boolean THEN $15::text ELSE a.country_code END, "
    "  onboarding_completed = COALESCE($16::boolean, a.onboarding_completed), "
    "  payout_method = CASE WHEN $17::boolean THEN $18::text ELSE a.payout_method END, "
    "  payout_details = CASE WHEN $17::boolean AND $18::text IS NULL THEN NULL "
    "    ELSE COALESCE($19::jsonb, a.payout_details) END, "
    "  updated_at = now() "
    "FROM o "
    "WHERE a.id = o.id AND a.team_id = o.team_id "
    "  AND ($8::text IS NULL OR EXISTS (SELECT 1 FROM affiliate_groups g "
    "    WHERE g.id = $8::text AND g.program_id = a.program_id)) "
    "RETURNING " AFFONSO_AFFILIATE_COLUMNS ", " AFFONSO_AFFILIATE_EVENT_COLUMNS ", "
    "  (o.name, o.email, o.tracking_id, o.partnership_status, o.group_id, o.external_user_id, "
    "   o.metadata, o.company_name, o.country_code, o.onboarding_completed, o.payout_method, "
    "   o.payout_details) IS DISTINCT FROM "
    "  (a.name, a.email, a.tracking_id, a.partnership_status, a.group_id, a.external_user_id, "
    "   a.metadata, a.company_name, a.country_code, a.onboarding_completed, a.payout_method, "
    "   a.payout_details) AS changed, "
    "  (o.partnership_status <> 'approved' AND a.partnership_status = 'approved') "
    "    AS confirmed_now), "
    "ev AS ( "
    "  INSERT INTO outbox_events (id, team_id, type, payload) "
    "  SELECT e.id, upd.owner_team, e.type, " AFFONSO_AFFILIATE_EVENT_PAYLOAD("e.id", "e.type",
                                                                            "upd") " "
    "  FROM upd CROSS JOIN LATERAL (VALUES "
    "    (CASE WHEN upd.changed THEN $20::text END, 'affiliate.updated'), "
    "    (CASE WHEN upd.confirmed_now THEN $21::text END, 'affiliate.confirmed')) AS e(id, type) "
    "  WHERE e.id IS NOT NULL RETURNING id), "
    "rev AS ( "
    "  UPDATE partner_tokens t SET revoked_at = now(), revoked_reason = 'affiliate_rejected' "
    "  FROM upd WHERE upd.partnership_status = 'rejected' AND t.team_id = upd.owner_team "
    "    AND t.affiliate_id = upd.id AND t.revoked_at IS NULL RETURNING t.id) "
    "SELECT * FROM upd"};

// Soft delete: the affiliate's clicks and referrals keep referencing the row
// (their history must survive), while the partial unique index on
// (program_id, tracking_id) ignores deleted rows, so the tracking id can be
// given to a new affiliate. affiliate.deleted ($3 its event id, the
// affiliate as it was) and the revocation of its partner tokens go in the
// same statement.
constexpr Statement kSoftDeleteAffiliate{
    "affiliate_soft_delete",
    "WITH del AS ( "
    "  UPDATE affiliates AS a SET deleted_at = now(), updated_at = now() "
    "  WHERE a.id = $1 AND a.team_id = $2 AND a.deleted_at IS NULL "
    "  RETURNING " AFFONSO_AFFILIATE_COLUMNS ", " AFFONSO_AFFILIATE_EVENT_COLUMNS "), "
    "ev AS ( "
    "  INSERT INTO outbox_events (id, team_id, type, payload) "
    "  SELECT $3::text, del.owner_team, 'affiliate.deleted', " AFFONSO_AFFILIATE_EVENT_PAYLOAD(
        "$3::text", "'affiliate.deleted'", "del") " FROM del RETURNING id), "
    "rev AS ( "
    "  UPDATE partner_tokens t SET revoked_at = now(), revoked_reason = 'affiliate_deleted' "
    "  FROM del WHERE t.team_id = del.owner_team AND t.affiliate_id = del.id "
    "    AND t.revoked_at IS NULL RETURNING t.id) "
    "SELECT id FROM del"};

// A deleted affiliate's coupons go with it, in the same transaction: their
// codes become free for reuse in the program (as its tracking id does), and a
// sale carrying one is no longer attributed to anybody (docs/MONEY.md
// "Coupons"). $1 affiliate, $2 team.
constexpr Statement kDeleteAffiliateCoupons{
    "affiliate_delete_coupons", "DELETE FROM coupons WHERE affiliate_id = $1 AND team_id = $2"};

// The total rides along with the page (one round trip); only a page past the
// end, which has no row to carry it, needs kCountAffiliates. $1-$7 as in
// AFFONSO_AFFILIATE_LIST_FILTER, $8 limit, $9 offset. One statement per sort
// order (ORDER BY cannot be a parameter), ties broken by id.
#define AFFONSO_AFFILIATE_LIST(name, order)                                              \
  Statement {                                                                            \
    name, "SELECT " AFFONSO_AFFILIATE_COLUMNS                                            \
          ", count(*) OVER () AS total FROM affiliates a " AFFONSO_AFFILIATE_LIST_FILTER \
          "ORDER BY " order " LIMIT $8::int OFFSET $9::bigint"                           \
  }
constexpr Statement kListAffiliatesNewest =
    AFFONSO_AFFILIATE_LIST("affiliate_list", "a.created_at DESC, a.id DESC");
constexpr Statement kListAffiliatesOldest =
    AFFONSO_AFFILIATE_LIST("affiliate_list_oldest", "a.created_at, a.id");
constexpr Statement kListAffiliatesNameAsc =
    AFFONSO_AFFILIATE_LIST("affiliate_list_name", "lower(a.name), a.id");
constexpr Statement kListAffiliatesNameDesc =
    AFFONSO_AFFILIATE_LIST("affiliate_list_name_desc", "lower(a.name) DESC, a.id DESC");
constexpr Statement kListAffiliatesEmailAsc =
    AFFONSO_AFFILIATE_LIST("affiliate_list_email", "lower(a.email), a.id");
constexpr Statement kListAffiliatesEmailDesc =
    AFFONSO_AFFILIATE_LIST("affiliate_list_email_desc", "lower(a.email) DESC, a.id DESC");
#undef AFFONSO_AFFILIATE_LIST

constexpr Statement kCountAffiliates{
    "affiliate_count", "SELECT count(*) AS total FROM affiliates a " AFFONSO_AFFILIATE_LIST_FILTER};

// The select list of an override read, under the names ReadCommissionOverride
// reads; `o` is the override, `i` its incentive (name and type are read live).
#define AFFONSO_OVERRIDE_COLUMNS                                               \
  "o.id, o.incentive_id, i.name AS incentive_name, i.type AS incentive_type, " \
  "o.amount::text AS amount, o.is_percentage, " AFFONSO_SQL_MICROS(            \
      "o.created_at") " AS created_at, " AFFONSO_INCENTIVE_TERM_COLUMNS("i")

// Inserts only when the affiliate is live and the team's and the incentive is
// one of its program's; a lead incentive cannot be paid as a percentage. The
// incentive's name and type come back with the row. $1 id, $2 team,
// $3 affiliate, $4 incentive, $5 amount, $6 is_percentage.
constexpr Statement kInsertOverride{
    "commission_override_insert",
    "WITH o AS ("
    "  INSERT INTO commission_overrides (id, team_id, affiliate_id, incentive_id, amount, "
    "    is_percentage) "
    "  SELECT $1, a.team_id, a.id, inc.id, $5::numeric, $6::boolean "
    "  FROM affiliates a JOIN incentives inc "
    "    ON inc.id = $4 AND inc.team_id = a.team_id AND inc.program_id = a.program_id "
    "  WHERE a.id = $3 AND a.team_id = $2 AND a.deleted_at IS NULL "
    "    AND NOT ($6::boolean AND inc.type = 'lead') "
    "  RETURNING *) "
    "SELECT " AFFONSO_OVERRIDE_COLUMNS " FROM o JOIN incentives i ON i.id = o.incentive_id"};

// Why kInsertOverride inserted nothing: no row = no such affiliate; a NULL
// type = no such incentive in its program. $1 affiliate, $2 team, $3 incentive.
constexpr Statement kDiagnoseOverride{
    "commission_override_diagnose",
    "SELECT inc.type AS incentive_type FROM affiliates a LEFT JOIN incentives inc "
    "  ON inc.id = $3 AND inc.team_id = a.team_id AND inc.program_id = a.program_id "
    "WHERE a.id = $1 AND a.team_id = $2 AND a.deleted_at IS NULL"};

// Serialises override creation per affiliate, so that the cap holds however
// calls race (NO KEY UPDATE does not block the overrides' foreign key
// checks). $1 affiliate, $2 team.
constexpr Statement kLockAffiliateForOverride{
    "commission_override_lock_affiliate",
    "SELECT 1 FROM affiliates WHERE id = $1 AND team_id = $2 AND deleted_at IS NULL "
    "FOR NO KEY UPDATE"};

// In a statement of its own after the lock, so that it sees overrides a
// transaction we waited for committed. $1 affiliate.
constexpr Statement kCountOverrides{
    "commission_override_count",
    "SELECT count(*)::int AS overrides FROM commission_overrides WHERE affiliate_id = $1"};

// $1 override, $2 team, $3 affiliate.
constexpr Statement kDeleteOverride{"commission_override_delete",
                                    "DELETE FROM commission_overrides o USING affiliates a "
                                    "WHERE o.id = $1 AND o.team_id = $2 AND o.affiliate_id = $3 "
                                    "  AND a.id = o.affiliate_id AND a.deleted_at IS NULL"};

// $1 team, $2 a comma-separated list of affiliate ids (ours never hold a comma).
constexpr Statement kListOverrides{
    "commission_override_list",
    "SELECT o.affiliate_id, " AFFONSO_OVERRIDE_COLUMNS
    " "
    "FROM commission_overrides o JOIN incentives i ON i.id = o.incentive_id "
    "WHERE o.team_id = $1 AND o.affiliate_id = ANY (string_to_array($2, ',')) "
    "ORDER BY o.affiliate_id, o.created_at, o.id"};

#undef AFFONSO_OVERRIDE_COLUMNS
#undef AFFONSO_AFFILIATE_LIST_FILTER

constexpr int kTrackingIdLength = 8;
// 36^8 possible ids: a collision is already rare, several in a row mean
// something else is wrong.
constexpr int kTrackingIdAttempts = 5;

// A nullable text column into a proto3 optional: NULL leaves it unset.
template <typename Setter>
void ReadOptionalText(const pqxx::field& field, Setter set) {
  if (!field.is_null()) set(ReadText(field));
}

// Reads AFFONSO_AFFILIATE_COLUMNS. payout_method is filled whenever one is
// stored; the service keeps it only for expand=payoutMethod.
absl::StatusOr<Affiliate> ReadAffiliate(const pqxx::row& row) {
  Affiliate affiliate;
  affiliate.set_id(ReadText(row["id"]));
  ReadOptionalText(row["name"], [&](std::string v) { affiliate.set_name(std::move(v)); });
  ReadOptionalText(row["email"], [&](std::string v) { affiliate.set_email(std::move(v)); });
  ReadOptionalText(row["tracking_id"],
                   [&](std::string v) { affiliate.set_tracking_id(std::move(v)); });
  ReadOptionalText(row["source"], [&](std::string v) { affiliate.set_source(std::move(v)); });
  affiliate.set_partnership_status(PartnershipStatusFromDb(ReadText(row["partnership_status"])));
  affiliate.set_onboarding_completed(row["onboarding_completed"].as<bool>());
  ReadOptionalText(row["program_id"],
                   [&](std::string v) { affiliate.set_program_id(std::move(v)); });
  ReadOptionalText(row["group_id"], [&](std::string v) { affiliate.set_group_id(std::move(v)); });
  ReadOptionalText(row["external_user_id"],
                   [&](std::string v) { affiliate.set_external_user_id(std::move(v)); });
  absl::Status metadata = ReadStruct(row["metadata"], affiliate.mutable_metadata());
  if (!metadata.ok()) return metadata;
  ReadTimestamp(row["created_at"], affiliate.mutable_created_at());
  if (!row["payout_method"].is_null()) {
    affonso::v1::AffiliatePayoutMethod* payout = affiliate.mutable_payout_method();
    payout->set_type(ReadText(row["payout_method"]));
    absl::Status details = ReadStruct(row["payout_details"], payout->mutable_details());
    if (!details.ok()) return details;
  }
  return affiliate;
}

// Reads AFFONSO_OVERRIDE_COLUMNS.
absl::StatusOr<affonso::v1::CommissionOverride> ReadCommissionOverride(const pqxx::row& row) {
  affonso::v1::CommissionOverride commission_override;
  commission_override.set_id(ReadText(row["id"]));
  commission_override.set_incentive_id(ReadText(row["incentive_id"]));
  commission_override.set_incentive_name(ReadText(row["incentive_name"]));
  commission_override.set_incentive_type(IncentiveTypeFromDb(ReadText(row["incentive_type"])));
  commission_override.set_amount(ReadDecimal(row["amount"]));
  commission_override.set_is_percentage(row["is_percentage"].as<bool>());
  ReadTimestamp(row["created_at"], commission_override.mutable_created_at());
  absl::Status terms = ReadIncentiveTerms(row, &commission_override);
  if (!terms.ok()) return terms;
  return commission_override;
}

// The list statement of a sort order.
const Statement& ListStatement(AffiliateSort sort) {
  switch (sort) {
    case AffiliateSort::kOldest:
      return kListAffiliatesOldest;
    case AffiliateSort::kNameAsc:
      return kListAffiliatesNameAsc;
    case AffiliateSort::kNameDesc:
      return kListAffiliatesNameDesc;
    case AffiliateSort::kEmailAsc:
      return kListAffiliatesEmailAsc;
    case AffiliateSort::kEmailDesc:
      return kListAffiliatesEmailDesc;
    default:
      return kListAffiliatesNewest;
  }
}

absl::Status TrackingIdTaken() {
  return DuplicateError("tracking_id", "tracking_id is already used in this program");
}

const char* OptionalText(bool present, const std::string& value) {
  return present ? value.c_str() : nullptr;
}

// kInsertAffiliate in `tx`: the create of CreateAffiliate and of
// FindOrCreateAffiliateByEmail. `metadata` and `payout_details` are the
// request's, as JSON ("" = none).
absl::StatusOr<Affiliate> InsertAffiliateRow(Tx& tx, const std::string& id,
                                             const std::string& team_id,
                                             const affonso::v1::CreateAffiliateRequest& request,
                                             const std::string& tracking_id,
                                             const std::string& metadata,
                                             const std::string& payout_details) {
  pqxx::result rows = tx.Exec(
      kInsertAffiliate, id, team_id, request.program_id(), NullIfEmpty(request.group_id()),
      request.name(), request.email(), tracking_id,
      PartnershipStatusToDb(request.partnership_status()), NullIfEmpty(request.external_user_id()),
      metadata, request.onboarding_completed(), NullIfEmpty(request.company_name()),
      NullIfEmpty(request.country_code()), NullIfEmpty(request.payout_method()),
      NullIfEmpty(payout_details), NewId("evt"), NewId("evt"));
  if (rows.empty()) {
    if (tx.Exec(kProgramExists, request.program_id(), team_id).empty()) {
      return NotFoundError("program");
    }
    return NotFoundError("group");
  }
  return ReadAffiliate(rows[0]);
}

}  // namespace

const char* PartnershipStatusToDb(affonso::v1::PartnershipStatus status) {
  switch (status) {
    case affonso::v1::PARTNERSHIP_STATUS_APPROVED:
      return "approved";
    case affonso::v1::PARTNERSHIP_STATUS_REJECTED:
      return "rejected";
    default:
      return "pending";
  }
}

affonso::v1::PartnershipStatus PartnershipStatusFromDb(absl::string_view text) {
  if (text == "pending") return affonso::v1::PARTNERSHIP_STATUS_PENDING;
  if (text == "approved") return affonso::v1::PARTNERSHIP_STATUS_APPROVED;
  if (text == "rejected") return affonso::v1::PARTNERSHIP_STATUS_REJECTED;
  return affonso::v1::PARTNERSHIP_STATUS_UNSPECIFIED;
}

std::string ContainsPattern(absl::string_view search) {
  std::string pattern = "%";
  for (char c : search) {
    if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
    pattern.push_back(c);
  }
  pattern.push_back('%');
  return pattern;
}

absl::StatusOr<Affiliate> PgAffiliateStore::CreateAffiliate(
    absl::string_view team_id, const affonso::v1::CreateAffiliateRequest& request) {
  const std::string team(team_id);
  if (!request.tracking_id().empty()) {
    auto created = InsertAffiliate(team, request, request.tracking_id());
    if (created.status().code() == absl::StatusCode::kAlreadyExists) return TrackingIdTaken();
    return created;
  }
  for (int attempt = 1;; ++attempt) {
    auto created =
        InsertAffiliate(team, request, absl::AsciiStrToLower(RandomBase62(kTrackingIdLength)));
    if (created.status().code() != absl::StatusCode::kAlreadyExists) return created;
    if (attempt >= kTrackingIdAttempts) {
      AFFONSO_LOG(kWarning, "create_affiliate: no free tracking id after ", attempt,
                  " attempts in program ", request.program_id());
      return absl::InternalError("internal error");
    }
  }
}

absl::StatusOr<Affiliate> PgAffiliateStore::InsertAffiliate(
    const std::string& team_id, const affonso::v1::CreateAffiliateRequest& request,
    const std::string& tracking_id) {
  const std::string id = NewId("aff");
  const std::string metadata = StructToJson(request.metadata());
  const std::string payout_details =
      request.has_payout_details() ? StructToJson(request.payout_details()) : "";
  return pool_->Autocommit("create_affiliate", [&](Tx& tx) -> absl::StatusOr<Affiliate> {
    return InsertAffiliateRow(tx, id, team_id, request, tracking_id, metadata, payout_details);
  });
}

absl::StatusOr<AffiliateStore::FoundOrCreated> PgAffiliateStore::FindOrCreateAffiliateByEmail(
    absl::string_view team_id, const affonso::v1::CreateAffiliateRequest& request) {
  const std::string team(team_id);
  const std::string metadata = StructToJson(request.metadata());
  const std::string payout_details =
      request.has_payout_details() ? StructToJson(request.payout_details()) : "";
  // A taken tracking id (generated, so unlikely) rolls the whole attempt back.
  for (int attempt = 1;; ++attempt) {
    const std::string id = NewId("aff");
    const std::string tracking_id = request.tracking_id().empty()
                                        ? absl::AsciiStrToLower(RandomBase62(kTrackingIdLength))
                                        : request.tracking_id();
    auto found = pool_->InTransaction(
        "find_or_create_affiliate", [&](Tx& tx) -> absl::StatusOr<FoundOrCreated> {
          tx.Exec(kLockEmail, team, request.program_id(), request.email());
          if (tx.Exec(kProgramExists, request.program_id(), team).empty()) {
            return NotFoundError("program");
          }
          const pqxx::result rows =
              tx.Exec(kFindLiveByEmail, team, request.program_id(), request.email());
          if (!rows.empty()) return FoundOrCreated{ReadText(rows[0]["id"]), false};
          AFFONSO_ASSIGN_OR_RETURN(
              Affiliate created,
              InsertAffiliateRow(tx, id, team, request, tracking_id, metadata, payout_details));
          return FoundOrCreated{created.id(), true};
        });
    if (found.status().code() != absl::StatusCode::kAlreadyExists) return found;
    if (!request.tracking_id().empty()) return TrackingIdTaken();
    if (attempt >= kTrackingIdAttempts) {
      AFFONSO_LOG(kWarning, "find_or_create_affiliate: no free tracking id after ", attempt,
                  " attempts in program ", request.program_id());
      return absl::InternalError("internal error");
    }
  }
}

absl::StatusOr<Affiliate> PgAffiliateStore::GetAffiliate(absl::string_view team_id,
                                                         absl::string_view id) {
  return pool_->Autocommit("get_affiliate", [&](Tx& tx) {
    return QueryOne(tx, kSelectAffiliate, ReadAffiliate, "affiliate", id, team_id);
  });
}

absl::StatusOr<Affiliate> PgAffiliateStore::UpdateAffiliate(
    absl::string_view team_id, const affonso::v1::UpdateAffiliateRequest& request) {
  const std::string team(team_id);
  const char* status = request.has_partnership_status()
                           ? PartnershipStatusToDb(request.partnership_status())
                           : nullptr;
  // "" clears these two: no group = the program's default group.
  const char* group_id = request.has_group_id() ? NullIfEmpty(request.group_id()) : nullptr;
  const char* external_user_id =
      request.has_external_user_id() ? NullIfEmpty(request.external_user_id()) : nullptr;
  const std::string metadata = request.has_metadata() ? StructToJson(request.metadata()) : "";
  const char* company_name =
      request.has_company_name() ? NullIfEmpty(request.company_name()) : nullptr;
  const char* country_code =
      request.has_country_code() ? NullIfEmpty(request.country_code()) : nullptr;
  const char* onboarding_completed = request.has_onboarding_completed()
                                         ? (request.onboarding_completed() ? "true" : "false")
                                         : nullptr;
  const char* payout_method =
      request.has_payout_method() ? NullIfEmpty(request.payout_method()) : nullptr;
  const std::string payout_details =
      request.has_payout_details() ? StructToJson(request.payout_details()) : "";
  auto updated = pool_->Autocommit("update_affiliate", [&](Tx& tx) -> absl::StatusOr<Affiliate> {
    pqxx::result rows = tx.Exec(
        kUpdateAffiliate, request.id(), team, OptionalText(request.has_name(), request.name()),
        OptionalText(request.has_email(), request.email()),
        OptionalText(request.has_tracking_id(), request.tracking_id()), status,
        request.has_group_id(), group_id, request.has_external_user_id(), external_user_id,
        OptionalText(request.has_metadata(), metadata), request.has_company_name(), company_name,
        request.has_country_code(), country_code, onboarding_completed, request.has_payout_method(),
        payout_method, OptionalText(request.has_payout_details(), payout_details), NewId("evt"),
        NewId("evt"));
    if (rows.empty()) {
      if (tx.Exec(kAffiliateExists, request.id(), team).empty()) {
        return NotFoundError("affiliate");
      }
      return NotFoundError("group");
    }
    return ReadAffiliate(rows[0]);
  });
  if (updated.status().code() == absl::StatusCode::kAlreadyExists) return TrackingIdTaken();
  return updated;
}

absl::Status PgAffiliateStore::DeleteAffiliate(absl::string_view team_id, absl::string_view id) {
  return pool_->InTransaction("delete_affiliate", [&](Tx& tx) -> absl::Status {
    AFFONSO_RETURN_IF_ERROR(
        RequireRow(tx, kSoftDeleteAffiliate, "affiliate", id, team_id, NewId("evt")));
    tx.Exec(kDeleteAffiliateCoupons, std::string(id), std::string(team_id));
    return absl::OkStatus();
  });
}

absl::StatusOr<AffiliatePage> PgAffiliateStore::ListAffiliates(absl::string_view team_id,
                                                               const AffiliateListQuery& query) {
  const std::string team(team_id);
  const char* status = query.partnership_status == affonso::v1::PARTNERSHIP_STATUS_UNSPECIFIED
                           ? nullptr
                           : PartnershipStatusToDb(query.partnership_status);
  const std::string pattern = query.search.empty() ? "" : ContainsPattern(query.search);
  const int64_t offset = (static_cast<int64_t>(query.page) - 1) * query.limit;
  const std::string from =
      query.created_from_micros ? std::to_string(*query.created_from_micros) : "";
  const std::string before =
      query.created_before_micros ? std::to_string(*query.created_before_micros) : "";
  return pool_->Autocommit("list_affiliates", [&](Tx& tx) -> absl::StatusOr<AffiliatePage> {
    AffiliatePage page;
    pqxx::result rows =
        tx.Exec(ListStatement(query.sort), team, status, NullIfEmpty(query.program_id),
                NullIfEmpty(query.group_id), NullIfEmpty(pattern), NullIfEmpty(from),
                NullIfEmpty(before), query.limit, offset);
    if (rows.empty()) {
      if (offset > 0) {
        page.total = tx.Exec(kCountAffiliates, team, status, NullIfEmpty(query.program_id),
                             NullIfEmpty(query.group_id), NullIfEmpty(pattern), NullIfEmpty(from),
                             NullIfEmpty(before))[0]["total"]
                         .as<int>();
      }
      return page;
    }
    page.total = rows[0]["total"].as<int>();
    page.affiliates.reserve(rows.size());
    for (const pqxx::row& row : rows) {
      auto affiliate = ReadAffiliate(row);
      if (!affiliate.ok()) return affiliate.status();
      page.affiliates.push_back(*std::move(affiliate));
    }
    return page;
  });
}

absl::StatusOr<affonso::v1::CommissionOverride> PgAffiliateStore::CreateCommissionOverride(
    absl::string_view team_id, const affonso::v1::CreateCommissionOverrideRequest& request) {
  const std::string team(team_id);
  const std::string id = NewId("ovr");
  const std::string amount = absl::StrFormat("%.2f", request.amount());
  auto created = pool_->InTransaction(
      "create_commission_override", [&](Tx& tx) -> absl::StatusOr<affonso::v1::CommissionOverride> {
        if (tx.Exec(kLockAffiliateForOverride, request.affiliate_id(), team).empty()) {
          return NotFoundError("affiliate");
        }
        if (tx.Exec(kCountOverrides, request.affiliate_id())[0]["overrides"].as<int>() >=
            kMaxCommissionOverridesPerAffiliate) {
          return ValidationError("incentive_id", absl::StrCat("an affiliate has at most ",
                                                              kMaxCommissionOverridesPerAffiliate,
                                                              " commission overrides"));
        }
        pqxx::result rows = tx.Exec(kInsertOverride, id, team, request.affiliate_id(),
                                    request.incentive_id(), amount, request.is_percentage());
        if (!rows.empty()) return ReadCommissionOverride(rows[0]);
        pqxx::result found =
            tx.Exec(kDiagnoseOverride, request.affiliate_id(), team, request.incentive_id());
        if (found.empty()) return NotFoundError("affiliate");
        if (found[0]["incentive_type"].is_null()) return NotFoundError("incentive");
        return ValidationError("is_percentage",
                               "a lead incentive pays a fixed amount: is_percentage must be false");
      });
  if (created.status().code() == absl::StatusCode::kAlreadyExists) {
    return DuplicateError("incentive_id",
                          "the affiliate already has an override for this incentive");
  }
  return created;
}

absl::Status PgAffiliateStore::DeleteCommissionOverride(absl::string_view team_id,
                                                        absl::string_view affiliate_id,
                                                        absl::string_view override_id) {
  return pool_->Autocommit("delete_commission_override", [&](Tx& tx) {
    return RequireRow(tx, kDeleteOverride, "commission override", override_id, team_id,
                      affiliate_id);
  });
}

absl::StatusOr<std::map<std::string, std::vector<affonso::v1::CommissionOverride>>>
PgAffiliateStore::ListCommissionOverrides(absl::string_view team_id,
                                          const std::vector<std::string>& affiliate_ids) {
  using OverridesByAffiliate = std::map<std::string, std::vector<affonso::v1::CommissionOverride>>;
  if (affiliate_ids.empty()) return OverridesByAffiliate();
  const std::string team(team_id);
  const std::string ids = absl::StrJoin(affiliate_ids, ",");
  return pool_->Autocommit(
      "list_commission_overrides", [&](Tx& tx) -> absl::StatusOr<OverridesByAffiliate> {
        OverridesByAffiliate overrides;
        for (const pqxx::row& row : tx.Exec(kListOverrides, team, ids)) {
          AFFONSO_ASSIGN_OR_RETURN(affonso::v1::CommissionOverride commission_override,
                                   ReadCommissionOverride(row));
          overrides[ReadText(row["affiliate_id"])].push_back(std::move(commission_override));
        }
        return overrides;
      });
}

}  // namespace affonso::storage

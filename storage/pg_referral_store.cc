#include "storage/pg_referral_store.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/json_escape.h"
#include "storage/conversion_sql.h"
#include "storage/fraud_names.h"
#include "storage/pg_values.h"
#include "storage/referral_rows.h"
#include "storage/transaction_event_sql.h"

namespace affonso::storage {
namespace {

using affonso::v1::CreateReferralRequest;
using affonso::v1::ListReferralsRequest;
using affonso::v1::ListReferralsResponse;
using affonso::v1::Referral;
using affonso::v1::UpdateReferralRequest;

// One statement resolves the affiliate (team-scoped, live), the optional click
// (team-scoped), the tracking settings and the duplicate-email rule, so a
// referral can never attach to another team's objects. The NOT EXISTS covers
// every referral in the program, click-converted ones included; the partial
// unique index only backs it up for direct ones when two creates race.
//
// track_email is deliberately not applied here: a direct referral's email is
// required and is its business key (the duplicate rule above), so dropping it
// would leave an unidentifiable row. Only the optional name is dropped.
constexpr char kCreateSql[] =
    "WITH i AS (SELECT $1::text AS referral_id, $13::text AS commission_id, "
    "  $14::text AS incentive_id, $15::text AS commission_amount, $16::text AS currency, "
    "  $17::int AS hold_period_days, $18::text AS lead_event_id, "
    "  $19::text AS transaction_event_id), "
    "ins AS ( "
    "INSERT INTO referrals AS r (id, team_id, program_id, affiliate_id, click_id, source, "
    "  email, external_user_id, customer_id, subscription_id, status, name, metadata, "
    "  created_at, converted_at, updated_at, fraud_flags) "
    "SELECT $1, a.team_id, a.program_id, a.id, c.id, 'direct', "
    "  $5::text, $6::text, $7::text, $8::text, $9::text, "
    "  CASE WHEN COALESCE(s.track_name, true) THEN $10::text END, $11::jsonb, "
    "  t.at, CASE WHEN $9::text NOT IN ('lead', 'rejected') THEN t.at END, now(), "
    "  $20::jsonb "
    "FROM affiliates a "
    "CROSS JOIN (SELECT COALESCE(" AFFONSO_SQL_FROM_MICROS("$12") ", now()) AS at) t "
    "LEFT JOIN program_tracking_settings s ON s.program_id = a.program_id "
    "LEFT JOIN clicks c ON c.id = $4::text AND c.team_id = a.team_id "
    "WHERE a.id = $3 AND a.team_id = $2 AND a.deleted_at IS NULL "
    "  AND ($4::text IS NULL OR c.id IS NOT NULL) "
    "  AND NOT EXISTS (SELECT 1 FROM referrals taken "
    "                  WHERE taken.program_id = a.program_id "
    "                    AND lower(taken.email) = lower($5::text)) "
    "RETURNING " AFFONSO_REFERRAL_COLUMNS ", r.team_id AS owner_team, r.click_id AS click_ref), "
    AFFONSO_COMMISSION_AND_EVENT_CTES "SELECT * FROM ins";

// The facts the policy decides a direct referral on (conversion_sql.h); the
// click, when named, must be the team's (click_found: NULL when it is not).
// $4, $5: the lead's email and external id.
constexpr char kCreateFactsSql[] =
    "SELECT c.id AS click_found, " AFFONSO_CONVERSION_FACTS_COLUMNS("$4::text", "$5::text")
    " FROM affiliates a "
    "LEFT JOIN clicks c ON c.id = $3 AND c.team_id = a.team_id " AFFONSO_CONVERSION_FACTS_JOINS
    "WHERE a.id = $1 AND a.team_id = $2 AND a.deleted_at IS NULL";

constexpr Statement kLiveAffiliateExists{
    "referral_affiliate_exists",
    "SELECT 1 FROM affiliates WHERE id = $1 AND team_id = $2 AND deleted_at IS NULL"};
constexpr Statement kClickExists{"referral_click_exists",
                                 "SELECT 1 FROM clicks WHERE id = $1 AND team_id = $2"};
constexpr Statement kClickTaken{"referral_click_taken",
                                "SELECT 1 FROM referrals WHERE click_id = $1 AND team_id = $2"};

constexpr char kGetSql[] =
    "SELECT " AFFONSO_REFERRAL_COLUMNS
    " FROM referrals r WHERE r.id = $1 AND r.team_id = $2 AND r.deleted_at IS NULL";
constexpr Statement kReferralExists{
    "referral_exists",
    "SELECT 1 FROM referrals WHERE id = $1 AND team_id = $2 AND deleted_at IS NULL"};

// NULL parameter = field absent, unchanged. "" clears an optional text field.
// converted_at is stamped the first time the status is anything but lead and
// never moves afterwards. A new email may not match another direct referral's
// in the program (the unique index only sees it when this row is direct too).
//
// Every update writes referral.updated ($9 its event id) and, when it stamps
// converted_at into a trialing, customer or active referral,
// referral.converted ($10). "Stamped by this update" is converted_at = now():
// now() is this transaction's start, and a concurrent update that stamped it
// first leaves an older value (the row is re-read after its lock).
constexpr char kUpdateSql[] =
    "WITH upd AS ( "
    "UPDATE referrals AS r SET "
    "  email = COALESCE($3::text, r.email), "
    "  customer_id = CASE WHEN $4::text IS NULL THEN r.customer_id ELSE NULLIF($4::text, '') END, "
    "  subscription_id = "
    "    CASE WHEN $5::text IS NULL THEN r.subscription_id ELSE NULLIF($5::text, '') END, "
    "  status = COALESCE($6::text, r.status), "
    "  converted_at = CASE WHEN COALESCE($6::text, r.status) <> 'lead' "
    "                 THEN COALESCE(r.converted_at, now()) ELSE r.converted_at END, "
    // As on create, a name is not stored while the program does not track names.
    "  name = CASE WHEN $7::text IS NULL OR NOT COALESCE( "
    "           (SELECT s.track_name FROM program_tracking_settings s "
    "            WHERE s.program_id = r.program_id), true) "
    "         THEN r.name ELSE NULLIF($7::text, '') END, "
    "  metadata = COALESCE($8::jsonb, r.metadata), "
    "  updated_at = now() "
    "WHERE r.id = $1 AND r.team_id = $2 AND r.deleted_at IS NULL "
    "  AND ($3::text IS NULL OR NOT EXISTS ( "
    "    SELECT 1 FROM referrals other "
    "    WHERE other.program_id = r.program_id AND other.source = 'direct' "
    "      AND lower(other.email) = lower($3::text) AND other.id <> r.id)) "
    "RETURNING " AFFONSO_REFERRAL_COLUMNS ", r.team_id AS owner_team, r.click_id AS click_ref, "
    "  (r.converted_at = now() AND r.status IN ('trialing', 'customer', 'active')) "
    "    AS converted_now), "
    "ev AS ( "
    "  INSERT INTO outbox_events (id, team_id, type, payload) "
    "  SELECT e.id, upd.owner_team, e.type, jsonb_build_object('id', e.id, 'type', e.type, "
    "    'createdAt', " AFFONSO_EVENT_CREATED_AT ", 'data', " AFFONSO_REFERRAL_EVENT_DATA("upd") ") "
    "  FROM upd JOIN affiliates af ON af.id = upd.affiliate_id "
    "  LEFT JOIN clicks c ON c.id = upd.click_ref "
    "  CROSS JOIN LATERAL (VALUES ($9::text, 'referral.updated'), "
    "    (CASE WHEN upd.converted_now THEN $10::text END, 'referral.converted')) AS e(id, type) "
    "  WHERE e.id IS NOT NULL RETURNING id) "
    "SELECT * FROM upd";

// Keyset pages over referrals_team_created (team_id, created_at, id). The
// cursor's created_at is looked up team-scoped inside the statement: a cursor
// of another team compares with NULL and yields nothing. Filters with a NULL
// parameter are off. $1 team, $2 affiliate, $3 status, $4 / $5 created_at
// bounds, $6 external user id, $7 limit, $8 cursor.
#define AFFONSO_REFERRAL_LIST_FILTERS \
  " FROM referrals r WHERE r.team_id = $1 AND r.deleted_at IS NULL "                  \
  "  AND ($2::text IS NULL OR r.affiliate_id = $2::text) "                            \
  "  AND ($3::text IS NULL OR r.status = $3::text) "                                  \
  "  AND ($4::bigint IS NULL OR r.created_at >= " AFFONSO_SQL_FROM_MICROS("$4") ") " \
  "  AND ($5::bigint IS NULL OR r.created_at <= " AFFONSO_SQL_FROM_MICROS("$5") ") " \
  "  AND ($6::text IS NULL OR r.external_user_id = $6::text) "
#define AFFONSO_REFERRAL_CURSOR(op)                                                       \
  "  AND (r.created_at, r.id) " op                                                        \
  " ((SELECT cur.created_at FROM referrals cur WHERE cur.id = $8 AND cur.team_id = $1), " \
  "$8::text) "

// clang-format off
constexpr char kListAscSql[] =
    "SELECT " AFFONSO_REFERRAL_COLUMNS AFFONSO_REFERRAL_LIST_FILTERS
    "ORDER BY r.created_at ASC, r.id ASC LIMIT $7";
constexpr char kListDescSql[] =
    "SELECT " AFFONSO_REFERRAL_COLUMNS AFFONSO_REFERRAL_LIST_FILTERS
    "ORDER BY r.created_at DESC, r.id DESC LIMIT $7";
constexpr char kListAscAfterSql[] =
    "SELECT " AFFONSO_REFERRAL_COLUMNS AFFONSO_REFERRAL_LIST_FILTERS AFFONSO_REFERRAL_CURSOR(">")
    "ORDER BY r.created_at ASC, r.id ASC LIMIT $7";
constexpr char kListDescBeforeSql[] =
    "SELECT " AFFONSO_REFERRAL_COLUMNS AFFONSO_REFERRAL_LIST_FILTERS AFFONSO_REFERRAL_CURSOR("<")
    "ORDER BY r.created_at DESC, r.id DESC LIMIT $7";
// clang-format on

#undef AFFONSO_REFERRAL_CURSOR
#undef AFFONSO_REFERRAL_LIST_FILTERS

// Delete, step 1 and 2 (in one transaction): the live referral and the
// commissions it will decline, locked so that neither changes under the
// delete. A commission create locks the referral too, so it waits.
constexpr Statement kLockLiveReferral{
    "referral_lock_live",
    "SELECT 1 FROM referrals WHERE id = $1 AND team_id = $2 AND deleted_at IS NULL FOR UPDATE"};
constexpr Statement kLockOpenCommissions{
    "referral_lock_open_commissions",
    "SELECT id FROM commissions WHERE referral_id = $1 AND team_id = $2 "
    "  AND status IN ('pending', 'pending_manual_approval', 'ready_for_payment') "
    "ORDER BY id FOR UPDATE"};

// Step 3: the tombstone, the declined commissions and every event, in one
// statement. $1 referral, $2 team, $3 JSON [{commission_id, updated_event_id,
// rejected_event_id}] (step 2's rows), $4 the referral.deleted event id. The
// event's data has referral.lead's keys, with the status the referral had.
constexpr char kDeleteSql[] =
    "WITH i AS (SELECT * FROM json_to_recordset($3::json) "
    "  AS i(commission_id text, updated_event_id text, rejected_event_id text)), "
    "ref AS ( "
    "  UPDATE referrals AS r SET deleted_at = now(), updated_at = now() "
    "  WHERE r.id = $1 AND r.team_id = $2 AND r.deleted_at IS NULL "
    "  RETURNING r.id, r.team_id, r.affiliate_id, r.program_id, r.status, r.email, "
    "    r.customer_id, r.external_user_id, r.click_id), "
    "dec AS ( "
    "  UPDATE commissions AS c SET status = 'declined', updated_at = now() "
    "  FROM i, ref "
    "  WHERE c.id = i.commission_id AND c.team_id = ref.team_id AND c.referral_id = ref.id "
    "  RETURNING c.id, c.team_id, c.referral_id, c.affiliate_id, c.commission_amount, "
    "    c.commission_currency, c.sale_amount AS event_sale_amount, "
    "    c.sale_amount_currency AS event_sale_currency, c.status, i.updated_event_id, "
    "    i.rejected_event_id), "
    "ref_event AS ( "
    "  INSERT INTO outbox_events (id, team_id, type, payload) "
    "  SELECT $4::text, ref.team_id, 'referral.deleted', jsonb_build_object( "
    "    'id', $4::text, 'type', 'referral.deleted', 'createdAt', " AFFONSO_EVENT_CREATED_AT ", "
    "    'data', " AFFONSO_REFERRAL_EVENT_DATA("ref") ") "
    "  FROM ref JOIN affiliates af ON af.id = ref.affiliate_id "
    "  LEFT JOIN clicks c ON c.id = ref.click_id "
    "  RETURNING id), "
    "commission_events AS ( "
    "  INSERT INTO outbox_events (id, team_id, type, payload) "
    "  SELECT e.id, dec.team_id, e.type, " AFFONSO_TRANSACTION_EVENT_PAYLOAD("e.id", "e.type",
                                                                            "dec") " "
    "  FROM dec CROSS JOIN LATERAL (VALUES (dec.updated_event_id, 'transaction.updated'), "
    "    (dec.rejected_event_id, 'transaction.rejected')) AS e(id, type) "
    "  RETURNING id) "
    "SELECT id FROM ref";

// Stats from the referral's commissions: declined and refunded ones do not
// count; an order is one with a sale amount (lead commissions have none).
// Sums in numeric, read as text.
constexpr Statement kStats{
    "referral_stats",
    "SELECT COALESCE(sum(c.sale_amount), 0)::text AS total_revenue, "
    "  COALESCE(sum(c.commission_amount), 0)::text AS total_commission, "
    "  count(c.sale_amount) AS total_orders, " AFFONSO_SQL_MICROS(
        "max(c.created_at) FILTER (WHERE c.sale_amount IS NOT NULL)") " AS last_order_at "
    "FROM commissions c WHERE c.team_id = $1 AND c.referral_id = $2 "
    "  AND c.status NOT IN ('declined', 'refunded')"};

#undef AFFONSO_REFERRAL_EVENT_DATA

constexpr Statement kCreate{"referral_create", kCreateSql};
constexpr Statement kDelete{"referral_delete", kDeleteSql};
constexpr Statement kCreateFacts{"referral_create_facts", kCreateFactsSql};
constexpr Statement kGet{"referral_get", kGetSql};
constexpr Statement kUpdate{"referral_update", kUpdateSql};
constexpr Statement kListAsc{"referral_list_asc", kListAscSql};
constexpr Statement kListDesc{"referral_list_desc", kListDescSql};
constexpr Statement kListAscAfter{"referral_list_asc_after", kListAscAfterSql};
constexpr Statement kListDescBefore{"referral_list_desc_before", kListDescBeforeSql};

// Optional proto3 field -> parameter: NULL when absent.
const char* IfPresent(bool present, const std::string& value) {
  return present ? value.c_str() : nullptr;
}

}  // namespace

absl::StatusOr<Referral> PgReferralStore::CreateReferral(absl::string_view team_id,
                                                         const CreateReferralRequest& request) {
  const std::string team(team_id);
  const std::string id = NewId("ref");
  // The stored form decides: UNSPECIFIED (and an unknown number) is a lead.
  const affonso::v1::ReferralStatus requested_status =
      ReferralStatusFromDb(ReferralStatusToDb(request.status()));
  const std::string metadata = StructToJson(request.metadata());
  const std::string created_at = TimestampMicros(request.created_at(), request.has_created_at());
  absl::StatusOr<Referral> created =
      pool_->Autocommit("create_referral", [&](Tx& tx) -> absl::StatusOr<Referral> {
        // The fraud checks and the lead incentive, as for signups.
        const pqxx::result facts_rows =
            tx.Exec(kCreateFacts, request.affiliate_id(), team, NullIfEmpty(request.click_id()),
                    NullIfEmpty(request.email()), NullIfEmpty(request.external_user_id()));
        if (facts_rows.empty()) return NotFoundError("affiliate");
        if (!request.click_id().empty() && facts_rows[0]["click_found"].is_null()) {
          return NotFoundError("click");
        }
        ConversionFacts facts;
        facts.subject.lead_email = request.email();
        facts.subject.lead_external_user_id = request.external_user_id();
        facts.requested_status = requested_status;
        ConversionFactsReader(facts_rows).Read(facts_rows[0], &facts);
        const ConversionPlan plan = policy_->Plan(facts);
        const ConversionIds ids = MintConversionIds(plan);
        const LeadIncentive none;
        const LeadIncentive& paid = plan.commission.has_value() ? *plan.commission : none;
        const std::string hold_period_days =
            plan.commission.has_value() ? std::to_string(paid.hold_period_days) : "";
        const pqxx::result rows = tx.Exec(
            kCreate, id, team, request.affiliate_id(), NullIfEmpty(request.click_id()),
            request.email(), NullIfEmpty(request.external_user_id()),
            NullIfEmpty(request.customer_id()), NullIfEmpty(request.subscription_id()),
            ReferralStatusToDb(plan.status), NullIfEmpty(request.name()), metadata,
            NullIfEmpty(created_at), NullIfEmpty(ids.commission_id), NullIfEmpty(paid.incentive_id),
            NullIfEmpty(paid.amount), NullIfEmpty(paid.currency), NullIfEmpty(hold_period_days),
            NullIfEmpty(ids.lead_event_id), NullIfEmpty(ids.transaction_event_id),
            FraudFlagsToJson(plan.fraud_flags));
        if (!rows.empty()) return ReadFirstReferral(rows);
        // Nothing inserted: say why, in the order the caller would fix it.
        if (tx.Exec(kLiveAffiliateExists, request.affiliate_id(), team).empty()) {
          return NotFoundError("affiliate");
        }
        if (!request.click_id().empty() &&
            tx.Exec(kClickExists, request.click_id(), team).empty()) {
          return NotFoundError("click");
        }
        return DuplicateError("email", "a referral with this email already exists in the program");
      });
  if (created.status().code() != absl::StatusCode::kAlreadyExists ||
      ApiErrorField(created.status()) == "email") {
    return created;
  }
  // A unique index fired: the click's own referral (click_id) or a direct
  // referral with this email that won a race (the email index).
  if (!request.click_id().empty()) {
    absl::StatusOr<bool> click_taken =
        pool_->Autocommit("create_referral_conflict", [&](Tx& tx) -> absl::StatusOr<bool> {
          return !tx.Exec(kClickTaken, request.click_id(), team).empty();
        });
    if (!click_taken.ok()) return click_taken.status();
    if (*click_taken) return DuplicateError("click_id", "this click already has a referral");
  }
  return DuplicateError("email", "a referral with this email already exists in the program");
}

absl::StatusOr<Referral> PgReferralStore::GetReferral(absl::string_view team_id,
                                                      absl::string_view referral_id) {
  const std::string team(team_id);
  const std::string id(referral_id);
  return pool_->Autocommit("get_referral", [&](Tx& tx) -> absl::StatusOr<Referral> {
    pqxx::result rows = tx.Exec(kGet, id, team);
    if (rows.empty()) return NotFoundError("referral");
    return ReadFirstReferral(rows);
  });
}

absl::StatusOr<Referral> PgReferralStore::UpdateReferral(absl::string_view team_id,
                                                         const UpdateReferralRequest& request) {
  const std::string team(team_id);
  const std::string status =
      request.has_status() ? ReferralStatusToDb(request.status()) : std::string();
  const std::string metadata = request.has_metadata() ? StructToJson(request.metadata()) : "";
  const std::string updated_event_id = NewId("evt");
  const std::string converted_event_id = NewId("evt");
  absl::StatusOr<Referral> updated =
      pool_->Autocommit("update_referral", [&](Tx& tx) -> absl::StatusOr<Referral> {
        pqxx::result rows = tx.Exec(
            kUpdate, request.id(), team, IfPresent(request.has_email(), request.email()),
            IfPresent(request.has_customer_id(), request.customer_id()),
            IfPresent(request.has_subscription_id(), request.subscription_id()),
            IfPresent(request.has_status(), status), IfPresent(request.has_name(), request.name()),
            IfPresent(request.has_metadata(), metadata), updated_event_id, converted_event_id);
        if (!rows.empty()) return ReadFirstReferral(rows);
        if (tx.Exec(kReferralExists, request.id(), team).empty()) {
          return NotFoundError("referral");
        }
        return DuplicateError("email", "another referral in the program has this email");
      });
  // Only the email index can fire here: id and click_id do not change.
  if (updated.status().code() == absl::StatusCode::kAlreadyExists) {
    return DuplicateError("email", "another referral in the program has this email");
  }
  return updated;
}

absl::StatusOr<ListReferralsResponse> PgReferralStore::ListReferrals(
    absl::string_view team_id, const ListReferralsRequest& request) {
  const std::string team(team_id);
  const int limit = request.limit() == 0 ? kDefaultReferralPageSize : request.limit();
  const bool descending = request.order() != affonso::v1::LIST_ORDER_ASC;
  // ending_before walks away from the cursor against the requested order,
  // then the page is put back in order.
  const bool backward = !request.ending_before().empty();
  const std::string& cursor = backward ? request.ending_before() : request.starting_after();
  const char* cursor_field = backward ? "ending_before" : "starting_after";
  const bool scan_ascending = descending == backward;
  const Statement& statement = cursor.empty() ? (scan_ascending ? kListAsc : kListDesc)
                                              : (scan_ascending ? kListAscAfter : kListDescBefore);

  const std::string status = request.status() == affonso::v1::REFERRAL_STATUS_UNSPECIFIED
                                 ? std::string()
                                 : ReferralStatusToDb(request.status());
  const std::string created_gte = TimestampMicros(request.created_gte(), request.has_created_gte());
  const std::string created_lte = TimestampMicros(request.created_lte(), request.has_created_lte());

  return pool_->Autocommit("list_referrals", [&](Tx& tx) -> absl::StatusOr<ListReferralsResponse> {
    pqxx::result rows;
    if (cursor.empty()) {
      rows = tx.Exec(statement, team, NullIfEmpty(request.affiliate_id()), NullIfEmpty(status),
                     NullIfEmpty(created_gte), NullIfEmpty(created_lte),
                     NullIfEmpty(request.external_user_id()), limit + 1);
    } else {
      rows = tx.Exec(statement, team, NullIfEmpty(request.affiliate_id()), NullIfEmpty(status),
                     NullIfEmpty(created_gte), NullIfEmpty(created_lte),
                     NullIfEmpty(request.external_user_id()), limit + 1, cursor);
    }
    // An empty page is the only case where an unknown cursor could hide.
    if (rows.empty() && !cursor.empty() && tx.Exec(kReferralExists, cursor, team).empty()) {
      return ValidationError(cursor_field,
                             absl::StrCat(cursor_field, " is not a referral of this team"));
    }
    ListReferralsResponse response;
    const int kept = std::min<int>(static_cast<int>(rows.size()), limit);
    const ReferralReader reader(rows);
    for (int i = 0; i < kept; ++i) {
      absl::StatusOr<Referral> referral = reader.Read(rows[i]);
      if (!referral.ok()) return referral.status();
      *response.add_data() = *std::move(referral);
    }
    response.set_has_more(static_cast<int>(rows.size()) > limit);
    if (backward) {
      std::reverse(response.mutable_data()->begin(), response.mutable_data()->end());
    }
    return response;
  });
}

absl::Status PgReferralStore::DeleteReferral(absl::string_view team_id,
                                             absl::string_view referral_id) {
  const std::string team(team_id);
  const std::string id(referral_id);
  const std::string event_id = NewId("evt");
  return pool_->InTransaction("delete_referral", [&](Tx& tx) -> absl::Status {
    if (tx.Exec(kLockLiveReferral, id, team).empty()) return NotFoundError("referral");
    std::string declines = "[";
    for (const pqxx::row& row : tx.Exec(kLockOpenCommissions, id, team)) {
      if (declines.size() > 1) declines.push_back(',');
      absl::StrAppend(&declines, "{\"commission_id\":", JsonEscape(ReadText(row["id"])),
                      ",\"updated_event_id\":", JsonEscape(NewId("evt")),
                      ",\"rejected_event_id\":", JsonEscape(NewId("evt")), "}");
    }
    declines.push_back(']');
    if (tx.Exec(kDelete, id, team, declines, event_id).empty()) return NotFoundError("referral");
    return absl::OkStatus();
  });
}

absl::StatusOr<affonso::v1::ReferralStats> PgReferralStore::GetReferralStats(
    absl::string_view team_id, absl::string_view referral_id) {
  const std::string team(team_id);
  const std::string id(referral_id);
  return pool_->Autocommit(
      "referral_stats", [&](Tx& tx) -> absl::StatusOr<affonso::v1::ReferralStats> {
        const pqxx::result rows = tx.Exec(kStats, team, id);
        affonso::v1::ReferralStats stats;
        stats.set_total_revenue(ReadDecimal(rows[0]["total_revenue"]));
        stats.set_total_commission(ReadDecimal(rows[0]["total_commission"]));
        stats.set_total_orders(rows[0]["total_orders"].as<int>());
        if (!rows[0]["last_order_at"].is_null()) {
          ReadTimestamp(rows[0]["last_order_at"], stats.mutable_last_order_at());
        }
        return stats;
      });
}

}  // namespace affonso::storage

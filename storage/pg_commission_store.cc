#include "storage/pg_commission_store.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "storage/incentive_names.h"
#include "storage/pg_values.h"
#include "storage/query_one.h"
#include "storage/transaction_event_sql.h"

namespace affonso::storage {
namespace {

using affonso::v1::Commission;

// The select (and RETURNING) list of every commission statement, under the
// names ReadCommission reads; `c` is the commissions table. Amounts travel as
// numeric text. event_* are the raw sale columns the transaction.* payloads
// carry (NULL for lead commissions, as in transaction.created).
// clang-format off
#define AFFONSO_COMMISSION_COLUMNS                                                              \
  "c.id, c.referral_id, c.affiliate_id, c.program_id, c.team_id AS owner_team, "                \
  "c.commission_amount::text AS commission_amount, c.commission_currency, "                     \
  "COALESCE(c.sale_amount, 0)::text AS sale_amount, "                                           \
  "COALESCE(c.sale_amount_currency, c.commission_currency) AS sale_amount_currency, "           \
  "c.sale_amount AS event_sale_amount, c.sale_amount_currency AS event_sale_currency, "         \
  "c.status, c.sales_status, c.hold_period_days, c.payment_intent_id, c.invoice_id, "           \
  "c.incentive_id, c.earning_type, "                                                            \
  AFFONSO_SQL_MICROS("c.created_at") " AS created_at, "                                         \
  AFFONSO_SQL_MICROS("c.updated_at") " AS updated_at, "                                         \
  "(SELECT p.name FROM programs p WHERE p.id = c.program_id) AS program_name, "                 \
  "(SELECT " AFFONSO_SQL_MICROS("p.created_at") " FROM programs p WHERE p.id = c.program_id) "  \
  "AS program_created_at"
// clang-format on

// A NULL parameter disables its filter. $1 team, $2 affiliate, $3 referral,
// $4 status, $5 sales status, $6 / $7 created_at bounds (epoch micros).
#define AFFONSO_COMMISSION_LIST_FILTER \
  "WHERE c.team_id = $1 "                                                           \
  "AND ($2::text IS NULL OR c.affiliate_id = $2::text) "                            \
  "AND ($3::text IS NULL OR c.referral_id = $3::text) "                             \
  "AND ($4::text IS NULL OR c.status = $4::text) "                                  \
  "AND ($5::text IS NULL OR c.sales_status = $5::text) "                            \
  "AND ($6::bigint IS NULL OR c.created_at >= " AFFONSO_SQL_FROM_MICROS("$6") ") " \
  "AND ($7::bigint IS NULL OR c.created_at <= " AFFONSO_SQL_FROM_MICROS("$7") ") "

// $1 id, $2 team.
constexpr Statement kSelectCommission{"commission_select",
                                      "SELECT " AFFONSO_COMMISSION_COLUMNS
                                      " FROM commissions c WHERE c.id = $1 AND c.team_id = $2"};

// The total rides along with the page; only a page past the end, which has no
// row to carry it, needs kCountCommissions. $1-$7 as in the filter, $8 the
// sort key (CommissionListQuery::sort), $9 limit, $10 offset. One statement
// for every order: each CASE is NULL (no effect) unless its key is chosen.
constexpr Statement kListCommissions{
    "commission_list",
    "SELECT " AFFONSO_COMMISSION_COLUMNS
    ", count(*) OVER () AS total FROM commissions c " AFFONSO_COMMISSION_LIST_FILTER
    "ORDER BY "
    "  CASE WHEN $8::text = 'created_at:asc' THEN c.created_at END ASC, "
    "  CASE WHEN $8::text = 'created_at:asc' THEN c.id END ASC, "
    "  CASE WHEN $8::text = 'updated_at:asc' THEN c.updated_at END ASC, "
    "  CASE WHEN $8::text = 'updated_at:desc' THEN c.updated_at END DESC, "
    "  CASE WHEN $8::text = 'sale_amount:asc' THEN COALESCE(c.sale_amount, 0) END ASC, "
    "  CASE WHEN $8::text = 'sale_amount:desc' THEN COALESCE(c.sale_amount, 0) END DESC, "
    "  CASE WHEN $8::text = 'commission_amount:asc' THEN c.commission_amount END ASC, "
    "  CASE WHEN $8::text = 'commission_amount:desc' THEN c.commission_amount END DESC, "
    "  c.created_at DESC, c.id DESC "
    "LIMIT $9::int OFFSET $10::bigint"};

constexpr Statement kCountCommissions{
    "commission_count",
    "SELECT count(*) AS total FROM commissions c " AFFONSO_COMMISSION_LIST_FILTER};

// A sale commission for a live referral of the team, with its
// transaction.created. The referral is locked (FOR NO KEY UPDATE) so a
// concurrent delete either waits for this commission (and declines it) or
// wins (nothing is inserted); not FOR SHARE, which two creates could both
// hold and then both wait to upgrade when the commission's trigger recounts
// the referral's paid flag (migration 025). A payment intent the program already has inserts
// nothing (the unique index decides between racing creates). $1 team, $2 referral, $3 id, $4
// commission amount, $5 currency, $6 sale amount, $7 currency, $8 status, $9 sales status, $10 hold
// days, $11 payment intent, $12 created_at micros, $13 event id.
constexpr Statement kCreateCommission{
    "commission_create",
    "WITH r AS (SELECT r.id, r.team_id, r.program_id, r.affiliate_id FROM referrals r "
    "  WHERE r.id = $2 AND r.team_id = $1 AND r.deleted_at IS NULL FOR NO KEY UPDATE), "
    "ins AS ( "
    "  INSERT INTO commissions AS c (id, team_id, program_id, referral_id, affiliate_id, "
    "    commission_amount, commission_currency, sale_amount, sale_amount_currency, status, "
    "    sales_status, hold_period_days, earning_type, payment_intent_id, created_at) "
    "  SELECT $3, r.team_id, r.program_id, r.id, r.affiliate_id, $4::numeric, $5::text, "
    "    $6::numeric, $7::text, $8::text, $9::text, $10::int, 'sale', $11::text, "
    "    COALESCE(" AFFONSO_SQL_FROM_MICROS("$12") ", now()) "
    "  FROM r "
    "  ON CONFLICT (team_id, program_id, payment_intent_id) WHERE payment_intent_id IS NOT NULL "
    "  DO NOTHING "
    "  RETURNING " AFFONSO_COMMISSION_COLUMNS "), "
    "ev AS ( "
    "  INSERT INTO outbox_events (id, team_id, type, payload) "
    "  SELECT $13::text, ins.owner_team, 'transaction.created', " AFFONSO_TRANSACTION_EVENT_PAYLOAD(
        "$13::text", "'transaction.created'", "ins") " FROM ins RETURNING id) "
    "SELECT * FROM ins"};

// The commission that holds a payment intent in the referral's program. A
// separate statement: under READ COMMITTED it sees the racing winner the
// insert waited for. $1 team, $2 referral, $3 payment intent.
constexpr Statement kCommissionByPaymentIntent{
    "commission_by_payment_intent",
    "SELECT " AFFONSO_COMMISSION_COLUMNS
    " FROM referrals r JOIN commissions c ON c.team_id = r.team_id AND c.program_id = r.program_id "
    "WHERE r.id = $2 AND r.team_id = $1 AND c.payment_intent_id = $3"};

constexpr Statement kLiveReferralExists{
    "commission_referral_exists",
    "SELECT 1 FROM referrals WHERE id = $1 AND team_id = $2 AND deleted_at IS NULL"};

// $1 id, $2 team.
constexpr Statement kLockCommission{
    "commission_lock",
    "SELECT status, refunded_amount > 0 AS refunded FROM commissions "
    "WHERE id = $1 AND team_id = $2 FOR UPDATE"};

// NULL = unchanged. $1 id, $2 team, $3 status, $4 sales status, $5 hold days,
// $6 sale amount, $7 its currency, $8 commission amount, $9 its currency,
// $10 the transaction.updated event id, $11 / $12 the status event's id and
// type (NULL when the status does not announce itself).
constexpr Statement kUpdateCommission{
    "commission_update",
    "WITH upd AS ( "
    "  UPDATE commissions AS c SET "
    "    status = COALESCE($3::text, c.status), "
    "    sales_status = COALESCE($4::text, c.sales_status), "
    "    hold_period_days = COALESCE($5::int, c.hold_period_days), "
    "    sale_amount = COALESCE($6::numeric, c.sale_amount), "
    "    sale_amount_currency = COALESCE($7::text, c.sale_amount_currency), "
    "    commission_amount = COALESCE($8::numeric, c.commission_amount), "
    // A conversion's refunds scale from the commission as set: an edit (only
    // allowed before any refund) becomes that base.
    "    original_commission_amount = CASE WHEN $8::numeric IS NOT NULL "
    "      AND c.original_commission_amount IS NOT NULL THEN $8::numeric "
    "      ELSE c.original_commission_amount END, "
    "    commission_currency = COALESCE($9::text, c.commission_currency), "
    "    updated_at = now() "
    "  WHERE c.id = $1 AND c.team_id = $2 "
    "  RETURNING " AFFONSO_COMMISSION_COLUMNS "), "
    "ev AS ( "
    "  INSERT INTO outbox_events (id, team_id, type, payload) "
    "  SELECT e.id, upd.owner_team, e.type, " AFFONSO_TRANSACTION_EVENT_PAYLOAD(
        "e.id", "e.type", "upd") " FROM upd "
    "  CROSS JOIN (VALUES ($10::text, 'transaction.updated'), ($11::text, $12::text)) "
    "    AS e(id, type) "
    "  WHERE e.id IS NOT NULL RETURNING id) "
    "SELECT * FROM upd"};

// Money that has left (or is leaving, or came back) is not deleted: its
// record stays. $1 id, $2 team, $3 the transaction.deleted event id.
constexpr Statement kDeleteCommission{
    "commission_delete",
    "WITH del AS ( "
    "  DELETE FROM commissions AS c "
    "  WHERE c.id = $1 AND c.team_id = $2 AND c.status NOT IN ('paid', 'processing_payout', 'dispute', 'refunded') "
    "  RETURNING " AFFONSO_COMMISSION_COLUMNS "), "
    "ev AS ( "
    "  INSERT INTO outbox_events (id, team_id, type, payload) "
    "  SELECT $3::text, del.owner_team, 'transaction.deleted', " AFFONSO_TRANSACTION_EVENT_PAYLOAD(
        "$3::text", "'transaction.deleted'", "del") " FROM del RETURNING id) "
    "SELECT id FROM del"};

// The live payout (not failed or cancelled) that holds a commission.
constexpr Statement kLivePayoutOfCommission{
    "commission_live_payout",
    "SELECT payout_id FROM payout_transactions WHERE team_id = $2 AND commission_id = $1 "
    "  AND kind = 'commission' AND released_at IS NULL"};

constexpr Statement kCommissionStatus{
    "commission_status", "SELECT status FROM commissions WHERE id = $1 AND team_id = $2"};

#undef AFFONSO_COMMISSION_LIST_FILTER
#undef AFFONSO_COMMISSION_COLUMNS

Commission ReadCommission(const pqxx::row& row) {
  Commission commission;
  commission.set_id(ReadText(row["id"]));
  commission.set_referral_id(ReadText(row["referral_id"]));
  commission.set_affiliate_id(ReadText(row["affiliate_id"]));
  commission.set_program_id(ReadText(row["program_id"]));
  commission.set_commission_amount(ReadDecimal(row["commission_amount"]));
  commission.set_commission_currency(ReadText(row["commission_currency"]));
  commission.set_sale_amount(ReadDecimal(row["sale_amount"]));
  commission.set_sale_amount_currency(ReadText(row["sale_amount_currency"]));
  commission.set_status(CommissionStatusFromDb(ReadText(row["status"])));
  commission.set_sales_status(SalesStatusFromDb(ReadText(row["sales_status"])));
  commission.set_hold_period_days(row["hold_period_days"].as<int>());
  if (!row["payment_intent_id"].is_null()) {
    commission.set_payment_intent_id(ReadText(row["payment_intent_id"]));
  }
  if (!row["invoice_id"].is_null()) commission.set_invoice_id(ReadText(row["invoice_id"]));
  if (!row["incentive_id"].is_null()) commission.set_earning_id(ReadText(row["incentive_id"]));
  const affonso::v1::IncentiveType earning_type =
      IncentiveTypeFromDb(ReadText(row["earning_type"]));
  if (earning_type != affonso::v1::INCENTIVE_TYPE_UNSPECIFIED) {
    commission.set_earning_type(earning_type);
  }
  ReadTimestamp(row["created_at"], commission.mutable_created_at());
  ReadTimestamp(row["updated_at"], commission.mutable_updated_at());
  if (!row["program_name"].is_null()) {
    affonso::v1::CommissionProgram* program = commission.mutable_affiliate_program();
    program->set_id(commission.program_id());
    program->set_name(ReadText(row["program_name"]));
    ReadTimestamp(row["program_created_at"], program->mutable_created_at());
  }
  return commission;
}

// Optional field -> parameter: NULL when absent.
const char* IfPresent(const std::optional<std::string>& value) {
  return value.has_value() ? value->c_str() : nullptr;
}

}  // namespace

absl::StatusOr<CommissionPage> PgCommissionStore::ListCommissions(
    absl::string_view team_id, const CommissionListQuery& query) {
  const std::string team(team_id);
  const char* status = CommissionStatusToDb(query.status);
  const char* sales_status = SalesStatusToDb(query.sales_status);
  const int64_t offset = (static_cast<int64_t>(query.page) - 1) * query.limit;
  return pool_->Autocommit("list_commissions", [&](Tx& tx) -> absl::StatusOr<CommissionPage> {
    CommissionPage page;
    pqxx::result rows = tx.Exec(kListCommissions, team, NullIfEmpty(query.affiliate_id),
                                NullIfEmpty(query.referral_id), status, sales_status,
                                NullIfEmpty(query.created_from_us),
                                NullIfEmpty(query.created_to_us), query.sort, query.limit, offset);
    if (rows.empty()) {
      if (offset > 0) {
        page.total = tx.Exec(kCountCommissions, team, NullIfEmpty(query.affiliate_id),
                             NullIfEmpty(query.referral_id), status, sales_status,
                             NullIfEmpty(query.created_from_us),
                             NullIfEmpty(query.created_to_us))[0]["total"]
                         .as<int>();
      }
      return page;
    }
    page.total = rows[0]["total"].as<int>();
    page.commissions.reserve(rows.size());
    for (const pqxx::row& row : rows) page.commissions.push_back(ReadCommission(row));
    return page;
  });
}

absl::StatusOr<Commission> PgCommissionStore::GetCommission(absl::string_view team_id,
                                                            absl::string_view id) {
  return pool_->Autocommit("get_commission", [&](Tx& tx) {
    return QueryOne(tx, kSelectCommission, ReadCommission, "commission", id, team_id);
  });
}

absl::StatusOr<CreatedCommission> PgCommissionStore::CreateCommission(
    absl::string_view team_id, const CommissionInput& input) {
  const std::string team(team_id);
  const std::string id = NewId("com");
  const std::string event_id = NewId("evt");
  const char* status = CommissionStatusToDb(input.status);
  const char* sales_status = SalesStatusToDb(input.sales_status);
  if (status == nullptr || sales_status == nullptr) {
    return absl::InvalidArgumentError("commission status not resolved");
  }
  // The holder of a taken payment intent can be deleted between the insert
  // and the read of it: then the insert is tried again, here (the pool
  // retries only serialization failures and deadlocks).
  constexpr int kAttempts = 3;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    absl::StatusOr<std::optional<CreatedCommission>> outcome = pool_->Autocommit(
        "create_commission", [&](Tx& tx) -> absl::StatusOr<std::optional<CreatedCommission>> {
          CreatedCommission result;
          pqxx::result rows = tx.Exec(
              kCreateCommission, team, input.referral_id, id, input.commission_amount,
              input.commission_currency, input.sale_amount, input.sale_amount_currency, status,
              sales_status, input.hold_period_days, NullIfEmpty(input.payment_intent_id),
              NullIfEmpty(input.created_at_us), event_id);
          if (!rows.empty()) {
            result.commission = ReadCommission(rows[0]);
            result.created = true;
            return result;
          }
          if (tx.Exec(kLiveReferralExists, input.referral_id, team).empty()) {
            return NotFoundError("referral");
          }
          if (input.payment_intent_id.empty()) return absl::InternalError("internal error");
          // The payment intent is taken: answer with the commission that holds it.
          pqxx::result existing =
              tx.Exec(kCommissionByPaymentIntent, team, input.referral_id, input.payment_intent_id);
          if (existing.empty()) return std::optional<CreatedCommission>();  // deleted meanwhile
          result.commission = ReadCommission(existing[0]);
          return result;
        });
    if (!outcome.ok()) return outcome.status();
    if (outcome->has_value()) return **std::move(outcome);
  }
  return absl::UnavailableError("the commission kept changing concurrently; retry");
}

absl::StatusOr<Commission> PgCommissionStore::UpdateCommission(absl::string_view team_id,
                                                               const CommissionChange& change) {
  const std::string team(team_id);
  const char* status = change.status.has_value() ? CommissionStatusToDb(*change.status) : nullptr;
  const char* sales_status =
      change.sales_status.has_value() ? SalesStatusToDb(*change.sales_status) : nullptr;
  const std::string hold_period_days =
      change.hold_period_days.has_value() ? std::to_string(*change.hold_period_days) : "";
  const std::string updated_event_id = NewId("evt");
  const std::string status_event_id = NewId("evt");
  return pool_->InTransaction("update_commission", [&](Tx& tx) -> absl::StatusOr<Commission> {
    pqxx::result locked = tx.Exec(kLockCommission, change.id, team);
    if (locked.empty()) return NotFoundError("commission");
    const affonso::v1::CommissionStatus from =
        CommissionStatusFromDb(ReadText(locked[0]["status"]));
    const char* status_event = nullptr;
    // Refunds scale the commission from its sale: once one has, the amounts
    // only move by further refunds.
    if (locked[0]["refunded"].as<bool>() &&
        (change.sale_amount.has_value() || change.commission_amount.has_value())) {
      return ValidationError(
          change.commission_amount.has_value() ? "commission_amount" : "sale_amount",
          "a refunded conversion's amounts change only by refunds");
    }
    if (change.status.has_value()) {
      if (!CommissionStatusChangeAllowed(from, *change.status)) {
        const char* from_name = CommissionStatusToDb(from);
        return ValidationError("status",
                               absl::StrCat("a commission cannot go from ",
                                            from_name == nullptr ? "its status" : from_name, " to ",
                                            status == nullptr ? "that status" : status));
      }
      if (from != *change.status) status_event = CommissionStatusEvent(*change.status);
      // A commission being paid out moves with its payout (PUT /v1/payouts),
      // so a payout never pays what it no longer holds.
      if (from == affonso::v1::COMMISSION_STATUS_PROCESSING_PAYOUT && from != *change.status) {
        pqxx::result payout = tx.Exec(kLivePayoutOfCommission, change.id, team);
        if (!payout.empty()) {
          return ValidationError("status",
                                 absl::StrCat("the commission is being paid out by payout ",
                                              ReadText(payout[0]["payout_id"]),
                                              ": change the payout's status instead"));
        }
      }
    }
    // The amounts are what was, or will be, paid: fixed once the commission
    // is paid out or final.
    const bool amounts_open = from == affonso::v1::COMMISSION_STATUS_PENDING ||
                              from == affonso::v1::COMMISSION_STATUS_PENDING_MANUAL_APPROVAL ||
                              from == affonso::v1::COMMISSION_STATUS_READY_FOR_PAYMENT;
    if (!amounts_open) {
      for (const auto& [field, value] : {std::pair<const char*, const std::optional<std::string>*>{
                                             "sale_amount", &change.sale_amount},
                                         {"sale_amount_currency", &change.sale_amount_currency},
                                         {"commission_amount", &change.commission_amount},
                                         {"commission_currency", &change.commission_currency}}) {
        if (value->has_value()) {
          return ValidationError(field,
                                 absl::StrCat(field, " cannot change once the commission is ",
                                              CommissionStatusToDb(from)));
        }
      }
    }
    pqxx::result rows =
        tx.Exec(kUpdateCommission, change.id, team, status, sales_status,
                NullIfEmpty(hold_period_days), IfPresent(change.sale_amount),
                IfPresent(change.sale_amount_currency), IfPresent(change.commission_amount),
                IfPresent(change.commission_currency), updated_event_id,
                status_event == nullptr ? nullptr : status_event_id.c_str(), status_event);
    if (rows.empty()) return NotFoundError("commission");
    return ReadCommission(rows[0]);
  });
}

absl::Status PgCommissionStore::DeleteCommission(absl::string_view team_id, absl::string_view id) {
  const std::string team(team_id);
  const std::string commission_id(id);
  const std::string event_id = NewId("evt");
  return pool_->Autocommit("delete_commission", [&](Tx& tx) -> absl::Status {
    if (!tx.Exec(kDeleteCommission, commission_id, team, event_id).empty()) {
      return absl::OkStatus();
    }
    if (tx.Exec(kCommissionStatus, commission_id, team).empty()) {
      return NotFoundError("commission");
    }
    return ValidationError("status",
                           "a commission paid out, being paid out, disputed or refunded cannot be "
                           "deleted (a paid one is refunded instead)");
  });
}

}  // namespace affonso::storage

#include "storage/pg_payout_store.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/json_escape.h"
#include "common/log.h"
#include "storage/commission_status_moves.h"
#include "storage/conversion_sql.h"
#include "storage/payout_names.h"
#include "storage/payout_terms.h"
#include "storage/pg_values.h"
#include "storage/query_one.h"

namespace affonso::storage {
namespace {

using affonso::v1::Payout;
using affonso::v1::PayoutDetail;

// What ReadPayout reads; `p` is payouts, `a` its affiliate (deleted ones
// too: the payout shows them as null but keeps their payout method).
// clang-format off
#define AFFONSO_PAYOUT_COLUMNS                                                           \
  "p.id, p.affiliate_id, p.invoice_number, p.amount::text AS amount, p.currency, "       \
  "p.status, COALESCE(p.payment_method, a.payout_method) AS payment_method, "            \
  "p.payment_reference, "                                                                \
  AFFONSO_SQL_MICROS("p.processed_at") " AS processed_at, "                              \
  AFFONSO_SQL_MICROS("p.created_at") " AS created_at, "                                  \
  AFFONSO_SQL_MICROS("p.updated_at") " AS updated_at, "                                  \
  "a.name AS affiliate_name, a.email AS affiliate_email, "                               \
  "(a.deleted_at IS NULL) AS affiliate_live "

// The payout.* event: `x` a payouts row. Amounts as exact JSON numbers;
// paymentMethod as the API shows it.
#define AFFONSO_PAYOUT_EVENT_PAYLOAD(event_id, type, x)                                   \
  "jsonb_build_object('id', " event_id ", 'type', " type ", "                             \
  "'createdAt', " AFFONSO_EVENT_CREATED_AT ", "                                           \
  "'data', jsonb_build_object('payoutId', " x ".id, 'affiliateId', " x ".affiliate_id, "  \
  "'invoiceNumber', " x ".invoice_number, 'amount', " x ".amount, "                       \
  "'currency', " x ".currency, 'status', " x ".status, "                                  \
  "'paymentMethod', COALESCE(" x ".payment_method, "                                      \
  "  (SELECT af.payout_method FROM affiliates af WHERE af.id = " x ".affiliate_id)), "    \
  "'paymentReference', " x ".payment_reference, "                                         \
  "'processedAt', to_char(" x ".processed_at AT TIME ZONE 'UTC', "                        \
  "  'YYYY-MM-DD\"T\"HH24\":\"MI\":\"SS.MS\"Z\"')))"

// $1 team, $2 status, $3 affiliate, $4 / $5 created_at bounds (micros).
#define AFFONSO_PAYOUT_LIST_FILTER                                                    \
  "WHERE p.team_id = $1 "                                                             \
  "AND ($2::text IS NULL OR p.status = $2::text) "                                    \
  "AND ($3::text IS NULL OR p.affiliate_id = $3::text) "                              \
  "AND ($4::bigint IS NULL OR p.created_at >= " AFFONSO_SQL_FROM_MICROS("$4") ") "    \
  "AND ($5::bigint IS NULL OR p.created_at <= " AFFONSO_SQL_FROM_MICROS("$5") ") "

// A commission in a live payout (one not failed or cancelled).
#define AFFONSO_IN_LIVE_PAYOUT(c)                                                        \
  "EXISTS (SELECT 1 FROM payout_transactions t WHERE t.team_id = " c ".team_id "         \
  "  AND t.commission_id = " c ".id AND t.kind = 'commission' AND t.released_at IS NULL)"
// clang-format on

constexpr Statement kSelectPayout{"payout_select",
                                  "SELECT " AFFONSO_PAYOUT_COLUMNS
                                  "FROM payouts p JOIN affiliates a ON a.id = p.affiliate_id "
                                  "WHERE p.id = $1 AND p.team_id = $2"};

// $6 sort key, $7 limit, $8 offset; the total rides along (as for
// commissions).
constexpr Statement kListPayouts{
    "payout_list",
    "SELECT " AFFONSO_PAYOUT_COLUMNS
    ", count(*) OVER () AS total "
    "FROM payouts p JOIN affiliates a ON a.id = p.affiliate_id " AFFONSO_PAYOUT_LIST_FILTER
    "ORDER BY "
    "  CASE WHEN $6::text = 'created_at:asc' THEN p.created_at END ASC, "
    "  CASE WHEN $6::text = 'updated_at:asc' THEN p.updated_at END ASC, "
    "  CASE WHEN $6::text = 'updated_at:desc' THEN p.updated_at END DESC, "
    "  CASE WHEN $6::text = 'amount:asc' THEN p.amount END ASC, "
    "  CASE WHEN $6::text = 'amount:desc' THEN p.amount END DESC, "
    "  CASE WHEN $6::text = 'invoice_number:asc' THEN p.invoice_number END ASC, "
    "  CASE WHEN $6::text = 'invoice_number:desc' THEN p.invoice_number END DESC, "
    "  CASE WHEN $6::text = 'created_at:asc' THEN p.id END ASC, "
    "  p.created_at DESC, p.id DESC "
    "LIMIT $7::int OFFSET $8::bigint"};

constexpr Statement kCountPayouts{
    "payout_count", "SELECT count(*) AS total FROM payouts p " AFFONSO_PAYOUT_LIST_FILTER};

// Commissions first, then clawbacks, oldest commission first.
constexpr Statement kSelectTransactions{
    "payout_transactions_select",
    "SELECT t.id, t.amount::text AS amount, t.commission_id, t.sale_amount::text AS sale_amount, "
    "  t.commission_amount::text AS commission_amount, " AFFONSO_SQL_MICROS(
        "t.commission_created_at") " AS commission_created_at, " AFFONSO_SQL_MICROS("t.created_at")
        " AS created_at "
        "FROM payout_transactions t WHERE t.team_id = $1 AND t.payout_id = $2 "
        "ORDER BY t.kind = 'clawback', t.commission_created_at, t.id"};

// ---- generation

// The next page of groups with something to pay, after the cursor ($3-$5),
// each with its affiliate's program's terms: the threshold, and the period
// start that commissions must have become ready before ($9 for weekly, $2
// for monthly; epoch micros). $1 team (NULL: all), $6 page size, $7 / $8 the
// threshold and frequency of a program without payment terms. A deleted
// affiliate's program still counts (its row stays).
#define AFFONSO_GROUP_READY_BEFORE                                                \
  "CASE WHEN COALESCE(t.payment_frequency, $8::text) = 'weekly' THEN $9::bigint " \
  "ELSE $2::bigint END"
constexpr Statement kPayoutGroups{
    "payout_groups",
    "SELECT DISTINCT c.team_id, c.affiliate_id, c.commission_currency AS currency, "
    "  COALESCE(t.payment_threshold, $7::numeric)::text AS threshold, "
    "  " AFFONSO_GROUP_READY_BEFORE " AS ready_before_us "
    "FROM commissions c "
    "LEFT JOIN affiliates a ON a.id = c.affiliate_id AND a.team_id = c.team_id "
    "LEFT JOIN program_payment_terms t ON t.team_id = a.team_id AND t.program_id = a.program_id "
    "WHERE c.status = 'ready_for_payment' AND ($1::text IS NULL OR c.team_id = $1::text) "
    "  AND COALESCE(c.ready_for_payment_at, '-infinity') < " AFFONSO_SQL_FROM_MICROS(
        AFFONSO_GROUP_READY_BEFORE) " "
    "  AND (c.team_id, c.affiliate_id, c.commission_currency) > ($3::text, $4::text, $5::text) "
    "  AND NOT " AFFONSO_IN_LIVE_PAYOUT("c") " "
    "ORDER BY 1, 2, 3 LIMIT $6::int"};
#undef AFFONSO_GROUP_READY_BEFORE

// One generator per group at a time across replicas; held to the commit. A
// replica that does not get it skips the group (another is paying it).
constexpr Statement kTryLockGroup{
    "payout_try_lock_group",
    "SELECT pg_try_advisory_xact_lock(hashtextextended($1 || '/' || $2 || '/' || $3, 17)) "
    "AS locked"};

// $1 team, $2 affiliate, $3 currency, $4 ready-before (micros), $5 limit.
constexpr Statement kLockEligibleCommissions{
    "payout_lock_eligible",
    "SELECT c.team_id, c.id, c.commission_amount::text AS commission_amount, "
    "  COALESCE(c.sale_amount, 0)::text AS sale_amount, " AFFONSO_SQL_MICROS(
        "c.created_at") " AS created_at "
                        "FROM commissions c "
                        "WHERE c.team_id = $1 AND c.affiliate_id = $2 AND c.commission_currency = "
                        "$3 AND c.status = 'ready_for_payment' "
                        "  AND COALESCE(c.ready_for_payment_at, '-infinity') < " AFFONSO_SQL_FROM_MICROS(
                            "$4") " AND NOT " AFFONSO_IN_LIVE_PAYOUT("c") " "
                                  "ORDER BY c.created_at, c.id LIMIT $5::int FOR UPDATE OF c"};

// What the affiliate owes in the currency (refunds of paid commissions).
constexpr Statement kLockOwedClawbacks{
    "payout_lock_owed_clawbacks",
    "SELECT k.id, k.commission_id, k.amount::text AS amount, "
    "  c.commission_amount::text AS commission_amount, "
    "  COALESCE(c.sale_amount, 0)::text AS sale_amount, " AFFONSO_SQL_MICROS(
        "c.created_at") " AS created_at "
                        "FROM commission_clawbacks k JOIN commissions c ON c.id = k.commission_id "
                        "WHERE k.team_id = $1 AND k.affiliate_id = $2 AND k.currency = $3 "
                        "  AND k.payout_id IS NULL "
                        "ORDER BY k.created_at, k.id FOR UPDATE OF k"};

// The row lock serialises a team's numbers until the commit.
constexpr Statement kNextInvoiceNumber{
    "payout_next_invoice_number",
    "INSERT INTO payout_invoice_counters AS n (team_id, last_number) VALUES ($1, 1) "
    "ON CONFLICT (team_id) DO UPDATE SET last_number = n.last_number + 1 "
    "RETURNING n.last_number"};

// $1 team, $2 id, $3 affiliate, $4 invoice number, $5 amount, $6 currency,
// $7 the payout.created event id.
constexpr Statement kInsertPayout{
    "payout_insert",
    "WITH p AS ( "
    "  INSERT INTO payouts (team_id, id, affiliate_id, program_id, invoice_number, amount, "
    "    currency) "
    "  SELECT $1, $2, a.id, a.program_id, $4::int, $5::numeric, $6::text "
    "  FROM affiliates a WHERE a.id = $3 AND a.team_id = $1 "
    "  RETURNING *), "
    "ev AS ( "
    "  INSERT INTO outbox_events (id, team_id, type, payload) "
    "  SELECT $7::text, p.team_id, 'payout.created', " AFFONSO_PAYOUT_EVENT_PAYLOAD(
        "$7::text", "'payout.created'", "p") " FROM p RETURNING id) "
    "SELECT p.id FROM p"};

// $1 team, $2 payout, $3 JSON [{id, kind, commission_id, clawback_id, amount,
// commission_amount, sale_amount, commission_created_us}].
constexpr Statement kInsertTransactions{
    "payout_transactions_insert",
    "INSERT INTO payout_transactions (team_id, id, payout_id, kind, commission_id, clawback_id, "
    "  amount, commission_amount, sale_amount, commission_created_at) "
    "SELECT $1, i.id, $2, i.kind, i.commission_id, i.clawback_id, i.amount::numeric, "
    "  i.commission_amount::numeric, i.sale_amount::numeric, " AFFONSO_SQL_FROM_MICROS(
        "i.commission_created_us") " "
                                   "FROM json_to_recordset($3::json) AS i(id text, kind text, "
                                   "commission_id text, clawback_id text, amount text, "
                                   "commission_amount text, sale_amount text, "
                                   "commission_created_us bigint)"};

// $1 team, $2 payout, $3 JSON array of clawback ids.
constexpr Statement kClaimClawbacks{"payout_claim_clawbacks",
                                    "UPDATE commission_clawbacks SET payout_id = $2 "
                                    "WHERE team_id = $1 AND payout_id IS NULL "
                                    "  AND id IN (SELECT json_array_elements_text($3::json))"};

// ---- updates

constexpr Statement kLockPayout{
    "payout_lock", "SELECT status FROM payouts WHERE id = $1 AND team_id = $2 FOR UPDATE"};

// $1 id, $2 team, $3 status, $4 payment method, $5 reference (NULL:
// unchanged), $6 / $7 the event's id and type.
constexpr Statement kUpdatePayout{
    "payout_update",
    "WITH p AS ( "
    "  UPDATE payouts SET status = $3::text, "
    "    payment_method = COALESCE($4::text, payment_method), "
    "    payment_reference = COALESCE($5::text, payment_reference), "
    "    processed_at = CASE WHEN $3::text = 'completed' AND status <> 'completed' THEN now() "
    "      ELSE processed_at END, "
    "    updated_at = now() "
    "  WHERE id = $1 AND team_id = $2 RETURNING *), "
    "ev AS ( "
    "  INSERT INTO outbox_events (id, team_id, type, payload) "
    "  SELECT $6::text, p.team_id, $7::text, " AFFONSO_PAYOUT_EVENT_PAYLOAD(
        "$6::text", "$7::text", "p") " FROM p RETURNING id) "
    "SELECT p.id FROM p"};

// The commissions a live payout pays, locked. $1 team, $2 payout.
constexpr Statement kLockPayoutCommissions{
    "payout_lock_commissions",
    "SELECT c.team_id, c.id FROM payout_transactions t "
    "JOIN commissions c ON c.id = t.commission_id AND c.team_id = t.team_id "
    "WHERE t.team_id = $1 AND t.payout_id = $2 AND t.kind = 'commission' "
    "  AND t.released_at IS NULL "
    "ORDER BY c.id FOR UPDATE OF c"};

constexpr Statement kReleaseTransactions{
    "payout_release_transactions",
    "UPDATE payout_transactions SET released_at = now() "
    "WHERE team_id = $1 AND payout_id = $2 AND released_at IS NULL"};

constexpr Statement kReleaseClawbacks{
    "payout_release_clawbacks",
    "UPDATE commission_clawbacks SET payout_id = NULL WHERE team_id = $1 AND payout_id = $2"};

#undef AFFONSO_IN_LIVE_PAYOUT
#undef AFFONSO_PAYOUT_LIST_FILTER
#undef AFFONSO_PAYOUT_EVENT_PAYLOAD
#undef AFFONSO_PAYOUT_COLUMNS

// Payout and PayoutDetail have the same fields up to transactions.
template <typename T>
void ReadPayout(const pqxx::row& row, T* payout) {
  payout->set_id(ReadText(row["id"]));
  payout->set_affiliate_id(ReadText(row["affiliate_id"]));
  payout->set_invoice_number(row["invoice_number"].as<int>());
  payout->set_amount(ReadDecimal(row["amount"]));
  payout->set_currency(ReadText(row["currency"]));
  payout->set_status(PayoutStatusFromDb(ReadText(row["status"])));
  if (!row["payment_method"].is_null()) payout->set_payment_method(ReadText(row["payment_method"]));
  if (!row["payment_reference"].is_null()) {
    payout->set_payment_reference(ReadText(row["payment_reference"]));
  }
  if (!row["processed_at"].is_null()) {
    ReadTimestamp(row["processed_at"], payout->mutable_processed_at());
  }
  payout->set_managed_payout(false);
  if (row["affiliate_live"].as<bool>()) {
    affonso::v1::PayoutAffiliate* affiliate = payout->mutable_affiliate();
    affiliate->set_name(ReadText(row["affiliate_name"]));
    affiliate->set_email(ReadText(row["affiliate_email"]));
  }
  ReadTimestamp(row["created_at"], payout->mutable_created_at());
  ReadTimestamp(row["updated_at"], payout->mutable_updated_at());
}

Payout ReadPayoutRow(const pqxx::row& row) {
  Payout payout;
  ReadPayout(row, &payout);
  return payout;
}

const char* IfPresent(const std::optional<std::string>& value) {
  return value.has_value() ? value->c_str() : nullptr;
}

absl::StatusOr<Money> ReadMoney(const pqxx::field& field) {
  return Money::FromDecimalText(ReadText(field));
}

}  // namespace

absl::StatusOr<PayoutPage> PgPayoutStore::ListPayouts(absl::string_view team_id,
                                                      const PayoutListQuery& query) {
  const std::string team(team_id);
  const char* status = PayoutStatusToDb(query.status);
  const int64_t offset = (static_cast<int64_t>(query.page) - 1) * query.limit;
  return pool_->Autocommit("list_payouts", [&](Tx& tx) -> absl::StatusOr<PayoutPage> {
    PayoutPage page;
    pqxx::result rows = tx.Exec(kListPayouts, team, status, NullIfEmpty(query.affiliate_id),
                                NullIfEmpty(query.created_from_us),
                                NullIfEmpty(query.created_to_us), query.sort, query.limit, offset);
    if (rows.empty()) {
      if (offset > 0) {
        page.total = tx.Exec(kCountPayouts, team, status, NullIfEmpty(query.affiliate_id),
                             NullIfEmpty(query.created_from_us),
                             NullIfEmpty(query.created_to_us))[0]["total"]
                         .as<int>();
      }
      return page;
    }
    page.total = rows[0]["total"].as<int>();
    for (const pqxx::row& row : rows) page.payouts.push_back(ReadPayoutRow(row));
    return page;
  });
}

absl::StatusOr<PayoutDetail> PgPayoutStore::GetPayout(absl::string_view team_id,
                                                      absl::string_view id) {
  const std::string team(team_id);
  const std::string payout_id(id);
  // One snapshot for the payout and its lines.
  return pool_->InTransaction("get_payout", [&](Tx& tx) -> absl::StatusOr<PayoutDetail> {
    pqxx::result rows = tx.Exec(kSelectPayout, payout_id, team);
    if (rows.empty()) return NotFoundError("payout");
    PayoutDetail detail;
    ReadPayout(rows[0], &detail);
    for (const pqxx::row& row : tx.Exec(kSelectTransactions, team, payout_id)) {
      affonso::v1::PayoutTransaction* line = detail.add_transactions();
      line->set_id(ReadText(row["id"]));
      line->set_amount(ReadDecimal(row["amount"]));
      affonso::v1::PayoutCommission* commission = line->mutable_commission();
      commission->set_id(ReadText(row["commission_id"]));
      commission->set_amount(ReadDecimal(row["sale_amount"]));
      commission->set_commission_amount(ReadDecimal(row["commission_amount"]));
      ReadTimestamp(row["commission_created_at"], commission->mutable_created_at());
      ReadTimestamp(row["created_at"], line->mutable_created_at());
    }
    return detail;
  });
}

absl::StatusOr<Payout> PgPayoutStore::UpdatePayout(absl::string_view team_id,
                                                   const PayoutChange& change) {
  const std::string team(team_id);
  const char* to = PayoutStatusToDb(change.status);
  if (to == nullptr) return ValidationError("status", "status is required");
  const std::string event_id = NewId("evt");
  return pool_->InTransaction("update_payout", [&](Tx& tx) -> absl::StatusOr<Payout> {
    pqxx::result locked = tx.Exec(kLockPayout, change.id, team);
    if (locked.empty()) return NotFoundError("payout");
    const std::string from_name = ReadText(locked[0]["status"]);
    const affonso::v1::PayoutStatus from = PayoutStatusFromDb(from_name);
    if (!PayoutStatusChangeAllowed(from, change.status)) {
      return ValidationError("status",
                             absl::StrCat("a payout cannot go from ", from_name, " to ", to));
    }
    if (from != change.status) {
      std::vector<CommissionRef> commissions;
      for (const pqxx::row& row : tx.Exec(kLockPayoutCommissions, team, change.id)) {
        commissions.push_back({ReadText(row["team_id"]), ReadText(row["id"])});
      }
      switch (change.status) {
        case affonso::v1::PAYOUT_STATUS_COMPLETED:
          MoveCommissionStatus(tx, commissions, "processing_payout", "paid", "transaction.paid");
          break;
        case affonso::v1::PAYOUT_STATUS_FAILED:
        case affonso::v1::PAYOUT_STATUS_CANCELLED:
          // Free for the next payout: the commissions (already approved, so
          // transaction.updated alone) and the clawbacks.
          MoveCommissionStatus(tx, commissions, "processing_payout", "ready_for_payment", nullptr);
          tx.Exec(kReleaseTransactions, team, change.id);
          tx.Exec(kReleaseClawbacks, team, change.id);
          break;
        default:
          break;
      }
    }
    // The same status again changes only the payment fields: payout.updated,
    // never a second payout.paid / payout.failed.
    const char* event_type =
        from == change.status ? "payout.updated" : PayoutStatusEvent(change.status);
    if (tx.Exec(kUpdatePayout, change.id, team, to, IfPresent(change.payment_method),
                IfPresent(change.payment_reference), event_id, event_type)
            .empty()) {
      return NotFoundError("payout");
    }
    return QueryOne(tx, kSelectPayout, ReadPayoutRow, "payout", change.id, team);
  });
}

absl::StatusOr<PayoutGenerationResult> PgPayoutStore::GeneratePayouts(
    const PayoutGeneration& generation) {
  PayoutGenerationResult result;
  auto micros = [](absl::Time time) { return std::to_string(absl::ToUnixMicros(time)); };
  const std::string monthly_us = micros(
      generation.ready_before.value_or(PeriodStart(PaymentFrequency::kMonthly, generation.now)));
  const std::string weekly_us = micros(
      generation.ready_before.value_or(PeriodStart(PaymentFrequency::kWeekly, generation.now)));
  const std::string default_threshold = generation.threshold.ToDecimalText();
  const char* default_frequency =
      generation.frequency == PaymentFrequency::kWeekly ? "weekly" : "monthly";
  Group after{"", "", "", "", Money()};
  while (true) {
    absl::StatusOr<std::vector<Group>> groups =
        pool_->Autocommit("payout_groups", [&](Tx& tx) -> absl::StatusOr<std::vector<Group>> {
          std::vector<Group> page;
          for (const pqxx::row& row :
               tx.Exec(kPayoutGroups, NullIfEmpty(generation.team_id), monthly_us, after.team_id,
                       after.affiliate_id, after.currency, generation.groups_per_page,
                       default_threshold, default_frequency, weekly_us)) {
            absl::StatusOr<Money> threshold = ReadMoney(row["threshold"]);
            if (!threshold.ok()) return absl::InternalError("internal error");
            page.push_back({ReadText(row["team_id"]), ReadText(row["affiliate_id"]),
                            ReadText(row["currency"]), ReadText(row["ready_before_us"]),
                            *threshold});
          }
          return page;
        });
    if (!groups.ok()) return groups.status();
    for (const Group& group : *groups) {
      std::string payout_id;
      absl::StatusOr<Outcome> outcome = GenerateOne(group, generation, &payout_id);
      if (!outcome.ok()) {
        // A commission taken into another live payout meanwhile (the unique
        // index refused): the next run sees the group as it is then.
        if (outcome.status().code() == absl::StatusCode::kAlreadyExists) {
          ++result.busy;
          continue;
        }
        // One group that fails must not hold back every other team's
        // payouts: it is logged, counted as busy and retried next run.
        AFFONSO_LOG(kError, "payout generation: team ", group.team_id, " affiliate ",
                    group.affiliate_id, " ", group.currency, ": ", outcome.status().ToString());
        ++result.busy;
        continue;
      }
      switch (*outcome) {
        case Outcome::kCreated:
          result.payout_ids.push_back(payout_id);
          break;
        case Outcome::kBelowThreshold:
          ++result.below_threshold;
          break;
        case Outcome::kBusy:
          ++result.busy;
          break;
        case Outcome::kNothing:
          break;
      }
    }
    if (static_cast<int>(groups->size()) < generation.groups_per_page) break;
    after = groups->back();
  }
  return result;
}

absl::StatusOr<PgPayoutStore::Outcome> PgPayoutStore::GenerateOne(
    const Group& group, const PayoutGeneration& generation, std::string* payout_id) {
  const std::string& ready_before_us = group.ready_before_us;
  const std::string id = NewId("pay");
  const std::string event_id = NewId("evt");
  return pool_->InTransaction("generate_payout", [&](Tx& tx) -> absl::StatusOr<Outcome> {
    if (!tx.Exec(kTryLockGroup, group.team_id, group.affiliate_id, group.currency)[0]["locked"]
             .as<bool>()) {
      return Outcome::kBusy;
    }
    std::vector<CommissionRef> commissions;
    std::string lines = "[";
    Money net;
    for (const pqxx::row& row :
         tx.Exec(kLockEligibleCommissions, group.team_id, group.affiliate_id, group.currency,
                 ready_before_us, generation.max_commissions_per_payout)) {
      commissions.push_back({ReadText(row["team_id"]), ReadText(row["id"])});
      absl::StatusOr<Money> amount = ReadMoney(row["commission_amount"]);
      if (!amount.ok()) return absl::InternalError("internal error");
      net = net + *amount;
      if (lines.size() > 1) lines.push_back(',');
      absl::StrAppend(
          &lines, "{\"id\":", JsonEscape(NewId("ptx")),
          ",\"kind\":\"commission\",\"commission_id\":", JsonEscape(commissions.back().id),
          ",\"clawback_id\":null,\"amount\":", JsonEscape(amount->ToDecimalText()),
          ",\"commission_amount\":", JsonEscape(amount->ToDecimalText()),
          ",\"sale_amount\":", JsonEscape(ReadText(row["sale_amount"])),
          ",\"commission_created_us\":", ReadText(row["created_at"]), "}");
    }
    if (commissions.empty()) return Outcome::kNothing;
    std::string clawbacks = "[";
    for (const pqxx::row& row :
         tx.Exec(kLockOwedClawbacks, group.team_id, group.affiliate_id, group.currency)) {
      absl::StatusOr<Money> amount = ReadMoney(row["amount"]);
      if (!amount.ok()) return absl::InternalError("internal error");
      net = net - *amount;
      const std::string clawback_id = ReadText(row["id"]);
      if (clawbacks.size() > 1) clawbacks.push_back(',');
      clawbacks += JsonEscape(clawback_id);
      absl::StrAppend(
          &lines, ",{\"id\":", JsonEscape(NewId("ptx")),
          ",\"kind\":\"clawback\",\"commission_id\":", JsonEscape(ReadText(row["commission_id"])),
          ",\"clawback_id\":", JsonEscape(clawback_id),
          ",\"amount\":", JsonEscape((Money() - *amount).ToDecimalText()),
          ",\"commission_amount\":", JsonEscape(ReadText(row["commission_amount"])),
          ",\"sale_amount\":", JsonEscape(ReadText(row["sale_amount"])),
          ",\"commission_created_us\":", ReadText(row["created_at"]), "}");
    }
    lines.push_back(']');
    clawbacks.push_back(']');
    // Nothing was written yet: returning leaves the group as it was.
    if (net < group.threshold || net <= Money()) return Outcome::kBelowThreshold;
    const int invoice_number =
        tx.Exec(kNextInvoiceNumber, group.team_id)[0]["last_number"].as<int>();
    if (tx.Exec(kInsertPayout, group.team_id, id, group.affiliate_id, invoice_number,
                net.ToDecimalText(), group.currency, event_id)
            .empty()) {
      return absl::InternalError("internal error");
    }
    tx.Exec(kInsertTransactions, group.team_id, id, lines);
    tx.Exec(kClaimClawbacks, group.team_id, id, clawbacks);
    const size_t moved =
        MoveCommissionStatus(tx, commissions, "ready_for_payment", "processing_payout", nullptr)
            .size();
    if (moved != commissions.size()) {
      AFFONSO_LOG(kError, "payout ", id, ": ", moved, " of ", commissions.size(),
                  " locked commissions moved");
      return absl::InternalError("internal error");
    }
    *payout_id = id;
    return Outcome::kCreated;
  });
}

}  // namespace affonso::storage

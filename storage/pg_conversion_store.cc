#include "storage/pg_conversion_store.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "storage/commission_names.h"
#include "storage/conversion_sql.h"
#include "storage/incentive_names.h"
#include "storage/pg_values.h"
#include "storage/query_one.h"
#include "storage/referral_rows.h"
#include "storage/transaction_event_sql.h"

namespace affonso::storage {
namespace {

using affonso::v1::CommissionStatus;
using affonso::v1::Conversion;

constexpr char kDefaultCurrency[] = "USD";

// The select (and RETURNING) list of a conversion, over `c` (commissions),
// under the names ReadConversion reads. Amounts travel as numeric text.
// clang-format off
#define AFFONSO_CONVERSION_COLUMNS                                                              \
  "c.id, c.referral_id, c.affiliate_id, c.program_id, c.team_id AS owner_team, "                \
  "c.commission_amount::text AS commission_amount, c.commission_currency, "                     \
  "COALESCE(c.sale_amount, 0)::text AS sale_amount, "                                           \
  "COALESCE(c.sale_amount_currency, c.commission_currency) AS sale_amount_currency, "           \
  "c.status, c.sales_status, c.hold_period_days, c.payment_intent_id, c.invoice_id, "           \
  "c.incentive_id, c.earning_type, c.external_event_id, c.matched_incentive_id, "               \
  "c.source_event_id, "                                                                         \
  "COALESCE(c.original_commission_amount, c.commission_amount)::text AS original_commission, "  \
  "c.refunded_amount::text AS refunded_amount, "                                                \
  AFFONSO_SQL_MICROS("c.created_at") " AS created_at, "                                         \
  AFFONSO_SQL_MICROS("c.updated_at") " AS updated_at"
// clang-format on

// Identical conversions queue here (a transaction-scoped lock, so a crash
// or rollback frees it). $1 team, $2 external_event_id.
constexpr Statement kLockEventId{
    "conversion_lock_event",
    "SELECT pg_advisory_xact_lock(hashtextextended($1::text || '/' || $2::text, 0))"};

constexpr Statement kByExternalEventId{
    "conversion_by_event", "SELECT " AFFONSO_CONVERSION_COLUMNS
                           " FROM commissions c WHERE c.team_id = $1 AND c.external_event_id = $2"};

constexpr Statement kSelectConversion{
    "conversion_select", "SELECT " AFFONSO_CONVERSION_COLUMNS
                         " FROM commissions c "
                         "WHERE c.id = $1 AND c.team_id = $2 AND c.earning_type = 'sale'"};

constexpr Statement kLockConversion{
    "conversion_lock",
    "SELECT " AFFONSO_CONVERSION_COLUMNS
    " FROM commissions c WHERE c.id = $1 AND c.team_id = $2 AND c.earning_type = 'sale' "
    "FOR UPDATE"};

// What earlier refunds clawed back from this commission while it was being
// paid out. $1 team, $2 commission.
constexpr Statement kClawedBack{
    "conversion_clawed_back",
    "SELECT COALESCE(sum(amount), 0)::text AS clawed_back FROM commission_clawbacks "
    "WHERE team_id = $1 AND commission_id = $2"};

// Attribution. $1 team, $2 the identifier.
#define AFFONSO_ATTRIBUTED_REFERRAL \
  "SELECT r.id, r.program_id, r.affiliate_id, r.status FROM referrals r "
constexpr Statement kReferralById{"conversion_referral_by_id", AFFONSO_ATTRIBUTED_REFERRAL
                                  "WHERE r.team_id = $1 AND r.id = $2 AND r.deleted_at IS NULL"};
// A click's referral: the one that took its id (a signup) or a direct one
// that names it. A deleted one is not answered, and its click stays used.
constexpr Statement kReferralByClick{
    "conversion_referral_by_click", AFFONSO_ATTRIBUTED_REFERRAL
    "WHERE r.team_id = $1 AND (r.id = $2 OR r.click_id = $2) AND r.deleted_at IS NULL "
    "ORDER BY (r.id = $2) DESC LIMIT 1"};
constexpr Statement kUnconvertedClick{
    "conversion_unconverted_click",
    "SELECT c.id, c.program_id, c.affiliate_id FROM clicks c "
    "WHERE c.team_id = $1 AND c.id = $2 "
    "  AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.id = c.id OR r.click_id = c.id)"};
// Several referrals with one customer: the first one (first touch).
constexpr Statement kReferralByCustomer{
    "conversion_referral_by_customer", AFFONSO_ATTRIBUTED_REFERRAL
    "WHERE r.team_id = $1 AND r.customer_id = $2 AND r.deleted_at IS NULL "
    "ORDER BY r.created_at, r.id LIMIT 1"};
constexpr Statement kReferralByExternalUser{
    "conversion_referral_by_external_user", AFFONSO_ATTRIBUTED_REFERRAL
    "WHERE r.team_id = $1 AND r.external_user_id = $2 AND r.deleted_at IS NULL "
    "ORDER BY r.created_at, r.id LIMIT 1"};
#undef AFFONSO_ATTRIBUTED_REFERRAL
// Codes are unique per program: the default program's first, then the oldest.
constexpr Statement kCoupon{"conversion_coupon",
                            "SELECT k.id, k.program_id, k.affiliate_id FROM coupons k "
                            "JOIN affiliates a ON a.id = k.affiliate_id AND a.deleted_at IS NULL "
                            "JOIN programs p ON p.id = k.program_id "
                            "WHERE k.team_id = $1 AND upper(k.code) = upper($2) "
                            "ORDER BY p.is_default DESC, k.created_at, k.id LIMIT 1"};

// A coupon-only sale's referral: direct, for the coupon's affiliate; the
// sale then converts it like any lead. $1 team, $2 coupon, $3 id.
constexpr Statement kCouponReferral{
    "conversion_coupon_referral",
    "INSERT INTO referrals (id, team_id, program_id, affiliate_id, source, status) "
    "SELECT $3, k.team_id, k.program_id, k.affiliate_id, 'direct', 'lead' FROM coupons k "
    "JOIN affiliates a ON a.id = k.affiliate_id AND a.deleted_at IS NULL "
    "WHERE k.team_id = $1 AND k.id = $2 RETURNING id"};

// $1 team, $2 referral.
constexpr Statement kLockReferral{
    "conversion_lock_referral",
    "SELECT r.status FROM referrals r "
    "WHERE r.team_id = $1 AND r.id = $2 AND r.deleted_at IS NULL FOR UPDATE"};

// What the incentive's length needs, read under the referral's lock. $1
// team, $2 referral, $3 the sale's created_at (micros, NULL = now).
constexpr Statement kSaleHistory{
    "conversion_sale_history",
    "SELECT " AFFONSO_SQL_MICROS("COALESCE(" AFFONSO_SQL_FROM_MICROS("$3") ", now())")
    " AS sale_time_us, "
    "  (SELECT " AFFONSO_SQL_MICROS("min(x.created_at)")
    "   FROM commissions x WHERE x.team_id = $1 AND x.referral_id = $2 "
    "     AND x.earning_type = 'sale') AS first_conversion_us, "
    "  (SELECT count(*) FROM commissions x WHERE x.team_id = $1 AND x.referral_id = $2 "
    "     AND x.earning_type = 'sale' AND x.sales_status <> 'failed') AS paid_conversions"};

// The sale incentives of the referral's affiliate's group (no group: the
// program's default group), oldest first, each with the affiliate's
// override. $1 team, $2 referral.
constexpr Statement kSaleIncentives{
    "conversion_sale_incentives",
    "SELECT n.id, n.amount::text AS amount, n.is_percentage, n.currency, n.hold_period_days, "
    "  n.apply_to, n.product_ids, n.approval_type, n.incentive_length, n.length_value, "
    "  o.amount::text AS override_amount, o.is_percentage AS override_is_percentage "
    "FROM referrals r JOIN affiliates a ON a.id = r.affiliate_id "
    "JOIN incentives n ON n.program_id = a.program_id AND n.type = 'sale' "
    "  AND n.group_id = COALESCE(a.group_id, (SELECT g.id FROM affiliate_groups g "
    "                                         WHERE g.program_id = a.program_id AND g.is_default)) "
    "LEFT JOIN commission_overrides o ON o.affiliate_id = a.id AND o.incentive_id = n.id "
    "WHERE r.team_id = $1 AND r.id = $2 ORDER BY n.created_at, n.id"};

// $1 id, $2 team, $3 referral, $4 commission, $5 currency, $6 sale, $7
// status, $8 sales status, $9 hold days, $10 incentive (NULL none), $11
// external event, $12 source event, $13 / $14 product / price ids (JSON
// arrays), $15 interval, $16 is_subscription, $17 metadata, $18 coupon code,
// $19 created_at micros. The unique index is the backstop of the lock.
constexpr Statement kInsertConversion{
    "conversion_insert",
    "INSERT INTO commissions AS c (id, team_id, program_id, referral_id, affiliate_id, "
    "  incentive_id, matched_incentive_id, commission_amount, original_commission_amount, "
    "  commission_currency, sale_amount, sale_amount_currency, status, sales_status, "
    "  hold_period_days, earning_type, external_event_id, source_event_id, product_ids, "
    "  price_ids, billing_interval, is_subscription, metadata, coupon_code, created_at) "
    "SELECT $1, r.team_id, r.program_id, r.id, r.affiliate_id, $10::text, $10::text, "
    "  $4::numeric, $4::numeric, $5::text, $6::numeric, $5::text, $7::text, $8::text, $9::int, "
    "  'sale', $11::text, $12::text, "
    "  ARRAY(SELECT jsonb_array_elements_text($13::jsonb)), "
    "  ARRAY(SELECT jsonb_array_elements_text($14::jsonb)), $15::text, $16::boolean, "
    "  $17::jsonb, $18::text, COALESCE(" AFFONSO_SQL_FROM_MICROS("$19") ", now()) "
    "FROM referrals r WHERE r.team_id = $2 AND r.id = $3 "
    "ON CONFLICT (team_id, external_event_id) WHERE external_event_id IS NOT NULL DO NOTHING "
    "RETURNING " AFFONSO_CONVERSION_COLUMNS};

// A transaction.* event for the commission as it now is. $1 event id, $2
// type, $3 commission, $4 team.
constexpr Statement kTransactionEvent{
    "conversion_transaction_event",
    "INSERT INTO outbox_events (id, team_id, type, payload) "
    "SELECT $1::text, x.team_id, $2::text, " AFFONSO_TRANSACTION_EVENT_PAYLOAD(
        "$1::text", "$2::text", "x") " FROM (SELECT c.id, c.team_id, c.referral_id, "
                                     "c.affiliate_id, c.commission_amount, c.commission_currency, "
                                     "c.sale_amount AS event_sale_amount, "
                                     "c.sale_amount_currency AS event_sale_currency, c.status "
                                     "FROM commissions c WHERE c.id = $3 AND c.team_id = $4) x"};

// The first paying conversion of a lead (or trialing) referral makes it
// active, stamps converted_at (kept when already set) and announces it. $1
// team, $2 referral, $3 event id.
constexpr Statement kConvertReferral{
    "conversion_convert_referral",
    "WITH upd AS ( "
    "  UPDATE referrals AS r SET status = 'active', "
    "    converted_at = COALESCE(r.converted_at, now()), updated_at = now() "
    "  WHERE r.team_id = $1 AND r.id = $2 AND r.status IN ('lead', 'trialing') "
    "  RETURNING r.id, r.affiliate_id, r.program_id, r.status, r.email, r.customer_id, "
    "    r.external_user_id, r.team_id AS owner_team, r.click_id AS click_ref) "
    "INSERT INTO outbox_events (id, team_id, type, payload) "
    "SELECT $3::text, upd.owner_team, 'referral.converted', jsonb_build_object('id', $3::text, "
    "  'type', 'referral.converted', 'createdAt', " AFFONSO_EVENT_CREATED_AT
    ", 'data', " AFFONSO_REFERRAL_EVENT_DATA("upd") ") "
    "FROM upd JOIN affiliates af ON af.id = upd.affiliate_id "
    "LEFT JOIN clicks c ON c.id = upd.click_ref"};

// $1 team, $2 external event id.
constexpr Statement kRefundByEventId{
    "conversion_refund_by_event",
    "SELECT commission_id FROM conversion_refunds WHERE team_id = $1 AND external_event_id = $2"};

// $1 team, $2 id, $3 commission, $4 external event (NULL none), $5 amount, $6
// currency, $7 reason, $8 commission after, $9 clawback, $10 refunded_at.
constexpr Statement kInsertRefund{
    "conversion_refund_insert",
    "INSERT INTO conversion_refunds (team_id, id, commission_id, external_event_id, amount, "
    "  currency, reason, commission_after, clawback_amount, refunded_at) "
    "VALUES ($1, $2, $3, $4::text, $5::numeric, $6, $7::text, $8::numeric, $9::numeric, "
    "  COALESCE(" AFFONSO_SQL_FROM_MICROS("$10") ", now())) "
    "ON CONFLICT DO NOTHING RETURNING id"};

// $1 team, $2 id, $3 commission, $4 refund, $5 amount.
constexpr Statement kInsertClawback{
    "conversion_clawback_insert",
    "INSERT INTO commission_clawbacks (team_id, id, commission_id, refund_id, program_id, "
    "  affiliate_id, amount, currency) "
    "SELECT c.team_id, $2, c.id, $4, c.program_id, c.affiliate_id, $5::numeric, "
    "  c.commission_currency FROM commissions c WHERE c.id = $3 AND c.team_id = $1"};

// The original commission is kept on the first refund (a commission
// created through POST /v1/commissions has none stored). $1 id, $2 team, $3
// refunded amount, $4 commission, $5 status, $6 sales status.
constexpr Statement kApplyRefund{
    "conversion_apply_refund",
    "UPDATE commissions AS c SET refunded_amount = $3::numeric, commission_amount = $4::numeric, "
    "  original_commission_amount = COALESCE(c.original_commission_amount, c.commission_amount), "
    "  status = $5::text, sales_status = $6::text, updated_at = now() "
    "WHERE c.id = $1 AND c.team_id = $2 RETURNING " AFFONSO_CONVERSION_COLUMNS};

#undef AFFONSO_CONVERSION_COLUMNS

absl::StatusOr<Money> ReadMoney(const pqxx::field& field) {
  absl::StatusOr<Money> money = Money::FromDecimalText(ReadText(field));
  if (!money.ok()) {
    AFFONSO_LOG(kError, "conversion: unreadable amount \"", ReadText(field), "\"");
    return absl::InternalError("internal error");
  }
  return money;
}

Conversion ReadConversion(const pqxx::row& row) {
  Conversion conversion;
  conversion.set_id(ReadText(row["id"]));
  conversion.set_referral_id(ReadText(row["referral_id"]));
  conversion.set_affiliate_id(ReadText(row["affiliate_id"]));
  conversion.set_program_id(ReadText(row["program_id"]));
  conversion.set_sale_amount(ReadDecimal(row["sale_amount"]));
  conversion.set_sale_amount_currency(ReadText(row["sale_amount_currency"]));
  conversion.set_commission_amount(ReadDecimal(row["commission_amount"]));
  conversion.set_commission_currency(ReadText(row["commission_currency"]));
  conversion.set_status(CommissionStatusFromDb(ReadText(row["status"])));
  conversion.set_sales_status(SalesStatusFromDb(ReadText(row["sales_status"])));
  conversion.set_hold_period_days(row["hold_period_days"].as<int>());
  if (!row["payment_intent_id"].is_null()) {
    conversion.set_payment_intent_id(ReadText(row["payment_intent_id"]));
  }
  if (!row["invoice_id"].is_null()) conversion.set_invoice_id(ReadText(row["invoice_id"]));
  ReadTimestamp(row["created_at"], conversion.mutable_created_at());
  ReadTimestamp(row["updated_at"], conversion.mutable_updated_at());
  if (!row["incentive_id"].is_null()) conversion.set_earning_id(ReadText(row["incentive_id"]));
  const affonso::v1::IncentiveType earning_type =
      IncentiveTypeFromDb(ReadText(row["earning_type"]));
  if (earning_type != affonso::v1::INCENTIVE_TYPE_UNSPECIFIED) {
    conversion.set_earning_type(earning_type);
  }
  if (!row["external_event_id"].is_null()) {
    conversion.set_external_event_id(ReadText(row["external_event_id"]));
  }
  conversion.set_calculation_mode("auto");
  if (!row["matched_incentive_id"].is_null()) {
    conversion.set_matched_incentive_id(ReadText(row["matched_incentive_id"]));
  }
  if (!row["source_event_id"].is_null()) {
    conversion.set_source_event_id(ReadText(row["source_event_id"]));
  }
  return conversion;
}

SaleAttribution FromReferralRow(const pqxx::row& row) {
  SaleAttribution attribution;
  attribution.referral_id = ReadText(row["id"]);
  attribution.program_id = ReadText(row["program_id"]);
  attribution.affiliate_id = ReadText(row["affiliate_id"]);
  attribution.referral_status = ReadText(row["status"]);
  return attribution;
}

IncentiveLength LengthFromDb(const std::string& text) {
  if (text == "time_limited") return IncentiveLength::kTimeLimited;
  if (text == "payment_limited") return IncentiveLength::kPaymentLimited;
  return IncentiveLength::kLifetime;
}

absl::StatusOr<SaleFacts> ReadSaleFacts(Tx& tx, const std::string& team,
                                        const std::string& referral, const SaleInput& input,
                                        bool referral_rejected) {
  SaleFacts facts;
  facts.sale_amount = input.sale_amount;
  facts.product_ids.assign(input.product_ids.begin(), input.product_ids.end());
  facts.referral_rejected = referral_rejected;
  const pqxx::row history =
      tx.Exec(kSaleHistory, team, referral, NullIfEmpty(input.created_at_us))[0];
  facts.sale_time = absl::FromUnixMicros(history["sale_time_us"].as<int64_t>());
  if (!history["first_conversion_us"].is_null()) {
    facts.first_conversion_time =
        absl::FromUnixMicros(history["first_conversion_us"].as<int64_t>());
  }
  facts.earlier_paid_conversions = history["paid_conversions"].as<int>();
  for (const pqxx::row& row : tx.Exec(kSaleIncentives, team, referral)) {
    SaleIncentive incentive;
    incentive.id = ReadText(row["id"]);
    AFFONSO_ASSIGN_OR_RETURN(incentive.amount, ReadMoney(row["amount"]));
    incentive.is_percentage = row["is_percentage"].as<bool>();
    incentive.currency = ReadText(row["currency"]);
    incentive.hold_period_days = row["hold_period_days"].as<int>();
    incentive.specific_products = ReadText(row["apply_to"]) == "specific_products";
    ReadTextArray(row["product_ids"], &incentive.product_ids);
    incentive.manual_approval = ReadText(row["approval_type"]) == "manual";
    incentive.length = LengthFromDb(ReadText(row["incentive_length"]));
    incentive.length_value = row["length_value"].as<int>(0);
    if (!row["override_amount"].is_null()) {
      AFFONSO_ASSIGN_OR_RETURN(incentive.override_amount, ReadMoney(row["override_amount"]));
      incentive.override_is_percentage = row["override_is_percentage"].as<bool>();
    }
    facts.incentives.push_back(std::move(incentive));
  }
  return facts;
}

// The commission's first status: the request's (validated by the caller to
// be pending, pending_manual_approval, ready_for_payment or declined), but a
// manual incentive's commission waits for approval unless declined.
CommissionStatus InitialStatus(CommissionStatus requested, const SaleCommission& commission,
                               bool referral_rejected) {
  if (referral_rejected) return affonso::v1::COMMISSION_STATUS_DECLINED;
  if (requested == affonso::v1::COMMISSION_STATUS_DECLINED ||
      requested == affonso::v1::COMMISSION_STATUS_PENDING_MANUAL_APPROVAL) {
    return requested;
  }
  if (commission.manual_approval) return affonso::v1::COMMISSION_STATUS_PENDING_MANUAL_APPROVAL;
  if (requested == affonso::v1::COMMISSION_STATUS_UNSPECIFIED) {
    return affonso::v1::COMMISSION_STATUS_PENDING;
  }
  return requested;
}

bool PaidOut(CommissionStatus status) {
  return status == affonso::v1::COMMISSION_STATUS_PAID ||
         status == affonso::v1::COMMISSION_STATUS_PROCESSING_PAYOUT ||
         status == affonso::v1::COMMISSION_STATUS_DISPUTE;
}

}  // namespace

absl::StatusOr<SaleAttribution> PgConversionStore::Attribute(absl::string_view team_id,
                                                             ReferralIdentifier kind,
                                                             absl::string_view value) {
  const std::string team(team_id);
  const std::string key(value);
  return pool_->Autocommit("attribute_conversion", [&](Tx& tx) -> absl::StatusOr<SaleAttribution> {
    pqxx::result rows;
    switch (kind) {
      case ReferralIdentifier::kReferralId:
        rows = tx.Exec(kReferralById, team, key);
        break;
      case ReferralIdentifier::kClickId:
        rows = tx.Exec(kReferralByClick, team, key);
        if (rows.empty()) {
          pqxx::result click = tx.Exec(kUnconvertedClick, team, key);
          if (click.empty()) return NotFoundError("referral");
          SaleAttribution attribution;
          attribution.click_id = ReadText(click[0]["id"]);
          attribution.program_id = ReadText(click[0]["program_id"]);
          attribution.affiliate_id = ReadText(click[0]["affiliate_id"]);
          return attribution;
        }
        break;
      case ReferralIdentifier::kCustomerId:
        rows = tx.Exec(kReferralByCustomer, team, key);
        break;
      case ReferralIdentifier::kExternalUserId:
        rows = tx.Exec(kReferralByExternalUser, team, key);
        break;
      case ReferralIdentifier::kCouponCode: {
        pqxx::result coupon = tx.Exec(kCoupon, team, key);
        if (coupon.empty()) return NotFoundError("referral");
        SaleAttribution attribution;
        attribution.coupon_id = ReadText(coupon[0]["id"]);
        attribution.program_id = ReadText(coupon[0]["program_id"]);
        attribution.affiliate_id = ReadText(coupon[0]["affiliate_id"]);
        return attribution;
      }
    }
    if (rows.empty()) return NotFoundError("referral");
    return FromReferralRow(rows[0]);
  });
}

absl::StatusOr<std::optional<Conversion>> PgConversionStore::FindByExternalEventId(
    absl::string_view team_id, absl::string_view external_event_id) {
  const std::string team(team_id);
  const std::string event(external_event_id);
  return pool_->Autocommit("find_conversion",
                           [&](Tx& tx) -> absl::StatusOr<std::optional<Conversion>> {
                             pqxx::result rows = tx.Exec(kByExternalEventId, team, event);
                             if (rows.empty()) return std::optional<Conversion>();
                             return std::optional<Conversion>(ReadConversion(rows[0]));
                           });
}

absl::StatusOr<Conversion> PgConversionStore::GetConversion(absl::string_view team_id,
                                                            absl::string_view id) {
  return pool_->Autocommit("get_conversion", [&](Tx& tx) {
    return QueryOne(tx, kSelectConversion, ReadConversion, "conversion", id, team_id);
  });
}

absl::StatusOr<RecordedConversion> PgConversionStore::RecordSale(absl::string_view team_id,
                                                                 const SaleInput& input) {
  const std::string team(team_id);
  const std::string id = NewId("com");
  const std::string transaction_event_id = NewId("evt");
  const std::string converted_event_id = NewId("evt");
  const std::string coupon_referral_id = NewId("ref");
  const std::string product_ids = JsonTextArray(input.product_ids);
  const std::string price_ids = JsonTextArray(input.price_ids);
  const std::string metadata = input.metadata_json.empty() ? "{}" : input.metadata_json;
  const char* sales_status = SalesStatusToDb(input.sales_status);
  if (sales_status == nullptr) return absl::InvalidArgumentError("sales status not resolved");
  return pool_->InTransaction(
      "record_conversion", [&](Tx& tx) -> absl::StatusOr<RecordedConversion> {
        RecordedConversion result;
        tx.Exec(kLockEventId, team, input.external_event_id);
        pqxx::result existing = tx.Exec(kByExternalEventId, team, input.external_event_id);
        if (!existing.empty()) {
          result.conversion = ReadConversion(existing[0]);
          return result;
        }
        std::string referral = input.attribution.referral_id;
        if (referral.empty()) {
          if (input.attribution.coupon_id.empty()) return NotFoundError("referral");
          if (tx.Exec(kCouponReferral, team, input.attribution.coupon_id, coupon_referral_id)
                  .empty()) {
            return NotFoundError("referral");
          }
          referral = coupon_referral_id;
        }
        pqxx::result locked = tx.Exec(kLockReferral, team, referral);
        if (locked.empty()) return NotFoundError("referral");
        const bool rejected = ReadText(locked[0]["status"]) == "rejected";
        AFFONSO_ASSIGN_OR_RETURN(SaleFacts facts,
                                 ReadSaleFacts(tx, team, referral, input, rejected));
        const SaleCommission commission = policy_->Calculate(facts);
        const char* status =
            CommissionStatusToDb(InitialStatus(input.status, commission, rejected));
        if (status == nullptr) return absl::InvalidArgumentError("commission status not resolved");
        std::string currency = input.currency;
        if (currency.empty()) currency = commission.incentive_currency;
        if (currency.empty()) currency = kDefaultCurrency;
        pqxx::result inserted =
            tx.Exec(kInsertConversion, id, team, referral, commission.amount.ToDecimalText(),
                    currency, input.sale_amount.ToDecimalText(), status, sales_status,
                    commission.hold_period_days, NullIfEmpty(commission.incentive_id),
                    input.external_event_id, NullIfEmpty(input.source_event_id), product_ids,
                    price_ids, NullIfEmpty(input.interval), input.is_subscription, metadata,
                    NullIfEmpty(input.coupon_code), NullIfEmpty(input.created_at_us));
        if (inserted.empty()) {
          // Only a writer that skipped the lock (none does) gets here.
          return absl::AbortedError("a conversion with this external_event_id was just recorded");
        }
        tx.Exec(kTransactionEvent, transaction_event_id, "transaction.created", id, team);
        if (input.sales_status != affonso::v1::SALES_STATUS_FAILED &&
            input.sales_status != affonso::v1::SALES_STATUS_TRIALING) {
          tx.Exec(kConvertReferral, team, referral, converted_event_id);
        }
        result.conversion = ReadConversion(inserted[0]);
        result.created = true;
        return result;
      });
}

absl::StatusOr<Conversion> PgConversionStore::RefundConversion(absl::string_view team_id,
                                                               const RefundInput& input) {
  const std::string team(team_id);
  const std::string refund_id = NewId("cref");
  const std::string clawback_id = NewId("clb");
  const std::string event_id = NewId("evt");
  return pool_->InTransaction("refund_conversion", [&](Tx& tx) -> absl::StatusOr<Conversion> {
    pqxx::result locked = tx.Exec(kLockConversion, input.conversion_id, team);
    if (locked.empty()) return NotFoundError("conversion");
    const pqxx::row& row = locked[0];
    if (!input.external_event_id.empty()) {
      pqxx::result earlier = tx.Exec(kRefundByEventId, team, input.external_event_id);
      if (!earlier.empty()) {
        if (ReadText(earlier[0]["commission_id"]) != input.conversion_id) {
          return DuplicateError("external_event_id",
                                "external_event_id is taken by a refund of another conversion");
        }
        return ReadConversion(row);  // refunded already: nothing more
      }
    }
    const std::string sale_currency = ReadText(row["sale_amount_currency"]);
    if (!input.currency.empty() && input.currency != sale_currency) {
      return ValidationError("currency",
                             absl::StrCat("currency must be the sale's (", sale_currency, ")"));
    }
    AFFONSO_ASSIGN_OR_RETURN(const Money sale, ReadMoney(row["sale_amount"]));
    AFFONSO_ASSIGN_OR_RETURN(const Money refunded, ReadMoney(row["refunded_amount"]));
    AFFONSO_ASSIGN_OR_RETURN(const Money original, ReadMoney(row["original_commission"]));
    AFFONSO_ASSIGN_OR_RETURN(const Money current, ReadMoney(row["commission_amount"]));
    const Money remaining = sale - refunded;
    if (remaining <= Money()) {
      return ValidationError("amount", "the sale is refunded in full already");
    }
    const Money amount = input.amount.value_or(remaining);
    if (amount <= Money() || amount > remaining) {
      return ValidationError("amount",
                             absl::StrCat("amount must be above 0 and at most what is left of the "
                                          "sale (",
                                          remaining.ToDecimalText(), ")"));
    }
    const Money left = remaining - amount;
    // Both from the original commission: rounded once each, never compounded.
    const Money before = original.ScaledBy(remaining, sale);
    const Money after = original.ScaledBy(left, sale);
    const CommissionStatus status = CommissionStatusFromDb(ReadText(row["status"]));
    const bool paid_out = PaidOut(status);
    // Money that left stays as paid: the affiliate owes the difference.
    const Money clawback = paid_out ? before - after : Money();
    // Unpaid again (its payout failed or was cancelled) after earlier refunds
    // were clawed back: those clawbacks stay owed, so the commission keeps
    // them and the affiliate nets exactly `after`.
    Money clawed_back;
    if (!paid_out) {
      pqxx::result owed = tx.Exec(kClawedBack, team, input.conversion_id);
      AFFONSO_ASSIGN_OR_RETURN(clawed_back, ReadMoney(owed[0]["clawed_back"]));
    }
    const Money commission_after = paid_out ? current : after + clawed_back;
    CommissionStatus new_status = status;
    const char* event = "transaction.updated";
    // Refunded in full: nothing is due, unless owed clawbacks still have to
    // be netted by it in a payout.
    if (!paid_out && left == Money() && clawed_back == Money() &&
        status != affonso::v1::COMMISSION_STATUS_DECLINED) {
      new_status = affonso::v1::COMMISSION_STATUS_REFUNDED;
      event = "transaction.rejected";
    }
    const affonso::v1::SalesStatus sales_status = left == Money()
                                                      ? affonso::v1::SALES_STATUS_REFUNDED
                                                      : affonso::v1::SALES_STATUS_PARTIAL_REFUNDED;
    if (tx.Exec(kInsertRefund, team, refund_id, input.conversion_id,
                NullIfEmpty(input.external_event_id), amount.ToDecimalText(), sale_currency,
                NullIfEmpty(input.reason), commission_after.ToDecimalText(),
                clawback.ToDecimalText(), NullIfEmpty(input.refunded_at_us))
            .empty()) {
      // A refund of another conversion took the external_event_id meanwhile.
      return DuplicateError("external_event_id",
                            "external_event_id is taken by a refund of another conversion");
    }
    if (clawback > Money()) {
      tx.Exec(kInsertClawback, team, clawback_id, input.conversion_id, refund_id,
              clawback.ToDecimalText());
    }
    pqxx::result updated =
        tx.Exec(kApplyRefund, input.conversion_id, team, (refunded + amount).ToDecimalText(),
                commission_after.ToDecimalText(), CommissionStatusToDb(new_status),
                SalesStatusToDb(sales_status));
    if (updated.empty()) return NotFoundError("conversion");
    tx.Exec(kTransactionEvent, event_id, event, input.conversion_id, team);
    return ReadConversion(updated[0]);
  });
}

}  // namespace affonso::storage

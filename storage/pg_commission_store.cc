#include "storage/pg_commission_store.h"

#include <cstdint>
#include <string>

#include "common/api_error.h"
#include "storage/incentive_names.h"
#include "storage/pg_values.h"
#include "storage/query_one.h"

namespace affonso::storage {
namespace {

using affonso::v1::Commission;

// The select list of every commission query, under the names ReadCommission
// reads.
#define AFFONSO_COMMISSION_COLUMNS                                              \
  "c.id, c.referral_id, c.affiliate_id, c.program_id, "                         \
  "c.commission_amount::float8 AS commission_amount, c.commission_currency, "   \
  "COALESCE(c.sale_amount, 0)::float8 AS sale_amount, c.sale_amount_currency, " \
  "c.status, c.hold_period_days, c.earning_type, " AFFONSO_SQL_MICROS(          \
      "c.created_at") " AS created_at, " AFFONSO_SQL_MICROS("c.updated_at") " AS updated_at"

// A NULL parameter disables its filter. $1 team, $2 affiliate, $3 referral,
// $4 status.
#define AFFONSO_COMMISSION_LIST_FILTER                   \
  "WHERE c.team_id = $1 "                                \
  "AND ($2::text IS NULL OR c.affiliate_id = $2::text) " \
  "AND ($3::text IS NULL OR c.referral_id = $3::text) "  \
  "AND ($4::text IS NULL OR c.status = $4::text) "

// $1 id, $2 team.
constexpr Statement kSelectCommission{"commission_select",
                                      "SELECT " AFFONSO_COMMISSION_COLUMNS
                                      " FROM commissions c WHERE c.id = $1 AND c.team_id = $2"};

// The total rides along with the page; only a page past the end, which has no
// row to carry it, needs kCountCommissions. $1-$4 as in the filter, $5 limit,
// $6 offset.
constexpr Statement kListCommissions{
    "commission_list",
    "SELECT " AFFONSO_COMMISSION_COLUMNS
    ", count(*) OVER () AS total FROM commissions c " AFFONSO_COMMISSION_LIST_FILTER
    "ORDER BY c.created_at DESC, c.id DESC LIMIT $5::int OFFSET $6::bigint"};

constexpr Statement kCountCommissions{
    "commission_count",
    "SELECT count(*) AS total FROM commissions c " AFFONSO_COMMISSION_LIST_FILTER};

#undef AFFONSO_COMMISSION_LIST_FILTER
#undef AFFONSO_COMMISSION_COLUMNS

Commission ReadCommission(const pqxx::row& row) {
  Commission commission;
  commission.set_id(ReadText(row["id"]));
  commission.set_referral_id(ReadText(row["referral_id"]));
  commission.set_affiliate_id(ReadText(row["affiliate_id"]));
  commission.set_program_id(ReadText(row["program_id"]));
  commission.set_commission_amount(row["commission_amount"].as<double>());
  commission.set_commission_currency(ReadText(row["commission_currency"]));
  commission.set_sale_amount(row["sale_amount"].as<double>());
  commission.set_sale_amount_currency(ReadText(row["sale_amount_currency"]));
  commission.set_status(CommissionStatusFromDb(ReadText(row["status"])));
  commission.set_hold_period_days(row["hold_period_days"].as<int>());
  commission.set_earning_type(IncentiveTypeFromDb(ReadText(row["earning_type"])));
  ReadTimestamp(row["created_at"], commission.mutable_created_at());
  ReadTimestamp(row["updated_at"], commission.mutable_updated_at());
  return commission;
}

}  // namespace

const char* CommissionStatusToDb(affonso::v1::CommissionStatus status) {
  switch (status) {
    case affonso::v1::COMMISSION_STATUS_PENDING:
      return "pending";
    case affonso::v1::COMMISSION_STATUS_READY_FOR_PAYMENT:
      return "ready_for_payment";
    case affonso::v1::COMMISSION_STATUS_PAID:
      return "paid";
    case affonso::v1::COMMISSION_STATUS_DECLINED:
      return "declined";
    default:
      return nullptr;
  }
}

affonso::v1::CommissionStatus CommissionStatusFromDb(absl::string_view text) {
  if (text == "pending") return affonso::v1::COMMISSION_STATUS_PENDING;
  if (text == "ready_for_payment") return affonso::v1::COMMISSION_STATUS_READY_FOR_PAYMENT;
  if (text == "paid") return affonso::v1::COMMISSION_STATUS_PAID;
  if (text == "declined") return affonso::v1::COMMISSION_STATUS_DECLINED;
  return affonso::v1::COMMISSION_STATUS_UNSPECIFIED;
}

absl::StatusOr<CommissionPage> PgCommissionStore::ListCommissions(
    absl::string_view team_id, const CommissionListQuery& query) {
  const std::string team(team_id);
  const char* status = CommissionStatusToDb(query.status);
  const int64_t offset = (static_cast<int64_t>(query.page) - 1) * query.limit;
  return pool_->Autocommit("list_commissions", [&](Tx& tx) -> absl::StatusOr<CommissionPage> {
    CommissionPage page;
    pqxx::result rows = tx.Exec(kListCommissions, team, NullIfEmpty(query.affiliate_id),
                                NullIfEmpty(query.referral_id), status, query.limit, offset);
    if (rows.empty()) {
      if (offset > 0) {
        page.total = tx.Exec(kCountCommissions, team, NullIfEmpty(query.affiliate_id),
                             NullIfEmpty(query.referral_id), status)[0]["total"]
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

}  // namespace affonso::storage

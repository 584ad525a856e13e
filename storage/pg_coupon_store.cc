#include "storage/pg_coupon_store.h"

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "storage/coupon_rows.h"
#include "storage/pg_values.h"
#include "storage/query_one.h"

namespace affonso::storage {
namespace {

using affonso::v1::Coupon;

// A NULL parameter disables its filter. $1 team, $2 affiliate, $3 program,
// $4 search (a substring of the code, any case).
#define AFFONSO_COUPON_LIST_FILTER                       \
  "WHERE c.team_id = $1 "                                \
  "AND ($2::text IS NULL OR c.affiliate_id = $2::text) " \
  "AND ($3::text IS NULL OR c.program_id = $3::text) "   \
  "AND ($4::text IS NULL OR strpos(upper(c.code), upper($4::text)) > 0) "

// The affiliate is locked (FOR UPDATE) so that the per-affiliate cap holds
// between racing creates, and a racing affiliate delete either waits for this
// coupon (and deletes it with the affiliate) or wins (then this finds no live
// affiliate). $1 affiliate, $2 team.
constexpr Statement kLockAffiliate{
    "coupon_lock_affiliate",
    "SELECT a.program_id, "
    "  (SELECT count(*) FROM coupons c WHERE c.team_id = a.team_id AND c.affiliate_id = a.id) "
    "  AS coupons "
    "FROM affiliates a WHERE a.id = $1 AND a.team_id = $2 AND a.deleted_at IS NULL "
    "FOR UPDATE OF a"};

// A code the program already has, in any case, inserts nothing: the unique
// index coupons_code_per_program decides between racing creates (a racing
// insert waits for the other's commit, then does nothing). $1 id, $2 team,
// $3 program, $4 affiliate, $5 code, $6 discount type, $7 value, $8 currency,
// $9 duration, $10 months, $11 product ids (a JSON array).
constexpr Statement kInsertCoupon{
    "coupon_insert",
    "INSERT INTO coupons AS c (id, team_id, program_id, affiliate_id, code, discount_type, "
    "  discount_value, currency, duration, duration_in_months, product_ids) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7::numeric, $8::text, $9, $10::int, "
    "  ARRAY(SELECT jsonb_array_elements_text($11::jsonb))) "
    "ON CONFLICT (team_id, program_id, upper(code)) DO NOTHING "
    "RETURNING " AFFONSO_COUPON_COLUMNS};

// $1 id, $2 team.
constexpr Statement kSelectCoupon{"coupon_select",
                                  "SELECT " AFFONSO_COUPON_COLUMNS
                                  " FROM coupons c WHERE c.id = $1 AND c.team_id = $2"};

constexpr Statement kDeleteCoupon{"coupon_delete",
                                  "DELETE FROM coupons WHERE id = $1 AND team_id = $2"};

// The same expression as the unique index, so the index answers. $1 team,
// $2 program, $3 code.
constexpr Statement kCouponByCode{"coupon_by_code",
                                  "SELECT " AFFONSO_COUPON_COLUMNS
                                  " FROM coupons c WHERE c.team_id = $1 AND c.program_id = $2 "
                                  "AND upper(c.code) = upper($3::text)"};

// The total rides along with the page; only a page past the end, which has no
// row to carry it, needs kCountCoupons. $1-$4 as in the filter, $5 the order
// (SortKey), $6 limit, $7 offset. One statement for every order: each CASE is
// NULL (no effect) unless its key is chosen; the last keys are the default.
constexpr Statement kListCoupons{
    "coupon_list", "SELECT " AFFONSO_COUPON_COLUMNS
                   ", count(*) OVER () AS total FROM coupons c " AFFONSO_COUPON_LIST_FILTER
                   "ORDER BY "
                   "  CASE WHEN $5::text = 'created_at:asc' THEN c.created_at END ASC, "
                   "  CASE WHEN $5::text = 'created_at:asc' THEN c.id END ASC, "
                   "  CASE WHEN $5::text = 'code:asc' THEN lower(c.code) END ASC, "
                   "  CASE WHEN $5::text = 'code:asc' THEN c.id END ASC, "
                   "  CASE WHEN $5::text = 'code:desc' THEN lower(c.code) END DESC, "
                   "  CASE WHEN $5::text = 'discount_value:asc' THEN c.discount_value END ASC, "
                   "  CASE WHEN $5::text = 'discount_value:asc' THEN c.id END ASC, "
                   "  CASE WHEN $5::text = 'discount_value:desc' THEN c.discount_value END DESC, "
                   "  c.created_at DESC, c.id DESC "
                   "LIMIT $6::int OFFSET $7::bigint"};

constexpr Statement kCountCoupons{
    "coupon_count", "SELECT count(*) AS total FROM coupons c " AFFONSO_COUPON_LIST_FILTER};

#undef AFFONSO_COUPON_LIST_FILTER

const char* SortKey(CouponSort sort) {
  switch (sort) {
    case CouponSort::kNewest:
      return "created_at:desc";
    case CouponSort::kOldest:
      return "created_at:asc";
    case CouponSort::kCodeAsc:
      return "code:asc";
    case CouponSort::kCodeDesc:
      return "code:desc";
    case CouponSort::kDiscountValueAsc:
      return "discount_value:asc";
    case CouponSort::kDiscountValueDesc:
      return "discount_value:desc";
  }
  return "created_at:desc";
}

}  // namespace

absl::StatusOr<Coupon> PgCouponStore::CreateCoupon(absl::string_view team_id,
                                                   const CouponInput& input) {
  const char* discount_type = DiscountTypeToDb(input.discount_type);
  const char* duration = CouponDurationToDb(input.duration);
  if (discount_type == nullptr || duration == nullptr) {
    return absl::InvalidArgumentError("coupon discount type or duration not resolved");
  }
  const std::string team(team_id);
  const std::string id = NewId("cpn");
  const std::string value = input.discount_value.ToDecimalText();
  const std::string months =
      input.duration_in_months.has_value() ? std::to_string(*input.duration_in_months) : "";
  google::protobuf::RepeatedPtrField<std::string> product_ids(input.product_ids.begin(),
                                                              input.product_ids.end());
  const std::string products = JsonTextArray(product_ids);
  return pool_->InTransaction("create_coupon", [&](Tx& tx) -> absl::StatusOr<Coupon> {
    const pqxx::result affiliate = tx.Exec(kLockAffiliate, input.affiliate_id, team);
    if (affiliate.empty()) return NotFoundError("affiliate");
    if (affiliate[0]["coupons"].as<int64_t>() >= kMaxCouponsPerAffiliate) {
      return ValidationError("affiliate_id", absl::StrCat("an affiliate has at most ",
                                                          kMaxCouponsPerAffiliate, " coupons"));
    }
    const std::string program = ReadText(affiliate[0]["program_id"]);
    const pqxx::result rows =
        tx.Exec(kInsertCoupon, id, team, program, input.affiliate_id, input.code, discount_type,
                value, NullIfEmpty(input.currency), duration, NullIfEmpty(months), products);
    if (rows.empty()) {
      return DuplicateError("code", "code is already used in this program");
    }
    return ReadCoupon(rows[0]);
  });
}

absl::StatusOr<Coupon> PgCouponStore::GetCoupon(absl::string_view team_id, absl::string_view id) {
  return pool_->Autocommit("get_coupon", [&](Tx& tx) {
    return QueryOne(tx, kSelectCoupon, ReadCoupon, "coupon", id, team_id);
  });
}

absl::StatusOr<CouponPage> PgCouponStore::ListCoupons(absl::string_view team_id,
                                                      const CouponListQuery& query) {
  const std::string team(team_id);
  const std::string sort = SortKey(query.sort);
  const int64_t offset = (static_cast<int64_t>(query.page) - 1) * query.limit;
  return pool_->Autocommit("list_coupons", [&](Tx& tx) -> absl::StatusOr<CouponPage> {
    CouponPage page;
    const pqxx::result rows =
        tx.Exec(kListCoupons, team, NullIfEmpty(query.affiliate_id), NullIfEmpty(query.program_id),
                NullIfEmpty(query.search), sort, query.limit, offset);
    if (rows.empty()) {
      if (offset > 0) {
        page.total = tx.Exec(kCountCoupons, team, NullIfEmpty(query.affiliate_id),
                             NullIfEmpty(query.program_id), NullIfEmpty(query.search))[0]["total"]
                         .as<int>();
      }
      return page;
    }
    page.total = rows[0]["total"].as<int>();
    page.coupons.reserve(rows.size());
    for (const pqxx::row& row : rows) {
      page.coupons.push_back(ReadCoupon(row));
    }
    return page;
  });
}

absl::Status PgCouponStore::DeleteCoupon(absl::string_view team_id, absl::string_view id) {
  return pool_->Autocommit("delete_coupon", [&](Tx& tx) {
    return RequireRow(tx, kDeleteCoupon, "coupon", id, team_id);
  });
}

absl::StatusOr<Coupon> PgCouponStore::FindByCode(absl::string_view team_id,
                                                 absl::string_view program_id,
                                                 absl::string_view code) {
  return pool_->Autocommit("find_coupon_by_code", [&](Tx& tx) {
    return QueryOne(tx, kCouponByCode, ReadCoupon, "coupon", team_id, program_id, code);
  });
}

absl::StatusOr<std::map<std::string, std::vector<Coupon>>> PgCouponStore::ListForAffiliates(
    absl::string_view team_id, const std::vector<std::string>& affiliate_ids) {
  using CouponsByAffiliate = std::map<std::string, std::vector<Coupon>>;
  if (affiliate_ids.empty()) return CouponsByAffiliate();
  std::vector<TeamAffiliate> affiliates;
  for (const std::string& affiliate_id : affiliate_ids) {
    affiliates.push_back({std::string(team_id), affiliate_id});
  }
  return pool_->Autocommit(
      "list_coupons_for_affiliates", [&](Tx& tx) -> absl::StatusOr<CouponsByAffiliate> {
        CouponsByAffiliate coupons;
        ReadCouponsOfAffiliates(tx, affiliates, [&](const std::string&, Coupon coupon) {
          coupons[coupon.affiliate_id()].push_back(std::move(coupon));
        });
        return coupons;
      });
}

}  // namespace affonso::storage

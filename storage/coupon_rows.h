#ifndef AFFONSO_STORAGE_COUPON_ROWS_H_
#define AFFONSO_STORAGE_COUPON_ROWS_H_

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "proto/affonso/v1/coupons.pb.h"
#include "storage/pg_values.h"
#include "storage/pool.h"

namespace affonso::storage {

// The select (and RETURNING) list of every coupon statement, under the names
// ReadCoupon reads (a macro, so statements stay literals); `c` is the
// coupons table. The value travels as numeric text.
#define AFFONSO_COUPON_COLUMNS                                         \
  "c.id, c.affiliate_id, c.program_id, c.code, c.discount_type, "      \
  "c.discount_value::text AS discount_value, c.currency, c.duration, " \
  "c.duration_in_months, c.product_ids, " AFFONSO_SQL_MICROS(          \
      "c.created_at") " AS created_at, " AFFONSO_SQL_MICROS("c.updated_at") " AS updated_at"

// "percentage" / "fixed" and "forever" / "once" / "repeating", the strings
// stored in the table; nullptr for UNSPECIFIED, and UNSPECIFIED for any
// other string.
const char* DiscountTypeToDb(affonso::v1::DiscountType type);
const char* CouponDurationToDb(affonso::v1::CouponDuration duration);
affonso::v1::DiscountType DiscountTypeFromDb(const std::string& text);
affonso::v1::CouponDuration CouponDurationFromDb(const std::string& text);

// A row of AFFONSO_COUPON_COLUMNS.
affonso::v1::Coupon ReadCoupon(const pqxx::row& row);

// One affiliate of one team.
struct TeamAffiliate {
  std::string team_id;
  std::string affiliate_id;
};

// The coupons of every affiliate in `affiliates` (a repeat is read once),
// each affiliate's oldest first (created_at, id), as `found(team_id,
// coupon)`: one statement for any number of affiliates, of any teams. The
// coupon store's page of affiliates and the pixel's batch of clicks read them
// so.
void ReadCouponsOfAffiliates(
    Tx& tx, const std::vector<TeamAffiliate>& affiliates,
    absl::FunctionRef<void(const std::string& team_id, affonso::v1::Coupon coupon)> found);

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_COUPON_ROWS_H_

#include "storage/coupon_rows.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "storage/json_rows.h"

namespace affonso::storage {
namespace {

// $1 a JSON array of {team_id, affiliate_id}, each pair once.
constexpr Statement kCouponsOfAffiliates{
    "coupons_of_affiliates",
    "SELECT i.team_id AS coupon_team_id, " AFFONSO_COUPON_COLUMNS
    " FROM json_to_recordset($1::json) AS i(team_id text, affiliate_id text) "
    "JOIN coupons c ON c.team_id = i.team_id AND c.affiliate_id = i.affiliate_id "
    "ORDER BY c.created_at, c.id"};

}  // namespace

using affonso::v1::Coupon;

const char* DiscountTypeToDb(affonso::v1::DiscountType type) {
  switch (type) {
    case affonso::v1::DISCOUNT_TYPE_PERCENTAGE:
      return "percentage";
    case affonso::v1::DISCOUNT_TYPE_FIXED:
      return "fixed";
    default:
      return nullptr;
  }
}

const char* CouponDurationToDb(affonso::v1::CouponDuration duration) {
  switch (duration) {
    case affonso::v1::COUPON_DURATION_FOREVER:
      return "forever";
    case affonso::v1::COUPON_DURATION_ONCE:
      return "once";
    case affonso::v1::COUPON_DURATION_REPEATING:
      return "repeating";
    default:
      return nullptr;
  }
}

affonso::v1::DiscountType DiscountTypeFromDb(const std::string& text) {
  if (text == "percentage") return affonso::v1::DISCOUNT_TYPE_PERCENTAGE;
  if (text == "fixed") return affonso::v1::DISCOUNT_TYPE_FIXED;
  return affonso::v1::DISCOUNT_TYPE_UNSPECIFIED;
}

affonso::v1::CouponDuration CouponDurationFromDb(const std::string& text) {
  if (text == "forever") return affonso::v1::COUPON_DURATION_FOREVER;
  if (text == "once") return affonso::v1::COUPON_DURATION_ONCE;
  if (text == "repeating") return affonso::v1::COUPON_DURATION_REPEATING;
  return affonso::v1::COUPON_DURATION_UNSPECIFIED;
}

Coupon ReadCoupon(const pqxx::row& row) {
  Coupon coupon;
  coupon.set_id(ReadText(row["id"]));
  coupon.set_affiliate_id(ReadText(row["affiliate_id"]));
  coupon.set_program_id(ReadText(row["program_id"]));
  coupon.set_code(ReadText(row["code"]));
  const affonso::v1::DiscountType type = DiscountTypeFromDb(ReadText(row["discount_type"]));
  if (type != affonso::v1::DISCOUNT_TYPE_UNSPECIFIED) coupon.set_discount_type(type);
  if (!row["discount_value"].is_null()) {
    coupon.set_discount_value(ReadDecimal(row["discount_value"]));
  }
  if (!row["currency"].is_null()) coupon.set_currency(ReadText(row["currency"]));
  const affonso::v1::CouponDuration duration = CouponDurationFromDb(ReadText(row["duration"]));
  if (duration != affonso::v1::COUPON_DURATION_UNSPECIFIED) coupon.set_duration(duration);
  if (!row["duration_in_months"].is_null()) {
    coupon.set_duration_in_months(row["duration_in_months"].as<int>());
  }
  ReadTextArray(row["product_ids"], coupon.mutable_product_ids());
  ReadTimestamp(row["created_at"], coupon.mutable_created_at());
  if (!row["updated_at"].is_null()) ReadTimestamp(row["updated_at"], coupon.mutable_updated_at());
  return coupon;
}

void ReadCouponsOfAffiliates(
    Tx& tx, const std::vector<TeamAffiliate>& affiliates,
    absl::FunctionRef<void(const std::string& team_id, Coupon coupon)> found) {
  JsonRows keys;
  absl::flat_hash_set<std::string> listed;
  for (const TeamAffiliate& affiliate : affiliates) {
    // '\n' occurs in neither (ids).
    if (!listed.insert(absl::StrCat(affiliate.team_id, "\n", affiliate.affiliate_id)).second) {
      continue;
    }
    keys.BeginRow();
    keys.Text("team_id", affiliate.team_id);
    keys.Text("affiliate_id", affiliate.affiliate_id);
    keys.EndRow();
  }
  if (keys.empty()) return;
  for (const pqxx::row& row : tx.Exec(kCouponsOfAffiliates, std::move(keys).Finish())) {
    found(ReadText(row["coupon_team_id"]), ReadCoupon(row));
  }
}

}  // namespace affonso::storage

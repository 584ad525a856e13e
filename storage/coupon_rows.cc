#include "storage/coupon_rows.h"

namespace affonso::storage {

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

}  // namespace affonso::storage

#ifndef AFFONSO_STORAGE_COUPON_STORE_H_
#define AFFONSO_STORAGE_COUPON_STORE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/money.h"
#include "proto/affonso/v1/coupons.pb.h"

namespace affonso::storage {

// An affiliate has at most this many coupons: expand=promoCodes puts them all
// in each affiliate of a page of 100, which must fit in one gRPC message
// (about 100 bytes each: 1 MB for a full page).
inline constexpr int kMaxCouponsPerAffiliate = 100;

// List orders; ties go by id in the same direction.
enum class CouponSort {
  kNewest,  // created_at DESC, the default
  kOldest,
  kCodeAsc,  // case-insensitive
  kCodeDesc,
  kDiscountValueAsc,
  kDiscountValueDesc,
};

// One page of the offset list; page and limit already resolved by the caller.
struct CouponListQuery {
  int page = 1;
  int limit = 10;
  // Empty = no filter.
  std::string affiliate_id;
  std::string program_id;
  std::string search;  // case-insensitive substring of the code
  CouponSort sort = CouponSort::kNewest;
};

struct CouponPage {
  std::vector<affonso::v1::Coupon> coupons;
  int total = 0;  // matching rows across all pages
};

// A coupon to create, validated by the caller (code syntax, the value's range
// for its type, duration_in_months iff repeating, currency upper case).
struct CouponInput {
  std::string affiliate_id;
  std::string code;
  affonso::v1::DiscountType discount_type = affonso::v1::DISCOUNT_TYPE_PERCENTAGE;
  Money discount_value;
  std::string currency;  // "" = none (NULL)
  affonso::v1::CouponDuration duration = affonso::v1::COUPON_DURATION_FOREVER;
  std::optional<int> duration_in_months;
  std::vector<std::string> product_ids;
};

// Scoped to `team_id`: another team's coupon or affiliate is NOT_FOUND.
// A coupon's program is its affiliate's; coupons.affiliate_id is the
// affiliate the code belongs to (the conversion path attributes a sale with
// the code to it). Deleting an affiliate deletes its coupons in the same
// transaction (PgAffiliateStore::DeleteAffiliate), so every coupon belongs to
// a live affiliate. Coupons come back without `affiliate` (the caller
// expands).
class CouponStore {
 public:
  virtual ~CouponStore() = default;

  // NOT_FOUND("affiliate") unless the affiliate is the team's and live;
  // DUPLICATE_ERROR on `code` when the affiliate's program already has the
  // code in any case (also between racing creates: the unique index decides);
  // VALIDATION_ERROR on affiliate_id when it has kMaxCouponsPerAffiliate.
  virtual absl::StatusOr<affonso::v1::Coupon> CreateCoupon(absl::string_view team_id,
                                                           const CouponInput& input) = 0;

  virtual absl::StatusOr<affonso::v1::Coupon> GetCoupon(absl::string_view team_id,
                                                        absl::string_view id) = 0;

  virtual absl::StatusOr<CouponPage> ListCoupons(absl::string_view team_id,
                                                 const CouponListQuery& query) = 0;

  // Deletes the row; NOT_FOUND("coupon") when there is none.
  virtual absl::Status DeleteCoupon(absl::string_view team_id, absl::string_view id) = 0;

  // The program's coupon with `code`, compared case-insensitively (the
  // conversion path and the public tracking endpoint look codes up with it);
  // NOT_FOUND("coupon") when none.
  virtual absl::StatusOr<affonso::v1::Coupon> FindByCode(absl::string_view team_id,
                                                         absl::string_view program_id,
                                                         absl::string_view code) = 0;

  // The coupons of every affiliate in `affiliate_ids` in one query (a page
  // of affiliates' expand=promoCodes), keyed by affiliate id, each oldest
  // first (created_at, id); an affiliate without any, or of another team, has
  // no entry.
  virtual absl::StatusOr<std::map<std::string, std::vector<affonso::v1::Coupon>>> ListForAffiliates(
      absl::string_view team_id, const std::vector<std::string>& affiliate_ids) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_COUPON_STORE_H_

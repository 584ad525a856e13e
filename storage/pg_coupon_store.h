#ifndef AFFONSO_STORAGE_PG_COUPON_STORE_H_
#define AFFONSO_STORAGE_PG_COUPON_STORE_H_

#include "storage/coupon_store.h"
#include "storage/pool.h"

namespace affonso::storage {

class PgCouponStore final : public CouponStore {
 public:
  explicit PgCouponStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<affonso::v1::Coupon> CreateCoupon(absl::string_view team_id,
                                                   const CouponInput& input) override;
  absl::StatusOr<affonso::v1::Coupon> GetCoupon(absl::string_view team_id,
                                                absl::string_view id) override;
  absl::StatusOr<CouponPage> ListCoupons(absl::string_view team_id,
                                         const CouponListQuery& query) override;
  absl::Status DeleteCoupon(absl::string_view team_id, absl::string_view id) override;
  absl::StatusOr<affonso::v1::Coupon> FindByCode(absl::string_view team_id,
                                                 absl::string_view program_id,
                                                 absl::string_view code) override;
  absl::StatusOr<std::map<std::string, std::vector<affonso::v1::Coupon>>> ListForAffiliates(
      absl::string_view team_id, const std::vector<std::string>& affiliate_ids) override;

 private:
  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_COUPON_STORE_H_

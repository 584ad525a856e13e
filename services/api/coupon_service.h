#ifndef AFFONSO_SERVICES_API_COUPON_SERVICE_H_
#define AFFONSO_SERVICES_API_COUPON_SERVICE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"
#include "proto/affonso/v1/coupons.grpc.pb.h"
#include "services/call/authenticator.h"
#include "services/call/rpc_runner.h"
#include "storage/affiliate_store.h"
#include "storage/coupon_store.h"

namespace affonso::services {

inline constexpr int kDefaultCouponPageLimit = 10;
inline constexpr int kMaxCouponPageLimit = 100;
inline constexpr size_t kMaxCouponCodeLength = 64;
inline constexpr int kMaxCouponDurationMonths = 120;
inline constexpr int kMaxCouponProductIds = 100;
inline constexpr size_t kMaxCouponProductIdLength = 255;

// 1-64 characters of A-Z, a-z, 0-9, "_" and "-": what a customer can type at
// a checkout, and what fits a URL unescaped (docs/MONEY.md "Coupons").
bool IsValidCouponCode(absl::string_view code);

// Validates a create and resolves its defaults (a fixed discount without a
// currency is USD; currencies upper case; duplicate product ids dropped).
// Each failure is a VALIDATION_ERROR naming its field.
absl::StatusOr<storage::CouponInput> ParseCreateCoupon(
    const affonso::v1::CreateCouponRequest& request);

// Validates a list and resolves page 0 = 1, limit 0 = 10 and the sort.
absl::StatusOr<storage::CouponListQuery> ParseListCoupons(
    const affonso::v1::ListCouponsRequest& request);

// expand: "affiliate" only; true when asked for.
absl::StatusOr<bool> ParseCouponExpand(
    const google::protobuf::RepeatedPtrField<std::string>& expand);

class CouponServiceImpl final : public affonso::v1::CouponService::Service {
 public:
  // `affiliates` answers expand=affiliate.
  CouponServiceImpl(RpcRunner runner, storage::CouponStore* store,
                    storage::AffiliateStore* affiliates)
      : runner_(std::move(runner)), store_(store), affiliates_(affiliates) {}

  grpc::Status ListCoupons(grpc::ServerContext* context,
                           const affonso::v1::ListCouponsRequest* request,
                           affonso::v1::ListCouponsResponse* response) override;
  grpc::Status CreateCoupon(grpc::ServerContext* context,
                            const affonso::v1::CreateCouponRequest* request,
                            affonso::v1::Coupon* response) override;
  grpc::Status GetCoupon(grpc::ServerContext* context, const affonso::v1::GetCouponRequest* request,
                         affonso::v1::Coupon* response) override;
  grpc::Status DeleteCoupon(grpc::ServerContext* context,
                            const affonso::v1::DeleteCouponRequest* request,
                            affonso::v1::DeleteCouponResponse* response) override;

 private:
  // expand=affiliate: one read per distinct affiliate (EmbeddedAffiliate).
  absl::Status ExpandAffiliates(absl::string_view team_id,
                                std::vector<affonso::v1::Coupon*> coupons);

  RpcRunner runner_;
  storage::CouponStore* store_;
  storage::AffiliateStore* affiliates_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_COUPON_SERVICE_H_

#ifndef AFFONSO_SERVICES_API_REFERRAL_SERVICE_H_
#define AFFONSO_SERVICES_API_REFERRAL_SERVICE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/affonso/v1/referrals.grpc.pb.h"
#include "services/api/conversion_metrics.h"
#include "services/call/authenticator.h"
#include "services/call/rpc_runner.h"
#include "storage/affiliate_store.h"
#include "storage/referral_store.h"

namespace affonso::services {

// A referral's metadata, at most this many bytes encoded: with the other
// fields (each at most 255 characters) and an expanded affiliate, a page of
// 100 referrals stays far under gRPC's 4 MiB (docs/BEHAVIOUR.md).
inline constexpr size_t kMaxReferralMetadataBytes = 8 * 1024;

// Request validation, exposed for tests. Each failure names its field.
absl::Status ValidateCreateReferral(const affonso::v1::CreateReferralRequest& request);
absl::Status ValidateUpdateReferral(const affonso::v1::UpdateReferralRequest& request);
absl::Status ValidateListReferrals(const affonso::v1::ListReferralsRequest& request);

// What a read adds to the referrals it returns.
struct ReferralExpansions {
  bool affiliate = false;  // expand=affiliate
  bool stats = false;      // include=stats
};
absl::StatusOr<ReferralExpansions> ParseReferralExpansions(
    const google::protobuf::RepeatedPtrField<std::string>& expand,
    const google::protobuf::RepeatedPtrField<std::string>& include);

// Referral ids are `ref_…` (created directly) or `clk_…` (converted from a
// click, which keeps the click's id).
bool LooksLikeReferralId(absl::string_view id);

class ReferralServiceImpl final : public affonso::v1::ReferralService::Service {
 public:
  // `affiliates` answers expand=affiliate.
  ReferralServiceImpl(RpcRunner runner, storage::ReferralStore* store,
                      storage::AffiliateStore* affiliates, ConversionMetrics* metrics)
      : runner_(std::move(runner)), store_(store), affiliates_(affiliates), metrics_(metrics) {}

  grpc::Status CreateReferral(grpc::ServerContext* context,
                              const affonso::v1::CreateReferralRequest* request,
                              affonso::v1::Referral* response) override;
  grpc::Status GetReferral(grpc::ServerContext* context,
                           const affonso::v1::GetReferralRequest* request,
                           affonso::v1::Referral* response) override;
  grpc::Status UpdateReferral(grpc::ServerContext* context,
                              const affonso::v1::UpdateReferralRequest* request,
                              affonso::v1::Referral* response) override;
  grpc::Status ListReferrals(grpc::ServerContext* context,
                             const affonso::v1::ListReferralsRequest* request,
                             affonso::v1::ListReferralsResponse* response) override;
  grpc::Status DeleteReferral(grpc::ServerContext* context,
                              const affonso::v1::DeleteReferralRequest* request,
                              affonso::v1::DeleteReferralResponse* response) override;

 private:
  // Sets each referral's affiliate (one read per distinct affiliate); a
  // deleted affiliate leaves it unset.
  absl::Status ExpandAffiliates(absl::string_view team_id,
                                std::vector<affonso::v1::Referral*> referrals);

  RpcRunner runner_;
  storage::ReferralStore* store_;
  storage::AffiliateStore* affiliates_;
  ConversionMetrics* metrics_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_REFERRAL_SERVICE_H_

#ifndef AFFONSO_SERVICES_API_REFERRAL_SERVICE_H_
#define AFFONSO_SERVICES_API_REFERRAL_SERVICE_H_

#include "absl/status/status.h"
#include "proto/affonso/v1/referrals.grpc.pb.h"
#include "services/api/conversion_metrics.h"
#include "services/call/authenticator.h"
#include "services/call/rpc_runner.h"
#include "storage/referral_store.h"

namespace affonso::services {

// Request validation, exposed for tests. Each failure names its field.
absl::Status ValidateCreateReferral(const affonso::v1::CreateReferralRequest& request);
absl::Status ValidateUpdateReferral(const affonso::v1::UpdateReferralRequest& request);
absl::Status ValidateListReferrals(const affonso::v1::ListReferralsRequest& request);

// Referral ids are `ref_…` (created directly) or `clk_…` (converted from a
// click, which keeps the click's id).
bool LooksLikeReferralId(absl::string_view id);

class ReferralServiceImpl final : public affonso::v1::ReferralService::Service {
 public:
  ReferralServiceImpl(RpcRunner runner, storage::ReferralStore* store, ConversionMetrics* metrics)
      : runner_(std::move(runner)), store_(store), metrics_(metrics) {}

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

 private:
  RpcRunner runner_;
  storage::ReferralStore* store_;
  ConversionMetrics* metrics_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_REFERRAL_SERVICE_H_

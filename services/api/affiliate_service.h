#ifndef AFFONSO_SERVICES_API_AFFILIATE_SERVICE_H_
#define AFFONSO_SERVICES_API_AFFILIATE_SERVICE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/repeated_field.h"
#include "proto/affonso/v1/affiliates.grpc.pb.h"
#include "services/call/authenticator.h"
#include "services/call/pagination.h"
#include "services/call/rpc_runner.h"
#include "storage/affiliate_store.h"

namespace affonso::services {

inline constexpr int kDefaultAffiliatePageLimit = 10;
inline constexpr int kMaxAffiliatePageLimit = 100;

// Validation of each affiliate RPC's input; exposed for tests. Each returns a
// VALIDATION_ERROR naming the field at fault.
absl::Status ValidateCreateAffiliate(const affonso::v1::CreateAffiliateRequest& request);
absl::Status ValidateUpdateAffiliate(const affonso::v1::UpdateAffiliateRequest& request);
// Only "commissionOverrides" is known; values may also be comma-separated.
absl::Status ValidateAffiliateExpand(const google::protobuf::RepeatedPtrField<std::string>& expand);
// True when a (validated) expand list asks for the commission overrides.
bool ExpandsCommissionOverrides(const google::protobuf::RepeatedPtrField<std::string>& expand);
// incentive_id required; amount finite, >= 0, at most 2 decimals (and at most
// 100 when it is a percentage).
absl::Status ValidateCreateCommissionOverride(
    const affonso::v1::CreateCommissionOverrideRequest& request);
// Validates and resolves defaults (page 0 = 1, limit 0 = 10).
absl::StatusOr<storage::AffiliateListQuery> ParseListAffiliates(
    const affonso::v1::ListAffiliatesRequest& request);

class AffiliateServiceImpl final : public affonso::v1::AffiliateService::Service {
 public:
  AffiliateServiceImpl(RpcRunner runner, storage::AffiliateStore* store)
      : runner_(std::move(runner)), store_(store) {}

  grpc::Status CreateAffiliate(grpc::ServerContext* context,
                               const affonso::v1::CreateAffiliateRequest* request,
                               affonso::v1::Affiliate* response) override;
  grpc::Status GetAffiliate(grpc::ServerContext* context,
                            const affonso::v1::GetAffiliateRequest* request,
                            affonso::v1::Affiliate* response) override;
  grpc::Status UpdateAffiliate(grpc::ServerContext* context,
                               const affonso::v1::UpdateAffiliateRequest* request,
                               affonso::v1::Affiliate* response) override;
  grpc::Status DeleteAffiliate(grpc::ServerContext* context,
                               const affonso::v1::DeleteAffiliateRequest* request,
                               affonso::v1::DeleteAffiliateResponse* response) override;
  grpc::Status ListAffiliates(grpc::ServerContext* context,
                              const affonso::v1::ListAffiliatesRequest* request,
                              affonso::v1::ListAffiliatesResponse* response) override;
  grpc::Status CreateCommissionOverride(grpc::ServerContext* context,
                                        const affonso::v1::CreateCommissionOverrideRequest* request,
                                        affonso::v1::CommissionOverride* response) override;
  grpc::Status DeleteCommissionOverride(
      grpc::ServerContext* context, const affonso::v1::DeleteCommissionOverrideRequest* request,
      affonso::v1::DeleteCommissionOverrideResponse* response) override;

 private:
  // Fills commission_overrides of each affiliate with one store call.
  absl::Status AttachCommissionOverrides(
      const std::string& team_id,
      google::protobuf::RepeatedPtrField<affonso::v1::Affiliate>* affiliates);

  RpcRunner runner_;
  storage::AffiliateStore* store_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_AFFILIATE_SERVICE_H_

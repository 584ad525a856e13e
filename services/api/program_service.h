#ifndef AFFONSO_SERVICES_API_PROGRAM_SERVICE_H_
#define AFFONSO_SERVICES_API_PROGRAM_SERVICE_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/affonso/v1/program.grpc.pb.h"
#include "services/call/authenticator.h"
#include "services/call/rpc_runner.h"
#include "storage/program_store.h"
#include "storage/program_terms_store.h"

namespace affonso::services {

// Validation of the /v1/program/... bodies; exposed for tests. The StatusOr
// forms return the body normalised for the store (lists trimmed, lower-cased
// and deduplicated; currency upper case; hold period and incentive terms
// filled in, incentive_type folded into type).
absl::StatusOr<affonso::v1::FraudRulesUpdate> ValidateFraudRulesUpdate(
    const affonso::v1::FraudRulesUpdate& update);
// Folds track_email / track_name into their new names (clearing the old
// ones); normalises the configs to exactly the keys they take.
absl::StatusOr<affonso::v1::TrackingSettingsUpdate> ValidateTrackingSettingsUpdate(
    const affonso::v1::TrackingSettingsUpdate& update);
// Domains trimmed, lower-cased and deduplicated (first kept); each a host
// name ("shop.example.com", "localhost") or "*." and one ("*.example.com"),
// no scheme, port or path, <= 253 characters; at most
// storage::kMaxAllowedPixelDomains. The window within
// 0..storage::kMaxClickDedupWindowSeconds.
absl::StatusOr<affonso::v1::PixelSettingsUpdate> ValidatePixelSettingsUpdate(
    const affonso::v1::PixelSettingsUpdate& update);
absl::Status ValidateProgramSettingsUpdate(const affonso::v1::ProgramSettingsUpdate& update);
absl::Status ValidateGroupInput(const affonso::v1::GroupInput& input);
absl::Status ValidateGroupUpdate(const affonso::v1::GroupUpdate& update);

// What a group read's `expand` asked for (the SDK's GroupExpandField).
struct GroupExpansions {
  bool incentives = false;
  bool multi_level_incentives = false;
};
// incentives, multi_level_incentives; repeated and/or comma-separated;
// anything else is a VALIDATION_ERROR on expand.
absl::StatusOr<GroupExpansions> ParseGroupExpand(
    const google::protobuf::RepeatedPtrField<std::string>& expand);
// Keeps the incentives only when expanded and names each expansion in
// group->expanded (so that an empty one renders as []).
void ApplyGroupExpansions(const GroupExpansions& expansions, affonso::v1::Group* group);
absl::StatusOr<affonso::v1::IncentiveInput> ValidateIncentiveInput(
    const affonso::v1::IncentiveInput& input);

// The `program_id` query parameter as the store takes it: "" for absent (the
// team's default program); NOT_FOUND for a value that cannot be a program id.
absl::StatusOr<std::string> ProgramIdParam(bool present, const std::string& program_id);

class ProgramServiceImpl final : public affonso::v1::ProgramService::Service {
 public:
  // `terms` holds the payment terms, restrictions and portal settings.
  ProgramServiceImpl(RpcRunner runner, storage::ProgramStore* store,
                     storage::ProgramTermsStore* terms)
      : runner_(std::move(runner)), store_(store), terms_(terms) {}

  grpc::Status GetProgram(grpc::ServerContext* context,
                          const affonso::v1::GetProgramRequest* request,
                          affonso::v1::ProgramSettings* response) override;
  grpc::Status UpdateProgram(grpc::ServerContext* context,
                             const affonso::v1::UpdateProgramRequest* request,
                             affonso::v1::ProgramSettings* response) override;
  grpc::Status GetFraudRules(grpc::ServerContext* context,
                             const affonso::v1::GetFraudRulesRequest* request,
                             affonso::v1::FraudRules* response) override;
  grpc::Status UpdateFraudRules(grpc::ServerContext* context,
                                const affonso::v1::UpdateFraudRulesRequest* request,
                                affonso::v1::FraudRules* response) override;
  grpc::Status GetTrackingSettings(grpc::ServerContext* context,
                                   const affonso::v1::GetTrackingSettingsRequest* request,
                                   affonso::v1::TrackingSettings* response) override;
  grpc::Status UpdateTrackingSettings(grpc::ServerContext* context,
                                      const affonso::v1::UpdateTrackingSettingsRequest* request,
                                      affonso::v1::TrackingSettings* response) override;
  grpc::Status GetPixelSettings(grpc::ServerContext* context,
                                const affonso::v1::GetPixelSettingsRequest* request,
                                affonso::v1::PixelSettings* response) override;
  grpc::Status UpdatePixelSettings(grpc::ServerContext* context,
                                   const affonso::v1::UpdatePixelSettingsRequest* request,
                                   affonso::v1::PixelSettings* response) override;
  grpc::Status GetPaymentTerms(grpc::ServerContext* context,
                               const affonso::v1::GetPaymentTermsRequest* request,
                               affonso::v1::PaymentTermsResult* response) override;
  grpc::Status UpdatePaymentTerms(grpc::ServerContext* context,
                                  const affonso::v1::UpdatePaymentTermsRequest* request,
                                  affonso::v1::PaymentTerms* response) override;
  grpc::Status GetRestrictions(grpc::ServerContext* context,
                               const affonso::v1::GetRestrictionsRequest* request,
                               affonso::v1::RestrictionsResult* response) override;
  grpc::Status UpdateRestrictions(grpc::ServerContext* context,
                                  const affonso::v1::UpdateRestrictionsRequest* request,
                                  affonso::v1::Restrictions* response) override;
  grpc::Status GetPortalSettings(grpc::ServerContext* context,
                                 const affonso::v1::GetPortalSettingsRequest* request,
                                 affonso::v1::PortalSettingsResult* response) override;
  grpc::Status UpdatePortalSettings(grpc::ServerContext* context,
                                    const affonso::v1::UpdatePortalSettingsRequest* request,
                                    affonso::v1::PortalSettings* response) override;
  grpc::Status ListGroups(grpc::ServerContext* context,
                          const affonso::v1::ListGroupsRequest* request,
                          affonso::v1::ListGroupsResponse* response) override;
  grpc::Status CreateGroup(grpc::ServerContext* context,
                           const affonso::v1::CreateGroupRequest* request,
                           affonso::v1::Group* response) override;
  grpc::Status GetGroup(grpc::ServerContext* context, const affonso::v1::GetGroupRequest* request,
                        affonso::v1::Group* response) override;
  grpc::Status UpdateGroup(grpc::ServerContext* context,
                           const affonso::v1::UpdateGroupRequest* request,
                           affonso::v1::Group* response) override;
  grpc::Status DeleteGroup(grpc::ServerContext* context,
                           const affonso::v1::DeleteGroupRequest* request,
                           affonso::v1::DeleteGroupResponse* response) override;
  grpc::Status CreateIncentive(grpc::ServerContext* context,
                               const affonso::v1::CreateIncentiveRequest* request,
                               affonso::v1::Incentive* response) override;
  grpc::Status DeleteIncentive(grpc::ServerContext* context,
                               const affonso::v1::DeleteIncentiveRequest* request,
                               affonso::v1::DeleteIncentiveResponse* response) override;

 private:
  RpcRunner runner_;
  storage::ProgramStore* store_;
  storage::ProgramTermsStore* terms_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_PROGRAM_SERVICE_H_

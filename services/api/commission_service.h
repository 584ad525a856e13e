#ifndef AFFONSO_SERVICES_API_COMMISSION_SERVICE_H_
#define AFFONSO_SERVICES_API_COMMISSION_SERVICE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/affonso/v1/commissions.grpc.pb.h"
#include "services/call/authenticator.h"
#include "services/call/rpc_runner.h"
#include "storage/affiliate_store.h"
#include "storage/commission_store.h"
#include "storage/referral_store.h"

namespace affonso::services {

inline constexpr int kDefaultCommissionPageLimit = 10;
inline constexpr int kMaxCommissionPageLimit = 100;

// Validates and resolves defaults (page 0 = 1, limit 0 = 10, newest first);
// exposed for tests. A status present but UNSPECIFIED (or unknown) is a
// VALIDATION_ERROR, as are an unknown sort and a date that is neither RFC 3339
// nor YYYY-MM-DD.
absl::StatusOr<storage::CommissionListQuery> ParseListCommissions(
    const affonso::v1::ListCommissionsRequest& request);

// Validates a create and resolves its defaults (status pending, sales status
// complete, a missing currency from the other one, else USD; currencies upper
// case; amounts as MoneyText). Each failure names its field.
absl::StatusOr<storage::CommissionInput> ParseCreateCommission(
    const affonso::v1::CreateCommissionRequest& request);
absl::StatusOr<storage::CommissionChange> ParseUpdateCommission(
    const affonso::v1::UpdateCommissionRequest& request);

// What a read adds to the commissions it returns (expand=...).
struct CommissionExpansions {
  bool affiliate = false;
  bool affiliate_program = false;
  bool referral = false;
};
absl::StatusOr<CommissionExpansions> ParseCommissionExpansions(
    const google::protobuf::RepeatedPtrField<std::string>& expand);

class CommissionServiceImpl final : public affonso::v1::CommissionService::Service {
 public:
  // `referrals` and `affiliates` answer expand=referral / affiliate.
  CommissionServiceImpl(RpcRunner runner, storage::CommissionStore* store,
                        storage::ReferralStore* referrals, storage::AffiliateStore* affiliates)
      : runner_(std::move(runner)), store_(store), referrals_(referrals), affiliates_(affiliates) {}

  grpc::Status ListCommissions(grpc::ServerContext* context,
                               const affonso::v1::ListCommissionsRequest* request,
                               affonso::v1::ListCommissionsResponse* response) override;
  grpc::Status GetCommission(grpc::ServerContext* context,
                             const affonso::v1::GetCommissionRequest* request,
                             affonso::v1::Commission* response) override;
  grpc::Status CreateCommission(grpc::ServerContext* context,
                                const affonso::v1::CreateCommissionRequest* request,
                                affonso::v1::Commission* response) override;
  grpc::Status UpdateCommission(grpc::ServerContext* context,
                                const affonso::v1::UpdateCommissionRequest* request,
                                affonso::v1::Commission* response) override;
  grpc::Status DeleteCommission(grpc::ServerContext* context,
                                const affonso::v1::DeleteCommissionRequest* request,
                                affonso::v1::DeleteCommissionResponse* response) override;

 private:
  // Applies `expansions` to `commissions`: one read per distinct affiliate or
  // referral; a deleted one leaves its field unset, and affiliate_program
  // (which the store fills) is dropped unless asked for.
  absl::Status Expand(absl::string_view team_id, const CommissionExpansions& expansions,
                      std::vector<affonso::v1::Commission*> commissions);

  RpcRunner runner_;
  storage::CommissionStore* store_;
  storage::ReferralStore* referrals_;
  storage::AffiliateStore* affiliates_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_COMMISSION_SERVICE_H_

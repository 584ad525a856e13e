#ifndef AFFONSO_SERVICES_API_COMMISSION_SERVICE_H_
#define AFFONSO_SERVICES_API_COMMISSION_SERVICE_H_

#include "absl/status/statusor.h"
#include "proto/affonso/v1/commissions.grpc.pb.h"
#include "services/call/authenticator.h"
#include "services/call/rpc_runner.h"
#include "storage/commission_store.h"

namespace affonso::services {

inline constexpr int kDefaultCommissionPageLimit = 10;
inline constexpr int kMaxCommissionPageLimit = 100;

// Validates and resolves defaults (page 0 = 1, limit 0 = 10); exposed for
// tests. A status present but UNSPECIFIED (or unknown) is a VALIDATION_ERROR.
absl::StatusOr<storage::CommissionListQuery> ParseListCommissions(
    const affonso::v1::ListCommissionsRequest& request);

class CommissionServiceImpl final : public affonso::v1::CommissionService::Service {
 public:
  CommissionServiceImpl(RpcRunner runner, storage::CommissionStore* store)
      : runner_(std::move(runner)), store_(store) {}

  grpc::Status ListCommissions(grpc::ServerContext* context,
                               const affonso::v1::ListCommissionsRequest* request,
                               affonso::v1::ListCommissionsResponse* response) override;
  grpc::Status GetCommission(grpc::ServerContext* context,
                             const affonso::v1::GetCommissionRequest* request,
                             affonso::v1::Commission* response) override;

 private:
  RpcRunner runner_;
  storage::CommissionStore* store_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_COMMISSION_SERVICE_H_

#ifndef AFFONSO_SERVICES_API_MARKETPLACE_SERVICE_H_
#define AFFONSO_SERVICES_API_MARKETPLACE_SERVICE_H_

#include <utility>

#include "absl/status/statusor.h"
#include "proto/affonso/v1/marketplace.grpc.pb.h"
#include "services/call/rpc_runner.h"
#include "storage/marketplace_store.h"

namespace affonso::services {

inline constexpr int kDefaultMarketplacePageLimit = 10;
inline constexpr int kMaxMarketplacePageLimit = 100;

// page and limit resolved (0 = 1 / 10, limit at most 100); category at most
// 100 characters (a program's category's length). VALIDATION_ERROR naming
// the field otherwise. Exposed for tests.
absl::StatusOr<storage::MarketplaceQuery> ParseListMarketplace(
    const affonso::v1::ListMarketplaceProgramsRequest& request);

// GET /v1/marketplace and GET /v1/marketplace/{id} (read:marketplace): the
// programs every team lists publicly, readable by any team's key
// (storage::MarketplaceStore says what is visible).
class MarketplaceServiceImpl final : public affonso::v1::MarketplaceService::Service {
 public:
  MarketplaceServiceImpl(RpcRunner runner, storage::MarketplaceStore* store)
      : runner_(std::move(runner)), store_(store) {}

  grpc::Status ListMarketplacePrograms(
      grpc::ServerContext* context, const affonso::v1::ListMarketplaceProgramsRequest* request,
      affonso::v1::ListMarketplaceProgramsResponse* response) override;
  grpc::Status GetMarketplaceProgram(grpc::ServerContext* context,
                                     const affonso::v1::GetMarketplaceProgramRequest* request,
                                     affonso::v1::MarketplaceProgram* response) override;

 private:
  RpcRunner runner_;
  storage::MarketplaceStore* store_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_MARKETPLACE_SERVICE_H_

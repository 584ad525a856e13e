#ifndef AFFONSO_SERVICES_API_PAYOUT_SERVICE_H_
#define AFFONSO_SERVICES_API_PAYOUT_SERVICE_H_

#include <utility>

#include "absl/status/statusor.h"
#include "proto/affonso/v1/payouts.grpc.pb.h"
#include "services/call/rpc_runner.h"
#include "storage/payout_store.h"

namespace affonso::services {

inline constexpr int kDefaultPayoutPageLimit = 10;
inline constexpr int kMaxPayoutPageLimit = 100;

// Validates and resolves defaults (page 0 = 1, limit 0 = 10, newest first);
// exposed for tests. Each failure is a VALIDATION_ERROR naming its field.
absl::StatusOr<storage::PayoutListQuery> ParseListPayouts(
    const affonso::v1::ListPayoutsRequest& request);
// status is required; payment fields at most 255 characters.
absl::StatusOr<storage::PayoutChange> ParseUpdatePayout(
    const affonso::v1::UpdatePayoutRequest& request);

// GET /v1/payouts, GET /v1/payouts/{id}, PUT /v1/payouts/{id} (read:payouts,
// write:payouts). Payouts are made by the payout-generation job
// (services/lifecycle), never through the API.
class PayoutServiceImpl final : public affonso::v1::PayoutService::Service {
 public:
  PayoutServiceImpl(RpcRunner runner, storage::PayoutStore* store)
      : runner_(std::move(runner)), store_(store) {}

  grpc::Status ListPayouts(grpc::ServerContext* context,
                           const affonso::v1::ListPayoutsRequest* request,
                           affonso::v1::ListPayoutsResponse* response) override;
  grpc::Status GetPayout(grpc::ServerContext* context, const affonso::v1::GetPayoutRequest* request,
                         affonso::v1::PayoutDetail* response) override;
  grpc::Status UpdatePayout(grpc::ServerContext* context,
                            const affonso::v1::UpdatePayoutRequest* request,
                            affonso::v1::Payout* response) override;

 private:
  RpcRunner runner_;
  storage::PayoutStore* store_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_PAYOUT_SERVICE_H_

#ifndef AFFONSO_SERVICES_API_CLICK_SERVICE_H_
#define AFFONSO_SERVICES_API_CLICK_SERVICE_H_

#include "absl/status/statusor.h"
#include "proto/affonso/v1/clicks.grpc.pb.h"
#include "services/call/authenticator.h"
#include "services/call/rpc_runner.h"
#include "storage/click_store.h"

namespace affonso::services {

// Validation of POST /v1/clicks; exposed for tests.
absl::Status ValidateTrackClick(const affonso::v1::TrackClickRequest& request);

class ClickServiceImpl final : public affonso::v1::ClickService::Service {
 public:
  ClickServiceImpl(RpcRunner runner, storage::ClickStore* store)
      : runner_(std::move(runner)), store_(store) {}

  grpc::Status TrackClick(grpc::ServerContext* context,
                          const affonso::v1::TrackClickRequest* request,
                          affonso::v1::Click* response) override;

 private:
  RpcRunner runner_;
  storage::ClickStore* store_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_CLICK_SERVICE_H_

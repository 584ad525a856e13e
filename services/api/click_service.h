#ifndef AFFONSO_SERVICES_API_CLICK_SERVICE_H_
#define AFFONSO_SERVICES_API_CLICK_SERVICE_H_

#include <utility>

#include "absl/status/statusor.h"
#include "proto/affonso/v1/clicks.grpc.pb.h"
#include "services/call/authenticator.h"
#include "services/call/rpc_runner.h"
#include "storage/click_store.h"

namespace affonso::services {

// Validation of POST /v1/clicks; exposed for tests.
absl::Status ValidateTrackClick(const affonso::v1::TrackClickRequest& request);

// POST /v1/clicks. On gRPC's callback API, as RecordSignup: the call holds
// no thread while its admission (RpcRunner::BeginAsync) or its insert (the
// store's batch) waits, and no callback thread waits on the database.
class ClickServiceImpl final : public affonso::v1::ClickService::CallbackService {
 public:
  ClickServiceImpl(RpcRunner runner, storage::ClickStore* store)
      : runner_(std::move(runner)), store_(store) {}

  grpc::ServerUnaryReactor* TrackClick(grpc::CallbackServerContext* context,
                                       const affonso::v1::TrackClickRequest* request,
                                       affonso::v1::Click* response) override;

 private:
  // Once admitted (or refused): validation, then the batch.
  void Track(grpc::CallbackServerContext* context, const affonso::v1::TrackClickRequest* request,
             affonso::v1::Click* response, grpc::ServerUnaryReactor* reactor, CallScope scope);

  RpcRunner runner_;
  storage::ClickStore* store_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_CLICK_SERVICE_H_

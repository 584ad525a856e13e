#ifndef AFFONSO_SERVICES_API_SIGNUP_SERVICE_H_
#define AFFONSO_SERVICES_API_SIGNUP_SERVICE_H_

#include <utility>

#include "absl/status/status.h"
#include "proto/affonso/v1/signups.grpc.pb.h"
#include "services/api/conversion_metrics.h"
#include "services/call/authenticator.h"
#include "services/call/rpc_runner.h"
#include "storage/signup_store.h"

namespace affonso::services {

// Validation of POST /v1/signups per the seed; exposed for tests.
absl::Status ValidateRecordSignup(const affonso::v1::RecordSignupRequest& request);

// POST /v1/signups: click -> lead, idempotent per click. `created` in the
// response (and x-http-code 201 vs 200 for the gateway) tells the first
// conversion from a repeat. On gRPC's callback API: the hot path of the
// service holds no thread while its admission (RpcRunner::BeginAsync) or its
// conversion (its batch) waits, and no callback thread waits on the database.
class SignupServiceImpl final : public affonso::v1::SignupService::CallbackService {
 public:
  SignupServiceImpl(RpcRunner runner, storage::SignupStore* store, ConversionMetrics* metrics)
      : runner_(std::move(runner)), store_(store), metrics_(metrics) {}

  grpc::ServerUnaryReactor* RecordSignup(grpc::CallbackServerContext* context,
                                         const affonso::v1::RecordSignupRequest* request,
                                         affonso::v1::RecordSignupResponse* response) override;

 private:
  // Once admitted (or refused): validation, then the batch.
  void Convert(grpc::CallbackServerContext* context,
               const affonso::v1::RecordSignupRequest* request,
               affonso::v1::RecordSignupResponse* response, grpc::ServerUnaryReactor* reactor,
               CallScope scope);

  RpcRunner runner_;
  storage::SignupStore* store_;
  ConversionMetrics* metrics_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_SIGNUP_SERVICE_H_

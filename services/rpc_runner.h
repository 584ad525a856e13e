#ifndef AFFONSO_SERVICES_RPC_RUNNER_H_
#define AFFONSO_SERVICES_RPC_RUNNER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include <grpcpp/grpcpp.h>
#include "services/authenticator.h"

namespace affonso::services {

// Response metadata the REST gateway reads.
inline constexpr char kHttpCodeKey[] = "x-http-code";        // "201" / "200"
inline constexpr char kErrorCodeKey[] = "x-error-code";      // API.md error code
inline constexpr char kErrorFieldKey[] = "x-error-field";    // input field at fault
inline constexpr char kRequestIdKey[] = "x-request-id";

// Everything an RPC shares besides its own logic: the request id, caller
// authentication, the absl -> gRPC status mapping with the API error code in
// trailing metadata, and one log line per request. Services stay free of it.
class RpcRunner {
 public:
  explicit RpcRunner(const Authenticator* authenticator) : authenticator_(authenticator) {}

  // `handler(const Caller&)` returns absl::Status.
  template <typename Handler>
  grpc::Status Run(grpc::ServerContext* context, absl::string_view method,
                   Handler&& handler) const {
    const absl::Time start = absl::Now();
    const std::string request_id = RequestId(*context);
    absl::Status status;
    absl::StatusOr<Caller> caller = authenticator_->Authenticate(Metadata(*context, "authorization"));
    if (caller.ok()) {
      status = handler(*caller);
    } else {
      status = caller.status();
    }
    return Finish(context, method, request_id, caller.ok() ? caller->team_id : "", start,
                  status);
  }

  // Marks a successful call as "201 Created" (or 200) for the gateway.
  static void SetHttpCode(grpc::ServerContext* context, int code);

 private:
  static std::string Metadata(const grpc::ServerContext& context, absl::string_view key);
  std::string RequestId(grpc::ServerContext& context) const;
  grpc::Status Finish(grpc::ServerContext* context, absl::string_view method,
                      const std::string& request_id, const std::string& team_id,
                      absl::Time start, const absl::Status& status) const;

  const Authenticator* authenticator_;
};

// absl and gRPC share canonical code numbering; the message passes through
// (service errors never carry internals: storage logs those and returns
// "internal error").
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_RPC_RUNNER_H_

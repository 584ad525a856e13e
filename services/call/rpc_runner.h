#ifndef AFFONSO_SERVICES_CALL_RPC_RUNNER_H_
#define AFFONSO_SERVICES_CALL_RPC_RUNNER_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/wire_metadata.h"  // the metadata names it reads and sets
#include "google/protobuf/message.h"
#include "services/call/authenticator.h"

namespace affonso::services {

// One call from Begin to End.
struct CallScope {
  std::string request_id;
  absl::Time start;
  absl::StatusOr<Caller> caller;
  bool holds_thread = false;  // a synchronous handler's call
};

// Everything an RPC shares besides its own logic: the request id, caller
// authentication, the absl -> gRPC status mapping with the API error code in
// trailing metadata, and one log line per request. Services stay free of it.
// Works for sync and callback-API handlers alike.
class RpcRunner {
 public:
  explicit RpcRunner(const Authenticator* authenticator) : authenticator_(authenticator) {}

  // Request id (echoed or generated) and the authenticated caller.
  CallScope Begin(grpc::ServerContextBase* context) const;
  // Error metadata and the log line; the status to answer with.
  grpc::Status End(grpc::ServerContextBase* context, absl::string_view method,
                   const CallScope& scope, const absl::Status& status) const;

  // A synchronous handler: `handler(const Caller&)` returns absl::Status.
  // It sees only requests that pass the checks every request gets
  // (CheckRequest).
  template <typename Handler>
  grpc::Status Run(grpc::ServerContextBase* context, absl::string_view method,
                   const google::protobuf::Message& request, Handler&& handler) const {
    CallScope scope = Begin(context);
    absl::Status status = scope.caller.ok() ? CheckRequest(request) : scope.caller.status();
    // Authentication may have waited on the database meanwhile.
    if (status.ok() && context->IsCancelled()) status = absl::CancelledError("cancelled");
    if (status.ok()) status = handler(*scope.caller);
    return End(context, method, scope, status);
  }

  // What every request must satisfy whatever its service (callers of Begin
  // run it themselves): nested at most kMaxRequestNesting levels deep, as its
  // JSON form nests, and no NUL characters in any string.
  static absl::Status CheckRequest(const google::protobuf::Message& request);

  // Marks a successful call as "201 Created" (or 200) for the gateway.
  static void SetHttpCode(grpc::ServerContextBase* context, int code);

  // Calls between Begin and End, across every service of the process: what
  // a graceful shutdown waits for.
  static int InFlightCalls();
  // Of those, the synchronous handlers' calls: each holds a thread of gRPC's
  // pool. Beyond `max` of them (0: no cap) Begin refuses at once with
  // UNAVAILABLE, without authenticating. Process-wide, like InFlightCalls.
  static int ThreadCalls();
  static void SetMaxThreadCalls(int max);
  static int MaxThreadCalls();
  // Whether a loopback peer may name its client in x-affonso-client-address
  // (a gateway sidecar in the same pod). Off: only the in-process gateway
  // is believed, and a loopback peer counts as itself. Process-wide.
  static void SetTrustLoopbackClientAddress(bool trust);

 private:
  const Authenticator* authenticator_;
};

// Answers a unary request that gRPC could not decode (nested past protobuf's
// limit of 100 levels, or not a message of its type) INVALID_ARGUMENT with
// VALIDATION_ERROR, the client's fault it is: gRPC would answer INTERNAL
// (sync handlers) or UNIMPLEMENTED (callback handlers), before any of our
// code runs. Nothing decoded, so no field is named. For the ServerBuilder.
class UndecodableRequestInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

// absl and gRPC share canonical code numbering; the message passes through
// (service errors never carry internals: storage logs those and returns
// "internal error").
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_CALL_RPC_RUNNER_H_

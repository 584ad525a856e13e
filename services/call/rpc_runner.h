#ifndef AFFONSO_SERVICES_CALL_RPC_RUNNER_H_
#define AFFONSO_SERVICES_CALL_RPC_RUNNER_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/metrics.h"
#include "common/wire_metadata.h"  // the metadata names it reads and sets
#include "google/protobuf/message.h"
#include "services/call/admission.h"
#include "services/call/admission_executor.h"
#include "services/call/authenticator.h"

namespace affonso::services {

// One call from Begin to End.
struct CallScope {
  std::string request_id;
  absl::Time start;
  absl::StatusOr<Caller> caller = absl::UnknownError("not admitted");
  // What admission adds to the response (X-RateLimit-*), sent as initial
  // metadata once the call is admitted.
  ResponseHeaders response_headers;
  bool holds_thread = false;  // a synchronous handler's call
};

// What every RpcRunner of one server shares: its calls in flight and their
// cap. Per server, so two servers in one process count apart.
class ServerCalls {
 public:
  struct Options {
    // Synchronous handlers' calls beyond which Begin refuses at once with
    // UNAVAILABLE, without authenticating (0: no cap): each holds a thread of
    // gRPC's pool.
    int max_thread_calls = 0;
    // Whether a loopback peer may name its client in x-affonso-client-address
    // (a gateway sidecar in the same pod). Off: only the in-process gateway
    // is believed, and a loopback peer counts as itself.
    bool trust_loopback_client_address = false;
  };
  explicit ServerCalls(Options options) : options_(options) {}
  ServerCalls() : ServerCalls(Options()) {}

  // Calls between Begin and End, across every service of the server: what a
  // graceful shutdown waits for.
  int InFlight() const { return in_flight_.load(); }
  // Of those, the synchronous handlers' calls.
  int ThreadCalls() const { return thread_calls_.load(); }
  int max_thread_calls() const { return options_.max_thread_calls; }
  bool trust_loopback_client_address() const { return options_.trust_loopback_client_address; }

 private:
  friend class RpcRunner;
  std::atomic<int> in_flight_{0};
  // Synchronous handlers hold one of gRPC's pool threads for the whole call;
  // callback ones (RecordSignup) hold none while they wait.
  std::atomic<int> thread_calls_{0};
  const Options options_;
};

// Calls answered and their durations, by method and code.
class RpcMetrics {
 public:
  explicit RpcMetrics(metrics::Registry* registry);
  void Count(absl::string_view method, absl::StatusCode code, absl::Duration elapsed) const;

 private:
  metrics::CounterFamily& requests_;
  metrics::HistogramFamily& durations_;
};

// Everything an RPC shares besides its own logic: the request id, admission
// (the ordered stages: authentication, then rate limiting, then the method's
// permission), the absl -> gRPC
// status mapping with the API error code in trailing metadata, metrics, and
// one log line per request. Services stay free of it. Sync handlers use Run
// (or Begin/End); callback-API handlers BeginAsync and End, which never wait
// on the database on gRPC's thread.
class RpcRunner {
 public:
  // Every pointer outlives the runner, and the runner its calls.
  RpcRunner(const Admission* admission, ServerCalls* calls, const RpcMetrics* metrics,
            AdmissionExecutor* executor)
      : admission_(admission), calls_(calls), metrics_(metrics), executor_(executor) {}
  // Authentication by `authenticator` alone, with calls, metrics and one
  // admission thread of its own: services take a runner, and their tests
  // pass an authenticator. Implicit for that reason.
  RpcRunner(const Authenticator* authenticator);  // NOLINT(google-explicit-constructor)

  // Request id (echoed or generated) and admission, which may wait (a sync
  // handler's thread is its own).
  CallScope Begin(grpc::ServerContextBase* context) const;
  // A callback-API handler's Begin. `admitted(scope)` runs exactly once,
  // when the call is admitted or refused: on this thread when every stage
  // decides without waiting (a cached key and no rate limit), else on an
  // admission thread, so gRPC's thread never waits on the database. A full
  // admission queue refuses the call at once (UNAVAILABLE), and a call
  // cancelled while it was queued is refused (CANCELLED) without admission.
  // `admitted` must not wait either.
  using Admitted = absl::AnyInvocable<void(CallScope) &&>;
  void BeginAsync(grpc::CallbackServerContext* context, Admitted admitted) const;
  // A callback-API handler's step that may wait on the database outside
  // admission (a cache miss): `task(true)` on an admission thread, or
  // `task(false)` at once on this thread when the admission queue is full or
  // shut down, and the call should then be refused with OffloadRefused().
  void Offload(AdmissionExecutor::Task task) const { executor_->Submit(std::move(task)); }
  static absl::Status OffloadRefused();
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

  // The calling client's IP address as admission sees it (what
  // AdmissionRequest::client_address holds): a network peer's own, or the
  // one the in-process gateway (or a trusted loopback sidecar) names in
  // kClientAddressKey; "" when unknown (a unix-socket peer).
  std::string ClientAddress(const grpc::ServerContextBase& context) const;

  // Marks a successful call as "201 Created" (or 200) for the gateway.
  static void SetHttpCode(grpc::ServerContextBase* context, int code);

 private:
  struct Owned;

  // Counts the call, settles its request id, and refuses what costs nothing
  // to refuse; false when refused (scope->caller says why).
  bool Open(grpc::ServerContextBase* context, CallScope* scope) const;
  AdmissionRequest ReadAdmissionRequest(const grpc::ServerContextBase& context) const;
  // The stages' answer into the scope and the response.
  static void Settle(grpc::ServerContextBase* context, CallScope* scope, absl::Status status,
                     AdmissionState state);

  std::shared_ptr<const Owned> owned_;  // the authenticator-only form's parts
  const Admission* admission_;
  ServerCalls* calls_;
  const RpcMetrics* metrics_;
  AdmissionExecutor* executor_;
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

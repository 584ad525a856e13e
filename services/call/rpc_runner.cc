#include "services/call/rpc_runner.h"

#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/api_error.h"
#include "common/grpc_metadata.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/request_id.h"
#include "common/request_limits.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "services/call/validation.h"

namespace affonso::services {
namespace {

std::string Metadata(const grpc::ServerContextBase& context, absl::string_view key) {
  return MetadataValue(context.client_metadata(), key);
}

bool IsLoopback(absl::string_view address) {
  return absl::StartsWith(address, "127.") || address == "::1";
}

// Who is calling, for the per-address limit on failed authentication. A
// network peer is its address ("ipv4:1.2.3.4:5678", "ipv6:[::1]:5678"); the
// in-process REST gateway, which has no address of its own, names its
// client in kClientAddressKey, and only in-process calls are believed (and
// loopback peers, when a sidecar gateway is trusted to do the same).
std::string BelievedClientAddress(const grpc::ServerContextBase& context, bool trust_loopback) {
  const std::string peer = context.peer();
  for (absl::string_view scheme : {"ipv4:", "ipv6:"}) {
    if (!absl::StartsWith(peer, scheme)) continue;
    absl::string_view address = absl::string_view(peer).substr(scheme.size());
    address = address.substr(0, address.rfind(':'));  // the port
    address = absl::StripPrefix(absl::StripSuffix(address, "]"), "[");
    if (trust_loopback && IsLoopback(address)) {
      std::string named = Metadata(context, kClientAddressKey);
      if (!named.empty()) return named;
    }
    return std::string(address);
  }
  if (absl::StartsWith(peer, "unix:")) return "";
  return Metadata(context, kClientAddressKey);
}

int Count(const grpc::ServerContextBase& context, absl::string_view key) {
  auto [begin, end] =
      context.client_metadata().equal_range(grpc::string_ref(key.data(), key.size()));
  return static_cast<int>(std::distance(begin, end));
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

struct RpcRunner::Owned {
  explicit Owned(const Authenticator* authenticator)
      : authentication(authenticator),
        admission({&authentication}),
        metrics(&registry),
        executor(AdmissionExecutor::Options{1, 1024}) {}
  AuthenticationStage authentication;
  Admission admission;
  ServerCalls calls;
  metrics::Registry registry;
  RpcMetrics metrics;
  AdmissionExecutor executor;  // last: drained before the rest goes
};

RpcRunner::RpcRunner(const Authenticator* authenticator) {
  auto owned = std::make_shared<Owned>(authenticator);
  admission_ = &owned->admission;
  calls_ = &owned->calls;
  metrics_ = &owned->metrics;
  executor_ = &owned->executor;
  owned_ = std::move(owned);
}

bool RpcRunner::Open(grpc::ServerContextBase* context, CallScope* scope) const {
  calls_->in_flight_.fetch_add(1);
  // The client's id when usable (echoed into logs and headers), else a new one.
  scope->request_id = RequestIdFor(Metadata(*context, kRequestIdKey));
  scope->start = absl::Now();
  scope->holds_thread = dynamic_cast<grpc::ServerContext*>(context) != nullptr;
  const int holding = scope->holds_thread ? calls_->thread_calls_.fetch_add(1) + 1 : 0;
  const int max_holding = calls_->max_thread_calls();
  context->AddInitialMetadata(kRequestIdKey, scope->request_id);
  // Refusals come first and cost nothing: a call nobody waits for, or one
  // over the cap (which keeps gRPC's own pool from running out, where it
  // would refuse every call with RESOURCE_EXHAUSTED, read as a rate limit).
  if (context->IsCancelled()) {
    scope->caller = absl::CancelledError("the client cancelled the call");
    return false;
  }
  if (max_holding > 0 && holding > max_holding) {
    scope->caller = absl::UnavailableError("server busy: too many calls in flight; retry");
    return false;
  }
  return true;
}

AdmissionRequest RpcRunner::ReadAdmissionRequest(const grpc::ServerContextBase& context) const {
  AdmissionRequest request;
  request.authorization_count = Count(context, "authorization");
  request.authorization = Metadata(context, "authorization");
  request.client_address = ClientAddress(context);
  request.method = Metadata(context, kMethodKey);
  return request;
}

std::string RpcRunner::ClientAddress(const grpc::ServerContextBase& context) const {
  return BelievedClientAddress(context, calls_->trust_loopback_client_address());
}

void RpcRunner::Settle(grpc::ServerContextBase* context, CallScope* scope, absl::Status status,
                       AdmissionState state) {
  if (!status.ok()) {
    scope->caller = std::move(status);
    return;
  }
  scope->caller = std::move(state.caller);
  scope->response_headers = std::move(state.headers);
  for (const auto& [key, value] : scope->response_headers) {
    context->AddInitialMetadata(key, value);
  }
}

CallScope RpcRunner::Begin(grpc::ServerContextBase* context) const {
  CallScope scope;
  if (Open(context, &scope)) {
    AdmissionState state;
    absl::Status status = admission_->Admit(ReadAdmissionRequest(*context), &state);
    Settle(context, &scope, std::move(status), std::move(state));
  }
  return scope;
}

void RpcRunner::BeginAsync(grpc::CallbackServerContext* context, Admitted admitted) const {
  CallScope scope;
  if (!Open(context, &scope)) return std::move(admitted)(std::move(scope));
  AdmissionRequest request = ReadAdmissionRequest(*context);
  AdmissionState state;
  absl::Status status;
  const size_t next = admission_->AdmitWithoutWaiting(request, &state, &status);
  if (next == admission_->size()) {
    Settle(context, &scope, std::move(status), std::move(state));
    return std::move(admitted)(std::move(scope));
  }
  // The remaining stages might wait: an admission thread's work.
  // Captures the admission, not the runner: a runner is a copyable handle.
  executor_->Submit([admission = admission_, context, next, scope = std::move(scope),
                     request = std::move(request), state = std::move(state),
                     admitted = std::move(admitted)](bool queued) mutable {
    absl::Status status;
    if (!queued) {
      status = OffloadRefused();
    } else if (context->IsCancelled()) {
      status = absl::CancelledError("the client cancelled the call");
    } else {
      status = admission->Admit(request, &state, next);
    }
    Settle(context, &scope, std::move(status), std::move(state));
    std::move(admitted)(std::move(scope));
  });
}

absl::Status RpcRunner::OffloadRefused() {
  return absl::UnavailableError("server busy: too many calls waiting for admission; retry");
}

namespace {

// Refuses `message` when it nests deeper than kMaxRequestNesting, counted as
// its JSON form nests (a message, Struct or ListValue is a level; a Value or a
// map entry is none). gRPC decodes a request up to 100 protobuf levels deep,
// and a Struct takes three per JSON level: without this bound such a request
// is stored, and a response holding it (a list adds levels) can then exceed
// what any client decodes. Errors name the field as CheckNoNulCharacters does.
absl::Status CheckNesting(const google::protobuf::Message& message, const std::string& path,
                          bool inside_struct, int depth) {
  const google::protobuf::Descriptor& type = *message.GetDescriptor();
  if (type.full_name() != "google.protobuf.Value" && !type.options().map_entry() &&
      ++depth > kMaxRequestNesting) {
    return ValidationError(path, absl::StrCat(path, " is nested too deeply"));
  }
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string& name = field->message_type()->full_name();
    const bool struct_field = inside_struct || name == "google.protobuf.Struct" ||
                              name == "google.protobuf.Value" ||
                              name == "google.protobuf.ListValue";
    const std::string field_path = inside_struct  ? path
                                   : path.empty() ? field->name()
                                                  : absl::StrCat(path, ".", field->name());
    const int count = field->is_repeated() ? reflection.FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      AFFONSO_RETURN_IF_ERROR(CheckNesting(field->is_repeated()
                                               ? reflection.GetRepeatedMessage(message, field, i)
                                               : reflection.GetMessage(message, field),
                                           field_path, struct_field, depth));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RpcRunner::CheckRequest(const google::protobuf::Message& request) {
  AFFONSO_RETURN_IF_ERROR(CheckNesting(request, "", false, 0));
  return CheckNoNulCharacters(request);
}

namespace {

class UndecodableRequestInterceptor final : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      undecodable_ = true;
    }
    if (undecodable_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::StatusCode code = methods->GetSendStatus().error_code();
      if (code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNIMPLEMENTED) {
        methods->ModifySendStatus(
            grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                         "the request cannot be decoded: not a message of its type, or nested "
                         "more than 100 levels deep"));
        methods->GetSendTrailingMetadata()->emplace(kErrorCodeKey,
                                                    std::string(api_code::kValidation));
      }
    }
    methods->Proceed();
  }

 private:
  bool undecodable_ = false;
};

}  // namespace

grpc::experimental::Interceptor* UndecodableRequestInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  // A stream's reads end with no message too; only unary calls are judged.
  if (info->type() != grpc::experimental::ServerRpcInfo::Type::UNARY) return nullptr;
  return new UndecodableRequestInterceptor();
}

void RpcRunner::SetHttpCode(grpc::ServerContextBase* context, int code) {
  context->AddInitialMetadata(kHttpCodeKey, std::to_string(code));
}

namespace {

// Labels are the method's name and the canonical code: bounded, no ids.
metrics::CounterFamily& Requests(metrics::Registry* registry) {
  return registry->AddCounter("affonso_grpc_requests_total",
                              "gRPC calls answered, by method and status code.",
                              {"method", "code"});
}

metrics::HistogramFamily& Durations(metrics::Registry* registry) {
  return registry->AddHistogram(
      "affonso_grpc_request_duration_seconds",
      "Time from the start of a gRPC call to its answer, by method and status code.",
      {"method", "code"});
}

}  // namespace

RpcMetrics::RpcMetrics(metrics::Registry* registry)
    : requests_(Requests(registry)), durations_(Durations(registry)) {}

void RpcMetrics::Count(absl::string_view method, absl::StatusCode code,
                       absl::Duration elapsed) const {
  const std::string code_name = absl::StatusCodeToString(code);
  requests_.WithLabels({method, code_name}).Increment();
  durations_.WithLabels({method, code_name}).Observe(elapsed);
}

grpc::Status RpcRunner::End(grpc::ServerContextBase* context, absl::string_view method,
                            const CallScope& scope, const absl::Status& status) const {
  calls_->in_flight_.fetch_sub(1);
  if (scope.holds_thread) calls_->thread_calls_.fetch_sub(1);
  const std::string& request_id = scope.request_id;
  const std::string team_id = scope.caller.ok() ? scope.caller->team_id : "";
  const absl::Duration elapsed = absl::Now() - scope.start;
  const double millis = absl::ToDoubleMilliseconds(elapsed);
  metrics_->Count(method, status.code(), elapsed);
  if (!status.ok()) {
    context->AddTrailingMetadata(kErrorCodeKey, ApiErrorCode(status));
    std::string field = ApiErrorField(status);
    if (!field.empty()) context->AddTrailingMetadata(kErrorFieldKey, field);
    for (const auto& [key, value] : ResponseMetadata(status)) {
      context->AddTrailingMetadata(key, value);
    }
  }
  if (!status.ok() && IsServerFault(status.code())) {
    AFFONSO_LOG(kWarning, method, " request_id=", request_id, " team=", team_id,
                " code=", absl::StatusCodeToString(status.code()), " ms=", millis,
                " error=", status.message());
  } else {
    AFFONSO_LOG(kDebug, method, " request_id=", request_id, " team=", team_id,
                " code=", absl::StatusCodeToString(status.code()),
                status.ok() ? "" : absl::StrCat(" api_code=", ApiErrorCode(status)),
                " ms=", millis);
  }
  return ToGrpcStatus(status);
}

}  // namespace affonso::services

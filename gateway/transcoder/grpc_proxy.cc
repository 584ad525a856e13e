#include "gateway/transcoder/grpc_proxy.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api_error.h"
#include "common/api_key_syntax.h"
#include "common/error_envelope.h"
#include "common/grpc_metadata.h"
#include "common/metrics.h"
#include "common/request_id.h"
#include "common/wire_metadata.h"
#include "gateway/transcoder/contract.h"
#include "gateway/transcoder/error_response.h"
#include "gateway/transcoder/json_transcoder.h"
#include "google/protobuf/message.h"

namespace affonso::gateway {
namespace {

// Response metadata passed through to HTTP headers as they are.
constexpr const char* kPassThroughHeaders[] = {kRateLimitLimitKey, kRateLimitRemainingKey,
                                               kRateLimitResetKey, kRetryAfterKey};

bool IsPrintableAscii(absl::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool IsJsonContentType(absl::string_view content_type) {
  absl::string_view media = content_type.substr(0, content_type.find(';'));
  return absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(media), "application/json");
}

// error.retryAfter (seconds) sits beside code and message.
void AddRetryAfter(int seconds, std::string* envelope) {
  envelope->insert(envelope->size() - 2, absl::StrCat(",\"retryAfter\":", seconds));
}

// A refusal decided in the gateway, rendered as the service's would be
// (Translate): the same status, envelope and Retry-After.
HttpResponse RefusalResponse(const absl::Status& refused) {
  const std::string code = ApiErrorCode(refused);
  const int http_status = HttpStatusFor(static_cast<grpc::StatusCode>(refused.code()), code);
  HttpResponse response = ErrorResponse(http_status, code, refused.message());
  int retry_after = 0;
  for (const auto& [key, value] : ResponseMetadata(refused)) {
    if (key == kRetryAfterKey && absl::SimpleAtoi(value, &retry_after)) {
      response.headers.emplace_back(kRetryAfterKey, value);
      AddRetryAfter(retry_after, &response.body);
    }
  }
  return response;
}

// Everything one backend call owns until gRPC's callback fires.
struct Call {
  grpc::ClientContext context;
  grpc::ByteBuffer request_bytes;
  grpc::ByteBuffer response_bytes;
  const Route* route = nullptr;
  std::string request_id;
  std::function<void(HttpResponse)> respond;
};

HttpResponse Translate(Call& call, const grpc::Status& status) {
  HttpResponse response;
  const auto& initial = call.context.GetServerInitialMetadata();
  const auto& trailing = call.context.GetServerTrailingMetadata();
  for (const char* name : kPassThroughHeaders) {
    std::string value = MetadataValue(initial, name);
    if (value.empty()) value = MetadataValue(trailing, name);
    if (!value.empty() && IsPrintableAscii(value)) response.headers.emplace_back(name, value);
  }
  if (!status.ok()) {
    std::string code = MetadataValue(trailing, kErrorCodeKey);
    std::string message = status.error_message();
    const int http_status = HttpStatusFor(status.error_code(), code);
    if (code.empty()) {
      // No service answer: the backend was unreachable, timed out or failed
      // below our code. Say so without its internals.
      code = ApiErrorCode(absl::Status(static_cast<absl::StatusCode>(status.error_code()), "x"));
      message = http_status == 503   ? "service unavailable; retry the request"
                : http_status == 504 ? "the backend did not answer in time"
                                     : "internal error";
    }
    if (http_status == 500) message = "internal error";
    std::string field = MetadataValue(trailing, kErrorFieldKey);
    // The service names fields of the whole request; with `body: "group"`
    // the client's JSON is the group, so name them as the client wrote them
    // (as BuildRequest does for its own errors).
    const Route& route = *call.route;
    if (!route.body.empty() && route.body != "*" &&
        absl::StartsWith(field, absl::StrCat(route.body, "."))) {
      field.erase(0, route.body.size() + 1);
    }
    response.status = http_status;  // beside the pass-through headers above
    response.body = ErrorEnvelope(code, message, field);
    int retry_after = 0;
    if (http_status == 429 &&
        absl::SimpleAtoi(MetadataValue(trailing, kRetryAfterKey), &retry_after)) {
      AddRetryAfter(retry_after, &response.body);
    }
    return response;
  }
  const auto* prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(
      call.route->method->output_type());
  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (call.response_bytes.Dump(&slices).ok()) {
    for (const auto& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  if (!message->ParseFromString(bytes)) {
    return ErrorResponse(500, api_code::kInternal, "internal error");
  }
  auto body = RenderSuccess(*call.route, *message);
  if (!body.ok()) return ErrorResponse(500, api_code::kInternal, "internal error");
  int http_code = 200;
  if (!absl::SimpleAtoi(MetadataValue(initial, kHttpCodeKey), &http_code) || http_code < 200 ||
      http_code > 299) {
    http_code = 200;
  }
  response.status = http_code;
  response.body = *std::move(body);
  return response;
}

}  // namespace

int HttpStatusFor(grpc::StatusCode code, absl::string_view api_error_code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
      return 409;
    // A 429 is the caller's own budget (the SDK waits and retries on it);
    // anything else exhausted is ours.
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return api_error_code == api_code::kRateLimit ? 429 : 503;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::ABORTED:  // a transaction conflict: safe to retry
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

GrpcProxy::HttpMetrics::HttpMetrics(metrics::Registry* registry)
    : requests(&registry->AddCounter(
          "affonso_http_requests_total",
          "REST requests answered, by route template (or \"unmatched\") and HTTP status.",
          {"route", "status"})),
      durations(&registry->AddHistogram(
          "affonso_http_request_duration_seconds",
          "Time from a complete REST request to its response, by route template and HTTP status.",
          {"route", "status"})) {}

// `route` is the rule's template ("POST /v1/signups") or a fixed name, never
// the raw path: bounded labels.
void GrpcProxy::HttpMetrics::Count(const std::string& route, int status,
                                   absl::Duration elapsed) const {
  const std::string status_text = std::to_string(status);
  requests->WithLabels({route, status_text}).Increment();
  durations->WithLabels({route, status_text}).Observe(elapsed);
}

absl::StatusOr<std::unique_ptr<GrpcProxy>> GrpcProxy::Create(std::shared_ptr<grpc::Channel> backend,
                                                             GrpcProxyOptions options) {
  if (options.metrics == nullptr) return absl::InvalidArgumentError("GrpcProxy needs a registry");
  auto routes = RouteTable::FromServices(ContractServices());
  if (!routes.ok()) return routes.status();
  return std::unique_ptr<GrpcProxy>(
      new GrpcProxy(std::move(backend), *std::move(routes), std::move(options)));
}

GrpcProxy::GrpcProxy(std::shared_ptr<grpc::Channel> backend, RouteTable routes,
                     GrpcProxyOptions options)
    : backend_(backend),
      stub_(backend),
      routes_(std::move(routes)),
      options_(std::move(options)),
      metrics_(options_.metrics) {}

void GrpcProxy::Handle(HttpRequest request, std::function<void(HttpResponse)> respond) {
  const std::string request_id = RequestIdFor(request.Header(kRequestIdKey));
  const absl::Time start = absl::Now();
  auto replying_as = [this, &respond, &request_id, start](std::string route) {
    return [metrics = metrics_, respond, request_id, start,
            route = std::move(route)](HttpResponse response) {
      metrics.Count(route, response.status, absl::Now() - start);
      response.headers.emplace_back("X-Request-Id", request_id);
      respond(std::move(response));
    };
  };
  std::function<void(HttpResponse)> reply = replying_as("unmatched");
  absl::string_view target = request.target;
  absl::string_view path = target.substr(0, target.find('?'));
  absl::string_view query =
      target.find('?') == absl::string_view::npos ? "" : target.substr(target.find('?') + 1);

  if (request.method == "GET" && path == "/healthz") {
    HttpResponse response;
    response.body = R"({"success":true,"data":{"status":"ok"}})";
    return replying_as("GET /healthz")(std::move(response));
  }
  if (request.method == "GET" && path == "/readyz") {
    return CheckReady(replying_as("GET /readyz"), request_id);
  }
  if (request.method == "GET" && path == "/openapi.json" && !options_.openapi_json.empty()) {
    HttpResponse response;
    response.body = options_.openapi_json;
    return replying_as("GET /openapi.json")(std::move(response));
  }

  RouteMatch match = routes_.Match(request.method, path);
  if (match.route == nullptr) {
    if (match.allowed_methods.empty()) {
      return reply(ErrorResponse(404, api_code::kNotFound, "no such endpoint"));
    }
    HttpResponse response = ErrorResponse(405, "METHOD_NOT_ALLOWED",
                                          absl::StrCat(request.method, " is not allowed here"));
    response.headers.emplace_back("Allow", absl::StrJoin(match.allowed_methods, ", "));
    return reply(std::move(response));
  }
  const Route& route = *match.route;
  reply = replying_as(absl::StrCat(route.http_method, " ", route.path_template));
  // Every route needs a key: a request that cannot hold one gets the
  // service's 401 before anything reads its body.
  const std::string authorization = request.Header("authorization");
  absl::Status key_syntax = ApiKeyFromAuthorization(authorization).status();
  if (!key_syntax.ok()) {
    return reply(ErrorResponse(401, ApiErrorCode(key_syntax), key_syntax.message()));
  }
  if (options_.refuse_before_body) {
    absl::Status refused = options_.refuse_before_body(authorization, request.remote_address);
    if (!refused.ok()) return reply(RefusalResponse(refused));
  }
  if (!route.body.empty() && !absl::StripAsciiWhitespace(request.body).empty() &&
      !IsJsonContentType(request.Header("content-type"))) {
    return reply(
        ErrorResponse(415, "UNSUPPORTED_MEDIA_TYPE", "the request body must be application/json"));
  }

  const auto* prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(
      route.method->input_type());
  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  absl::Status built = BuildRequest(route, match.bindings, query, request.body, message.get());
  if (!built.ok()) {
    return reply(ErrorResponse(400, ApiErrorCode(built), built.message(), ApiErrorField(built)));
  }

  auto call = std::make_shared<Call>();
  call->route = &route;
  call->request_id = request_id;
  call->respond = reply;
  // Printable ASCII but for surrounding whitespace, as checked above.
  call->context.AddMetadata("authorization",
                            std::string(absl::StripAsciiWhitespace(authorization)));
  call->context.AddMetadata(kRequestIdKey, request_id);
  // For the per-address limit on failed authentication (RpcRunner believes
  // it only on in-process calls, where the peer has no address).
  if (!request.remote_address.empty()) {
    call->context.AddMetadata(kClientAddressKey, request.remote_address);
  }
  // The request signature, checked by the service over the raw body
  // (services/call/request_signing.h).
  for (const auto& [header, key] :
       {std::pair<const char*, const char*>{"x-affonso-timestamp", kSignatureTimestampKey},
        {"x-affonso-signature", kSignatureKey}}) {
    const std::string value = request.Header(header);
    if (ForwardableSignatureHeader(value)) call->context.AddMetadata(key, value);
  }
  call->context.set_deadline(absl::ToChronoTime(absl::Now() + options_.backend_deadline));
  std::string bytes = message->SerializeAsString();
  grpc::Slice slice(bytes);
  call->request_bytes = grpc::ByteBuffer(&slice, 1);
  stub_.UnaryCall(
      &call->context,
      absl::StrCat("/", route.method->service()->full_name(), "/", route.method->name()),
      grpc::StubOptions(), &call->request_bytes, &call->response_bytes,
      [call](grpc::Status status) { call->respond(Translate(*call, status)); });
}

void GrpcProxy::CheckReady(std::function<void(HttpResponse)> respond, const std::string&) {
  struct Probe {
    grpc::ClientContext context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
  };
  auto probe = std::make_shared<Probe>();
  probe->context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  grpc::Slice empty("");  // HealthCheckRequest{}: the server as a whole
  probe->request = grpc::ByteBuffer(&empty, 1);
  stub_.UnaryCall(&probe->context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                  &probe->request, &probe->response, [probe, respond](grpc::Status status) {
                    std::vector<grpc::Slice> slices;
                    std::string bytes;
                    if (status.ok() && probe->response.Dump(&slices).ok()) {
                      for (const auto& s : slices) {
                        bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
                      }
                    }
                    // HealthCheckResponse{status: SERVING} encodes as 08 01.
                    if (bytes == std::string("\x08\x01", 2)) {
                      HttpResponse ready;
                      ready.body = R"({"success":true,"data":{"status":"ready"}})";
                      return respond(std::move(ready));
                    }
                    respond(ErrorResponse(503, api_code::kUnavailable, "backend not ready"));
                  });
}

bool ForwardableSignatureHeader(absl::string_view value) {
  if (value.empty() || value.size() > kMaxSignatureHeaderLength) return false;
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace affonso::gateway

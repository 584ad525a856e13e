#include "gateway/transcoder/grpc_proxy.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/api_error.h"
#include "common/api_key_syntax.h"
#include "common/error_envelope.h"
#include "common/grpc_metadata.h"
#include "common/in_flight.h"
#include "common/ip_address.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/request_id.h"
#include "common/wire_metadata.h"
#include "gateway/transcoder/contract.h"
#include "gateway/transcoder/error_response.h"
#include "gateway/transcoder/json_transcoder.h"
#include "google/protobuf/message.h"
#include "proto/affonso/v1/annotations.pb.h"

namespace affonso::gateway {
namespace {

// Response metadata passed through to HTTP headers as they are.
constexpr const char* kPassThroughHeaders[] = {kRateLimitLimitKey, kRateLimitRemainingKey,
                                               kRateLimitResetKey, kRetryAfterKey};

// What a page may read of a public answer besides the CORS-safelisted
// headers: the pass-through ones above.
constexpr char kCorsExposedHeaders[] =
    "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After";
// How long a browser may reuse a preflight's answer for the same page and
// URL (Chrome caps it at 7200): one preflight per page view and then some,
// short enough that a changed rule reaches browsers soon.
constexpr char kCorsMaxAgeSeconds[] = "600";

bool IsPrintableAscii(absl::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Every header a preflight names (Access-Control-Request-Headers, a comma
// list, lower case from browsers) is one the pixel sends: Content-Type.
bool OnlyContentType(absl::string_view request_headers) {
  for (absl::string_view name : absl::StrSplit(request_headers, ',')) {
    name = absl::StripAsciiWhitespace(name);
    if (!name.empty() && !absl::EqualsIgnoreCase(name, "content-type")) return false;
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
  // First, so destroyed last: the proxy's count of calls drops only once
  // the ClientContext (which holds the channel) is gone (see ~GrpcProxy).
  InFlightCounter::Token in_flight;
  std::function<void(HttpResponse)> respond;
  grpc::ClientContext context;
  grpc::ByteBuffer request_bytes;
  grpc::ByteBuffer response_bytes;
  const Route* route = nullptr;
  std::string request_id;
  std::string cors_origin;  // a public route's CorsOrigin, else ""
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

std::string ClientAddressOf(const HttpRequest& request, int trusted_proxy_hops) {
  if (trusted_proxy_hops <= 0) return request.remote_address;
  // Every X-Forwarded-For header, in order, as one list (RFC 9110 5.3).
  std::vector<std::string> chain;
  for (const auto& [name, value] : request.headers) {
    if (name != "x-forwarded-for") continue;
    for (absl::string_view entry : absl::StrSplit(value, ',')) {
      chain.emplace_back(absl::StripAsciiWhitespace(entry));
    }
  }
  chain.push_back(request.remote_address);
  const size_t from_right = static_cast<size_t>(trusted_proxy_hops);
  const size_t index = chain.size() > from_right ? chain.size() - 1 - from_right : 0;
  return IsIpLiteral(chain[index]) ? chain[index] : request.remote_address;
}

bool IsLoopbackAddress(absl::string_view address) {
  return absl::StartsWith(address, "127.") || address == "::1" ||
         absl::StartsWith(address, "::ffff:127.");
}

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

namespace {

absl::flat_hash_set<const google::protobuf::MethodDescriptor*> PublicMethods(
    const RouteTable& routes) {
  absl::flat_hash_set<const google::protobuf::MethodDescriptor*> methods;
  for (const Route& route : routes.routes()) {
    if (route.method->options().GetExtension(affonso::v1::unauthenticated)) {
      methods.insert(route.method);
    }
  }
  return methods;
}

}  // namespace

GrpcProxy::GrpcProxy(std::shared_ptr<grpc::Channel> backend, RouteTable routes,
                     GrpcProxyOptions options)
    : backend_(backend),
      stub_(backend),
      routes_(std::move(routes)),
      options_(std::move(options)),
      metrics_(options_.metrics),
      public_methods_(PublicMethods(routes_)) {}

GrpcProxy::~GrpcProxy() {
  // A call ends by its deadline; the margin covers its callback's last steps.
  if (!in_flight_.WaitForNone(options_.backend_deadline + absl::Seconds(5))) {
    AFFONSO_LOG(kWarning, "REST gateway: ", in_flight_.Count(),
                " backend calls still in flight at shutdown");
  }
}

std::vector<const Route*> GrpcProxy::PublicRoutesOf(absl::string_view path) const {
  std::vector<const Route*> routes;
  for (const std::string& method : routes_.Match("", path).allowed_methods) {
    const Route* route = routes_.Match(method, path).route;
    if (route != nullptr && IsPublic(*route)) routes.push_back(route);
  }
  return routes;
}

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
  const std::string client_address = ClientAddressOf(request, options_.trusted_proxy_hops);
  if (auto document = options_.static_content.find(std::string(path));
      document != options_.static_content.end() &&
      (!document->second.loopback_clients_only || IsLoopbackAddress(client_address))) {
    if (request.method == "GET" || request.method == "HEAD") {
      return replying_as(absl::StrCat(request.method, " ", document->first))(
          ServeStaticContent(document->second, request));
    }
    HttpResponse response = ErrorResponse(405, "METHOD_NOT_ALLOWED",
                                          absl::StrCat(request.method, " is not allowed here"));
    response.headers.emplace_back("Allow", "GET, HEAD");
    return reply(std::move(response));
  }

  RouteMatch match = routes_.Match(request.method, path);
  if (match.route == nullptr) {
    if (match.allowed_methods.empty()) {
      return reply(ErrorResponse(404, api_code::kNotFound, "no such endpoint"));
    }
    // No rule names OPTIONS or HEAD: on a public route's path they are the
    // browser's preflight and link checkers' probes.
    const std::vector<const Route*> public_routes = PublicRoutesOf(path);
    if (!public_routes.empty()) {
      const std::string label = absl::StrCat(request.method, " ", public_routes[0]->path_template);
      if (request.method == "OPTIONS") {
        std::vector<std::string> methods;
        for (const Route* route : public_routes) methods.push_back(route->http_method);
        return replying_as(label)(CorsPreflight(request, methods));
      }
      if (request.method == "HEAD") {
        // Nothing is tracked: a prefetcher or a bot is not a visit.
        HttpResponse response;
        response.status = 204;
        return replying_as(label)(std::move(response));
      }
      match.allowed_methods.push_back("HEAD");
      match.allowed_methods.push_back("OPTIONS");
    }
    HttpResponse response = ErrorResponse(405, "METHOD_NOT_ALLOWED",
                                          absl::StrCat(request.method, " is not allowed here"));
    response.headers.emplace_back("Allow", absl::StrJoin(match.allowed_methods, ", "));
    return reply(std::move(response));
  }
  const Route& route = *match.route;
  const bool is_public = IsPublic(route);
  reply = replying_as(absl::StrCat(route.http_method, " ", route.path_template));
  const std::string cors_origin = is_public ? CorsOrigin(request) : "";
  // The gateway's own answers on a public route are readable by the page
  // (none of them is an origin refusal).
  auto answer = [&reply, &cors_origin](HttpResponse response) {
    AddCorsHeaders(cors_origin, /*origin_refused=*/false, &response);
    reply(std::move(response));
  };
  const std::string authorization = is_public ? "" : request.Header("authorization");
  if (!is_public) {
    // Every other route needs a key: a request that cannot hold one gets
    // the service's 401 before anything parses its body.
    absl::Status key_syntax = ApiKeyFromAuthorization(authorization).status();
    if (!key_syntax.ok()) {
      return reply(ErrorResponse(401, ApiErrorCode(key_syntax), key_syntax.message()));
    }
    if (options_.refuse_before_body) {
      absl::Status refused = options_.refuse_before_body(authorization, client_address);
      if (!refused.ok()) return reply(RefusalResponse(refused));
    }
  }
  // Nobody vouches for a public call: what it may make us parse is bounded
  // far below the server-wide body limit (the largest valid track call is
  // under 12 KiB).
  if (is_public && request.body.size() > kMaxPublicBodyBytes) {
    return answer(ErrorResponse(413, "PAYLOAD_TOO_LARGE",
                                absl::StrCat("the request body is over ", kMaxPublicBodyBytes,
                                             " bytes, the limit of this unauthenticated route")));
  }
  if (!route.body.empty() && !absl::StripAsciiWhitespace(request.body).empty() &&
      !IsJsonContentType(request.Header("content-type"))) {
    return answer(
        ErrorResponse(415, "UNSUPPORTED_MEDIA_TYPE", "the request body must be application/json"));
  }

  const auto* prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(
      route.method->input_type());
  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  absl::Status built = BuildRequest(route, match.bindings, query, request.body, message.get());
  if (!built.ok()) {
    return answer(ErrorResponse(400, ApiErrorCode(built), built.message(), ApiErrorField(built)));
  }

  auto call = std::make_shared<Call>();
  call->in_flight = in_flight_.Enter();
  call->route = &route;
  call->request_id = request_id;
  call->cors_origin = cors_origin;
  call->respond = reply;
  if (is_public) {
    // What the service judges a public call by. It names no key: an
    // Authorization header it carries anyway stays here.
    for (const auto& [header, key, max_length] :
         {std::tuple<const char*, const char*, size_t>{"origin", kOriginKey, kMaxOriginLength},
          {"referer", kRefererKey, kMaxRefererLength},
          {"user-agent", kUserAgentKey, kMaxUserAgentLength}}) {
      std::string value = request.Header(header);
      // A user agent is judged by its start (bot markers come first): a
      // long one is cut, not dropped, so that length cannot hide a bot.
      if (absl::string_view(key) == kUserAgentKey && value.size() > max_length)
        value.resize(max_length);
      if (ForwardableHeader(value, max_length)) call->context.AddMetadata(key, value);
    }
  } else {
    // Printable ASCII but for surrounding whitespace, as checked above.
    call->context.AddMetadata("authorization",
                              std::string(absl::StripAsciiWhitespace(authorization)));
  }
  call->context.AddMetadata(kRequestIdKey, request_id);
  // For the per-address limits (failed authentication; a public call's
  // per-IP limit and its click's IP). RpcRunner believes it only on
  // in-process calls, where the peer has no address.
  if (!client_address.empty()) call->context.AddMetadata(kClientAddressKey, client_address);
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
      [call](grpc::Status status) {
        HttpResponse response = Translate(*call, status);
        // A refused site's script must not read why (nor anything else).
        const bool origin_refused =
            !status.ok() && MetadataValue(call->context.GetServerTrailingMetadata(),
                                          kErrorCodeKey) == api_code::kOriginNotAllowed;
        AddCorsHeaders(call->cors_origin, origin_refused, &response);
        call->respond(std::move(response));
      });
}

void GrpcProxy::CheckReady(std::function<void(HttpResponse)> respond, const std::string&) {
  struct Probe {
    InFlightCounter::Token in_flight;  // first: see Call
    grpc::ClientContext context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
  };
  auto probe = std::make_shared<Probe>();
  probe->in_flight = in_flight_.Enter();
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

bool ForwardableHeader(absl::string_view value, size_t max_length) {
  return !value.empty() && value.size() <= max_length && IsPrintableAscii(value);
}

bool ForwardableSignatureHeader(absl::string_view value) {
  return ForwardableHeader(value, kMaxSignatureHeaderLength);
}

std::string CorsOrigin(const HttpRequest& request) {
  std::string origin = request.Header("origin");
  if (!ForwardableHeader(origin, kMaxOriginLength) || origin == "null") return "";
  return origin;
}

HttpResponse CorsPreflight(const HttpRequest& request, const std::vector<std::string>& methods) {
  HttpResponse response;
  response.status = 204;
  response.headers.emplace_back("Vary", "Origin");
  const std::string origin = CorsOrigin(request);
  const std::string method = request.Header("access-control-request-method");
  if (origin.empty() || std::find(methods.begin(), methods.end(), method) == methods.end() ||
      !OnlyContentType(request.Header("access-control-request-headers"))) {
    return response;  // the browser then does not send the call
  }
  response.headers.emplace_back("Access-Control-Allow-Origin", origin);
  response.headers.emplace_back("Access-Control-Allow-Methods", absl::StrJoin(methods, ", "));
  response.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type");
  response.headers.emplace_back("Access-Control-Max-Age", kCorsMaxAgeSeconds);
  return response;
}

void AddCorsHeaders(absl::string_view origin, bool origin_refused, HttpResponse* response) {
  if (origin.empty()) return;
  response->headers.emplace_back("Vary", "Origin");
  if (origin_refused) return;
  response->headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  response->headers.emplace_back("Access-Control-Expose-Headers", kCorsExposedHeaders);
}

}  // namespace affonso::gateway

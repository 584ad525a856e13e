#ifndef AFFONSO_GATEWAY_TRANSCODER_GRPC_PROXY_H_
#define AFFONSO_GATEWAY_TRANSCODER_GRPC_PROXY_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/in_flight.h"
#include "common/metrics.h"
#include "gateway/http/http_handler.h"
#include "gateway/http/static_content.h"
#include "gateway/transcoder/route_table.h"

namespace affonso::gateway {

struct GrpcProxyOptions {
  // Deadline of each backend call; past it the client gets 504.
  absl::Duration backend_deadline = absl::Seconds(10);
  // Served verbatim at GET /openapi.json.
  std::string openapi_json;
  // Documents served at GET and HEAD by exact path, the query string ignored
  // ("/js/pixel.min.js" -> the script): ServeStaticContent's answers.
  std::map<std::string, StaticContent> static_content;
  // Proxies in front of this gateway that each append the address they got
  // the request from to X-Forwarded-For (ClientAddressOf). 0: the socket's
  // peer is the client.
  int trusted_proxy_hops = 0;
  // Run on the HTTP I/O thread once the Authorization header holds a key and
  // before the body is parsed, so that whatever the API would refuse from
  // memory costs no parsing: it must never block. Its error is the answer
  // (a kRetryAfterKey response metadata entry becomes Retry-After). Not run
  // for a public (unauthenticated) method, which names no key. The
  // in-process gateway passes Server::RefuseWithoutLookup; empty: none.
  std::function<absl::Status(absl::string_view authorization, absl::string_view client_address)>
      refuse_before_body;
  // Where the request counters and durations go; required, and must outlive
  // the proxy and every call it has in flight.
  metrics::Registry* metrics = nullptr;
};

// The REST face of the affonso.v1 services: every rpc with a google.api.http
// rule becomes its endpoint (routes are read from the descriptors, never
// written by hand). Calls go out on gRPC's callback API, so the HTTP I/O
// threads never wait on the backend. Also answers /healthz (this process is
// alive), /readyz (the backend's health service says SERVING),
// /openapi.json and the static documents.
//
// A method marked (affonso.v1.unauthenticated) is public, called by the
// pixel from customers' pages: no Authorization is read or forwarded, and
// the browser's Origin, Referer and User-Agent go to the service instead
// (kOriginKey, kRefererKey, kUserAgentKey) for it to judge. Its path
// answers a CORS preflight (OPTIONS) and HEAD (204, no backend call), and
// its answers let the calling page read them (Access-Control-Allow-Origin:
// the page's origin) unless the service refused that origin
// (ORIGIN_NOT_ALLOWED). Authenticated routes send no CORS headers: a
// browser page never holds an API key.
class GrpcProxy final : public HttpHandler {
 public:
  static absl::StatusOr<std::unique_ptr<GrpcProxy>> Create(std::shared_ptr<grpc::Channel> backend,
                                                           GrpcProxyOptions options);

  // Waits (at most the backend deadline and 5 s) until every backend call it
  // started has let go of its ClientContext, so that the channel's last
  // reference never goes on a gRPC callback thread: there, in gRPC 1.51, it
  // raced the channel's teardown and a ref-count assertion aborted the
  // process (`tests:rest_faults_test`, about 1 run in 30 under load).
  ~GrpcProxy() override;

  void Handle(HttpRequest request, std::function<void(HttpResponse)> respond) override;

 private:
  // Requests by route template and status; copied into each reply, so a
  // late reply needs only the registry.
  struct HttpMetrics {
    explicit HttpMetrics(metrics::Registry* registry);
    void Count(const std::string& route, int status, absl::Duration elapsed) const;
    metrics::CounterFamily* requests;
    metrics::HistogramFamily* durations;
  };

  GrpcProxy(std::shared_ptr<grpc::Channel> backend, RouteTable routes, GrpcProxyOptions options);
  void CheckReady(std::function<void(HttpResponse)> respond, const std::string& request_id);
  bool IsPublic(const Route& route) const { return public_methods_.contains(route.method); }
  // The public routes of `path` (for OPTIONS and HEAD, which no rule names).
  std::vector<const Route*> PublicRoutesOf(absl::string_view path) const;

  std::shared_ptr<grpc::Channel> backend_;
  grpc::GenericStub stub_;
  InFlightCounter in_flight_;  // backend calls whose ClientContext is alive
  const RouteTable routes_;
  const GrpcProxyOptions options_;
  const HttpMetrics metrics_;
  // The methods marked (affonso.v1.unauthenticated), read once at Create.
  const absl::flat_hash_set<const google::protobuf::MethodDescriptor*> public_methods_;
};

// The client's address: the socket's peer with `trusted_proxy_hops` 0;
// else, in the chain X-Forwarded-For entries + the peer, the address the
// outermost trusted proxy saw (the chain's entry `hops` from the right of the
// peer, or its first when it is shorter). Entries a client wrote itself sit
// left of that and are never believed. "" or a peer that is not an IP
// literal when the chosen entry is not one either: the peer.
std::string ClientAddressOf(const HttpRequest& request, int trusted_proxy_hops);

// Whether `address` is this machine's (127.0.0.0/8 or ::1).
bool IsLoopbackAddress(absl::string_view address);

// API.md's HTTP status for a gRPC status code and the API code the service
// gave with it ("" when none): RESOURCE_EXHAUSTED is a 429 only with
// RATE_LIMIT_EXCEEDED, else a 503.
int HttpStatusFor(grpc::StatusCode code, absl::string_view api_error_code);

// Whether a request header's value is forwarded to the service as metadata:
// non-empty, printable ASCII, at most `max_length` bytes. Anything else is
// dropped (the service then sees no such header).
bool ForwardableHeader(absl::string_view value, size_t max_length);

// X-Affonso-Timestamp / X-Affonso-Signature (as kSignatureTimestampKey /
// kSignatureKey); a dropped one makes the request count as unsigned.
inline constexpr size_t kMaxSignatureHeaderLength = 128;

// The body a public (unauthenticated) route accepts; over it, 413
// PAYLOAD_TOO_LARGE before any parsing.
inline constexpr size_t kMaxPublicBodyBytes = 32 * 1024;
bool ForwardableSignatureHeader(absl::string_view value);

// A public method's Origin, Referer and User-Agent (as kOriginKey,
// kRefererKey, kUserAgentKey): an origin is a scheme and a host, a referrer
// the page's URL as browsers trim it, and the user-agent bound is the
// TrackRequest.user_agent one.
inline constexpr size_t kMaxOriginLength = 512;
inline constexpr size_t kMaxRefererLength = 2048;
inline constexpr size_t kMaxUserAgentLength = 1000;

// The CORS answer to a preflight (OPTIONS) on a path whose public routes
// take `methods`: 204 with Vary: Origin, and the Access-Control-Allow-*
// headers only when the request has a usable Origin (CorsOrigin) and asks
// for one of `methods` and for no request header but Content-Type: without
// them the browser does not send the call.
HttpResponse CorsPreflight(const HttpRequest& request, const std::vector<std::string>& methods);

// The request's Origin as a public answer may echo it: a forwardable one,
// except "null" (a sandboxed or file: page, which no program's allowed
// domains can name); "" when none.
std::string CorsOrigin(const HttpRequest& request);

// What a public route's answer to a request from `origin` carries: nothing
// without an origin; else Vary: Origin, and unless the service refused the
// origin (`origin_refused`: ORIGIN_NOT_ALLOWED) Access-Control-Allow-Origin
// and Access-Control-Expose-Headers (the rate-limit headers and Retry-After,
// which the script may read). Never Allow-Credentials: the pixel sends none.
void AddCorsHeaders(absl::string_view origin, bool origin_refused, HttpResponse* response);

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_TRANSCODER_GRPC_PROXY_H_

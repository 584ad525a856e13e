#ifndef AFFONSO_GATEWAY_TRANSCODER_GRPC_PROXY_H_
#define AFFONSO_GATEWAY_TRANSCODER_GRPC_PROXY_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "gateway/http/http_handler.h"
#include "gateway/transcoder/route_table.h"

namespace affonso::gateway {

struct GrpcProxyOptions {
  // Deadline of each backend call; past it the client gets 504.
  absl::Duration backend_deadline = absl::Seconds(10);
  // Served verbatim at GET /openapi.json.
  std::string openapi_json;
  // Run on the HTTP I/O thread once the Authorization header holds a key and
  // before the body is read, so that whatever the API would refuse from
  // memory costs no parsing: it must never block. Its error is the answer
  // (a kRetryAfterKey response metadata entry becomes Retry-After). The
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
// alive), /readyz (the backend's health service says SERVING) and
// /openapi.json.
class GrpcProxy final : public HttpHandler {
 public:
  static absl::StatusOr<std::unique_ptr<GrpcProxy>> Create(std::shared_ptr<grpc::Channel> backend,
                                                           GrpcProxyOptions options);

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

  std::shared_ptr<grpc::Channel> backend_;
  grpc::GenericStub stub_;
  const RouteTable routes_;
  const GrpcProxyOptions options_;
  const HttpMetrics metrics_;
};

// API.md's HTTP status for a gRPC status code and the API code the service
// gave with it ("" when none): RESOURCE_EXHAUSTED is a 429 only with
// RATE_LIMIT_EXCEEDED, else a 503.
int HttpStatusFor(grpc::StatusCode code, absl::string_view api_error_code);

// Whether an X-Affonso-Timestamp / X-Affonso-Signature header value is
// forwarded to the service (as kSignatureTimestampKey / kSignatureKey):
// non-empty, printable ASCII, at most kMaxSignatureHeaderLength characters.
// Anything else is dropped, and the request then counts as unsigned.
inline constexpr size_t kMaxSignatureHeaderLength = 128;
bool ForwardableSignatureHeader(absl::string_view value);

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_TRANSCODER_GRPC_PROXY_H_

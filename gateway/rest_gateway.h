#ifndef AFFONSO_GATEWAY_REST_GATEWAY_H_
#define AFFONSO_GATEWAY_REST_GATEWAY_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "gateway/http/http_server.h"
#include "gateway/http/static_content.h"
#include "gateway/transcoder/grpc_proxy.h"

namespace affonso::gateway {

// Everything the REST side needs; main.cc files fill it from flags.
struct RestGatewayConfig {
  HttpServerOptions http;  // its error_format is replaced by the API's envelope
  absl::Duration backend_deadline = absl::Seconds(10);
  // GrpcProxyOptions::refuse_before_body.
  std::function<absl::Status(absl::string_view authorization, absl::string_view client_address)>
      refuse_before_body;
  // Where the request metrics go (main.cc's registry); must outlive the
  // gateway. Null: a registry of the gateway's own (metrics()).
  metrics::Registry* metrics = nullptr;
  // The pixel's demo page (GET /demo, gateway/pixel/demo.html) for this
  // program, with this key written into it. Empty program (the default): no
  // /demo (404). Whoever loads the page reads the key: set only for a demo
  // deployment, with a key of a demo team.
  std::string demo_program_id;
  std::string demo_api_key;
  // GrpcProxyOptions::trusted_proxy_hops.
  int trusted_proxy_hops = 0;
};

// The documents a gateway so configured serves besides the API:
// /js/pixel.js, /js/pixel.min.js, and /demo when it has a demo program.
std::map<std::string, StaticContent> StaticDocuments(const RestGatewayConfig& config);

// The HTTP server and the proxy behind it, over one gRPC channel: the
// server's in-process channel, or a network channel in the standalone
// gateway.
class RestGateway {
 public:
  static absl::StatusOr<std::unique_ptr<RestGateway>> Start(const RestGatewayConfig& config,
                                                            std::shared_ptr<grpc::Channel> backend);
  int port() const { return http_->port(); }
  // Still serving, but every response closes its connection (see HttpServer).
  void CloseConnectionsAfterResponses() { http_->CloseConnectionsAfterResponses(); }
  // Stops accepting; in-flight requests get `grace`.
  void Shutdown(absl::Duration grace) { http_->Shutdown(grace); }
  metrics::Registry& metrics() const { return *metrics_; }

 private:
  std::unique_ptr<metrics::Registry> own_metrics_;  // when the config names none
  metrics::Registry* metrics_ = nullptr;
  std::unique_ptr<GrpcProxy> proxy_;
  std::unique_ptr<HttpServer> http_;  // destroyed first: it calls into proxy_
};

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_REST_GATEWAY_H_

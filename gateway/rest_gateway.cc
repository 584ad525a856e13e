#include "gateway/rest_gateway.h"

#include "common/error_envelope.h"
#include "common/log.h"
#include "gateway/openapi/openapi_document.h"

namespace affonso::gateway {

absl::StatusOr<std::unique_ptr<RestGateway>> RestGateway::Start(
    const RestGatewayConfig& config, std::shared_ptr<grpc::Channel> backend) {
  std::unique_ptr<RestGateway> gateway(new RestGateway());
  gateway->metrics_ = config.metrics;
  if (gateway->metrics_ == nullptr) {
    gateway->own_metrics_ = std::make_unique<metrics::Registry>();
    gateway->metrics_ = gateway->own_metrics_.get();
  }
  GrpcProxyOptions options;
  options.backend_deadline = config.backend_deadline;
  options.refuse_before_body = config.refuse_before_body;
  options.openapi_json = kOpenApiJson;
  options.metrics = gateway->metrics_;
  auto proxy = GrpcProxy::Create(std::move(backend), std::move(options));
  if (!proxy.ok()) return proxy.status();
  gateway->proxy_ = *std::move(proxy);
  HttpServerOptions http_options = config.http;
  // The server's own refusals (413, 408, 503, ...) read like the API's errors.
  http_options.error_format = {kErrorEnvelopeContentType, RefusalEnvelope};
  auto http = HttpServer::Start(std::move(http_options), gateway->proxy_.get());
  if (!http.ok()) return http.status();
  gateway->http_ = *std::move(http);
  AFFONSO_LOG(kInfo, "REST serving on port ", gateway->http_->port());
  return gateway;
}

}  // namespace affonso::gateway

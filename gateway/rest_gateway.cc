#include "gateway/rest_gateway.h"

#include "common/error_envelope.h"
#include "common/log.h"
#include "gateway/openapi/openapi_document.h"
#include "gateway/pixel/demo_page.h"
#include "gateway/pixel/pixel_assets.h"

namespace affonso::gateway {

std::map<std::string, StaticContent> StaticDocuments(const RestGatewayConfig& config) {
  constexpr char kJavaScript[] = "application/javascript; charset=utf-8";
  // Not `immutable`: the URL has no version in it (customers paste the
  // snippet once, naming /js/pixel.min.js for good), so a new pixel must
  // reach their pages within the hour; after that the ETag makes checking
  // for one a 304.
  constexpr char kScriptCaching[] = "public, max-age=3600";
  std::map<std::string, StaticContent> documents;
  documents.emplace("/js/pixel.js", MakeStaticContent(kJavaScript, kScriptCaching,
                                                      std::string(PixelJs()), /*with_etag=*/true));
  documents.emplace("/js/pixel.min.js",
                    MakeStaticContent(kJavaScript, kScriptCaching, std::string(PixelMinJs()),
                                      /*with_etag=*/true));
  if (!config.demo_program_id.empty()) {
    // no-store: the page holds a key, and is rendered for this configuration.
    StaticContent demo =
        MakeStaticContent("text/html; charset=utf-8", "no-store",
                          RenderDemoPage(DemoHtml(), config.demo_program_id, config.demo_api_key),
                          /*with_etag=*/false);
    // The page holds a key: never for another machine (./dev run listens
    // on every interface).
    demo.loopback_clients_only = true;
    documents.emplace("/demo", std::move(demo));
  }
  return documents;
}

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
  options.trusted_proxy_hops = config.trusted_proxy_hops;
  options.openapi_json = kOpenApiJson;
  options.static_content = StaticDocuments(config);
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

#include "services/server/ops_http.h"

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/error_envelope.h"
#include "common/log.h"
#include "gateway/transcoder/error_response.h"

namespace affonso::services {
namespace {

// Taken when the binary is loaded, before main: close enough to exec.
const absl::Time kProcessStart = absl::Now();

}  // namespace

void OpsHandler::Handle(gateway::HttpRequest request,
                        std::function<void(gateway::HttpResponse)> respond) {
  absl::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  if (path != "/metrics" && path != "/healthz" && path != "/readyz") {
    return respond(gateway::ErrorResponse(404, api_code::kNotFound, "no such endpoint"));
  }
  if (request.method != "GET") {
    gateway::HttpResponse response = gateway::ErrorResponse(
        405, "METHOD_NOT_ALLOWED", absl::StrCat(request.method, " is not allowed here"));
    response.headers.emplace_back("Allow", "GET");
    return respond(std::move(response));
  }
  gateway::HttpResponse response;
  if (path == "/metrics") {
    response.content_type = metrics::kExpositionContentType;
    response.body = registry_->Render();
  } else if (path == "/healthz") {
    response.body = R"({"success":true,"data":{"status":"ok"}})";
  } else if (ready_()) {
    response.body = R"({"success":true,"data":{"status":"ready"}})";
  } else {
    response = gateway::ErrorResponse(503, api_code::kUnavailable, "not ready");
  }
  respond(std::move(response));
}

absl::StatusOr<std::unique_ptr<OpsServer>> OpsServer::Start(gateway::HttpServerOptions options,
                                                            const metrics::Registry* registry,
                                                            std::function<bool()> ready) {
  // The port's own refusals (413, 408, ...) in the envelope its answers use.
  options.error_format = {kErrorEnvelopeContentType, RefusalEnvelope};
  std::unique_ptr<OpsServer> server(new OpsServer());
  server->handler_ = std::make_unique<OpsHandler>(registry, std::move(ready));
  auto http = gateway::HttpServer::Start(std::move(options), server->handler_.get());
  if (!http.ok()) return http.status();
  server->http_ = *std::move(http);
  AFFONSO_LOG(kInfo, "metrics and probes on port ", server->http_->port());
  return server;
}

void ExportProcessStartTime(metrics::Registry* registry) {
  registry
      ->AddGauge("process_start_time_seconds", "Start time of the process since the Unix epoch.")
      .WithLabels({})
      .Set(absl::ToDoubleSeconds(kProcessStart - absl::UnixEpoch()));
}

}  // namespace affonso::services

#ifndef AFFONSO_SERVICES_SERVER_OPS_HTTP_H_
#define AFFONSO_SERVICES_SERVER_OPS_HTTP_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "gateway/http/http_handler.h"
#include "gateway/http/http_server.h"

namespace affonso::services {

// The operations port every role serves, REST or not: GET /metrics (the
// registry in Prometheus text format), /healthz (the process is up) and
// /readyz (200 while `ready()`, else 503; the REST gateway's meaning).
class OpsHandler final : public gateway::HttpHandler {
 public:
  // `ready` runs on an I/O thread: it must be quick and thread-safe.
  OpsHandler(const metrics::Registry* registry, std::function<bool()> ready)
      : registry_(registry), ready_(std::move(ready)) {}

  void Handle(gateway::HttpRequest request,
              std::function<void(gateway::HttpResponse)> respond) override;

 private:
  const metrics::Registry* registry_;
  const std::function<bool()> ready_;
};

// The handler on its own HTTP server.
class OpsServer {
 public:
  // `options.error_format` is replaced by the API's envelope.
  static absl::StatusOr<std::unique_ptr<OpsServer>> Start(gateway::HttpServerOptions options,
                                                          const metrics::Registry* registry,
                                                          std::function<bool()> ready);
  int port() const { return http_->port(); }
  void Shutdown(absl::Duration grace) { http_->Shutdown(grace); }

 private:
  std::unique_ptr<OpsHandler> handler_;
  std::unique_ptr<gateway::HttpServer> http_;  // destroyed first: it calls handler_
};

// process_start_time_seconds (restarts show as its changes) in `registry`.
void ExportProcessStartTime(metrics::Registry* registry);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_SERVER_OPS_HTTP_H_

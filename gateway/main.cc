// The standalone REST gateway: the same transcoding as the server's
// in-process gateway, proxying to a gRPC address (its own Deployment or a
// sidecar). Flags only here and in gateway/rest_flags.cc (the REST ones, shared
// with the server); each default comes from the environment variable named in
// its help.
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/process.h"
#include "gateway/rest_flags.h"
#include "gateway/rest_gateway.h"

using affonso::EnvOr;

ABSL_FLAG(std::string, backend, EnvOr("BACKEND_ADDR", "127.0.0.1:50051"),
          "gRPC address of the affonso server (env BACKEND_ADDR)");
ABSL_FLAG(int, shutdown_grace_ms, EnvOr("SHUTDOWN_GRACE_MS", 10000),
          "on SIGTERM/SIGINT, time in-flight requests get (env SHUTDOWN_GRACE_MS)");
ABSL_FLAG(std::string, log_level, EnvOr("LOG_LEVEL", "info"),
          "debug | info | warning | error (env LOG_LEVEL)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("affonso REST gateway (proxies to the gRPC server)");
  affonso::HelpListsFlagsOf({"gateway/main.cc", affonso::gateway::kRestFlagsFile});
  absl::ParseCommandLine(argc, argv);
  affonso::LogLevel level;
  if (!affonso::ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    std::cerr << "unknown --log_level\n";
    return 2;
  }
  affonso::SetLogLevel(level);

  affonso::BlockStopSignals();

  // This binary serves no /metrics (as before): REST requests are counted
  // into a registry nobody scrapes. Declared first: it outlives the gateway.
  affonso::metrics::Registry registry;
  affonso::gateway::RestGatewayConfig config = affonso::gateway::RestGatewayConfigFromFlags();
  config.metrics = &registry;
  auto gateway = affonso::gateway::RestGateway::Start(
      config,
      grpc::CreateChannel(absl::GetFlag(FLAGS_backend), grpc::InsecureChannelCredentials()));
  if (!gateway.ok()) {
    AFFONSO_LOG(kError, "start-up failed: ", gateway.status().ToString());
    return 1;
  }
  const int signal_number = affonso::WaitForStopSignal();
  AFFONSO_LOG(kInfo, "signal ", signal_number, ": draining");
  (*gateway)->Shutdown(absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms)));
  return 0;
}

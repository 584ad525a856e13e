// The standalone REST gateway: the same transcoding as the server's
// in-process gateway, proxying to a gRPC address (its own Deployment or a
// sidecar). Flags only here; each default comes from the environment variable
// named in its help.
#include <algorithm>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/process.h"
#include "gateway/rest_gateway.h"

using affonso::EnvOr;

ABSL_FLAG(std::string, backend, EnvOr("BACKEND_ADDR", "127.0.0.1:50051"),
          "gRPC address of the affonso server (env BACKEND_ADDR)");
ABSL_FLAG(std::string, http_host, EnvOr("HTTP_HOST", "0.0.0.0"),
          "address to listen on (env HTTP_HOST)");
ABSL_FLAG(int, http_port, EnvOr("HTTP_PORT", 8080), "REST port (env HTTP_PORT)");
ABSL_FLAG(int, http_io_threads, EnvOr("HTTP_IO_THREADS", 2),
          "I/O threads; they never wait on the backend (env HTTP_IO_THREADS)");
ABSL_FLAG(int, max_body_bytes, EnvOr("MAX_BODY_BYTES", 1 << 20),
          "largest accepted request body; larger is 413 (env MAX_BODY_BYTES)");
ABSL_FLAG(int, http_read_timeout_ms, EnvOr("HTTP_READ_TIMEOUT_MS", 15000),
          "time a client gets to send a whole request (env HTTP_READ_TIMEOUT_MS)");
ABSL_FLAG(int, http_idle_timeout_ms, EnvOr("HTTP_IDLE_TIMEOUT_MS", 60000),
          "idle keep-alive connections close after this (env HTTP_IDLE_TIMEOUT_MS)");
ABSL_FLAG(int, http_write_timeout_ms, EnvOr("HTTP_WRITE_TIMEOUT_MS", 10000),
          "a response write making no progress this long (client not reading) closes the "
          "connection (env HTTP_WRITE_TIMEOUT_MS)");
ABSL_FLAG(int, http_send_buffer_bytes, EnvOr("HTTP_SEND_BUFFER_BYTES", 64 << 10),
          "kernel send buffer per REST connection (SO_SNDBUF); 0 leaves it to the kernel's "
          "autotuning (env HTTP_SEND_BUFFER_BYTES)");
ABSL_FLAG(int, http_max_connections, EnvOr("HTTP_MAX_CONNECTIONS", 10000),
          "REST connections beyond this are closed at once (env HTTP_MAX_CONNECTIONS)");
ABSL_FLAG(int, http_max_buffered_bytes, EnvOr("HTTP_MAX_BUFFERED_BYTES", 64 << 20),
          "response bytes waiting for slow clients, all connections together; over it new "
          "connections are closed and new requests get 503; 0 no limit "
          "(env HTTP_MAX_BUFFERED_BYTES)");
ABSL_FLAG(int, backend_deadline_ms, EnvOr("BACKEND_DEADLINE_MS", 10000),
          "deadline of each backend call; past it 504 (env BACKEND_DEADLINE_MS)");
ABSL_FLAG(int, shutdown_grace_ms, EnvOr("SHUTDOWN_GRACE_MS", 10000),
          "on SIGTERM/SIGINT, time in-flight requests get (env SHUTDOWN_GRACE_MS)");
ABSL_FLAG(std::string, log_level, EnvOr("LOG_LEVEL", "info"),
          "debug | info | warning | error (env LOG_LEVEL)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("affonso REST gateway (proxies to the gRPC server)");
  affonso::HelpListsFlagsOf("gateway/main.cc");
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
  affonso::gateway::RestGatewayConfig config;
  config.metrics = &registry;
  config.http.address = absl::GetFlag(FLAGS_http_host);
  config.http.port = absl::GetFlag(FLAGS_http_port);
  config.http.io_threads = absl::GetFlag(FLAGS_http_io_threads);
  config.http.max_body_bytes = absl::GetFlag(FLAGS_max_body_bytes);
  config.http.read_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_http_read_timeout_ms));
  config.http.idle_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_http_idle_timeout_ms));
  config.http.write_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_http_write_timeout_ms));
  config.http.send_buffer_bytes = absl::GetFlag(FLAGS_http_send_buffer_bytes);
  config.http.max_connections = absl::GetFlag(FLAGS_http_max_connections);
  config.http.max_buffered_bytes = std::max(absl::GetFlag(FLAGS_http_max_buffered_bytes), 0);
  config.backend_deadline = absl::Milliseconds(absl::GetFlag(FLAGS_backend_deadline_ms));
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

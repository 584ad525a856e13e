#include "gateway/rest_flags.h"

#include <algorithm>
#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "common/process.h"

using affonso::EnvOr;

// Help texts are read by deploy/check_manifests.py ("(env NAME)") and listed
// by both binaries' --help (//tests:help_test).
ABSL_FLAG(std::string, http_host, EnvOr("HTTP_HOST", "0.0.0.0"),
          "address to listen on for REST (env HTTP_HOST)");
ABSL_FLAG(int, http_port, EnvOr("HTTP_PORT", 8080),
          "REST port; in affonso_server, which serves it in-process, -1 turns it off "
          "(env HTTP_PORT)");
ABSL_FLAG(int, http_io_threads, EnvOr("HTTP_IO_THREADS", 2),
          "REST I/O threads; they never wait on the backend (env HTTP_IO_THREADS)");
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
          "deadline of each REST call into the services; past it 504 (env BACKEND_DEADLINE_MS)");
ABSL_FLAG(std::string, demo_program_id, EnvOr("DEMO_PROGRAM_ID", ""),
          "serve the pixel's demo page at /demo for this program id; empty: no /demo "
          "(env DEMO_PROGRAM_ID)");
ABSL_FLAG(int, trusted_proxy_hops, EnvOr("TRUSTED_PROXY_HOPS", 0),
          "proxies in front of REST (an ingress, a load balancer) that append the client's "
          "address to X-Forwarded-For; the client is read from that header past them. 0: the "
          "socket's peer is the client and the header is ignored (env TRUSTED_PROXY_HOPS)");
// No default from the environment: --help prints defaults, and this is a
// key. Read from the environment in RestGatewayConfigFromFlags instead.
ABSL_FLAG(std::string, demo_api_key, "",
          "API key written into the /demo page (anyone loading it reads it: a demo team's key "
          "only) (env DEMO_API_KEY)");

namespace affonso::gateway {

RestGatewayConfig RestGatewayConfigFromFlags() {
  RestGatewayConfig config;
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
  config.demo_program_id = absl::GetFlag(FLAGS_demo_program_id);
  config.trusted_proxy_hops = std::max(absl::GetFlag(FLAGS_trusted_proxy_hops), 0);
  config.demo_api_key = absl::GetFlag(FLAGS_demo_api_key);
  if (config.demo_api_key.empty()) config.demo_api_key = EnvOr("DEMO_API_KEY", "");
  return config;
}

}  // namespace affonso::gateway

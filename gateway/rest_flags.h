#ifndef AFFONSO_GATEWAY_REST_FLAGS_H_
#define AFFONSO_GATEWAY_REST_FLAGS_H_

#include "gateway/rest_gateway.h"

namespace affonso::gateway {

// The REST flags (--http_host, --http_port, --http_io_threads,
// --max_body_bytes, --http_*_timeout_ms, --http_send_buffer_bytes,
// --http_max_connections, --http_max_buffered_bytes, --backend_deadline_ms,
// --demo_program_id, --demo_api_key, --trusted_proxy_hops),
// defined here once for both binaries that serve REST: affonso_server
// (in-process) and affonso_gateway (standalone). Each default comes from the
// environment variable named in its help. Pass kRestFlagsFile to
// HelpListsFlagsOf so that --help lists them.
inline constexpr char kRestFlagsFile[] = "gateway/rest_flags.cc";

// The configuration those flags give; refuse_before_body is left empty. A
// negative http.port means "no REST" (only affonso_server honours it). An
// empty --demo_api_key is read from DEMO_API_KEY here, never as the flag's
// default (which --help would print).
RestGatewayConfig RestGatewayConfigFromFlags();

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_REST_FLAGS_H_

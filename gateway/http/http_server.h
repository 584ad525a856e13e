#ifndef AFFONSO_GATEWAY_HTTP_HTTP_SERVER_H_
#define AFFONSO_GATEWAY_HTTP_HTTP_SERVER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/http/http_handler.h"
#include "gateway/http/http_message.h"

namespace affonso::gateway {

// How the server words the refusals it answers itself (HttpError: 400 for a
// malformed or ambiguous request, 408, 413, 431, 501, 503 when overloaded, 504
// when the handler is late, 500 when it throws or answers a bad status). The
// server knows no API format: the REST gateway and the ops port pass the API's
// envelope (common/error_envelope.h RefusalEnvelope, as application/json).
struct HttpErrorFormat {
  std::string content_type = "text/plain; charset=utf-8";
  // The body for an HttpError's code and message; empty: the message and a
  // line feed.
  std::function<std::string(absl::string_view code, absl::string_view message)> body;
};

struct HttpServerOptions {
  std::string address = "0.0.0.0";
  int port = 8080;  // 0 = pick a free one (tests)
  int io_threads = 2;
  size_t max_body_bytes = 1 << 20;     // over it: 413 PAYLOAD_TOO_LARGE
  size_t max_header_bytes = 16 << 10;  // over it: 431 REQUEST_HEADER_FIELDS_TOO_LARGE
  // Whole request (headers + body) once its first byte arrived: slowloris
  // guard -> 408 and close.
  absl::Duration read_timeout = absl::Seconds(15);
  // Keep-alive connection with no request in progress -> close silently.
  absl::Duration idle_timeout = absl::Seconds(60);
  // `respond` not called by then -> 504 GATEWAY_TIMEOUT.
  absl::Duration handler_timeout = absl::Seconds(30);
  // A response write that makes no progress for this long (the client does
  // not read) -> close: a client cannot park its responses on the server.
  absl::Duration write_timeout = absl::Seconds(10);
  // The same while over max_buffered_bytes: stuck responses go first.
  absl::Duration over_budget_write_timeout = absl::Seconds(1);
  // SO_SNDBUF of each connection (Linux doubles it): what the kernel holds
  // for a client that does not read. 0: the kernel's autotuning (up to
  // tcp_wmem's maximum, 4 MiB by default, per connection).
  int send_buffer_bytes = 64 << 10;
  // Beyond: accepted and closed at once, before anything is read (so the
  // client knows nothing ran). Idle connections cost ~2 KB each.
  int max_connections = 10000;
  // Response bytes waiting to be written, over all connections (one response
  // per connection at most). While over it, new connections are closed at
  // once, requests already read get 503 SERVICE_UNAVAILABLE without reaching
  // the handler, and writes stuck for over_budget_write_timeout are dropped.
  // 0: no limit.
  size_t max_buffered_bytes = 64 << 20;
  // The body and Content-Type of the server's own refusals (default: plain text).
  HttpErrorFormat error_format;
};

// HTTP/1.1 server (Boost.Beast, asynchronous): `io_threads` threads share all
// connections, one strand per connection, so idle keep-alive connections cost
// a socket and no buffer. Requests on one connection are answered in order:
// the next one is read only once the previous response is written, so a
// connection holds at most one response and a bounded read buffer.
class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                           HttpHandler* handler);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();  // Shutdown(absl::ZeroDuration()) if not yet

  int port() const;

  // Stops accepting and closes idle connections; requests in flight get up to
  // `grace` to be answered (their connections then close), after which every
  // remaining connection is closed and the I/O threads are joined. Calls after
  // the first do nothing. Must not be called from a handler (an I/O thread).
  void Shutdown(absl::Duration grace);

  // The first step of a graceful shutdown, while still accepting: every
  // response from now on says `Connection: close`, so keep-alive clients
  // reconnect (to another replica, once the load balancer has seen this one
  // turn unready) instead of finding their connection closed under them.
  void CloseConnectionsAfterResponses();

  class Impl;  // implementation detail, defined in http_server.cc

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_HTTP_HTTP_SERVER_H_

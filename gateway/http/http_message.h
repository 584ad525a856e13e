#ifndef AFFONSO_GATEWAY_HTTP_HTTP_MESSAGE_H_
#define AFFONSO_GATEWAY_HTTP_HTTP_MESSAGE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace affonso::gateway {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target: path plus optional ?query
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;

  // First value of `name` (lower-case), "" when absent.
  std::string Header(absl::string_view name) const;
};

struct HttpResponse {
  int status = 200;  // 200..599, anything else is sent as the server's own 500
  // 204 and 304 are sent without body, Content-Type or Content-Length; the
  // answer to a HEAD request without its body (Content-Length still its size).
  // Extra headers (Allow, X-Request-Id, X-RateLimit-*...). The server owns
  // Content-Type, Content-Length and Connection: those names are ignored here,
  // as is any header whose name or value contains CR or LF.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
  std::string body;
};

// A request the server answers itself, without (or instead of) the handler:
// refused while reading, timed out, shed under load. `code` names the refusal
// in upper snake case ("PAYLOAD_TOO_LARGE"), `message` says it in a sentence;
// HttpServerOptions::error_format turns them into the response body.
struct HttpError {
  int status = 500;
  std::string code;
  std::string message;
};

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_HTTP_HTTP_MESSAGE_H_

#ifndef AFFONSO_GATEWAY_HTTP_STATIC_CONTENT_H_
#define AFFONSO_GATEWAY_HTTP_STATIC_CONTENT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "gateway/http/http_message.h"

namespace affonso::gateway {

// A document (a script, a page) fixed when the server starts, served at
// GET and HEAD. With a validator its ETag is a strong one: the quoted start
// of the body's SHA-256, the same on every replica that serves the same
// bytes, so a client revalidating against another replica still gets its 304.
struct StaticContent {
  std::string content_type;
  std::string cache_control;
  std::string body;
  std::string etag;  // "" = no validator (If-None-Match is then ignored)
  // Served only to a client on this machine (127.0.0.0/8, ::1); anyone else
  // gets 404, as if it did not exist. For /demo, which holds a key.
  bool loopback_clients_only = false;
};

// `with_etag`: computes StaticContent::etag from `body`.
StaticContent MakeStaticContent(std::string content_type, std::string cache_control,
                                std::string body, bool with_etag);

// Whether an If-None-Match header value matches `etag` (RFC 9110 13.1.2:
// "*", or a comma-separated list compared weakly, so W/"x" matches "x").
// An empty header or etag never matches.
bool IfNoneMatchMatches(absl::string_view if_none_match, absl::string_view etag);

// 200 with the body (the HTTP server leaves it out for HEAD), or 304 without
// it when the request's If-None-Match matches; both carry Cache-Control, the
// ETag and X-Content-Type-Options: nosniff (the type is ours, never sniffed).
HttpResponse ServeStaticContent(const StaticContent& content, const HttpRequest& request);

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_HTTP_STATIC_CONTENT_H_

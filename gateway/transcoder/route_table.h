#ifndef AFFONSO_GATEWAY_TRANSCODER_ROUTE_TABLE_H_
#define AFFONSO_GATEWAY_TRANSCODER_ROUTE_TABLE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace affonso::gateway {

// One REST endpoint, read from an rpc's google.api.http rule.
struct Route {
  std::string http_method;  // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string path_template;
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string body;           // "", "*" or a request field name
  std::string response_body;  // "" or a response field name

  // Parsed template: each segment is a literal, or a variable bound to a
  // (possibly dotted) request field that matches one path segment.
  struct Segment {
    std::string literal;
    std::string field;  // non-empty for a variable
  };
  std::vector<Segment> segments;
};

struct RouteMatch {
  const Route* route = nullptr;                               // null: see allowed_methods
  std::vector<std::pair<std::string, std::string>> bindings;  // field path -> decoded value
  // When no route matched: the verbs the path does answer (405 with Allow),
  // or empty (404).
  std::vector<std::string> allowed_methods;
};

// Every annotated rpc of the given services, so a new annotated rpc is
// exposed with no gateway change.
class RouteTable {
 public:
  static absl::StatusOr<RouteTable> FromServices(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  // `path` without the query string, still percent-encoded.
  RouteMatch Match(absl::string_view http_method, absl::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// Parses "/v1/referrals/{id}" (variables may be written {f} or {f=*}).
absl::StatusOr<std::vector<Route::Segment>> ParsePathTemplate(absl::string_view path_template);

// Percent-decoding of one path segment or query component; `plus_is_space`
// for query strings. Fails on malformed escapes.
absl::StatusOr<std::string> PercentDecode(absl::string_view text, bool plus_is_space);

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_TRANSCODER_ROUTE_TABLE_H_

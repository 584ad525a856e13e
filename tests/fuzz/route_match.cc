// Path matching of the REST gateway over the real contract's routes
// (gateway/route_table: path templates from the google.api.http rules,
// percent-decoding of path variables, 404 vs 405 with Allow).
//
// Input: "METHOD /path" (without a space, the whole input is a GET's path).

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gateway/transcoder/contract.h"
#include "gateway/transcoder/route_table.h"
#include "tests/fuzz/fuzz_support.h"

namespace affonso::gateway {
namespace {

const RouteTable& Routes() {
  static const RouteTable* const routes = [] {
    auto table = RouteTable::FromServices(ContractServices());
    FUZZ_CHECK(table.ok());
    return new RouteTable(*std::move(table));
  }();
  return *routes;
}

// Every byte as %XX: a path that binds exactly `value`, and can never equal
// a literal segment.
std::string EncodeAll(absl::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    out.push_back('%');
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

}  // namespace
}  // namespace affonso::gateway

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace affonso::gateway;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t space = input.find(' ');
  const absl::string_view method =
      space == absl::string_view::npos ? "GET" : input.substr(0, space);
  const absl::string_view path = space == absl::string_view::npos ? input : input.substr(space + 1);

  const RouteTable& routes = Routes();
  const RouteMatch match = routes.Match(method, path);
  if (match.route == nullptr) {
    // 405's Allow header lists exactly verbs that do answer this path.
    for (const std::string& allowed : match.allowed_methods) {
      FUZZ_CHECK(allowed != method);
      FUZZ_CHECK(routes.Match(allowed, path).route != nullptr);
    }
    return 0;
  }
  const Route& route = *match.route;
  FUZZ_CHECK(route.http_method == method);
  FUZZ_CHECK(match.allowed_methods.empty());
  size_t variables = 0;
  for (const Route::Segment& segment : route.segments) {
    if (!segment.field.empty()) ++variables;
  }
  FUZZ_CHECK(match.bindings.size() == variables);

  // The same bindings, fully percent-encoded back into the template, match
  // the same route with the same values (no decoding ambiguity, e.g. an
  // encoded '/' never splits a segment).
  std::string rebuilt;
  size_t next = 0;
  for (const Route::Segment& segment : route.segments) {
    if (segment.field.empty()) {
      absl::StrAppend(&rebuilt, "/", segment.literal);
    } else {
      FUZZ_CHECK(match.bindings[next].first == segment.field);
      FUZZ_CHECK(!match.bindings[next].second.empty());
      absl::StrAppend(&rebuilt, "/", EncodeAll(match.bindings[next].second));
      ++next;
    }
  }
  const RouteMatch again = routes.Match(method, rebuilt);
  FUZZ_CHECK(again.route == &route);
  FUZZ_CHECK(again.bindings == match.bindings);
  return 0;
}

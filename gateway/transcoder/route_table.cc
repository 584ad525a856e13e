#include "gateway/transcoder/route_table.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"

namespace affonso::gateway {
namespace {

std::vector<absl::string_view> SplitPath(absl::string_view path) {
  if (absl::StartsWith(path, "/")) path.remove_prefix(1);
  if (path.empty()) return {};
  return absl::StrSplit(path, '/');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(static_cast<unsigned char>(c));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(absl::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int high = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
      int low = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (high < 0 || low < 0) return absl::InvalidArgumentError("malformed percent-encoding");
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<std::vector<Route::Segment>> ParsePathTemplate(absl::string_view path_template) {
  if (!absl::StartsWith(path_template, "/")) {
    return absl::InvalidArgumentError(absl::StrCat("template must start with /: ", path_template));
  }
  std::vector<Route::Segment> segments;
  for (absl::string_view part : SplitPath(path_template)) {
    Route::Segment segment;
    if (absl::StartsWith(part, "{") && absl::EndsWith(part, "}")) {
      absl::string_view inner = part.substr(1, part.size() - 2);
      std::pair<absl::string_view, absl::string_view> name_pattern =
          absl::StrSplit(inner, absl::MaxSplits('=', 1));
      if (name_pattern.first.empty() ||
          (!name_pattern.second.empty() && name_pattern.second != "*")) {
        return absl::InvalidArgumentError(
            absl::StrCat("unsupported path variable ", part, " in ", path_template));
      }
      segment.field = std::string(name_pattern.first);
    } else if (part.empty() || absl::StrContains(part, "{") || absl::StrContains(part, "}")) {
      return absl::InvalidArgumentError(absl::StrCat("bad path segment in ", path_template));
    } else {
      segment.literal = std::string(part);
    }
    segments.push_back(std::move(segment));
  }
  return segments;
}

absl::StatusOr<RouteTable> RouteTable::FromServices(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  RouteTable table;
  for (const auto* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      if (!method->options().HasExtension(google::api::http)) continue;
      const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
      Route route;
      route.method = method;
      route.body = rule.body();
      route.response_body = rule.response_body();
      switch (rule.pattern_case()) {
        case google::api::HttpRule::kGet:
          route.http_method = "GET";
          route.path_template = rule.get();
          break;
        case google::api::HttpRule::kPost:
          route.http_method = "POST";
          route.path_template = rule.post();
          break;
        case google::api::HttpRule::kPut:
          route.http_method = "PUT";
          route.path_template = rule.put();
          break;
        case google::api::HttpRule::kPatch:
          route.http_method = "PATCH";
          route.path_template = rule.patch();
          break;
        case google::api::HttpRule::kDelete:
          route.http_method = "DELETE";
          route.path_template = rule.delete_();
          break;
        default:
          return absl::InvalidArgumentError(
              absl::StrCat(method->full_name(), ": unsupported http rule pattern"));
      }
      auto segments = ParsePathTemplate(route.path_template);
      if (!segments.ok()) return segments.status();
      route.segments = *std::move(segments);
      table.routes_.push_back(std::move(route));
    }
  }
  // Literal segments win over variables at the same position, so
  // /v1/program/groups beats a hypothetical /v1/program/{x}.
  std::stable_sort(table.routes_.begin(), table.routes_.end(), [](const Route& a, const Route& b) {
    size_t n = std::min(a.segments.size(), b.segments.size());
    for (size_t i = 0; i < n; ++i) {
      bool a_literal = a.segments[i].field.empty();
      bool b_literal = b.segments[i].field.empty();
      if (a_literal != b_literal) return a_literal;
    }
    return false;
  });
  return table;
}

RouteMatch RouteTable::Match(absl::string_view http_method, absl::string_view path) const {
  RouteMatch result;
  std::vector<absl::string_view> parts = SplitPath(path);
  // A trailing slash names the same resource.
  if (!parts.empty() && parts.back().empty()) parts.pop_back();
  for (const Route& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    std::vector<std::pair<std::string, std::string>> bindings;
    bool matched = true;
    for (size_t i = 0; i < parts.size() && matched; ++i) {
      const Route::Segment& segment = route.segments[i];
      if (segment.field.empty()) {
        matched = parts[i] == segment.literal;
      } else {
        auto value = PercentDecode(parts[i], /*plus_is_space=*/false);
        matched = value.ok() && !value->empty();
        if (matched) bindings.emplace_back(segment.field, *std::move(value));
      }
    }
    if (!matched) continue;
    if (route.http_method == http_method) {
      result.route = &route;
      result.bindings = std::move(bindings);
      result.allowed_methods.clear();
      return result;
    }
    if (std::find(result.allowed_methods.begin(), result.allowed_methods.end(),
                  route.http_method) == result.allowed_methods.end()) {
      result.allowed_methods.push_back(route.http_method);
    }
  }
  return result;
}

}  // namespace affonso::gateway

#include "gateway/http/static_content.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"

namespace affonso::gateway {
namespace {

// 128 bits of the digest: ample to tell two versions of a document apart.
constexpr size_t kEtagHexDigits = 32;

absl::string_view Opaque(absl::string_view tag) {
  if (absl::StartsWith(tag, "W/")) tag.remove_prefix(2);
  return tag;
}

}  // namespace

StaticContent MakeStaticContent(std::string content_type, std::string cache_control,
                                std::string body, bool with_etag) {
  StaticContent content;
  content.content_type = std::move(content_type);
  content.cache_control = std::move(cache_control);
  if (with_etag) content.etag = absl::StrCat("\"", Sha256Hex(body).substr(0, kEtagHexDigits), "\"");
  content.body = std::move(body);
  return content;
}

bool IfNoneMatchMatches(absl::string_view if_none_match, absl::string_view etag) {
  if (etag.empty()) return false;
  for (absl::string_view tag : absl::StrSplit(if_none_match, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    if (tag == "*" || (!tag.empty() && Opaque(tag) == Opaque(etag))) return true;
  }
  return false;
}

HttpResponse ServeStaticContent(const StaticContent& content, const HttpRequest& request) {
  HttpResponse response;
  response.content_type = content.content_type;
  response.headers.emplace_back("Cache-Control", content.cache_control);
  if (!content.etag.empty()) response.headers.emplace_back("ETag", content.etag);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (IfNoneMatchMatches(request.Header("if-none-match"), content.etag)) {
    response.status = 304;
    return response;
  }
  response.body = content.body;
  return response;
}

}  // namespace affonso::gateway

#include "common/api_key_syntax.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/api_error.h"

namespace affonso {
namespace {

constexpr absl::string_view kScheme = "bearer ";
constexpr absl::string_view kKeyPrefix = "sk_";
// Longer input is certainly not one of our keys; refuse before hashing.
constexpr size_t kMaxKeyLength = 128;

}  // namespace

absl::StatusOr<absl::string_view> ApiKeyFromAuthorization(absl::string_view authorization) {
  authorization = absl::StripAsciiWhitespace(authorization);
  if (authorization.empty()) return MissingApiKeyError();
  for (char c : authorization) {
    if (c < 0x20 || c > 0x7e) return InvalidApiKeyFormatError();
  }
  if (authorization.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(authorization, kScheme)) {
    return InvalidApiKeyFormatError();
  }
  absl::string_view key = absl::StripAsciiWhitespace(authorization.substr(kScheme.size()));
  if (key.empty() || key.size() > kMaxKeyLength || !absl::StartsWith(key, kKeyPrefix)) {
    return InvalidApiKeyFormatError();
  }
  return key;
}

}  // namespace affonso

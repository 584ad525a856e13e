#ifndef AFFONSO_COMMON_API_KEY_SYNTAX_H_
#define AFFONSO_COMMON_API_KEY_SYNTAX_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace affonso {

// The API key an Authorization header value ("Bearer <key>") carries, or the
// answer due without looking anything up: MISSING_API_KEY when the value is
// blank, INVALID_API_KEY when it cannot hold one of our keys (another scheme,
// bytes outside printable ASCII, no "sk_" prefix, longer than any key). The
// server's authenticator and the REST gateway, which refuses such requests
// before reading their body, apply this same rule.
absl::StatusOr<absl::string_view> ApiKeyFromAuthorization(absl::string_view authorization);

}  // namespace affonso

#endif  // AFFONSO_COMMON_API_KEY_SYNTAX_H_

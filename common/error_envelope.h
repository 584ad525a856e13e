#ifndef AFFONSO_COMMON_ERROR_ENVELOPE_H_
#define AFFONSO_COMMON_ERROR_ENVELOPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace affonso::gateway {

// `text` as a quoted JSON string. Quotes, backslashes and control characters
// are escaped (control characters as \u00XX); valid UTF-8 passes through and
// every byte that is not part of a valid UTF-8 sequence becomes U+FFFD, so the
// result is always valid JSON whatever bytes a client sent us.
std::string JsonEscape(absl::string_view text);

// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), as proto3 strings must be.
bool IsValidUtf8(absl::string_view text);

// The API's error body:
//   {"success":false,"error":{"code":"...","message":"..."}}
// with "field":"..." appended inside "error" when `field` is not empty.
std::string ErrorEnvelope(absl::string_view code, absl::string_view message,
                          absl::string_view field = {});

}  // namespace affonso::gateway

#endif  // AFFONSO_COMMON_ERROR_ENVELOPE_H_

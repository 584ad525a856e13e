#ifndef AFFONSO_COMMON_JSON_ESCAPE_H_
#define AFFONSO_COMMON_JSON_ESCAPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace affonso {

// `text` as a quoted JSON string: the one escaper of every JSON we write (API
// responses and errors, the OpenAPI document, ctl's output). Quotes,
// backslashes and control characters are escaped (control characters as
// \u00XX); valid UTF-8 passes through and every byte that is not part of a
// valid UTF-8 sequence becomes U+FFFD, so the result is always valid JSON
// whatever bytes a client sent us.
std::string JsonEscape(absl::string_view text);

// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), as proto3 strings must be.
bool IsValidUtf8(absl::string_view text);

}  // namespace affonso

#endif  // AFFONSO_COMMON_JSON_ESCAPE_H_

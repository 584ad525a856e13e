#ifndef AFFONSO_COMMON_UNTRUSTED_TEXT_H_
#define AFFONSO_COMMON_UNTRUSTED_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace affonso {

// Bytes from outside (a webhook receiver's answer, a header) as text that
// PostgreSQL and proto3 always accept and a log or JSON reader can show:
// valid UTF-8 (RFC 3629) passes through; each byte of an invalid sequence,
// NUL and the other control characters (C0 but tab, newline and carriage
// return; DEL; C1) become U+FFFD; a sequence cut by the end of `bytes` (the
// caller kept only the first bytes) is dropped. The result is cut at a
// character boundary to at most `max_bytes`.
std::string SanitizeUntrustedText(absl::string_view bytes, size_t max_bytes);

// Whether `text` holds a C0 control character (line breaks and tab included) or DEL: what a
// one-line field (a subject, a payment method, a decoded query value) refuses.
bool HasControlCharacter(absl::string_view text);

}  // namespace affonso

#endif  // AFFONSO_COMMON_UNTRUSTED_TEXT_H_

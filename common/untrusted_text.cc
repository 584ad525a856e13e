#include "common/untrusted_text.h"

#include <algorithm>
#include <cstdint>

namespace affonso {
namespace {

constexpr absl::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD

// Length of the well-formed sequence starting at text[i] (a non-ASCII lead
// byte), 0 when ill-formed; sets `truncated` when it is a valid prefix that
// the end of `text` cuts short.
size_t SequenceLength(absl::string_view text, size_t i, bool* truncated) {
  const uint8_t lead = static_cast<uint8_t>(text[i]);
  size_t length;
  uint8_t low = 0x80, high = 0xbf;  // the second byte's range
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // no overlong forms
    if (lead == 0xed) high = 0x9f;  // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  for (size_t k = 1; k < length; ++k) {
    if (i + k >= text.size()) {
      *truncated = true;
      return 0;
    }
    const uint8_t byte = static_cast<uint8_t>(text[i + k]);
    if (k == 1 ? (byte < low || byte > high) : (byte < 0x80 || byte > 0xbf)) return 0;
  }
  return length;
}

bool IsShownControl(uint8_t c) { return c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::string SanitizeUntrustedText(absl::string_view bytes, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(bytes.size(), max_bytes));
  size_t i = 0;
  while (i < bytes.size()) {
    const uint8_t c = static_cast<uint8_t>(bytes[i]);
    absl::string_view piece;
    size_t consumed = 1;
    if (c < 0x80) {
      piece = (c < 0x20 && !IsShownControl(c)) || c == 0x7f ? kReplacement : bytes.substr(i, 1);
    } else {
      bool truncated = false;
      const size_t length = SequenceLength(bytes, i, &truncated);
      if (truncated) break;
      if (length == 0) {
        piece = kReplacement;
      } else {
        consumed = length;
        // C1 controls (U+0080..U+009F) are 0xc2 0x80..0x9f.
        piece = (c == 0xc2 && static_cast<uint8_t>(bytes[i + 1]) < 0xa0) ? kReplacement
                                                                         : bytes.substr(i, length);
      }
    }
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece.data(), piece.size());
    i += consumed;
  }
  return out;
}

bool HasControlCharacter(absl::string_view text) {
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

}  // namespace affonso

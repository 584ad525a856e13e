#include "tests/fuzz/fuzz_support.h"

#include <cstddef>
#include <cstdint>

namespace affonso::fuzz {
namespace {

// Recursive descent over `text` from `pos`; each function consumes one
// construct or fails.
class JsonValidator {
 public:
  explicit JsonValidator(absl::string_view text) : text_(text) {}

  bool Document() {
    SkipSpace();
    if (!Value(0)) return false;
    SkipSpace();
    return pos_ == text_.size();
  }

 private:
  // Far beyond what the gateway writes; only keeps the stack bounded.
  static constexpr int kMaxDepth = 1000;

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }

  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) {
      ++pos_;
    }
  }

  bool Literal(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool Value(int depth) {
    if (AtEnd() || depth > kMaxDepth) return false;
    switch (Peek()) {
      case '{':
        return Object(depth);
      case '[':
        return Array(depth);
      case '"':
        return String();
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return Number();
    }
  }

  bool Object(int depth) {
    ++pos_;  // {
    SkipSpace();
    if (!AtEnd() && Peek() == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      SkipSpace();
      if (AtEnd() || Peek() != '"' || !String()) return false;
      SkipSpace();
      if (AtEnd() || Peek() != ':') return false;
      ++pos_;
      SkipSpace();
      if (!Value(depth + 1)) return false;
      SkipSpace();
      if (AtEnd()) return false;
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      if (Peek() != ',') return false;
      ++pos_;
    }
  }

  bool Array(int depth) {
    ++pos_;  // [
    SkipSpace();
    if (!AtEnd() && Peek() == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      SkipSpace();
      if (!Value(depth + 1)) return false;
      SkipSpace();
      if (AtEnd()) return false;
      if (Peek() == ']') {
        ++pos_;
        return true;
      }
      if (Peek() != ',') return false;
      ++pos_;
    }
  }

  bool Digits() {
    const size_t start = pos_;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9') ++pos_;
    return pos_ > start;
  }

  bool Number() {
    if (!AtEnd() && Peek() == '-') ++pos_;
    if (AtEnd()) return false;
    if (Peek() == '0') {
      ++pos_;
    } else if (!Digits()) {
      return false;
    }
    if (!AtEnd() && Peek() == '.') {
      ++pos_;
      if (!Digits()) return false;
    }
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      ++pos_;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) ++pos_;
      if (!Digits()) return false;
    }
    return true;
  }

  static int HexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Length of the valid UTF-8 sequence at pos_ (RFC 3629), 0 if none.
  size_t Utf8Length() const {
    const auto byte = [&](size_t k) { return static_cast<uint8_t>(text_[pos_ + k]); };
    const uint8_t lead = byte(0);
    size_t length;
    uint8_t low = 0x80, high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return 0;
    }
    if (pos_ + length > text_.size()) return 0;
    if (byte(1) < low || byte(1) > high) return 0;
    for (size_t k = 2; k < length; ++k) {
      if (byte(k) < 0x80 || byte(k) > 0xBF) return 0;
    }
    return length;
  }

  bool String() {
    ++pos_;  // "
    while (!AtEnd()) {
      const auto c = static_cast<uint8_t>(Peek());
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        ++pos_;
        if (AtEnd()) return false;
        const char escape = Peek();
        ++pos_;
        if (escape == 'u') {
          for (int i = 0; i < 4; ++i, ++pos_) {
            if (AtEnd() || HexDigit(Peek()) < 0) return false;
          }
        } else if (absl::string_view("\"\\/bfnrt").find(escape) == absl::string_view::npos) {
          return false;
        }
      } else if (c < 0x80) {
        ++pos_;
      } else {
        const size_t length = Utf8Length();
        if (length == 0) return false;
        pos_ += length;
      }
    }
    return false;
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

bool IsValidJson(absl::string_view text) { return JsonValidator(text).Document(); }

}  // namespace affonso::fuzz

#include "common/untrusted_text.h"

#include <string>

#include "gtest/gtest.h"

namespace affonso {
namespace {

constexpr char kReplacement[] = "\xef\xbf\xbd";

std::string R(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += kReplacement;
  return out;
}

TEST(SanitizeUntrustedTextTest, ValidTextPassesThrough) {
  const std::string text = "plain \t\r\n caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbd";
  EXPECT_EQ(SanitizeUntrustedText(text, 1000), text);
  EXPECT_EQ(SanitizeUntrustedText("", 10), "");
}

TEST(SanitizeUntrustedTextTest, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(SanitizeUntrustedText("a\xff"
                                  "b",
                                  100),
            "a" + R(1) + "b");
  EXPECT_EQ(SanitizeUntrustedText("\xc3(", 100), R(1) + "(");       // lead without tail
  EXPECT_EQ(SanitizeUntrustedText("\x80\xbf", 100), R(2));          // lone continuations
  EXPECT_EQ(SanitizeUntrustedText("\xc0\xaf", 100), R(2));          // overlong '/'
  EXPECT_EQ(SanitizeUntrustedText("\xe0\x80\xaf", 100), R(3));      // overlong, 3 bytes
  EXPECT_EQ(SanitizeUntrustedText("\xed\xa0\x80", 100), R(3));      // a surrogate
  EXPECT_EQ(SanitizeUntrustedText("\xf4\x90\x80\x80", 100), R(4));  // above U+10FFFF
  EXPECT_EQ(SanitizeUntrustedText("\xf5\x80", 100), R(2));
}

TEST(SanitizeUntrustedTextTest, NulAndControlCharactersAreReplaced) {
  EXPECT_EQ(SanitizeUntrustedText(std::string("a\0b", 3), 100), "a" + R(1) + "b");
  EXPECT_EQ(SanitizeUntrustedText("\x01\x1b[31m\x7f", 100), R(1) + R(1) + "[31m" + R(1));
  EXPECT_EQ(SanitizeUntrustedText("\xc2\x85\xc2\xa0", 100), R(1) + "\xc2\xa0");  // NEL is C1
}

TEST(SanitizeUntrustedTextTest, ASequenceCutByTheEndIsDropped) {
  EXPECT_EQ(SanitizeUntrustedText("abc\xc3", 100), "abc");
  EXPECT_EQ(SanitizeUntrustedText("abc\xf0\x9f\x98", 100), "abc");
  // Cut short and then not continued: invalid, not cut.
  EXPECT_EQ(SanitizeUntrustedText("abc\xf0\x9f"
                                  "d",
                                  100),
            "abc" + R(2) + "d");
}

TEST(SanitizeUntrustedTextTest, CutsOnlyAtCharacterBoundaries) {
  EXPECT_EQ(SanitizeUntrustedText("ab\xc3\xa9", 3), "ab");
  EXPECT_EQ(SanitizeUntrustedText("ab\xc3\xa9", 4), "ab\xc3\xa9");
  EXPECT_EQ(SanitizeUntrustedText("a\xff", 3), "a");  // the replacement would not fit
  EXPECT_EQ(SanitizeUntrustedText(std::string(600, 'x'), 512), std::string(512, 'x'));
}

TEST(HasControlCharacterTest, FindsC0AndDelOnly) {
  EXPECT_FALSE(HasControlCharacter(""));
  EXPECT_FALSE(HasControlCharacter("plain text, caf\xc3\xa9 \xc2\x85"));  // C1 is not C0
  for (const char* text : {"a\nb", "a\rb", "tab\t", "del\x7f", "\x01"}) {
    EXPECT_TRUE(HasControlCharacter(text)) << text;
  }
  EXPECT_TRUE(HasControlCharacter(std::string("nul\0x", 5)));
}

}  // namespace
}  // namespace affonso

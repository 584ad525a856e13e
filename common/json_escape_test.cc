#include "common/json_escape.h"

#include <string>

#include "gtest/gtest.h"

namespace affonso {
namespace {

using std::string_literals::operator""s;

TEST(JsonEscapeTest, PlainTextIsQuoted) {
  EXPECT_EQ(JsonEscape(""), R"("")");
  EXPECT_EQ(JsonEscape("abc / 123"), R"("abc / 123")");
}

TEST(JsonEscapeTest, QuotesAndBackslashes) { EXPECT_EQ(JsonEscape(R"(a"b\c)"), R"("a\"b\\c")"); }

TEST(JsonEscapeTest, ControlCharactersAsUnicodeEscapes) {
  EXPECT_EQ(JsonEscape("a\nb\tc\r"), R"("a\u000ab\u0009c\u000d")");
  EXPECT_EQ(JsonEscape("\x01\x1f"), R"("\u0001\u001f")");
  EXPECT_EQ(JsonEscape("nul\0byte"s), R"("nul\u0000byte")");
  // DEL is not a JSON control character.
  EXPECT_EQ(JsonEscape("\x7f"), "\"\x7f\"");
}

TEST(JsonEscapeTest, ValidUtf8PassesThrough) {
  const std::string text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBF";
  EXPECT_EQ(JsonEscape(text), "\"" + text + "\"");
}

TEST(JsonEscapeTest, InvalidUtf8BytesBecomeReplacementCharacters) {
  const std::string fffd = "\xEF\xBF\xBD";
  // Lone continuation byte and a byte that never starts a sequence.
  EXPECT_EQ(JsonEscape("a\x80z"), "\"a" + fffd + "z\"");
  EXPECT_EQ(JsonEscape("\xFF"), "\"" + fffd + "\"");
  // Truncated sequence at the end: every leftover byte is replaced.
  EXPECT_EQ(JsonEscape("\xE2\x82"), "\"" + fffd + fffd + "\"");
  // Truncated sequence followed by ASCII keeps the ASCII.
  EXPECT_EQ(JsonEscape("\xC3z"), "\"" + fffd + "z\"");
  // Overlong encoding of '/' and of NUL.
  EXPECT_EQ(JsonEscape("\xC0\xAF"), "\"" + fffd + fffd + "\"");
  EXPECT_EQ(JsonEscape("\xE0\x80\x80"), "\"" + fffd + fffd + fffd + "\"");
  // UTF-16 surrogate encoded in UTF-8.
  EXPECT_EQ(JsonEscape("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");
  // Above U+10FFFF.
  EXPECT_EQ(JsonEscape("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");
}

TEST(IsValidUtf8Test, AcceptsUtf8AndRefusesEverythingElse) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));  // NUL is UTF-8; services refuse it
  for (const char* bad : {"\xff", "\xC3", "\xC3z", "\xC0\xAF", "\xE0\x80\x80", "\xED\xA0\x80",
                          "\xF4\x90\x80\x80", "ok\x80", "a\x80z", "\xE2\x82"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
  }
}

}  // namespace
}  // namespace affonso

#include "common/request_id.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace affonso {
namespace {

using std::string_literals::operator""s;

TEST(RequestIdTest, PrintableIdsUpTo128CharactersAreKept) {
  for (const std::string& id :
       {"a"s, "req_client-1"s, "0123/abc:def@x"s, std::string(128, 'x'), "!~"s, "{\"quoted\"}"s}) {
    EXPECT_TRUE(IsUsableRequestId(id)) << id;
    EXPECT_EQ(RequestIdFor(id), id);
  }
}

TEST(RequestIdTest, EmptyTooLongSpacesControlsAndNonAsciiAreReplaced) {
  for (const std::string& id :
       {""s, std::string(129, 'x'), "a b"s, " a"s, "a\tb"s, "a\r\nX-Evil: 1"s, "nul\0"s, "del\x7f"s,
        "caf\xC3\xA9"s, "\x80"s, "\xff"s}) {
    EXPECT_FALSE(IsUsableRequestId(id)) << id;
    const std::string replaced = RequestIdFor(id);
    EXPECT_NE(replaced, id);
    EXPECT_TRUE(IsUsableRequestId(replaced)) << replaced;
  }
}

TEST(RequestIdTest, EveryByteOutside0x21To0x7eIsRefused) {
  for (int byte = 0; byte < 256; ++byte) {
    const std::string id = "id" + std::string(1, static_cast<char>(byte));
    EXPECT_EQ(IsUsableRequestId(id), byte >= 0x21 && byte <= 0x7e) << byte;
  }
}

TEST(RequestIdTest, GeneratedIdsAreFreshReqIds) {
  const std::string first = RequestIdFor("");
  const std::string second = RequestIdFor("has space");
  EXPECT_TRUE(absl::StartsWith(first, "req_")) << first;
  EXPECT_EQ(first.size(), 4 + 22);  // "req_" and NewId's 22 base62 characters
  EXPECT_NE(first, second);
}

}  // namespace
}  // namespace affonso

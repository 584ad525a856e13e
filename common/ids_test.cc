#include "common/ids.h"

#include <set>

#include "gtest/gtest.h"

namespace affonso {
namespace {

TEST(IdsTest, NewIdHasPrefixAndBase62Body) {
  std::string id = NewId("clk");
  ASSERT_EQ(id.size(), 4u + 22u);
  EXPECT_EQ(id.substr(0, 4), "clk_");
  for (char c : id.substr(4)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << id;
}

TEST(IdsTest, IdsDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(seen.insert(NewId("ref")).second);
}

TEST(IdsTest, Sha256MatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace affonso

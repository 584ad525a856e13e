#include "common/ip_address.h"

#include "gtest/gtest.h"

namespace affonso {
namespace {

TEST(IsIpLiteralTest, AddressesOnly) {
  EXPECT_TRUE(IsIpLiteral("198.51.100.1"));
  EXPECT_TRUE(IsIpLiteral("2001:db8::5"));
  EXPECT_TRUE(IsIpLiteral("::ffff:127.0.0.1"));
  EXPECT_FALSE(IsIpLiteral(""));
  EXPECT_FALSE(IsIpLiteral("unknown"));
  EXPECT_FALSE(IsIpLiteral("1.2.3.4:80"));
  EXPECT_FALSE(IsIpLiteral("[::1]"));
  EXPECT_FALSE(IsIpLiteral("fe80::1%eth0"));
}

TEST(ClientBudgetKeyTest, IPv6CountsByItsSlash64) {
  EXPECT_EQ(ClientBudgetKey("203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(ClientBudgetKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientBudgetKey("2001:db8:1:2::1"), ClientBudgetKey("2001:db8:1:2:ffff::9"));
  EXPECT_NE(ClientBudgetKey("2001:db8:1:2::1"), ClientBudgetKey("2001:db8:1:3::1"));
  EXPECT_EQ(ClientBudgetKey("::ffff:198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(ClientBudgetKey(""), "");
  EXPECT_EQ(ClientBudgetKey("not:an:address"), "not:an:address");
}

}  // namespace
}  // namespace affonso

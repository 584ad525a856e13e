#include "services/rules/disposable_domains.h"

#include "gtest/gtest.h"

namespace affonso::services {
namespace {

TEST(DisposableDomainsTest, FromTextSkipsCommentsBlanksAndWhitespace) {
  DisposableDomains domains = DisposableDomains::FromText(
      "# source: test\n"
      "\n"
      "  mailinator.com  \n"
      "Trash-Mail.COM\r\n"
      "yopmail.com # trailing comment\n"
      "   \n"
      "# ignored.com\n");
  EXPECT_EQ(domains.size(), 3u);
  EXPECT_TRUE(domains.Contains("mailinator.com"));
  EXPECT_TRUE(domains.Contains("trash-mail.com"));
  EXPECT_TRUE(domains.Contains("yopmail.com"));
  EXPECT_FALSE(domains.Contains("ignored.com"));
}

TEST(DisposableDomainsTest, FromTextOfNothingIsEmpty) {
  EXPECT_EQ(DisposableDomains::FromText("").size(), 0u);
  EXPECT_EQ(DisposableDomains::FromText("# only a comment\n\n").size(), 0u);
  EXPECT_FALSE(DisposableDomains::FromText("").Contains("mailinator.com"));
}

TEST(DisposableDomainsTest, ParentDomainsMatch) {
  DisposableDomains domains = DisposableDomains::FromText("mailinator.com\n");
  EXPECT_TRUE(domains.Contains("mailinator.com"));
  EXPECT_TRUE(domains.Contains("a.mailinator.com"));
  EXPECT_TRUE(domains.Contains("x.y.z.mailinator.com"));
  EXPECT_TRUE(domains.Contains("mailinator.com."));  // fully qualified
}

TEST(DisposableDomainsTest, LookAlikesAndChildrenOfEntriesDoNotMatch) {
  DisposableDomains domains = DisposableDomains::FromText("a.mailinator.com\n");
  EXPECT_FALSE(domains.Contains("mailinator.com"));  // a child listed, not its parent
  EXPECT_FALSE(domains.Contains("notmailinator.com"));
  EXPECT_FALSE(domains.Contains("mailinator.com.evil.org"));
  EXPECT_FALSE(domains.Contains("xa.mailinator.com"));
  EXPECT_TRUE(domains.Contains("b.a.mailinator.com"));
}

TEST(DisposableDomainsTest, BareTldNeverMatches) {
  DisposableDomains domains = DisposableDomains::FromText("com\nmailinator.com\n");
  EXPECT_FALSE(domains.Contains("com"));
  EXPECT_FALSE(domains.Contains("com."));
  EXPECT_FALSE(domains.Contains("example.com"));
  EXPECT_FALSE(domains.Contains(""));
  EXPECT_FALSE(domains.Contains("."));
  EXPECT_TRUE(domains.Contains("mailinator.com"));
}

TEST(DisposableDomainsTest, BuiltinIsTheShippedList) {
  const DisposableDomains& builtin = DisposableDomains::Builtin();
  EXPECT_GT(builtin.size(), 1000u);
  EXPECT_TRUE(builtin.Contains("mailinator.com"));
  EXPECT_TRUE(builtin.Contains("inbox.mailinator.com"));
  EXPECT_EQ(&builtin, &DisposableDomains::Builtin());  // built once
}

TEST(DisposableDomainsTest, BuiltinSparesMainstreamProviders) {
  const DisposableDomains& builtin = DisposableDomains::Builtin();
  for (const char* domain : {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com",
                             "yahoo.com", "icloud.com", "example.com"}) {
    EXPECT_FALSE(builtin.Contains(domain)) << domain;
  }
}

TEST(DisposableDomainsTest, BuiltinHoldsNoPublicSuffix) {
  // Parent matching makes a listed public suffix flag every domain under it:
  // the refresh drops them (edu.pl is in the npm package).
  const DisposableDomains& builtin = DisposableDomains::Builtin();
  EXPECT_FALSE(builtin.Contains("edu.pl"));
  EXPECT_FALSE(builtin.Contains("uw.edu.pl"));
  EXPECT_FALSE(builtin.Contains("student.pwr.edu.pl"));
  EXPECT_FALSE(builtin.Contains("co.uk"));
}

}  // namespace
}  // namespace affonso::services

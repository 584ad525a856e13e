#include "gateway/http/static_content.h"

#include <string>

#include "gtest/gtest.h"

namespace affonso::gateway {
namespace {

std::string HeaderOf(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

HttpRequest Get(const std::string& if_none_match = "") {
  HttpRequest request;
  request.method = "GET";
  request.target = "/js/pixel.js";
  if (!if_none_match.empty()) request.headers.emplace_back("if-none-match", if_none_match);
  return request;
}

TEST(StaticContentTest, EtagIsAStrongQuotedHashOfTheBody) {
  const StaticContent a = MakeStaticContent("text/plain", "no-cache", "one", true);
  const StaticContent same = MakeStaticContent("text/html", "no-store", "one", true);
  const StaticContent other = MakeStaticContent("text/plain", "no-cache", "two", true);
  // SHA-256("one") starts 7692c3ad3540bb80...
  EXPECT_EQ(a.etag, "\"7692c3ad3540bb803c020b3aee66cd88\"");
  EXPECT_EQ(a.etag, same.etag);
  EXPECT_NE(a.etag, other.etag);
  EXPECT_EQ(MakeStaticContent("text/plain", "no-store", "one", false).etag, "");
}

TEST(StaticContentTest, IfNoneMatchComparesWeaklyInAList) {
  const std::string etag = "\"abc\"";
  EXPECT_TRUE(IfNoneMatchMatches("\"abc\"", etag));
  EXPECT_TRUE(IfNoneMatchMatches("W/\"abc\"", etag));
  EXPECT_TRUE(IfNoneMatchMatches("\"x\", \"abc\"", etag));
  EXPECT_TRUE(IfNoneMatchMatches(" \"x\" ,W/\"abc\" ", etag));
  EXPECT_TRUE(IfNoneMatchMatches("*", etag));
  EXPECT_FALSE(IfNoneMatchMatches("", etag));
  EXPECT_FALSE(IfNoneMatchMatches("\"abcd\"", etag));
  EXPECT_FALSE(IfNoneMatchMatches("abc", etag));  // unquoted: not the same tag
  EXPECT_FALSE(IfNoneMatchMatches(",,", etag));
  EXPECT_FALSE(IfNoneMatchMatches("*", ""));  // nothing to match without a validator
}

TEST(StaticContentTest, ServesTheBodyWithItsHeaders) {
  const StaticContent content = MakeStaticContent(
      "application/javascript; charset=utf-8", "public, max-age=3600", "console.log(1);\n", true);
  const HttpResponse response = ServeStaticContent(content, Get());
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "console.log(1);\n");
  EXPECT_EQ(response.content_type, "application/javascript; charset=utf-8");
  EXPECT_EQ(HeaderOf(response, "Cache-Control"), "public, max-age=3600");
  EXPECT_EQ(HeaderOf(response, "ETag"), content.etag);
  EXPECT_EQ(HeaderOf(response, "X-Content-Type-Options"), "nosniff");
}

TEST(StaticContentTest, MatchingIfNoneMatchIs304WithTheValidatorsAndNoBody) {
  const StaticContent content = MakeStaticContent("text/plain", "public, max-age=60", "x", true);
  const HttpResponse response = ServeStaticContent(content, Get(content.etag));
  EXPECT_EQ(response.status, 304);
  EXPECT_EQ(response.body, "");
  EXPECT_EQ(HeaderOf(response, "ETag"), content.etag);
  EXPECT_EQ(HeaderOf(response, "Cache-Control"), "public, max-age=60");
  EXPECT_EQ(HeaderOf(response, "X-Content-Type-Options"), "nosniff");

  EXPECT_EQ(ServeStaticContent(content, Get("\"stale\"")).status, 200);
}

TEST(StaticContentTest, WithoutAValidatorAlways200) {
  const StaticContent content = MakeStaticContent("text/html", "no-store", "<p>", false);
  const HttpResponse response = ServeStaticContent(content, Get("*"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "<p>");
  EXPECT_EQ(HeaderOf(response, "ETag"), "");
  EXPECT_EQ(HeaderOf(response, "Cache-Control"), "no-store");
}

}  // namespace
}  // namespace affonso::gateway

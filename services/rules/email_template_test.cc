#include "services/rules/email_template.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(TemplatePlaceholdersTest, ListsEachPlaceholderOnceInOrder) {
  auto names = TemplatePlaceholders("Hi {{name}}, {{ program }} thanks {{name}}!");
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_THAT(*names, ElementsAre("name", "program"));
  auto none = TemplatePlaceholders("no placeholders, {single} braces are text");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

TEST(TemplatePlaceholdersTest, RefusesUnbalancedBraces) {
  for (const char* bad : {"{{name", "{{name}", "{{}}", "{{ }}", "{{na me}}", "{{{name}}}",
                          "}} alone", "end }}", "{{name}}}}", "{{-x}}", "{{name}} and {{"}) {
    SCOPED_TRACE(bad);
    auto names = TemplatePlaceholders(bad);
    EXPECT_EQ(names.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(names.status().message()), HasSubstr("unbalanced braces"));
  }
}

TEST(TemplatePlaceholdersTest, RefusesOverlongNames) {
  EXPECT_TRUE(TemplatePlaceholders("{{" + std::string(64, 'a') + "}}").ok());
  EXPECT_FALSE(TemplatePlaceholders("{{" + std::string(65, 'a') + "}}").ok());
}

TEST(CheckTemplateTest, AcceptsOnlyTheAllowedPlaceholders) {
  const std::vector<std::string> allowed = {"affiliate_name", "program_name"};
  EXPECT_TRUE(CheckTemplate("Hi {{affiliate_name}} from {{ program_name }}", allowed).ok());
  EXPECT_TRUE(CheckTemplate("plain text", allowed).ok());
  absl::Status unknown = CheckTemplate("Hi {{password}}", allowed);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("unknown placeholder {{password}}"));
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("{{affiliate_name}}, {{program_name}}"));
  // Names are case-sensitive.
  EXPECT_FALSE(CheckTemplate("{{Affiliate_Name}}", allowed).ok());
  EXPECT_FALSE(CheckTemplate("Hi {{affiliate_name}", allowed).ok());
}

TEST(RenderTemplateTest, ReplacesPlaceholders) {
  auto out = RenderTemplate("Hi {{ name }}, welcome to {{program}}. {not one}",
                            {{"name", "Jane"}, {"program", "Acme"}}, TemplateEscaping::kPlainText);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "Hi Jane, welcome to Acme. {not one}");
}

TEST(RenderTemplateTest, ValuesAreNeverExpandedAgain) {
  auto out =
      RenderTemplate("{{a}} and {{b}}", {{"a", "{{b}}"}, {"b", "B"}}, TemplateEscaping::kPlainText);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "{{b}} and B");
  auto html = RenderTemplate("<p>{{a}}</p>", {{"a", "{{a}}}}"}}, TemplateEscaping::kHtml);
  ASSERT_TRUE(html.ok()) << html.status();
  EXPECT_EQ(*html, "<p>{{a}}}}</p>");
}

TEST(RenderTemplateTest, HtmlEscapesValuesButNotTheTemplate) {
  auto out = RenderTemplate(
      "<p class=\"x\">{{name}}</p><a href=\"{{url}}\">link</a>",
      {{"name", "<script>alert('x')</script> & co"}, {"url", "\"><img src=x onerror=alert(1)>"}},
      TemplateEscaping::kHtml);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out,
            "<p class=\"x\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co</p>"
            "<a href=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\">link</a>");
}

TEST(RenderTemplateTest, PlainTextValuesCannotBreakTheLine) {
  auto out = RenderTemplate("Hello {{name}}", {{"name", "Jane\r\nBcc: all@example.com\t\x7f"}},
                            TemplateEscaping::kPlainText);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "Hello Jane  Bcc: all@example.com  ");
  // Plain text is not HTML-escaped.
  auto text = RenderTemplate("{{v}}", {{"v", "a < b & c"}}, TemplateEscaping::kPlainText);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "a < b & c");
}

TEST(RenderTemplateTest, RefusesBadTemplatesAndMissingValues) {
  EXPECT_EQ(RenderTemplate("{{missing}}", {}, TemplateEscaping::kHtml).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderTemplate("{{broken", {{"broken", "x"}}, TemplateEscaping::kHtml).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HtmlEscapeTest, EscapesTheFiveCharacters) {
  EXPECT_EQ(HtmlEscape("&<>\"'x"), "&amp;&lt;&gt;&quot;&#39;x");
}

}  // namespace
}  // namespace affonso::services

#include "gateway/pixel/demo_page.h"

#include "gtest/gtest.h"

namespace affonso::gateway {
namespace {

TEST(HtmlEscapeTest, EscapesTheFiveMarkupCharacters) {
  EXPECT_EQ(HtmlEscape("prg_abc123"), "prg_abc123");
  EXPECT_EQ(HtmlEscape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
  EXPECT_EQ(HtmlEscape("&amp;"), "&amp;amp;");
  EXPECT_EQ(HtmlEscape(""), "");
}

TEST(RenderDemoPageTest, ReplacesEveryPlaceholder) {
  EXPECT_EQ(RenderDemoPage("<s data-affonso=\"{{PROGRAM_ID}}\"></s>{{PROGRAM_ID}}|{{API_KEY}}",
                           "prg_1", "sk_live_2"),
            "<s data-affonso=\"prg_1\"></s>prg_1|sk_live_2");
  EXPECT_EQ(RenderDemoPage("no placeholders", "prg_1", "sk"), "no placeholders");
}

TEST(RenderDemoPageTest, ValuesAreEscapedAndNotExpandedAgain) {
  EXPECT_EQ(RenderDemoPage("<a title=\"{{PROGRAM_ID}}\">{{API_KEY}}</a>",
                           "\"><script>alert(1)</script>", "{{PROGRAM_ID}}"),
            "<a title=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">{{PROGRAM_ID}}</a>");
}

}  // namespace
}  // namespace affonso::gateway

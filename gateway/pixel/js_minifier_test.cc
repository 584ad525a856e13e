#include "gateway/pixel/js_minifier.h"

#include <string>

#include "absl/status/status.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso::gateway {
namespace {

using ::affonso::matchers::IsOkAndHolds;
using ::affonso::matchers::StatusIs;
using ::testing::HasSubstr;

TEST(MinifyJsTest, DropsCommentLinesBlankLinesAndIndentation) {
  EXPECT_THAT(MinifyJs("// header\n"
                       "(() => {\n"
                       "\n"
                       "  // explains the next line\n"
                       "  \"use strict\";\n"
                       "    \t// indented comment\n"
                       "  const a = 1;   \n"
                       "})();\n"),
              IsOkAndHolds("(() => {\n"
                           "\"use strict\";\n"
                           "const a = 1;\n"
                           "})();\n"));
}

TEST(MinifyJsTest, KeepsEveryLineOfCodeAsItIs) {
  // A trailing comment stays (only whole-line comments go): the line is
  // never edited inside, and lines stay lines for semicolon insertion.
  const std::string code =
      "let x = a\n"
      "(b || c).d();\n"
      "if (x) { y(); } // why\n"
      "return /* inline */ z;\n";
  EXPECT_THAT(MinifyJs(code), IsOkAndHolds(code));
}

TEST(MinifyJsTest, StringsHoldingCommentMarkersAreUntouched) {
  const std::string code =
      "const url = \"https://example.com/x\";\n"
      "const c = '// not a comment';\n"
      "const b = \"/* nor this */\";\n"
      "const t = `//${url}/*`;\n";
  EXPECT_THAT(MinifyJs(code), IsOkAndHolds(code));
}

TEST(MinifyJsTest, RegularExpressionsHoldingSlashesAndQuotesAreUntouched) {
  const std::string code =
      "const src = /\\/js\\/pixel(\\.min)?\\.js([?#]|$)/;\n"
      "const q = s.replace(/[\"'`]/g, \"\");\n"
      "const half = total / 2 / count;\n"
      "const n = i++ / 2;\n"
      "if (ok) return /^\\/\\//.test(u);\n";
  EXPECT_THAT(MinifyJs(code), IsOkAndHolds(code));
}

TEST(MinifyJsTest, WholeLineBlockCommentsGo) {
  EXPECT_THAT(MinifyJs("/**\n"
                       " * Docs.\n"
                       " * // with a slash comment inside\n"
                       " */\n"
                       "f();\n"
                       "  /* one line */\n"
                       "/* a */ g(); /* b */\n"
                       "/* starts here\n"
                       "   and ends */ h();\n"),
              IsOkAndHolds("f();\n"
                           "/* a */ g(); /* b */\n"
                           "h();\n"));
}

TEST(MinifyJsTest, ABlockCommentOpenedAfterCodeKeepsItsEnd) {
  // Its start is on a kept line, so its inside may go but its end may not.
  EXPECT_THAT(MinifyJs("f(); /* starts after code\n"
                       "   inside\n"
                       "\n"
                       "   */\n"
                       "g();\n"),
              IsOkAndHolds("f(); /* starts after code\n"
                           "*/\n"
                           "g();\n"));
}

TEST(MinifyJsTest, MultiLineTemplateLiteralsAreCopiedAsTheyAre) {
  const std::string source =
      "  const css = `\n"
      "  .a { color: red; }   \n"
      "\n"
      "  // not a comment: CSS text\n"
      "    ${x ? `nested\n"
      "  ` : \"\"}\n"
      "`;\n"
      "  done();\n";
  EXPECT_THAT(MinifyJs(source), IsOkAndHolds("const css = `\n"
                                             "  .a { color: red; }   \n"
                                             "\n"
                                             "  // not a comment: CSS text\n"
                                             "    ${x ? `nested\n"
                                             "  ` : \"\"}\n"
                                             "`;\n"
                                             "done();\n"));
}

TEST(MinifyJsTest, CodeInsideATemplateExpressionIsCode) {
  EXPECT_THAT(MinifyJs("const s = `a${\n"
                       "    // a comment in the expression\n"
                       "    f({ k: 1 })\n"
                       "  }b`;\n"),
              IsOkAndHolds("const s = `a${\n"
                           "f({ k: 1 })\n"
                           "}b`;\n"));
}

TEST(MinifyJsTest, ContinuedStringLinesAreCopiedAsTheyAre) {
  EXPECT_THAT(MinifyJs("  const s = 'one \\\n"
                       "    two';\n"
                       "  next();\n"),
              IsOkAndHolds("const s = 'one \\\n"
                           "    two';\n"
                           "next();\n"));
}

TEST(MinifyJsTest, CarriageReturnsOfCodeLinesGo) {
  EXPECT_THAT(MinifyJs("  a();\r\n// c\r\n\r\nb();\r\n"), IsOkAndHolds("a();\nb();\n"));
}

TEST(MinifyJsTest, EmptyAndCommentOnlyInputGiveNothing) {
  EXPECT_THAT(MinifyJs(""), IsOkAndHolds(""));
  EXPECT_THAT(MinifyJs("// only\n\n/* comments */\n"), IsOkAndHolds(""));
}

TEST(MinifyJsTest, RefusesWhatItCannotFollow) {
  EXPECT_THAT(
      MinifyJs("a();\nconst s = 'open;\nb();\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2: unterminated string")));
  EXPECT_THAT(MinifyJs("const r = /abc;\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 1: unterminated regular expression")));
  EXPECT_THAT(MinifyJs("const t = `open\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("template literal")));
  EXPECT_THAT(MinifyJs("f();\n/* open\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("comment")));
  EXPECT_THAT(MinifyJs("const t = `${f(\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("${...}")));
}

}  // namespace
}  // namespace affonso::gateway

#include "gateway/pixel/pixel_assets.h"

#include <fstream>
#include <sstream>
#include <string>

#include "common/testing/status_matchers.h"
#include "gateway/pixel/js_minifier.h"
#include "gtest/gtest.h"

namespace affonso::gateway {
namespace {

using ::affonso::matchers::IsOkAndHolds;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(PixelAssetsTest, EmbedsTheFilesByteForByte) {
  EXPECT_EQ(PixelJs(), ReadFile("gateway/pixel/pixel.js"));
  EXPECT_EQ(DemoHtml(), ReadFile("gateway/pixel/demo.html"));
  EXPECT_FALSE(PixelJs().empty());
  EXPECT_FALSE(DemoHtml().empty());
}

TEST(PixelAssetsTest, TheMinifiedScriptIsTheMinifiersOutput) {
  EXPECT_THAT(MinifyJs(ReadFile("gateway/pixel/pixel.js")),
              IsOkAndHolds(std::string(PixelMinJs())));
  EXPECT_FALSE(PixelMinJs().empty());
  EXPECT_LE(PixelMinJs().size(), PixelJs().size());
}

TEST(PixelAssetsTest, TheDemoPageHasThePlaceholders) {
  EXPECT_NE(DemoHtml().find("{{PROGRAM_ID}}"), absl::string_view::npos);
  EXPECT_NE(DemoHtml().find("/js/pixel"), absl::string_view::npos);
}

}  // namespace
}  // namespace affonso::gateway

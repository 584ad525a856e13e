#include "gateway/rest_gateway.h"

#include <string>

#include "gateway/pixel/pixel_assets.h"
#include "gtest/gtest.h"

namespace affonso::gateway {
namespace {

TEST(StaticDocumentsTest, ThePixelScriptsAlwaysCachedForAnHourWithAnEtag) {
  const auto documents = StaticDocuments(RestGatewayConfig());
  ASSERT_EQ(documents.size(), 2u);
  const StaticContent& source = documents.at("/js/pixel.js");
  const StaticContent& minified = documents.at("/js/pixel.min.js");
  EXPECT_EQ(source.body, PixelJs());
  EXPECT_EQ(minified.body, PixelMinJs());
  for (const StaticContent* script : {&source, &minified}) {
    EXPECT_EQ(script->content_type, "application/javascript; charset=utf-8");
    EXPECT_EQ(script->cache_control, "public, max-age=3600");
    EXPECT_EQ(script->etag.size(), 34u) << script->etag;  // 32 hex digits, quoted
    EXPECT_EQ(script->etag.front(), '"');
    EXPECT_EQ(script->etag.back(), '"');
  }
  EXPECT_EQ(documents.count("/demo"), 0u);  // unconfigured: 404
}

TEST(StaticDocumentsTest, TheDemoPageOnlyWithADemoProgramAndFilledIn) {
  RestGatewayConfig config;
  config.demo_api_key = "sk_live_key";
  EXPECT_EQ(StaticDocuments(config).count("/demo"), 0u);  // a key alone is no demo

  config.demo_program_id = "prg_demo<1>";
  const auto documents = StaticDocuments(config);
  ASSERT_EQ(documents.count("/demo"), 1u);
  const StaticContent& demo = documents.at("/demo");
  EXPECT_EQ(demo.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(demo.cache_control, "no-store");
  EXPECT_EQ(demo.etag, "");
  EXPECT_EQ(demo.body.find("{{PROGRAM_ID}}"), std::string::npos);
  EXPECT_EQ(demo.body.find("{{API_KEY}}"), std::string::npos);
  EXPECT_NE(demo.body.find("prg_demo&lt;1&gt;"), std::string::npos);
  EXPECT_EQ(demo.body.find("prg_demo<1>"), std::string::npos);
  if (DemoHtml().find("{{API_KEY}}") != absl::string_view::npos) {
    EXPECT_NE(demo.body.find("sk_live_key"), std::string::npos);
  }
}

}  // namespace
}  // namespace affonso::gateway

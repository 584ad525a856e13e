#include "services/api/creative_service.h"

#include <functional>
#include <string>

#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::HasApiError;
using affonso::v1::CreativeInput;
using google::protobuf::NULL_VALUE;
using google::protobuf::Value;

Value Dimensions(double width, double height) {
  Value value;
  auto& fields = *value.mutable_struct_value()->mutable_fields();
  fields["width"].set_number_value(width);
  fields["height"].set_number_value(height);
  return value;
}

TEST(ValidateCreativeInputTest, NormalisesAValidBody) {
  CreativeInput input;
  input.mutable_name()->set_string_value("Leaderboard");
  input.mutable_category()->set_string_value(" BANNER ");
  input.mutable_url()->set_string_value("https://cdn.example.com/728x90.png");
  for (const char* tag : {" summer ", "sale", "summer"}) {
    input.mutable_tags()->add_values()->set_string_value(tag);
  }
  *input.mutable_dimensions() = Dimensions(728, 90);
  input.mutable_description()->set_null_value(NULL_VALUE);
  ASSERT_OK_AND_ASSIGN(CreativeInput out, ValidateCreativeInput(input));
  EXPECT_EQ(out.category().string_value(), "banner");
  ASSERT_EQ(out.tags().values_size(), 2);
  EXPECT_EQ(out.tags().values(0).string_value(), "summer");
  EXPECT_EQ(out.tags().values(1).string_value(), "sale");
  EXPECT_EQ(out.dimensions().struct_value().fields().at("width").number_value(), 728);
  EXPECT_TRUE(out.has_description());  // null stays null: it clears
  EXPECT_EQ(out.description().kind_case(), Value::kNullValue);
  EXPECT_FALSE(out.has_content());  // absent stays absent
  // Everything absent is valid (a PATCH that changes nothing; a create of an
  // empty creative).
  EXPECT_OK(ValidateCreativeInput(CreativeInput()).status());
}

TEST(ValidateCreativeInputTest, RefusesBadFieldsNamingThem) {
  struct Case {
    const char* field;
    std::function<void(CreativeInput*)> set;
  };
  const Case cases[] = {
      {"name", [](CreativeInput* in) { in->mutable_name()->set_number_value(1); }},
      {"name",
       [](CreativeInput* in) { in->mutable_name()->set_string_value(std::string(256, 'n')); }},
      {"description",
       [](CreativeInput* in) {
         in->mutable_description()->set_string_value(std::string(2001, 'd'));
       }},
      // 1,000 characters of 3 bytes each: within a character count, over the byte limit.
      {"usage_notes",
       [](CreativeInput* in) {
         std::string text;
         for (int i = 0; i < 1000; ++i) text += "\xE2\x82\xAC";
         in->mutable_usage_notes()->set_string_value(text);
       }},
      {"content",
       [](CreativeInput* in) { in->mutable_content()->set_string_value(std::string(10001, 'c')); }},
      {"restrictions", [](CreativeInput* in) { in->mutable_restrictions()->set_bool_value(true); }},
      {"category", [](CreativeInput* in) { in->mutable_category()->set_string_value("poster"); }},
      {"category", [](CreativeInput* in) { in->mutable_category()->set_number_value(2); }},
      {"subcategory",
       [](CreativeInput* in) {
         in->mutable_subcategory()->set_string_value(std::string(101, 's'));
       }},
      {"url",
       [](CreativeInput* in) { in->mutable_url()->set_string_value("javascript:alert(1)"); }},
      {"url",
       [](CreativeInput* in) { in->mutable_url()->set_string_value("ftp://example.com/x"); }},
      {"url", [](CreativeInput* in) { in->mutable_url()->set_string_value("https://"); }},
      {"url", [](CreativeInput* in) { in->mutable_url()->set_string_value("https:///path"); }},
      {"url", [](CreativeInput* in) { in->mutable_url()->set_string_value("https://a b.com/"); }},
      {"url", [](CreativeInput* in) { in->mutable_url()->set_string_value(""); }},
      {"url",
       [](CreativeInput* in) {
         in->mutable_url()->set_string_value("https://example.com/" + std::string(2048, 'u'));
       }},
      {"tags",
       [](CreativeInput* in) {
         for (int i = 0; i < 21; ++i) in->mutable_tags()->add_values()->set_string_value("t");
       }},
      {"tags", [](CreativeInput* in) { in->mutable_tags()->add_values()->set_string_value("  "); }},
      {"tags", [](CreativeInput* in) { in->mutable_tags()->add_values()->set_number_value(3); }},
      {"tags",
       [](CreativeInput* in) {
         in->mutable_tags()->add_values()->set_string_value(std::string(51, 't'));
       }},
      {"dimensions", [](CreativeInput* in) { *in->mutable_dimensions() = Dimensions(0, 90); }},
      {"dimensions", [](CreativeInput* in) { *in->mutable_dimensions() = Dimensions(72.5, 90); }},
      {"dimensions", [](CreativeInput* in) { *in->mutable_dimensions() = Dimensions(-1, 90); }},
      {"dimensions", [](CreativeInput* in) { *in->mutable_dimensions() = Dimensions(100001, 1); }},
      {"dimensions",
       [](CreativeInput* in) { in->mutable_dimensions()->set_string_value("728x90"); }},
      {"dimensions",
       [](CreativeInput* in) {
         *in->mutable_dimensions() = Dimensions(1, 1);
         (*in->mutable_dimensions()->mutable_struct_value()->mutable_fields())["depth"]
             .set_number_value(1);
       }},
      {"dimensions",
       [](CreativeInput* in) {
         (*in->mutable_dimensions()->mutable_struct_value()->mutable_fields())["width"]
             .set_number_value(1);
       }},
  };
  for (const Case& c : cases) {
    CreativeInput input;
    c.set(&input);
    SCOPED_TRACE(input.DebugString());
    EXPECT_THAT(ValidateCreativeInput(input), HasApiError("VALIDATION_ERROR", c.field));
  }
}

TEST(ParseListCreativesTest, ResolvesPagesAndTheCategory) {
  affonso::v1::ListCreativesRequest request;
  ASSERT_OK_AND_ASSIGN(storage::CreativeListQuery query, ParseListCreatives(request));
  EXPECT_EQ(query.page, 1);
  EXPECT_EQ(query.limit, 10);
  EXPECT_EQ(query.category, affonso::v1::CREATIVE_CATEGORY_UNSPECIFIED);
  request.set_category("Video");
  ASSERT_OK_AND_ASSIGN(query, ParseListCreatives(request));
  EXPECT_EQ(query.category, affonso::v1::CREATIVE_CATEGORY_VIDEO);
  request.set_category("videos");
  EXPECT_THAT(ParseListCreatives(request), HasApiError("VALIDATION_ERROR", "category"));
  request.clear_category();
  request.set_limit(101);
  EXPECT_THAT(ParseListCreatives(request), HasApiError("VALIDATION_ERROR", "limit"));
}

}  // namespace
}  // namespace affonso::services

#include "services/api/creative_service.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;
using affonso::v1::Creative;
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

// Knows crv_known; records what reached it.
class FakeCreativeStore : public storage::CreativeStore {
 public:
  absl::StatusOr<Creative> CreateCreative(absl::string_view team_id, absl::string_view program_id,
                                          const CreativeInput& input) override {
    calls.push_back(absl::StrCat("create ", team_id, " ", program_id));
    last_input = input;
    Creative creative;
    creative.set_id("crv_new");
    return creative;
  }
  absl::StatusOr<Creative> GetCreative(absl::string_view team_id, absl::string_view program_id,
                                       absl::string_view id) override {
    calls.push_back(absl::StrCat("get ", team_id, " ", program_id, " ", id));
    if (id != "crv_known") return NotFoundError("creative");
    Creative creative;
    creative.set_id("crv_known");
    return creative;
  }
  absl::StatusOr<storage::CreativePage> ListCreatives(
      absl::string_view team_id, absl::string_view program_id,
      const storage::CreativeListQuery& query) override {
    calls.push_back(absl::StrCat("list ", team_id, " ", program_id));
    last_query = query;
    storage::CreativePage page;
    page.total = 12;
    page.creatives.resize(2);
    return page;
  }
  absl::StatusOr<Creative> UpdateCreative(absl::string_view team_id, absl::string_view program_id,
                                          absl::string_view id,
                                          const CreativeInput& update) override {
    calls.push_back(absl::StrCat("update ", team_id, " ", program_id, " ", id));
    last_input = update;
    return GetCreative(team_id, program_id, id);
  }
  absl::Status DeleteCreative(absl::string_view team_id, absl::string_view program_id,
                              absl::string_view id) override {
    calls.push_back(absl::StrCat("delete ", team_id, " ", program_id, " ", id));
    return absl::OkStatus();
  }

  std::vector<std::string> calls;
  CreativeInput last_input;
  storage::CreativeListQuery last_query;
};

class CreativeServiceTest : public ::testing::Test {
 protected:
  testing::FakeAuthenticator authenticator_;
  FakeCreativeStore store_;
  CreativeServiceImpl service_{&authenticator_, &store_};
  testing::InProcessServer server_{{&service_}};
  std::unique_ptr<affonso::v1::CreativeService::Stub> stub_ =
      affonso::v1::CreativeService::NewStub(server_.channel());
};

TEST_F(CreativeServiceTest, CreateAnswers201WithTheNormalisedInput) {
  affonso::v1::CreateCreativeRequest request;
  request.mutable_creative()->mutable_category()->set_string_value("VIDEO");
  auto context = testing::ContextWithAuth();
  Creative response;
  ASSERT_OK(stub_->CreateCreative(context.get(), request, &response));
  EXPECT_EQ(response.id(), "crv_new");
  EXPECT_EQ(testing::ServerMetadata(*context, "x-http-code"), "201");
  EXPECT_EQ(store_.last_input.category().string_value(), "video");
  EXPECT_EQ(store_.calls, std::vector<std::string>{"create team_a "});
}

TEST_F(CreativeServiceTest, BadInputAndImpossibleIdsNeverReachTheStore) {
  affonso::v1::CreateCreativeRequest create;
  create.mutable_creative()->mutable_url()->set_string_value("javascript:alert(1)");
  Creative response;
  {
    auto context = testing::ContextWithAuth();
    EXPECT_THAT(stub_->CreateCreative(context.get(), create, &response),
                StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
    EXPECT_EQ(testing::ServerMetadata(*context, "x-error-field", /*trailing=*/true), "url");
  }
  for (const char* id : {"cpn_0123456789abcdefghijkl", "crv_'; --", ""}) {
    affonso::v1::GetCreativeRequest get;
    get.set_id(id);
    auto context = testing::ContextWithAuth();
    EXPECT_THAT(stub_->GetCreative(context.get(), get, &response),
                StatusIs(grpc::StatusCode::NOT_FOUND))
        << id;
  }
  affonso::v1::ListCreativesRequest list;
  list.set_program_id("not a program");
  affonso::v1::ListCreativesResponse page;
  {
    auto context = testing::ContextWithAuth();
    EXPECT_THAT(stub_->ListCreatives(context.get(), list, &page),
                StatusIs(grpc::StatusCode::NOT_FOUND));
  }
  EXPECT_TRUE(store_.calls.empty()) << store_.calls[0];
}

TEST_F(CreativeServiceTest, ListPaginatesAndDeleteSaysSo) {
  affonso::v1::ListCreativesRequest list;
  list.set_page(2);
  list.set_limit(5);
  list.set_category("document");
  list.set_program_id("prg_0123456789abcdefghijkl");
  affonso::v1::ListCreativesResponse page;
  {
    auto context = testing::ContextWithAuth();
    ASSERT_OK(stub_->ListCreatives(context.get(), list, &page));
  }
  EXPECT_EQ(page.data_size(), 2);
  EXPECT_EQ(page.pagination().total(), 12);
  EXPECT_EQ(page.pagination().total_pages(), 3);
  EXPECT_EQ(store_.last_query.page, 2);
  EXPECT_EQ(store_.last_query.category, affonso::v1::CREATIVE_CATEGORY_DOCUMENT);
  affonso::v1::DeleteCreativeRequest remove;
  remove.set_id("crv_known");
  affonso::v1::DeleteCreativeResponse deleted;
  auto context = testing::ContextWithAuth();
  ASSERT_OK(stub_->DeleteCreative(context.get(), remove, &deleted));
  EXPECT_EQ(deleted.message(), "creative deleted");
  EXPECT_EQ(store_.calls, (std::vector<std::string>{"list team_a prg_0123456789abcdefghijkl",
                                                    "delete team_a  crv_known"}));
}

}  // namespace
}  // namespace affonso::services

#include "storage/pg_creative_store.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::HasApiError;
using affonso::v1::Creative;
using affonso::v1::CreativeInput;
using google::protobuf::NULL_VALUE;
using testing::Tenant;

class PgCreativeStoreTest : public testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgCreativeStore>(&db_->pool());
  }

  static CreativeInput Banner(const std::string& name) {
    CreativeInput input;
    input.mutable_name()->set_string_value(name);
    input.mutable_category()->set_string_value("banner");
    input.mutable_url()->set_string_value("https://cdn.example.com/banner.png");
    input.mutable_tags()->add_values()->set_string_value("summer");
    input.mutable_tags()->add_values()->set_string_value("sale");
    auto& dimensions = *input.mutable_dimensions()->mutable_struct_value()->mutable_fields();
    dimensions["width"].set_number_value(728);
    dimensions["height"].set_number_value(90);
    return input;
  }

  std::string InsertProgram(const Tenant& tenant) {
    const std::string id = NewId("prg");
    db_->QueryValue(absl::StrCat("INSERT INTO programs (id, team_id, name) VALUES ('", id, "', '",
                                 tenant.team_id, "', 'Second')"));
    return id;
  }

  std::unique_ptr<PgCreativeStore> store_;
};

TEST_F(PgCreativeStoreTest, CreatesReadsAndListsNewestFirst) {
  ASSERT_OK_AND_ASSIGN(Creative first,
                       store_->CreateCreative(a_.team_id, "", Banner("Leaderboard")));
  EXPECT_TRUE(absl::StartsWith(first.id(), "crv_")) << first.id();
  EXPECT_EQ(first.name(), "Leaderboard");
  EXPECT_EQ(first.category(), affonso::v1::CREATIVE_CATEGORY_BANNER);
  EXPECT_EQ(first.url(), "https://cdn.example.com/banner.png");
  ASSERT_EQ(first.tags_size(), 2);
  EXPECT_EQ(first.tags(0), "summer");
  EXPECT_EQ(first.dimensions().width(), 728);
  EXPECT_EQ(first.dimensions().height(), 90);
  EXPECT_FALSE(first.has_description());
  EXPECT_FALSE(first.has_content());
  EXPECT_FALSE(first.has_usage_notes());
  EXPECT_EQ(first.created_at().seconds(), first.updated_at().seconds());

  CreativeInput text;
  text.mutable_content()->set_string_value("Try Acme: the analytics you need.");
  text.mutable_category()->set_null_value(NULL_VALUE);
  ASSERT_OK_AND_ASSIGN(Creative second, store_->CreateCreative(a_.team_id, a_.program_id, text));
  EXPECT_FALSE(second.has_name());
  EXPECT_FALSE(second.has_category());
  EXPECT_FALSE(second.has_dimensions());
  EXPECT_EQ(second.tags_size(), 0);
  EXPECT_EQ(second.content(), "Try Acme: the analytics you need.");

  ASSERT_OK_AND_ASSIGN(Creative read, store_->GetCreative(a_.team_id, "", first.id()));
  EXPECT_EQ(read.SerializeAsString(), first.SerializeAsString());
  // Back-dated, so the order is known.
  db_->QueryValue("UPDATE creatives SET created_at = now() - interval '1 minute' WHERE id = '" +
                  first.id() + "'");

  CreativeListQuery query;
  ASSERT_OK_AND_ASSIGN(CreativePage page, store_->ListCreatives(a_.team_id, "", query));
  EXPECT_EQ(page.total, 2);
  ASSERT_EQ(page.creatives.size(), 2u);
  EXPECT_EQ(page.creatives[0].id(), second.id());
  EXPECT_EQ(page.creatives[1].id(), first.id());

  query.category = affonso::v1::CREATIVE_CATEGORY_BANNER;
  ASSERT_OK_AND_ASSIGN(page, store_->ListCreatives(a_.team_id, "", query));
  EXPECT_EQ(page.total, 1);
  ASSERT_EQ(page.creatives.size(), 1u);
  EXPECT_EQ(page.creatives[0].id(), first.id());

  query = CreativeListQuery();
  query.page = 3;
  query.limit = 1;
  ASSERT_OK_AND_ASSIGN(page, store_->ListCreatives(a_.team_id, "", query));
  EXPECT_EQ(page.total, 2);  // past the end: counted anyway
  EXPECT_TRUE(page.creatives.empty());
}

TEST_F(PgCreativeStoreTest, UpdatesOnlyThePresentFieldsAndNullClears) {
  ASSERT_OK_AND_ASSIGN(Creative created, store_->CreateCreative(a_.team_id, "", Banner("Old")));
  CreativeInput update;
  update.mutable_name()->set_string_value("New");
  update.mutable_dimensions()->set_null_value(NULL_VALUE);
  update.mutable_tags();  // present and empty: clears
  update.mutable_usage_notes()->set_string_value("Do not crop.");
  ASSERT_OK_AND_ASSIGN(Creative updated,
                       store_->UpdateCreative(a_.team_id, "", created.id(), update));
  EXPECT_EQ(updated.name(), "New");
  EXPECT_FALSE(updated.has_dimensions());
  EXPECT_EQ(updated.tags_size(), 0);
  EXPECT_EQ(updated.usage_notes(), "Do not crop.");
  EXPECT_EQ(updated.url(), created.url());            // absent: unchanged
  EXPECT_EQ(updated.category(), created.category());  // absent: unchanged
  EXPECT_GE(updated.updated_at().seconds(), created.updated_at().seconds());

  CreativeInput clear;
  clear.mutable_url()->set_null_value(NULL_VALUE);
  clear.mutable_category()->set_null_value(NULL_VALUE);
  ASSERT_OK_AND_ASSIGN(updated, store_->UpdateCreative(a_.team_id, "", created.id(), clear));
  EXPECT_FALSE(updated.has_url());
  EXPECT_FALSE(updated.has_category());
  EXPECT_EQ(updated.name(), "New");
}

TEST_F(PgCreativeStoreTest, AnotherTeamsOrProgramsCreativeIsNotFound) {
  ASSERT_OK_AND_ASSIGN(Creative created, store_->CreateCreative(a_.team_id, "", Banner("A's")));
  EXPECT_THAT(store_->GetCreative(b_.team_id, "", created.id()), HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->GetCreative(b_.team_id, a_.program_id, created.id()),
              HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->UpdateCreative(b_.team_id, "", created.id(), Banner("B's")),
              HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->DeleteCreative(b_.team_id, "", created.id()), HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->CreateCreative(b_.team_id, a_.program_id, Banner("B's")),
              HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->ListCreatives(b_.team_id, a_.program_id, {}), HasApiError("NOT_FOUND"));
  ASSERT_OK_AND_ASSIGN(CreativePage b_page, store_->ListCreatives(b_.team_id, "", {}));
  EXPECT_EQ(b_page.total, 0);
  // A second program of A's own does not see the default program's creative.
  const std::string second = InsertProgram(a_);
  EXPECT_THAT(store_->GetCreative(a_.team_id, second, created.id()), HasApiError("NOT_FOUND"));
  ASSERT_OK_AND_ASSIGN(Creative still, store_->GetCreative(a_.team_id, "", created.id()));
  EXPECT_EQ(still.name(), "A's");
}

TEST_F(PgCreativeStoreTest, DeletesAndCapsTheProgram) {
  ASSERT_OK_AND_ASSIGN(Creative created, store_->CreateCreative(a_.team_id, "", Banner("x")));
  EXPECT_OK(store_->DeleteCreative(a_.team_id, "", created.id()));
  EXPECT_THAT(store_->DeleteCreative(a_.team_id, "", created.id()), HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->GetCreative(a_.team_id, "", created.id()), HasApiError("NOT_FOUND"));

  db_->QueryValue(absl::StrCat("INSERT INTO creatives (team_id, id, program_id) SELECT '",
                               a_.team_id, "', 'crv_' || i, '", a_.program_id,
                               "' FROM generate_series(1, ", kMaxCreativesPerProgram, ") i"));
  EXPECT_THAT(store_->CreateCreative(a_.team_id, "", Banner("one too many")),
              HasApiError("VALIDATION_ERROR", "program_id"));
  EXPECT_OK(store_->CreateCreative(b_.team_id, "", Banner("B has room")).status());
}

}  // namespace
}  // namespace affonso::storage

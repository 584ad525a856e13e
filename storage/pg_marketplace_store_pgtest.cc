#include "storage/pg_marketplace_store.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"

namespace affonso::storage {
namespace {

namespace v1 = affonso::v1;
using ::affonso::matchers::StatusIs;

class PgMarketplaceStoreTest : public testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgMarketplaceStore>(&db_->pool());
  }

  std::string Q(const std::string& sql) { return db_->QueryValue(sql); }

  void List(const testing::Tenant& tenant, const std::string& category = "Software") {
    Q("UPDATE programs SET marketplace_listed = true, category = '" + category +
      "', tagline = 'Earn with us', website_url = 'https://shop.example' WHERE id = '" +
      tenant.program_id + "' RETURNING id");
  }

  void Incentive(const testing::Tenant& tenant, const std::string& id, const std::string& type,
                 const std::string& amount, bool percentage, const std::string& currency) {
    const std::string group =
        Q("SELECT id FROM affiliate_groups WHERE is_default AND program_id = '" +
          tenant.program_id + "'");
    ASSERT_FALSE(group.empty());
    Q("INSERT INTO incentives (id, team_id, program_id, group_id, name, type, amount, "
      "is_percentage, currency) VALUES ('" +
      id + "', '" + tenant.team_id + "', '" + tenant.program_id + "', '" + group + "', 'n', '" +
      type + "', " + amount + ", " + (percentage ? "true" : "false") + ", '" + currency +
      "') RETURNING id");
  }

  std::unique_ptr<PgMarketplaceStore> store_;
};

TEST_F(PgMarketplaceStoreTest, NothingIsListedUntilATeamOptsIn) {
  ASSERT_EQ(Q("SELECT count(*) FROM programs WHERE access_mode = 'public'"), "2")
      << "every program is public by default: that alone must not list it";
  ASSERT_OK_AND_ASSIGN(MarketplacePage page, store_->ListPrograms(MarketplaceQuery()));
  EXPECT_TRUE(page.programs.empty());
  EXPECT_EQ(page.total, 0);
  EXPECT_THAT(store_->GetProgram(a_.program_id), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgMarketplaceStoreTest, AListedProgramShowsItsPublicFieldsToEveryone) {
  List(a_);
  Incentive(a_, "inc_lead_first", "lead", "5.00", false, "USD");
  Incentive(a_, "inc_sale_second", "sale", "12.50", true, "EUR");
  ASSERT_OK_AND_ASSIGN(v1::MarketplaceProgram program, store_->GetProgram(a_.program_id));
  EXPECT_EQ(program.id(), a_.program_id);
  EXPECT_EQ(program.tagline(), "Earn with us");
  EXPECT_EQ(program.category(), "Software");
  EXPECT_FALSE(program.has_description());
  EXPECT_EQ(program.access_mode(), v1::PROGRAM_ACCESS_MODE_PUBLIC);
  ASSERT_TRUE(program.has_commission());
  EXPECT_EQ(program.commission().type(), "sale") << "a sale incentive before a lead one";
  EXPECT_EQ(program.commission().value(), 12.5);
  EXPECT_TRUE(program.commission().is_percentage());
  EXPECT_EQ(program.commission().apply_to(), "all_products");
  EXPECT_TRUE(program.commission().has_multiple_tiers());
  EXPECT_EQ(program.currency(), "EUR");
  EXPECT_FALSE(program.has_terms()) << "no payment terms set";

  Q("INSERT INTO program_payment_terms (team_id, program_id, payment_threshold, "
    "payment_frequency, cookie_lifetime) VALUES ('" +
    a_.team_id + "', '" + a_.program_id + "', 25.50, 'weekly', 60) RETURNING program_id");
  ASSERT_OK_AND_ASSIGN(program, store_->GetProgram(a_.program_id));
  ASSERT_TRUE(program.has_terms());
  EXPECT_EQ(program.terms().payment_threshold(), 25.5);
  EXPECT_EQ(program.terms().payment_frequency(), "weekly");
  EXPECT_EQ(program.terms().cookie_lifetime_days(), 60);

  // B's program, unlisted, stays out; without an incentive a listing has no commission.
  ASSERT_OK_AND_ASSIGN(MarketplacePage page, store_->ListPrograms(MarketplaceQuery()));
  ASSERT_EQ(page.programs.size(), 1u);
  EXPECT_EQ(page.programs[0].id(), a_.program_id);
  EXPECT_THAT(store_->GetProgram(b_.program_id), StatusIs(absl::StatusCode::kNotFound));
  List(b_, "Games");
  ASSERT_OK_AND_ASSIGN(program, store_->GetProgram(b_.program_id));
  EXPECT_FALSE(program.has_commission());
  EXPECT_EQ(program.currency(), "USD");
}

TEST_F(PgMarketplaceStoreTest, PagesAndTheCategoryFilter) {
  List(a_, "Software");
  List(b_, "Games");
  MarketplaceQuery query;
  query.category = "software";
  ASSERT_OK_AND_ASSIGN(MarketplacePage page, store_->ListPrograms(query));
  ASSERT_EQ(page.programs.size(), 1u);
  EXPECT_EQ(page.programs[0].id(), a_.program_id) << "the category is compared case-insensitively";
  query = MarketplaceQuery();
  query.limit = 1;
  ASSERT_OK_AND_ASSIGN(page, store_->ListPrograms(query));
  EXPECT_EQ(page.total, 2);
  ASSERT_EQ(page.programs.size(), 1u);
  EXPECT_EQ(page.programs[0].id(), b_.program_id) << "newest first";
  query.page = 3;
  ASSERT_OK_AND_ASSIGN(page, store_->ListPrograms(query));
  EXPECT_TRUE(page.programs.empty());
  EXPECT_EQ(page.total, 2) << "past the last page the total is still known";
  // Taken out again.
  Q("UPDATE programs SET marketplace_listed = false WHERE id = '" + a_.program_id +
    "' RETURNING id");
  EXPECT_THAT(store_->GetProgram(a_.program_id), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace affonso::storage

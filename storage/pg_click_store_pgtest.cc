#include "storage/pg_click_store.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::StatusIs;
using affonso::v1::TrackClickRequest;

class PgClickStoreTest : public testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgClickStore>(&db_->pool());
  }
  TrackClickRequest For(const testing::Tenant& tenant) {
    TrackClickRequest request;
    request.set_program_id(tenant.program_id);
    request.set_tracking_id(tenant.tracking_id);
    return request;
  }
  std::unique_ptr<PgClickStore> store_;
};

TEST_F(PgClickStoreTest, RecordsEveryFieldForTheApprovedAffiliate) {
  TrackClickRequest request = For(a_);
  request.set_sub1("s1");
  request.set_utm_medium("cpc");
  request.set_gclid("g-123");
  request.set_ip("203.0.113.9");
  request.mutable_created_at()->set_seconds(1700000000);
  auto click = store_->TrackClick(a_.team_id, request);
  ASSERT_OK(click);
  EXPECT_EQ(click->id().rfind("clk_", 0), 0u);
  EXPECT_EQ(click->program_id(), a_.program_id);
  EXPECT_EQ(click->tracking_id(), a_.tracking_id);
  EXPECT_EQ(click->created_at().seconds(), 1700000000);
  EXPECT_EQ(db_->QueryValue("SELECT affiliate_id || sub1 || utm_medium || gclid || ip FROM clicks "
                            "WHERE id = '" +
                            click->id() + "'"),
            a_.affiliate_id + "s1cpcg-123203.0.113.9");
  EXPECT_EQ(db_->QueryValue("SELECT sub2 IS NULL FROM clicks WHERE id = '" + click->id() + "'"),
            "t");
}

// Every attribution field a value of its own: a parameter sent in another's
// place shows as a column holding the wrong value.
TEST_F(PgClickStoreTest, EachAttributionFieldLandsInItsOwnColumn) {
  TrackClickRequest request = For(a_);
  request.set_sub1("v-sub1");
  request.set_sub2("v-sub2");
  request.set_sub3("v-sub3");
  request.set_sub4("v-sub4");
  request.set_sub5("v-sub5");
  request.set_referrer("v-referrer");
  request.set_ip("v-ip");
  request.set_user_agent("v-user_agent");
  request.set_utm_source("v-utm_source");
  request.set_utm_medium("v-utm_medium");
  request.set_utm_campaign("v-utm_campaign");
  request.set_utm_term("v-utm_term");
  request.set_utm_content("v-utm_content");
  request.set_gclid("v-gclid");
  request.set_fbclid("v-fbclid");
  request.set_msclkid("v-msclkid");
  request.set_ttclid("v-ttclid");
  request.set_country("kp");
  auto click = store_->TrackClick(a_.team_id, request);
  ASSERT_OK(click);
  // Stored upper case, as the blocked-country check compares it.
  EXPECT_EQ(db_->QueryValue("SELECT country FROM clicks WHERE id = '" + click->id() + "'"), "KP");
  for (const char* column : {"sub1", "sub2", "sub3", "sub4", "sub5", "referrer", "ip", "user_agent",
                             "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                             "gclid", "fbclid", "msclkid", "ttclid"}) {
    EXPECT_EQ(db_->QueryValue(std::string("SELECT ") + column + " FROM clicks WHERE id = '" +
                              click->id() + "'"),
              std::string("v-") + column)
        << column;
  }
  EXPECT_EQ(db_->QueryValue("SELECT team_id || '/' || program_id || '/' || affiliate_id || '/' || "
                            "tracking_id FROM clicks WHERE id = '" +
                            click->id() + "'"),
            a_.team_id + "/" + a_.program_id + "/" + a_.affiliate_id + "/" + a_.tracking_id);
}

TEST_F(PgClickStoreTest, DefaultsCreatedAtToNow) {
  auto click = store_->TrackClick(a_.team_id, For(a_));
  ASSERT_OK(click);
  EXPECT_NEAR(click->created_at().seconds(), absl::ToUnixSeconds(absl::Now()), 60);
}

TEST_F(PgClickStoreTest, AnotherTeamsProgramOrAffiliateIsNotFound) {
  EXPECT_THAT(store_->TrackClick(b_.team_id, For(a_)), StatusIs(absl::StatusCode::kNotFound));
  TrackClickRequest mixed = For(b_);
  mixed.set_tracking_id(a_.tracking_id);
  EXPECT_THAT(store_->TrackClick(b_.team_id, mixed), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM clicks"), "0");
}

TEST_F(PgClickStoreTest, OnlyApprovedAffiliatesEarnClicks) {
  for (const char* status : {"pending", "rejected"}) {
    auto tenant = testing::CreateTenant(*db_, status, status);
    ASSERT_OK(tenant);
    auto click = store_->TrackClick(tenant->team_id, For(*tenant));
    EXPECT_THAT(click, StatusIs(absl::StatusCode::kNotFound)) << status;
  }
  db_->QueryValue("UPDATE affiliates SET deleted_at = now() WHERE id = '" + a_.affiliate_id + "'");
  EXPECT_THAT(store_->TrackClick(a_.team_id, For(a_)), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace affonso::storage

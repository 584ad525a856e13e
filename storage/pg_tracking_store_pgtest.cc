#include "storage/pg_tracking_store.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;
using affonso::v1::TrackRequest;
using ::testing::HasSubstr;

class PgTrackingStoreTest : public testing::TwoTenantTest {
 protected:
  PgTrackingStoreTest() : TwoTenantTest(/*pool_size=*/20) {}
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgTrackingStore>(&db_->pool());
  }

  std::string Query(const std::string& sql) { return db_->QueryValue(sql); }
  std::string Column(const std::string& click_id, const std::string& expression) {
    return Query(absl::StrCat("SELECT ", expression, " FROM clicks WHERE id = '", click_id, "'"));
  }
  std::string ClickCount() { return Query("SELECT count(*) FROM clicks"); }

  static TrackRequest For(const testing::Tenant& tenant) {
    TrackRequest click;
    click.set_program_id(tenant.program_id);
    click.set_tracking_id(tenant.tracking_id);
    return click;
  }
  static Visitor Someone(const std::string& hash = "hash-1") {
    Visitor visitor;
    visitor.hash = hash;
    visitor.ip = "203.0.113.7";
    visitor.user_agent = "Mozilla/5.0 (test)";
    return visitor;
  }
  absl::StatusOr<TrackedClick> Record(const testing::Tenant& tenant, const Visitor& visitor,
                                      int window = 3600) {
    return store_->RecordClick(tenant.team_id, tenant.program_id, For(tenant), visitor, window);
  }

  std::unique_ptr<PgTrackingStore> store_;
};

TEST_F(PgTrackingStoreTest, ResolvesAProgramByItsIdWithItsTeamAndDefaults) {
  ASSERT_OK_AND_ASSIGN(PublicProgram program, store_->ResolveProgram(a_.program_id));
  EXPECT_EQ(program.id, a_.program_id);
  EXPECT_EQ(program.team_id, a_.team_id);
  EXPECT_TRUE(program.allowed_domains.empty());
  EXPECT_EQ(program.click_dedup_window_seconds, 3600);
  EXPECT_EQ(program.referral_parameters, std::vector<std::string>{"via"});
  EXPECT_FALSE(program.append_affonso_id_enabled);
  EXPECT_FALSE(program.browser_external_user_id);
  EXPECT_GE(program.visitor_hash_salt.size(), 32u);

  ASSERT_OK_AND_ASSIGN(PublicProgram other, store_->ResolveProgram(b_.program_id));
  EXPECT_EQ(other.team_id, b_.team_id);
  EXPECT_NE(other.visitor_hash_salt, program.visitor_hash_salt);

  EXPECT_THAT(store_->ResolveProgram("prg_doesnotexist"), HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->ResolveProgram(a_.team_id), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgTrackingStoreTest, ResolvedProgramCarriesItsTrackingAndPixelSettings) {
  Query(absl::StrCat(
      "UPDATE program_tracking_settings SET default_referral_parameter = 'ref', "
      "enabled_referral_parameters = '{via,ref,aff}', append_affonso_id_enabled = true "
      "WHERE program_id = '",
      a_.program_id, "'"));
  Query(absl::StrCat(
      "INSERT INTO program_pixel_settings (team_id, program_id, allowed_domains, "
      "click_dedup_window_seconds, browser_external_user_id) VALUES ('",
      a_.team_id, "', '", a_.program_id, "', '{shop.example.com,*.example.org}', 0, true)"));
  ASSERT_OK_AND_ASSIGN(PublicProgram program, store_->ResolveProgram(a_.program_id));
  EXPECT_EQ(program.referral_parameters, (std::vector<std::string>{"ref", "via", "aff"}));
  EXPECT_TRUE(program.append_affonso_id_enabled);
  EXPECT_EQ(program.allowed_domains,
            (std::vector<std::string>{"shop.example.com", "*.example.org"}));
  EXPECT_EQ(program.click_dedup_window_seconds, 0);
  EXPECT_TRUE(program.browser_external_user_id);
  // Team B's program is untouched by A's settings.
  ASSERT_OK_AND_ASSIGN(PublicProgram other, store_->ResolveProgram(b_.program_id));
  EXPECT_EQ(other.referral_parameters, std::vector<std::string>{"via"});
  EXPECT_TRUE(other.allowed_domains.empty());
  EXPECT_FALSE(other.browser_external_user_id);
}

// Every attribution field a value of its own: a parameter sent in another's
// place shows as a column holding the wrong value.
TEST_F(PgTrackingStoreTest, EachAttributionFieldLandsInItsOwnColumn) {
  TrackRequest click = For(a_);
  click.set_sub1("v-sub1");
  click.set_sub2("v-sub2");
  click.set_sub3("v-sub3");
  click.set_sub4("v-sub4");
  click.set_sub5("v-sub5");
  click.set_referrer("v-referrer");
  click.set_utm_source("v-utm_source");
  click.set_utm_medium("v-utm_medium");
  click.set_utm_campaign("v-utm_campaign");
  click.set_utm_term("v-utm_term");
  click.set_utm_content("v-utm_content");
  click.set_gclid("v-gclid");
  click.set_fbclid("v-fbclid");
  click.set_msclkid("v-msclkid");
  click.set_ttclid("v-ttclid");
  click.set_gbraid("v-gbraid");
  click.set_li_fat_id("v-li_fat_id");
  click.set_sc_cid("v-sc_cid");
  click.set_rdt_cid("v-rdt_cid");
  Visitor visitor = Someone();
  visitor.ip = "v-ip";
  visitor.user_agent = "v-user_agent";
  ASSERT_OK_AND_ASSIGN(TrackedClick tracked,
                       store_->RecordClick(a_.team_id, a_.program_id, click, visitor, 3600));
  EXPECT_TRUE(tracked.created);
  EXPECT_EQ(tracked.click_id.rfind("clk_", 0), 0u);
  EXPECT_EQ(tracked.affiliate_id, a_.affiliate_id);
  for (const char* column : {"sub1", "sub2", "sub3", "sub4", "sub5", "referrer", "ip", "user_agent",
                             "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                             "gclid", "fbclid", "msclkid", "ttclid"}) {
    EXPECT_EQ(Column(tracked.click_id, column), std::string("v-") + column) << column;
  }
  EXPECT_EQ(Column(tracked.click_id, "ad_click_ids->>'gbraid'"), "v-gbraid");
  EXPECT_EQ(Column(tracked.click_id, "ad_click_ids->>'li_fat_id'"), "v-li_fat_id");
  EXPECT_EQ(Column(tracked.click_id, "ad_click_ids->>'sc_cid'"), "v-sc_cid");
  EXPECT_EQ(Column(tracked.click_id, "ad_click_ids->>'rdt_cid'"), "v-rdt_cid");
  EXPECT_EQ(Column(tracked.click_id, "(SELECT count(*) FROM jsonb_object_keys(ad_click_ids))"),
            "4");
  EXPECT_EQ(Column(tracked.click_id,
                   "visitor_hash || '/' || has_consent::text || '/' || "
                   "team_id || '/' || program_id || '/' || tracking_id"),
            absl::StrCat("hash-1/true/", a_.team_id, "/", a_.program_id, "/", a_.tracking_id));
}

TEST_F(PgTrackingStoreTest, AClickWithoutAdIdsOrConsentKeepsNoneOfThem) {
  Visitor visitor = Someone();
  visitor.has_consent = false;
  ASSERT_OK_AND_ASSIGN(TrackedClick tracked, Record(a_, visitor));
  EXPECT_EQ(Column(tracked.click_id,
                   "ip IS NULL AND user_agent IS NULL AND ad_click_ids IS NULL "
                   "AND sub1 IS NULL AND NOT has_consent"),
            "t");
  // The hash is kept whatever the consent: de-duplication needs it.
  EXPECT_EQ(Column(tracked.click_id, "visitor_hash"), "hash-1");
}

TEST_F(PgTrackingStoreTest, TheSameVisitorWithinTheWindowGetsItsClickBack) {
  ASSERT_OK_AND_ASSIGN(TrackedClick first, Record(a_, Someone()));
  EXPECT_TRUE(first.created);
  ASSERT_OK_AND_ASSIGN(TrackedClick again, Record(a_, Someone()));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.click_id, first.click_id);
  EXPECT_EQ(again.affiliate_id, a_.affiliate_id);
  EXPECT_EQ(ClickCount(), "1");

  // Another visitor is another click.
  ASSERT_OK_AND_ASSIGN(TrackedClick other, Record(a_, Someone("hash-2")));
  EXPECT_TRUE(other.created);
  EXPECT_NE(other.click_id, first.click_id);
  EXPECT_EQ(ClickCount(), "2");

  // Past the window the visitor clicks anew; the newest click is the one
  // reused after that.
  Query(absl::StrCat("UPDATE clicks SET created_at = now() - interval '2 hours' WHERE id = '",
                     first.click_id, "'"));
  ASSERT_OK_AND_ASSIGN(TrackedClick later, Record(a_, Someone()));
  EXPECT_TRUE(later.created);
  EXPECT_NE(later.click_id, first.click_id);
  ASSERT_OK_AND_ASSIGN(TrackedClick reused, Record(a_, Someone(), /*window=*/3 * 3600));
  EXPECT_FALSE(reused.created);
  EXPECT_EQ(reused.click_id, later.click_id);
  EXPECT_EQ(ClickCount(), "3");
}

TEST_F(PgTrackingStoreTest, AWindowOfZeroRecordsEveryClick) {
  ASSERT_OK_AND_ASSIGN(TrackedClick first, Record(a_, Someone(), 0));
  ASSERT_OK_AND_ASSIGN(TrackedClick second, Record(a_, Someone(), 0));
  EXPECT_TRUE(first.created);
  EXPECT_TRUE(second.created);
  EXPECT_NE(first.click_id, second.click_id);
  EXPECT_EQ(ClickCount(), "2");
}

TEST_F(PgTrackingStoreTest, DeduplicationIsPerAffiliateAndPerTeam) {
  // The same hash on team B's affiliate (and B's program) is B's own click.
  ASSERT_OK_AND_ASSIGN(TrackedClick a_click, Record(a_, Someone()));
  ASSERT_OK_AND_ASSIGN(TrackedClick b_click, Record(b_, Someone()));
  EXPECT_TRUE(b_click.created);
  EXPECT_NE(a_click.click_id, b_click.click_id);
  EXPECT_EQ(Column(b_click.click_id, "team_id"), b_.team_id);

  // A second affiliate of A's program: a click of its own.
  const std::string second = NewId("aff");
  Query(
      absl::StrCat("INSERT INTO affiliates (id, team_id, program_id, name, email, tracking_id, "
                   "partnership_status) VALUES ('",
                   second, "', '", a_.team_id, "', '", a_.program_id,
                   "', 'Bob', 'bob@affiliate.test', 'bob', 'approved')"));
  TrackRequest bob = For(a_);
  bob.set_tracking_id("bob");
  ASSERT_OK_AND_ASSIGN(TrackedClick bob_click,
                       store_->RecordClick(a_.team_id, a_.program_id, bob, Someone(), 3600));
  EXPECT_TRUE(bob_click.created);
  EXPECT_EQ(bob_click.affiliate_id, second);
  EXPECT_EQ(ClickCount(), "3");
}

TEST_F(PgTrackingStoreTest, OnlyAnApprovedLiveAffiliateOfTheTeamsProgramGetsClicks) {
  ASSERT_OK_AND_ASSIGN(testing::Tenant pending, testing::CreateTenant(*db_, "P", "pending"));
  EXPECT_THAT(Record(pending, Someone()), HasApiError("NOT_FOUND"));
  EXPECT_THAT(
      Record(pending, Someone(), 0),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("approved affiliate with this tracking id")));
  ASSERT_OK_AND_ASSIGN(testing::Tenant rejected, testing::CreateTenant(*db_, "R", "rejected"));
  EXPECT_THAT(Record(rejected, Someone()), HasApiError("NOT_FOUND"));

  // Team A's tracking id under team B's program, or A's program named with
  // B's team: nothing.
  TrackRequest crossed = For(a_);
  EXPECT_THAT(store_->RecordClick(b_.team_id, b_.program_id, crossed, Someone(), 3600),
              HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->RecordClick(b_.team_id, a_.program_id, crossed, Someone(), 3600),
              HasApiError("NOT_FOUND"));

  Query(
      absl::StrCat("UPDATE affiliates SET deleted_at = now() WHERE id = '", a_.affiliate_id, "'"));
  EXPECT_THAT(Record(a_, Someone()), HasApiError("NOT_FOUND"));
  EXPECT_EQ(ClickCount(), "0");
}

TEST_F(PgTrackingStoreTest, SixteenRacingCallsOfOneVisitorMakeOneClick) {
  constexpr int kCallers = 16;
  std::vector<absl::StatusOr<TrackedClick>> results(kCallers, absl::UnknownError("not run"));
  std::atomic<int> ready{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      ++ready;
      while (ready.load() < kCallers) std::this_thread::yield();
      results[i] = Record(a_, Someone());
    });
  }
  for (std::thread& caller : callers) caller.join();
  int created = 0;
  for (const auto& result : results) {
    ASSERT_OK(result);
    if (result->created) ++created;
    EXPECT_EQ(result->click_id, results[0]->click_id);
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ClickCount(), "1");
}

TEST_F(PgTrackingStoreTest, AnUpgradeAttachesConsentOnceAndOnlyToTheProgramsClick) {
  Visitor anonymous = Someone();
  anonymous.has_consent = false;
  ASSERT_OK_AND_ASSIGN(TrackedClick tracked, Record(a_, anonymous));
  ASSERT_EQ(Column(tracked.click_id, "ip IS NULL"), "t");

  Visitor consented = Someone();
  consented.ip = "198.51.100.4";
  ASSERT_OK_AND_ASSIGN(TrackedClick upgraded, store_->UpgradeClick(a_.team_id, a_.program_id,
                                                                   tracked.click_id, consented));
  EXPECT_EQ(upgraded.click_id, tracked.click_id);
  EXPECT_EQ(upgraded.affiliate_id, a_.affiliate_id);
  EXPECT_FALSE(upgraded.created);
  EXPECT_EQ(Column(tracked.click_id, "ip || '/' || user_agent || '/' || has_consent::text"),
            "198.51.100.4/Mozilla/5.0 (test)/true");

  // Again (the same or another address): the consented values stay.
  Visitor moved = Someone();
  moved.ip = "192.0.2.200";
  ASSERT_OK(store_->UpgradeClick(a_.team_id, a_.program_id, tracked.click_id, consented));
  ASSERT_OK(store_->UpgradeClick(a_.team_id, a_.program_id, tracked.click_id, moved));
  EXPECT_EQ(Column(tracked.click_id, "ip"), "198.51.100.4");
  EXPECT_EQ(ClickCount(), "1");

  // Another team's or program's click is not found, and not touched.
  Visitor b_click_visitor = Someone();
  b_click_visitor.has_consent = false;
  ASSERT_OK_AND_ASSIGN(TrackedClick b_click, Record(b_, b_click_visitor));
  EXPECT_THAT(store_->UpgradeClick(a_.team_id, a_.program_id, b_click.click_id, consented),
              StatusIs(absl::StatusCode::kNotFound, "click not found"));
  EXPECT_THAT(store_->UpgradeClick(a_.team_id, b_.program_id, b_click.click_id, consented),
              HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->UpgradeClick(b_.team_id, b_.program_id, tracked.click_id, consented),
              HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->UpgradeClick(a_.team_id, a_.program_id, "clk_unknown", consented),
              HasApiError("NOT_FOUND"));
  EXPECT_EQ(Column(b_click.click_id, "ip IS NULL AND NOT has_consent"), "t");
}

TEST_F(PgTrackingStoreTest, AClickBelongsToOneProgramOfOneTeam) {
  ASSERT_OK_AND_ASSIGN(TrackedClick tracked, Record(a_, Someone()));
  EXPECT_OK(store_->CheckClickInProgram(a_.team_id, a_.program_id, tracked.click_id));
  EXPECT_THAT(store_->CheckClickInProgram(a_.team_id, b_.program_id, tracked.click_id),
              HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->CheckClickInProgram(b_.team_id, a_.program_id, tracked.click_id),
              HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->CheckClickInProgram(b_.team_id, b_.program_id, tracked.click_id),
              HasApiError("NOT_FOUND"));
  // A second program of team A holds none of the first's clicks.
  const std::string second = NewId("prg");
  Query(absl::StrCat("INSERT INTO programs (id, team_id, name) VALUES ('", second, "', '",
                     a_.team_id, "', 'second')"));
  EXPECT_THAT(store_->CheckClickInProgram(a_.team_id, second, tracked.click_id),
              StatusIs(absl::StatusCode::kNotFound, "click not found"));
}

}  // namespace
}  // namespace affonso::storage

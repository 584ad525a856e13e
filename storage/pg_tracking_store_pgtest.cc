#include "storage/pg_tracking_store.h"

#include <atomic>
#include <map>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/metrics.h"
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

  // Until `commit`, every INSERT into clicks waits: a one-worker store's
  // first batch holds its worker there while the next one fills.
  struct ClicksLocked {
    explicit ClicksLocked(const std::string& url) : conn(url), tx(conn) {
      tx.exec0("LOCK TABLE clicks IN EXCLUSIVE MODE");
    }
    pqxx::connection conn;
    pqxx::work tx;
  };
  bool SomeoneWaits() {
    return Query(
               "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = "
               "current_database()") != "0";
  }
  void AwaitWaiter() {
    for (int i = 0; i < 500 && !SomeoneWaits(); ++i) absl::SleepFor(absl::Milliseconds(10));
    ASSERT_TRUE(SomeoneWaits());
  }

  // One asynchronous call: what it asks, and its answer.
  struct Call {
    std::string team_id;
    std::string program_id;
    TrackRequest click;
    Visitor visitor;
    int window = 3600;
    absl::StatusOr<TrackedClick> result = absl::UnknownError("unanswered");
    absl::Notification done;
  };
  static void Send(PgTrackingStore& store, Call& call) {
    store.RecordClickAsync(call.team_id, call.program_id, &call.click, call.visitor, call.window,
                           [&call](absl::StatusOr<TrackedClick> tracked) {
                             call.result = std::move(tracked);
                             call.done.Notify();
                           });
  }
  static std::unique_ptr<Call> CallOf(const testing::Tenant& tenant, const Visitor& visitor,
                                      int window = 3600) {
    auto call = std::make_unique<Call>();
    call->team_id = tenant.team_id;
    call->program_id = tenant.program_id;
    call->click = For(tenant);
    call->visitor = visitor;
    call->window = window;
    return call;
  }
  // calls[0] alone in a batch held at its insert (a one-worker `store`), the
  // rest sent meanwhile, so they make the next batch together; returns when
  // every call is answered.
  void SendAfterAHeldBatch(PgTrackingStore& store, std::vector<std::unique_ptr<Call>>& calls) {
    {
      ClicksLocked locked(db_->url());
      Send(store, *calls[0]);
      AwaitWaiter();
      for (size_t i = 1; i < calls.size(); ++i) Send(store, *calls[i]);
      locked.tx.commit();
    }
    for (auto& call : calls) call->done.WaitForNotification();
  }
  uint64_t BatchCount() {
    return BatchSizeHistogram(&registry_, "affonso_public_click_batch_size", "")->Read().count;
  }

  metrics::Registry registry_;
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

// One batch (the one worker held by the first) holding the same visitor
// three times, another visitor, the first one again without a window, an
// unknown affiliate, the same hash in team B, a visitor whose click an
// earlier batch made, and calls crossing the teams: as if they had come one
// after the other, each team's calls touching its own rows only.
TEST_F(PgTrackingStoreTest, OneBatchDeduplicatesAsCallsOneAfterTheOtherWould) {
  ASSERT_OK_AND_ASSIGN(TrackedClick earlier, Record(a_, Someone("hash-earlier")));
  PgTrackingStore batching(&db_->pool(),
                           PgTrackingStore::Options{/*workers=*/1, /*max_batch=*/64, &registry_});
  std::vector<std::unique_ptr<Call>> calls;
  calls.push_back(CallOf(a_, Someone("hash-held")));     // 0: the held batch
  calls.push_back(CallOf(a_, Someone("hash-x")));        // 1: makes x's click
  calls.push_back(CallOf(a_, Someone("hash-x")));        // 2: gets it back
  calls.push_back(CallOf(a_, Someone("hash-y")));        // 3: y's own
  calls.push_back(CallOf(a_, Someone("hash-x"), 0));     // 4: no window: a new click
  calls.push_back(CallOf(a_, Someone("hash-x")));        // 5: x's click again
  calls.push_back(CallOf(b_, Someone("hash-x")));        // 6: B's own
  calls.push_back(CallOf(a_, Someone("hash-earlier")));  // 7: the earlier batch's
  calls.push_back(CallOf(a_, Someone("hash-z")));        // 8: unknown affiliate
  calls.back()->click.set_tracking_id("nobody");
  calls.push_back(CallOf(a_, Someone("hash-x")));  // 9: A's program, B's team
  calls.back()->team_id = b_.team_id;
  calls.push_back(CallOf(b_, Someone("hash-x")));  // 10: B's program, A's affiliate
  calls.back()->click.set_tracking_id(a_.tracking_id);
  SendAfterAHeldBatch(batching, calls);
  EXPECT_EQ(BatchCount(), 2u);  // the held one, then everything else together

  for (size_t i = 0; i < 8; ++i) ASSERT_OK(calls[i]->result) << i;
  auto& results = calls;
  auto result = [&](size_t i) -> const TrackedClick& { return *results[i]->result; };
  EXPECT_TRUE(result(1).created);
  EXPECT_FALSE(result(2).created);
  EXPECT_FALSE(result(5).created);
  EXPECT_EQ(result(2).click_id, result(1).click_id);
  EXPECT_EQ(result(5).click_id, result(1).click_id);
  EXPECT_TRUE(result(3).created);
  EXPECT_NE(result(3).click_id, result(1).click_id);
  EXPECT_TRUE(result(4).created);
  EXPECT_NE(result(4).click_id, result(1).click_id);
  EXPECT_TRUE(result(6).created);
  EXPECT_EQ(result(6).affiliate_id, b_.affiliate_id);
  EXPECT_EQ(Column(result(6).click_id, "team_id"), b_.team_id);
  EXPECT_FALSE(result(7).created);
  EXPECT_EQ(result(7).click_id, earlier.click_id);
  for (size_t i = 0; i < 8; ++i) {
    if (i != 6) {
      EXPECT_EQ(result(i).affiliate_id, a_.affiliate_id) << i;
    }
  }
  for (size_t i : {8, 9, 10}) {
    EXPECT_THAT(calls[i]->result, StatusIs(absl::StatusCode::kNotFound,
                                           HasSubstr("approved affiliate with this tracking id")))
        << i;
  }
  // earlier, held, x, y, x without a window, B's x.
  EXPECT_EQ(ClickCount(), "6");
}

// The pixel offers the visitor the affiliate's coupons: they come back with
// the click, read in its batch's transaction, oldest first, and only the
// team's affiliate's own, whether the click is new, seen before or upgraded.
TEST_F(PgTrackingStoreTest, AClickComesBackWithItsAffiliatesCouponsOldestFirst) {
  auto coupon = [&](const testing::Tenant& tenant, const std::string& code,
                    const std::string& created_at) {
    Query(absl::StrCat(
        "INSERT INTO coupons (team_id, id, program_id, affiliate_id, code, discount_type, "
        "discount_value, duration, created_at) VALUES ('",
        tenant.team_id, "', '", NewId("cpn"), "', '", tenant.program_id, "', '",
        tenant.affiliate_id, "', '", code, "', 'percentage', 12.50, 'forever', '", created_at,
        "')"));
  };
  coupon(a_, "NEWER", "2026-02-01T00:00:00Z");
  coupon(a_, "OLDER", "2026-01-01T00:00:00Z");
  coupon(b_, "B_ONLY", "2026-01-01T00:00:00Z");
  auto codes = [](const TrackedClick& click) {
    std::vector<std::string> found;
    for (const affonso::v1::Coupon& coupon : click.coupons) found.push_back(coupon.code());
    return found;
  };

  ASSERT_OK_AND_ASSIGN(TrackedClick created, Record(a_, Someone("hash-c"), 0));
  EXPECT_THAT(codes(created), ::testing::ElementsAre("OLDER", "NEWER"));
  EXPECT_EQ(created.coupons[0].affiliate_id(), a_.affiliate_id);
  EXPECT_EQ(created.coupons[0].discount_value(), 12.5);
  ASSERT_OK_AND_ASSIGN(TrackedClick seen, Record(a_, Someone("hash-c")));
  EXPECT_FALSE(seen.created);
  EXPECT_THAT(codes(seen), ::testing::ElementsAre("OLDER", "NEWER"));
  ASSERT_OK_AND_ASSIGN(
      TrackedClick upgraded,
      store_->UpgradeClick(a_.team_id, a_.program_id, created.click_id, Someone("hash-c")));
  EXPECT_THAT(codes(upgraded), ::testing::ElementsAre("OLDER", "NEWER"));
  ASSERT_OK_AND_ASSIGN(TrackedClick b_click, Record(b_, Someone("hash-c")));
  EXPECT_THAT(codes(b_click), ::testing::ElementsAre("B_ONLY"));

  // One batch of both teams' clicks: each gets its own affiliate's.
  PgTrackingStore batching(&db_->pool(),
                           PgTrackingStore::Options{/*workers=*/1, /*max_batch=*/64, &registry_});
  std::vector<std::unique_ptr<Call>> calls;
  calls.push_back(CallOf(a_, Someone("hash-held")));
  calls.push_back(CallOf(a_, Someone("hash-d")));
  calls.push_back(CallOf(b_, Someone("hash-d")));
  calls.push_back(CallOf(a_, Someone("hash-d")));
  SendAfterAHeldBatch(batching, calls);
  EXPECT_EQ(BatchCount(), 2u);
  for (auto& call : calls) ASSERT_OK(call->result);
  EXPECT_THAT(codes(*calls[1]->result), ::testing::ElementsAre("OLDER", "NEWER"));
  EXPECT_THAT(codes(*calls[2]->result), ::testing::ElementsAre("B_ONLY"));
  EXPECT_THAT(codes(*calls[3]->result), ::testing::ElementsAre("OLDER", "NEWER"));

  // An affiliate without coupons: none.
  Query(absl::StrCat("DELETE FROM coupons WHERE team_id = '", b_.team_id, "'"));
  ASSERT_OK_AND_ASSIGN(TrackedClick bare, Record(b_, Someone("hash-e")));
  EXPECT_TRUE(bare.coupons.empty());
}

// Visitors racing from many threads into several workers' batches: one
// click per visitor, and every call of a visitor gets that click.
TEST_F(PgTrackingStoreTest, ConcurrentCallsMakeOneClickPerVisitorAcrossBatches) {
  PgTrackingStore batching(&db_->pool(),
                           PgTrackingStore::Options{/*workers=*/3, /*max_batch=*/4, &registry_});
  constexpr int kVisitors = 8;
  constexpr int kCallsEach = 6;
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < kVisitors * kCallsEach; ++i) {
    calls.push_back(CallOf(a_, Someone(absl::StrCat("hash-", i % kVisitors))));
  }
  std::atomic<bool> go{false};
  std::vector<std::thread> callers;
  for (auto& call : calls) {
    callers.emplace_back([&, call = call.get()] {
      while (!go.load()) std::this_thread::yield();
      Send(batching, *call);
    });
  }
  go = true;
  for (std::thread& caller : callers) caller.join();
  for (auto& call : calls) call->done.WaitForNotification();
  std::map<std::string, std::string> click_of;  // hash -> click
  std::map<std::string, int> created_of;
  for (auto& call : calls) {
    ASSERT_OK(call->result);
    auto [it, first] = click_of.emplace(call->visitor.hash, call->result->click_id);
    EXPECT_EQ(it->second, call->result->click_id) << call->visitor.hash;
    created_of[call->visitor.hash] += call->result->created;
  }
  for (const auto& [hash, created] : created_of) EXPECT_EQ(created, 1) << hash;
  EXPECT_EQ(ClickCount(), std::to_string(kVisitors));
  EXPECT_GE(BatchCount(), static_cast<uint64_t>(kVisitors * kCallsEach / 4));
}

// Two stores (as two replicas) sending the same visitors in opposite
// orders: batches take their locks in key order, so none waits for the
// other in a cycle, and each visitor still has one click.
TEST_F(PgTrackingStoreTest, BatchesOfTwoReplicasInOppositeOrdersMakeOneClickPerVisitor) {
  PgTrackingStore one(&db_->pool(), PgTrackingStore::Options{1, 64, nullptr});
  PgTrackingStore two(&db_->pool(), PgTrackingStore::Options{1, 64, nullptr});
  constexpr int kRounds = 5;
  constexpr int kVisitors = 12;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::unique_ptr<Call>> ones, twos;
    for (int i = 0; i < kVisitors; ++i) {
      ones.push_back(CallOf(a_, Someone(absl::StrCat("r", round, "-", i))));
      twos.push_back(CallOf(a_, Someone(absl::StrCat("r", round, "-", kVisitors - 1 - i))));
    }
    std::thread sender_one([&] {
      for (auto& call : ones) Send(one, *call);
    });
    std::thread sender_two([&] {
      for (auto& call : twos) Send(two, *call);
    });
    sender_one.join();
    sender_two.join();
    std::map<std::string, std::string> click_of;
    std::map<std::string, int> created_of;
    for (auto* calls : {&ones, &twos}) {
      for (auto& call : *calls) {
        call->done.WaitForNotification();
        ASSERT_OK(call->result) << round;
        auto [it, first] = click_of.emplace(call->visitor.hash, call->result->click_id);
        EXPECT_EQ(it->second, call->result->click_id) << call->visitor.hash;
        created_of[call->visitor.hash] += call->result->created;
      }
    }
    for (const auto& [hash, created] : created_of) EXPECT_EQ(created, 1) << hash;
  }
  EXPECT_EQ(ClickCount(), std::to_string(kRounds * kVisitors));
}

// A value the database refuses fails its batch; rerun one by one, only its
// own call fails, and its neighbours' de-duplication still holds.
TEST_F(PgTrackingStoreTest, ARowTheDatabaseRefusesFailsAloneNotItsBatch) {
  // Validation lets no such value through: a constraint of the test's own
  // refuses one.
  Query("ALTER TABLE clicks ADD CONSTRAINT test_no_poison CHECK (sub1 IS DISTINCT FROM 'poison')");
  PgTrackingStore batching(&db_->pool(),
                           PgTrackingStore::Options{/*workers=*/1, /*max_batch=*/64, &registry_});
  std::vector<std::unique_ptr<Call>> calls;
  calls.push_back(CallOf(a_, Someone("hash-held")));
  calls.push_back(CallOf(a_, Someone("hash-1")));
  calls.push_back(CallOf(a_, Someone("hash-2")));
  calls.back()->click.set_sub1("poison");
  calls.push_back(CallOf(a_, Someone("hash-1")));
  SendAfterAHeldBatch(batching, calls);
  ASSERT_OK(calls[0]->result);
  ASSERT_OK(calls[1]->result);
  EXPECT_TRUE(calls[1]->result->created);
  EXPECT_THAT(calls[2]->result, StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(calls[3]->result);
  EXPECT_FALSE(calls[3]->result->created);
  EXPECT_EQ(calls[3]->result->click_id, calls[1]->result->click_id);
  EXPECT_EQ(ClickCount(), "2");
  // The held batch, the failed batch of three, then its rows one by one.
  EXPECT_EQ(BatchCount(), 5u);
}

}  // namespace
}  // namespace affonso::storage

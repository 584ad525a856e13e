#include "storage/pg_click_store.h"

#include <atomic>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/metrics.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::StatusIs;
using affonso::v1::Click;
using affonso::v1::TrackClickRequest;
using ::testing::HasSubstr;

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
  uint64_t BatchCount() { return Batches()->Read().count; }
  metrics::Histogram* Batches() {
    return BatchSizeHistogram(&registry_, "affonso_click_batch_size", "");
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
  // Whether some statement waits for a lock.
  bool SomeoneWaits() {
    return db_->QueryValue(
               "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = "
               "current_database()") != "0";
  }
  void AwaitWaiter() {
    for (int i = 0; i < 500 && !SomeoneWaits(); ++i) absl::SleepFor(absl::Milliseconds(10));
    ASSERT_TRUE(SomeoneWaits());
  }

  // Outcomes of asynchronous calls, answered on the store's threads.
  struct Calls {
    explicit Calls(size_t n) : results(n, absl::UnknownError("unanswered")), done(n) {}
    storage::ClickCallback For(size_t i) {
      return [this, i](absl::StatusOr<Click> click) {
        results[i] = std::move(click);
        done[i].Notify();
      };
    }
    void Wait() {
      for (auto& each : done) each.WaitForNotification();
    }
    std::vector<absl::StatusOr<Click>> results;
    std::vector<absl::Notification> done;
  };

  metrics::Registry registry_;
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

TEST_F(PgClickStoreTest, ManyConcurrentClicksAreEachRecordedOnce) {
  PgClickStore batching(&db_->pool(),
                        PgClickStore::Options{/*workers=*/2, /*max_batch=*/8, &registry_});
  constexpr int kCallers = 48;
  std::vector<absl::StatusOr<Click>> results(kCallers, absl::UnknownError("not run"));
  std::atomic<bool> go{false};
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      TrackClickRequest request = For(i % 2 == 0 ? a_ : b_);
      request.set_sub1(absl::StrCat("caller-", i));
      results[i] = batching.TrackClick(i % 2 == 0 ? a_.team_id : b_.team_id, request);
    });
  }
  go = true;
  for (std::thread& caller : callers) caller.join();
  std::set<std::string> ids;
  for (int i = 0; i < kCallers; ++i) {
    ASSERT_OK(results[i]) << i;
    ids.insert(results[i]->id());
    // Each caller got its own click, in its own team's program.
    const testing::Tenant& tenant = i % 2 == 0 ? a_ : b_;
    EXPECT_EQ(results[i]->program_id(), tenant.program_id);
    EXPECT_EQ(db_->QueryValue("SELECT team_id || '/' || sub1 FROM clicks WHERE id = '" +
                              results[i]->id() + "'"),
              tenant.team_id + "/caller-" + std::to_string(i));
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kCallers));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM clicks"), std::to_string(kCallers));
  const metrics::Histogram::Snapshot batches = Batches()->Read();
  EXPECT_EQ(batches.sum, kCallers);
  EXPECT_GE(batches.count, static_cast<uint64_t>(kCallers / 8));
}

// One batch (the worker held by the first) holding good clicks, clicks of
// a missing program, of another team's program, and of a missing affiliate:
// each missing one is NOT_FOUND with what is missing, and its neighbours are
// recorded in their own teams.
TEST_F(PgClickStoreTest, OneBatchAnswersEachClickOnItsOwn) {
  PgClickStore batching(&db_->pool(),
                        PgClickStore::Options{/*workers=*/1, /*max_batch=*/64, &registry_});
  std::vector<std::pair<std::string, TrackClickRequest>> calls;
  calls.push_back({a_.team_id, For(a_)});  // the first batch, held
  calls.push_back({a_.team_id, For(a_)});
  TrackClickRequest no_program = For(a_);
  no_program.set_program_id("prg_missing");
  calls.push_back({a_.team_id, no_program});
  calls.push_back({b_.team_id, For(b_)});
  calls.push_back({b_.team_id, For(a_)});  // A's program, B's call
  TrackClickRequest no_affiliate = For(b_);
  no_affiliate.set_tracking_id("nobody");
  calls.push_back({b_.team_id, no_affiliate});
  TrackClickRequest crossed = For(b_);
  crossed.set_tracking_id(a_.tracking_id);  // A's affiliate under B's program
  calls.push_back({b_.team_id, crossed});
  calls.push_back({a_.team_id, For(a_)});

  Calls outcomes(calls.size());
  {
    ClicksLocked locked(db_->url());
    batching.TrackClickAsync(calls[0].first, &calls[0].second, outcomes.For(0));
    AwaitWaiter();
    for (size_t i = 1; i < calls.size(); ++i) {
      batching.TrackClickAsync(calls[i].first, &calls[i].second, outcomes.For(i));
    }
    locked.tx.commit();
  }
  outcomes.Wait();
  EXPECT_EQ(BatchCount(), 2u);  // the held one, then everything else together
  for (size_t i : {0, 1, 7}) {
    ASSERT_OK(outcomes.results[i]) << i;
    EXPECT_EQ(outcomes.results[i]->program_id(), a_.program_id);
  }
  ASSERT_OK(outcomes.results[3]);
  EXPECT_EQ(
      db_->QueryValue("SELECT team_id FROM clicks WHERE id = '" + outcomes.results[3]->id() + "'"),
      b_.team_id);
  EXPECT_THAT(outcomes.results[2], StatusIs(absl::StatusCode::kNotFound, HasSubstr("program")));
  EXPECT_THAT(outcomes.results[4], StatusIs(absl::StatusCode::kNotFound, HasSubstr("program")));
  for (size_t i : {5, 6}) {
    EXPECT_THAT(outcomes.results[i],
                StatusIs(absl::StatusCode::kNotFound,
                         HasSubstr("approved affiliate with this tracking id")))
        << i;
  }
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM clicks WHERE team_id = '" + a_.team_id + "'"),
            "3");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM clicks WHERE team_id = '" + b_.team_id + "'"),
            "1");
}

// A value the database refuses fails its batch; rerun one by one, only
// its own call fails.
TEST_F(PgClickStoreTest, ARowTheDatabaseRefusesFailsAloneNotItsBatch) {
  PgClickStore batching(&db_->pool(),
                        PgClickStore::Options{/*workers=*/1, /*max_batch=*/64, &registry_});
  // Validation lets no such value through: a constraint of the test's own
  // refuses one.
  db_->QueryValue(
      "ALTER TABLE clicks ADD CONSTRAINT test_no_poison CHECK (sub1 IS DISTINCT FROM 'poison')");
  std::vector<TrackClickRequest> requests(4, For(a_));
  requests[2].set_sub1("poison");
  Calls outcomes(requests.size());
  {
    ClicksLocked locked(db_->url());
    batching.TrackClickAsync(a_.team_id, &requests[0], outcomes.For(0));
    AwaitWaiter();
    for (size_t i = 1; i < requests.size(); ++i) {
      batching.TrackClickAsync(a_.team_id, &requests[i], outcomes.For(i));
    }
    locked.tx.commit();
  }
  outcomes.Wait();
  EXPECT_OK(outcomes.results[0]);
  EXPECT_OK(outcomes.results[1]);
  EXPECT_THAT(outcomes.results[2], StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_OK(outcomes.results[3]);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM clicks"), "3");
  // The held batch, the failed batch of three, then its rows one by one.
  EXPECT_EQ(BatchCount(), 5u);
}

}  // namespace
}  // namespace affonso::storage

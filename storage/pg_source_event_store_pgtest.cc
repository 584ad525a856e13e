#include "storage/pg_source_event_store.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::StatusIs;

class PgSourceEventStoreTest : public testing::TwoTenantTest {
 protected:
  PgSourceEventStoreTest() : TwoTenantTest(/*pool_size=*/33) {}

  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgSourceEventStore>(&db_->pool());
  }

  SourceEventInput Event(const testing::Tenant& tenant, const std::string& source,
                         const std::string& external_event_id) {
    SourceEventInput input;
    input.source = source;
    input.external_event_id = external_event_id;
    input.event_name = "Order Completed";
    input.event_type = "milestone";
    input.referral_id = "ref_x";
    input.program_id = tenant.program_id;
    input.payload = R"({"event":"Order Completed"})";
    return input;
  }

  int64_t Rows(const std::string& team_id) {
    return std::stoll(db_->QueryValue(
        absl::StrCat("SELECT count(*) FROM source_events WHERE team_id = '", team_id, "'")));
  }

  std::unique_ptr<PgSourceEventStore> store_;
};

TEST_F(PgSourceEventStoreTest, RepeatAnswersTheFirstRowPerSource) {
  ASSERT_OK_AND_ASSIGN(ReservedEvent first, store_->Reserve(a_.team_id, Event(a_, "api", "m1")));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.event.id.rfind("evt_", 0), 0u);
  EXPECT_EQ(first.event.action, "");
  ASSERT_OK_AND_ASSIGN(ReservedEvent again, store_->Reserve(a_.team_id, Event(a_, "api", "m1")));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.event.id, first.event.id);
  // Another source, or another team, with the same id is another event.
  ASSERT_OK_AND_ASSIGN(ReservedEvent segment,
                       store_->Reserve(a_.team_id, Event(a_, "segment", "m1")));
  EXPECT_TRUE(segment.created);
  ASSERT_OK_AND_ASSIGN(ReservedEvent other, store_->Reserve(b_.team_id, Event(b_, "api", "m1")));
  EXPECT_TRUE(other.created);
  // No external id never collides.
  ASSERT_OK_AND_ASSIGN(ReservedEvent none1, store_->Reserve(a_.team_id, Event(a_, "api", "")));
  ASSERT_OK_AND_ASSIGN(ReservedEvent none2, store_->Reserve(a_.team_id, Event(a_, "api", "")));
  EXPECT_TRUE(none1.created && none2.created);
  EXPECT_NE(none1.event.id, none2.event.id);
  EXPECT_EQ(Rows(a_.team_id), 4);
  EXPECT_EQ(db_->QueryValue(absl::StrCat("SELECT payload->>'event' FROM source_events WHERE id = '",
                                         first.event.id, "'")),
            "Order Completed");
}

TEST_F(PgSourceEventStoreTest, FirstOutcomeWinsAndIsTeamScoped) {
  ASSERT_OK_AND_ASSIGN(ReservedEvent event, store_->Reserve(a_.team_id, Event(a_, "api", "m2")));
  EXPECT_THAT(store_->Complete(b_.team_id, event.event.id, "recorded", "lead", ""),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(SourceEvent done,
                       store_->Complete(a_.team_id, event.event.id, "lead_created", "lead", ""));
  EXPECT_EQ(done.action, "lead_created");
  EXPECT_EQ(done.transaction_id, "");
  ASSERT_OK_AND_ASSIGN(SourceEvent later,
                       store_->Complete(a_.team_id, event.event.id, "already_lead", "active", "x"));
  EXPECT_EQ(later.action, "lead_created");
  EXPECT_EQ(later.referral_status, "lead");
  ASSERT_OK_AND_ASSIGN(ReservedEvent repeat, store_->Reserve(a_.team_id, Event(a_, "api", "m2")));
  EXPECT_EQ(repeat.event.action, "lead_created");
}

TEST_F(PgSourceEventStoreTest, RacingDuplicatesMakeOneRow) {
  constexpr int kThreads = 32;
  std::vector<std::thread> threads;
  std::atomic<int> created{0}, failed{0};
  std::vector<std::string> ids(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<ReservedEvent> reserved =
          store_->Reserve(a_.team_id, Event(a_, "segment", "race"));
      if (!reserved.ok()) {
        ++failed;
        return;
      }
      if (reserved->created) ++created;
      ids[i] = reserved->event.id;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(created.load(), 1);
  for (const std::string& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(Rows(a_.team_id), 1);
}

}  // namespace
}  // namespace affonso::storage

#include "storage/pg_hold_period_store.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/commission_rows.h"
#include "storage/testing/fixtures.h"

namespace affonso::storage {
namespace {

using testing::CommissionRow;

class PgHoldPeriodStoreTest : public testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgHoldPeriodStore>(&db_->pool());
  }

  // A pending commission created `age_hours` ago with a hold of `days`.
  std::string Pending(const testing::Tenant& tenant, int days, int age_hours,
                      const std::string& status = "pending") {
    CommissionRow row;
    row.status = status;
    row.hold_period_days = days;
    row.created_at = absl::StrCat("now() - interval '", age_hours, " hours'");
    return testing::InsertCommission(*db_, tenant, row);
  }

  std::string Status(const std::string& id) {
    return db_->QueryValue("SELECT status FROM commissions WHERE id = '" + id + "'");
  }

  std::string Events(const std::string& id) {
    return db_->QueryValue(
        "SELECT string_agg(type, ',' ORDER BY type) FROM outbox_events "
        "WHERE payload->'data'->>'transactionId' = '" +
        id + "'");
  }

  std::unique_ptr<PgHoldPeriodStore> store_;
};

TEST_F(PgHoldPeriodStoreTest, ApprovesOnlyCommissionsWhoseHoldEnded) {
  const std::string due = Pending(a_, 2, 49);      // ended an hour ago
  const std::string not_yet = Pending(a_, 2, 47);  // ends in an hour
  const std::string no_hold = Pending(b_, 0, 0);   // other team, no hold
  const std::string manual = Pending(a_, 0, 100, "pending_manual_approval");
  ASSERT_OK_AND_ASSIGN(int moved, store_->ApproveDue(std::nullopt, 100));
  EXPECT_EQ(moved, 2);
  EXPECT_EQ(Status(due), "ready_for_payment");
  EXPECT_EQ(Status(no_hold), "ready_for_payment");
  EXPECT_EQ(Status(not_yet), "pending");
  EXPECT_EQ(Status(manual), "pending_manual_approval") << "manual approval waits for a PUT";
  EXPECT_EQ(Events(due), "transaction.approved,transaction.updated");
  EXPECT_EQ(Events(not_yet), "");
  EXPECT_EQ(db_->QueryValue("SELECT payload->'data'->>'status' FROM outbox_events WHERE type = "
                            "'transaction.approved' AND payload->'data'->>'transactionId' = '" +
                            due + "'"),
            "READY_FOR_PAYMENT");
  EXPECT_EQ(db_->QueryValue("SELECT team_id FROM outbox_events WHERE type = "
                            "'transaction.approved' AND payload->'data'->>'transactionId' = '" +
                            no_hold + "'"),
            b_.team_id);
  EXPECT_EQ(
      db_->QueryValue("SELECT ready_for_payment_at IS NOT NULL FROM commissions WHERE id = '" +
                      due + "'"),
      "t");
  // Again: nothing more is due, nothing is announced twice.
  ASSERT_OK_AND_ASSIGN(moved, store_->ApproveDue(std::nullopt, 100));
  EXPECT_EQ(moved, 0);
  EXPECT_EQ(Events(due), "transaction.approved,transaction.updated");
}

TEST_F(PgHoldPeriodStoreTest, AsOfDecidesAndBatchesAreBounded) {
  for (int i = 0; i < 5; ++i) Pending(a_, 10, 0);
  ASSERT_OK_AND_ASSIGN(
      int moved, store_->ApproveDue(absl::Now() + absl::Hours(24 * 10) - absl::Minutes(5), 10));
  EXPECT_EQ(moved, 0) << "five minutes before the hold ends";
  const absl::Time later = absl::Now() + absl::Hours(24 * 10) + absl::Minutes(5);
  ASSERT_OK_AND_ASSIGN(moved, store_->ApproveDue(later, 3));
  EXPECT_EQ(moved, 3);
  ASSERT_OK_AND_ASSIGN(moved, store_->ApproveDue(later, 3));
  EXPECT_EQ(moved, 2);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM outbox_events WHERE type = "
                            "'transaction.approved'"),
            "5");
}

TEST_F(PgHoldPeriodStoreTest, DueScanUsesItsIndex) {
  // One connection for both statements; JSON: the whole plan in one value.
  const std::string plan = db_->QueryValue(
      "SET enable_seqscan = off; EXPLAIN (FORMAT JSON) SELECT id FROM commissions WHERE status = "
      "'pending' AND "
      "commission_hold_ends_at(created_at, hold_period_days) <= now()");
  EXPECT_NE(plan.find("commissions_hold_due"), std::string::npos) << plan;
}

}  // namespace
}  // namespace affonso::storage

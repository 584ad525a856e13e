#include "services/lifecycle/hold_period_scheduler.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/metrics.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/pg_hold_period_store.h"
#include "storage/testing/commission_rows.h"
#include "storage/testing/fixtures.h"

namespace affonso::services {
namespace {

using storage::testing::CommissionRow;

// A replica: its own pool, store and scheduler, on the shared database.
struct Replica {
  std::unique_ptr<storage::ConnectionPool> pool;
  std::unique_ptr<storage::PgHoldPeriodStore> store;
  metrics::Registry registry;
  std::unique_ptr<HoldPeriodScheduler> scheduler;
};

class HoldPeriodSchedulerTest : public storage::testing::TwoTenantTest {
 protected:
  std::unique_ptr<Replica> StartReplica(absl::Time as_of, int batch) {
    auto replica = std::make_unique<Replica>();
    storage::PoolConfig config;
    config.database_url = db_->url();
    config.size = 2;
    auto pool = storage::ConnectionPool::Create(config);
    EXPECT_OK(pool);
    if (!pool.ok()) return nullptr;
    replica->pool = *std::move(pool);
    replica->store = std::make_unique<storage::PgHoldPeriodStore>(replica->pool.get());
    HoldPeriodSchedulerOptions options;
    options.interval = absl::Milliseconds(10);
    options.batch = batch;
    options.as_of = [as_of] { return as_of; };
    replica->scheduler =
        std::make_unique<HoldPeriodScheduler>(replica->store.get(), options, &replica->registry);
    return replica;
  }

  // Pending commissions of both tenants, whose holds end `end_hours` from now.
  std::vector<std::string> Pending(int count, int end_hours_from, int end_hours_step) {
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
      CommissionRow row;
      row.status = "pending";
      row.hold_period_days = 1 + i % 5;
      const int end_hours = end_hours_from + (i % 13) * end_hours_step;
      row.created_at =
          absl::StrCat("now() - interval '", 24 * row.hold_period_days - end_hours, " hours'");
      ids.push_back(storage::testing::InsertCommission(*db_, i % 2 ? a_ : b_, row));
    }
    return ids;
  }

  int Count(const std::string& sql) { return std::stoi(db_->QueryValue(sql)); }

  int Approved() {
    return Count("SELECT count(*) FROM commissions WHERE status = 'ready_for_payment'");
  }
};

TEST_F(HoldPeriodSchedulerTest, ThreeReplicasApproveEachDueCommissionOnceAndNoneEarly) {
  constexpr int kDue = 300;
  // Due by the schedulers' as-of (now + 48 h), some of them long ago; the
  // others end after it.
  Pending(kDue, -30, 6);
  const std::vector<std::string> early = Pending(60, 49, 3);
  const absl::Time as_of = absl::Now() + absl::Hours(48);
  std::vector<std::unique_ptr<Replica>> replicas;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(StartReplica(as_of, 7));
    ASSERT_NE(replicas.back(), nullptr);
  }
  for (auto& replica : replicas) replica->scheduler->Start();
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (Approved() < kDue && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  absl::SleepFor(absl::Milliseconds(100));  // a few more rounds on every replica
  for (auto& replica : replicas) replica->scheduler->Stop();

  EXPECT_EQ(Approved(), kDue);
  EXPECT_EQ(Count("SELECT count(*) FROM commissions WHERE status = 'pending'"), 60);
  for (const std::string& id : early) {
    ASSERT_EQ(db_->QueryValue("SELECT status FROM commissions WHERE id = '" + id + "'"), "pending");
  }
  EXPECT_EQ(Count("SELECT count(*) FROM outbox_events WHERE type = 'transaction.approved'"), kDue);
  EXPECT_EQ(Count("SELECT count(*) FROM (SELECT payload->'data'->>'transactionId' FROM "
                  "outbox_events WHERE type = 'transaction.approved' GROUP BY 1 "
                  "HAVING count(*) <> 1) d"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM commissions c WHERE c.status = 'ready_for_payment' AND "
                  "(SELECT count(*) FROM outbox_events e WHERE e.type = 'transaction.approved' "
                  "AND e.payload->'data'->>'transactionId' = c.id AND e.team_id = c.team_id) "
                  "<> 1"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM commissions WHERE status = 'ready_for_payment' AND "
                  "commission_hold_ends_at(created_at, hold_period_days) > now() + interval "
                  "'48 hours'"),
            0)
      << "approved early";
  // The work was shared (each replica counts its own).
  uint64_t counted = 0;
  for (auto& replica : replicas) {
    counted += replica->registry.AddCounter("affonso_commissions_approved_total", "", {})
                   .WithLabels({})
                   .Value();
  }
  EXPECT_EQ(counted, static_cast<uint64_t>(kDue));
}

TEST_F(HoldPeriodSchedulerTest, ARestartedReplicaGoesOnWhereTheOldOneStopped) {
  Pending(40, -20, 1);  // all ended 8 to 20 hours ago
  const absl::Time as_of = absl::Now();
  {
    std::unique_ptr<Replica> first = StartReplica(as_of, 5);
    ASSERT_NE(first, nullptr);
    int batches = 0;
    ASSERT_OK_AND_ASSIGN(int approved,
                         first->scheduler->RunOnce([&batches] { return batches++ < 2; }));
    EXPECT_EQ(approved, 10) << "stopped after two batches";
  }  // the replica is gone; only the database remembers
  EXPECT_EQ(Approved(), 10);
  std::unique_ptr<Replica> second = StartReplica(as_of, 5);
  ASSERT_NE(second, nullptr);
  ASSERT_OK_AND_ASSIGN(int approved, second->scheduler->RunOnce());
  EXPECT_EQ(approved, 30);
  EXPECT_EQ(Approved(), 40);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox_events WHERE type = 'transaction.approved'"), 40);
  ASSERT_OK_AND_ASSIGN(approved, second->scheduler->RunOnce());
  EXPECT_EQ(approved, 0);
}

}  // namespace
}  // namespace affonso::services

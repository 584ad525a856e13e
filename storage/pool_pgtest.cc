#include "storage/pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::StatusIs;

constexpr Statement kSelectOne{"test_select_one", "SELECT $1::int + 1 AS next"};
constexpr Statement kInsertThing{"test_insert_thing", "INSERT INTO things (id) VALUES ($1)"};
constexpr Statement kCountThings{"test_count_things", "SELECT count(*) FROM things"};

class PoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create(/*pool_size=*/2);
    ASSERT_OK(db);
    db_ = *std::move(db);
    db_->QueryValue("CREATE TABLE things (id int PRIMARY KEY)");
  }
  std::unique_ptr<testing::TestDatabase> db_;
};

TEST_F(PoolTest, RunsPreparedStatementsAndReusesThem) {
  for (int i = 0; i < 3; ++i) {
    auto value = db_->pool().Autocommit("select", [&](Tx& tx) -> absl::StatusOr<int> {
      return tx.Exec(kSelectOne, i)[0]["next"].as<int>();
    });
    ASSERT_OK(value);
    EXPECT_EQ(*value, i + 1);
  }
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND pid <> pg_backend_pid()"),
            "1");
}

TEST_F(PoolTest, ErrorStatusRollsBackTheTransaction) {
  absl::Status status = db_->pool().InTransaction("insert", [&](Tx& tx) {
    tx.Exec(kInsertThing, 1);
    return absl::InvalidArgumentError("changed my mind");
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM things"), "0");
}

TEST_F(PoolTest, UniqueViolationBecomesAlreadyExists) {
  ASSERT_OK(db_->pool().InTransaction("insert", [&](Tx& tx) {
    tx.Exec(kInsertThing, 7);
    return absl::OkStatus();
  }));
  absl::Status status = db_->pool().InTransaction("insert", [&](Tx& tx) {
    tx.Exec(kInsertThing, 7);
    return absl::OkStatus();
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(PoolTest, AcquireTimesOutAsUnavailableWhenExhausted) {
  PoolConfig config;
  config.database_url = db_->url();
  config.size = 1;
  config.acquire_timeout = absl::Milliseconds(50);
  auto pool = ConnectionPool::Create(config);
  ASSERT_OK(pool);
  auto held = (*pool)->Acquire();
  ASSERT_OK(held);
  auto second = (*pool)->Acquire();
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kUnavailable));
}

std::string BackendPid(ConnectionPool& pool) {
  auto pid = pool.Autocommit("pid", [](Tx& tx) -> absl::StatusOr<std::string> {
    return std::string(tx.ExecUnprepared("SELECT pg_backend_pid() AS pid")[0]["pid"].c_str());
  });
  return pid.ok() ? *pid : "";
}

// pg_terminate_backend, a PostgreSQL restart or an idle timeout close idle
// connections from the server side: the pool notices before handing one out,
// so no caller sees the error.
TEST_F(PoolTest, IdleConnectionClosedByTheServerIsReplacedUnseen) {
  PoolConfig config;
  config.database_url = db_->url();
  config.size = 1;
  auto pool = ConnectionPool::Create(config);
  ASSERT_OK(pool);
  const std::string pid = BackendPid(**pool);
  ASSERT_FALSE(pid.empty());
  EXPECT_EQ(db_->QueryValue("SELECT pg_terminate_backend(" + pid + ")"), "t");
  for (int i = 0; i < 100 && db_->QueryValue("SELECT count(*) FROM pg_stat_activity WHERE pid = " +
                                             pid) != "0";
       ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  auto value = (*pool)->Autocommit("after_kill", [](Tx& tx) -> absl::StatusOr<int> {
    return tx.Exec(kSelectOne, 1)[0]["next"].as<int>();
  });
  ASSERT_OK(value);
  EXPECT_EQ(*value, 2);
  EXPECT_NE(BackendPid(**pool), pid);
}

// Killed mid-statement, the outcome is unknown: UNAVAILABLE, never a retry
// behind the caller's back; the next call gets a new connection.
TEST_F(PoolTest, ConnectionKilledMidStatementIsUnavailableThenReplaced) {
  PoolConfig config;
  config.database_url = db_->url();
  config.size = 1;
  auto pool = ConnectionPool::Create(config);
  ASSERT_OK(pool);
  const std::string pid = BackendPid(**pool);
  std::thread killer([&] {
    for (int i = 0; i < 200; ++i) {
      if (db_->QueryValue("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid +
                          " AND query LIKE 'SELECT pg_sleep%'") == "1") {
        db_->QueryValue("SELECT pg_terminate_backend(" + pid + ")");
        return;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  });
  auto slept = (*pool)->Autocommit("sleep", [](Tx& tx) -> absl::StatusOr<int> {
    tx.ExecUnprepared("SELECT pg_sleep(5)");
    return 1;
  });
  killer.join();
  EXPECT_THAT(slept, StatusIs(absl::StatusCode::kUnavailable)) << slept.status();
  auto recovered = (*pool)->Autocommit("recovered", [](Tx& tx) -> absl::StatusOr<int> {
    return tx.Exec(kSelectOne, 1)[0]["next"].as<int>();
  });
  ASSERT_OK(recovered);
}

TEST_F(PoolTest, StatementTimeoutIsDeadlineExceeded) {
  PoolConfig config;
  config.database_url = db_->url();
  config.size = 1;
  config.statement_timeout = absl::Milliseconds(200);
  auto pool = ConnectionPool::Create(config);
  ASSERT_OK(pool);
  const absl::Time start = absl::Now();
  auto slept = (*pool)->Autocommit("sleep", [](Tx& tx) -> absl::StatusOr<int> {
    tx.ExecUnprepared("SELECT pg_sleep(5)");
    return 1;
  });
  EXPECT_THAT(slept, StatusIs(absl::StatusCode::kDeadlineExceeded)) << slept.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_TRUE(BackendPid(**pool) != "");  // the connection stays usable
}

TEST_F(PoolTest, SerializationFailuresAreRetried) {
  std::atomic<int> calls{0};
  absl::Status status = db_->pool().InTransaction("flaky", [&](Tx& tx) {
    if (calls.fetch_add(1) == 0) {
      // Raise the SQLSTATE a real serialization failure carries.
      tx.ExecUnprepared("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$");
    }
    tx.Exec(kInsertThing, 42);
    return absl::OkStatus();
  });
  EXPECT_OK(status);
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM things"), "1");
}

TEST_F(PoolTest, ConcurrentCallersShareBoundedConnections) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        if (db_->pool()
                .InTransaction("insert",
                               [&](Tx& tx) {
                                 tx.Exec(kInsertThing, t * 100 + i);
                                 return absl::OkStatus();
                               })
                .ok()) {
          ++ok;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 160);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM things"), "160");
  EXPECT_LE(std::stoi(db_->QueryValue(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")),
            2);
}

class RecordingObserver final : public PoolObserver {
 public:
  void OnAcquired(absl::Duration waited) override {
    absl::MutexLock lock(&mu_);
    waits_.push_back(waited);
  }
  void OnAcquireTimeout() override { ++timeouts_; }
  void OnConnectFailed() override { ++connect_failures_; }
  std::vector<absl::Duration> waits() {
    absl::MutexLock lock(&mu_);
    return waits_;
  }
  std::atomic<int> timeouts_{0};
  std::atomic<int> connect_failures_{0};

 private:
  absl::Mutex mu_;
  std::vector<absl::Duration> waits_;
};

TEST_F(PoolTest, ReportsAcquisitionsTimeoutsAndOccupancy) {
  RecordingObserver observer;
  PoolConfig config;
  config.database_url = db_->url();
  config.size = 1;
  config.acquire_timeout = absl::Milliseconds(50);
  auto pool = ConnectionPool::Create(config, &observer);
  ASSERT_OK(pool);
  PoolStats idle = (*pool)->stats();
  EXPECT_EQ(idle.size, 1);
  EXPECT_EQ(idle.open, 1);
  EXPECT_EQ(idle.idle, 1);
  EXPECT_EQ(idle.in_use, 0);
  EXPECT_EQ(idle.waiting, 0);

  auto held = (*pool)->Acquire();
  ASSERT_OK(held);
  EXPECT_EQ((*pool)->stats().in_use, 1);
  EXPECT_EQ((*pool)->stats().idle, 0);
  EXPECT_THAT((*pool)->Acquire(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(observer.timeouts_.load(), 1);
  held = absl::UnavailableError("released");  // gives the connection back
  EXPECT_EQ((*pool)->stats().in_use, 0);
  EXPECT_EQ((*pool)->stats().idle, 1);
  ASSERT_EQ(observer.waits().size(), 1u);
  EXPECT_LT(observer.waits()[0], absl::Milliseconds(50));
  EXPECT_EQ(observer.connect_failures_.load(), 0);
}

TEST_F(PoolTest, ReportsHowLongAQueuedCallerWaited) {
  RecordingObserver observer;
  PoolConfig config;
  config.database_url = db_->url();
  config.size = 1;
  config.acquire_timeout = absl::Seconds(10);
  auto pool = ConnectionPool::Create(config, &observer);
  ASSERT_OK(pool);
  auto held = (*pool)->Acquire();
  ASSERT_OK(held);
  std::thread waiter([&] { EXPECT_OK((*pool)->Acquire()); });
  while ((*pool)->stats().waiting == 0) absl::SleepFor(absl::Milliseconds(1));
  absl::SleepFor(absl::Milliseconds(100));
  held = absl::UnavailableError("released");
  waiter.join();
  ASSERT_EQ(observer.waits().size(), 2u);
  EXPECT_GE(observer.waits()[1], absl::Milliseconds(100));
  EXPECT_EQ((*pool)->stats().waiting, 0);
}

TEST(PoolCreateTest, UnreachableDatabaseIsUnavailable) {
  PoolConfig config;
  config.database_url = "postgresql://postgres@127.0.0.1:1/none";
  auto pool = ConnectionPool::Create(config);
  EXPECT_THAT(pool, StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace affonso::storage

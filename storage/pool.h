#ifndef AFFONSO_STORAGE_POOL_H_
#define AFFONSO_STORAGE_POOL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace affonso::storage {

struct PoolConfig {
  std::string database_url;
  // Connections are the unit of database concurrency: one per in-flight
  // transaction. Beyond a few per core PostgreSQL only queues them.
  int size = 16;
  // How long a caller waits for a free connection before UNAVAILABLE.
  absl::Duration acquire_timeout = absl::Seconds(2);
  // Attempts for a transaction that hits a serialization failure or deadlock.
  int max_attempts = 4;
  // Server-side bound on every statement (0 = none): a stuck query answers
  // DEADLINE_EXCEEDED instead of holding a connection and a caller forever.
  absl::Duration statement_timeout = absl::ZeroDuration();
  // Client-side bound on unacknowledged data (TCP_USER_TIMEOUT): a database
  // host that vanished without closing its sockets is noticed after this.
  absl::Duration network_timeout = absl::Seconds(10);
};

// What the pool reports as it hands out connections (metrics, in services).
// Called on the acquiring thread, outside the pool's lock: must be cheap and
// thread-safe, and must not use the pool.
class PoolObserver {
 public:
  virtual ~PoolObserver() = default;
  // A connection was handed out after `waited` (queueing and any connect).
  virtual void OnAcquired(absl::Duration waited) = 0;
  // None freed up within the acquire timeout.
  virtual void OnAcquireTimeout() = 0;
  // Opening a new connection failed (database unreachable or refusing).
  virtual void OnConnectFailed() = 0;
};

// A consistent snapshot of the pool's occupancy.
struct PoolStats {
  int size = 0;     // the configured maximum
  int open = 0;     // idle + in use (+ being opened)
  int in_use = 0;   // leased to callers
  int idle = 0;     // open and free
  int waiting = 0;  // callers queued for a connection
};

// SQL as a named constant beside the code that runs it. Each connection
// prepares a statement the first time it runs it, then reuses the plan.
struct Statement {
  const char* name;
  const char* sql;
};

// A pooled libpqxx connection and the statements already prepared on it.
struct PooledConnection {
  std::unique_ptr<pqxx::connection> conn;
  absl::flat_hash_set<std::string> prepared;
  bool broken = false;
};

// An open transaction (or autocommit session) on a leased connection. Only
// storage code sees it: pqxx types never cross the storage boundary.
class Tx {
 public:
  Tx(PooledConnection& connection, pqxx::transaction_base& tx,
     std::atomic<int64_t>* statements = nullptr)
      : connection_(connection), tx_(tx), statements_(statements) {}

  template <typename... Args>
  pqxx::result Exec(const Statement& statement, Args&&... args) {
    Prepare(statement);
    Count();
    return tx_.exec_prepared(statement.name, std::forward<Args>(args)...);
  }

  // For DDL and one-off statements (migrations, tests); no parameters.
  pqxx::result ExecUnprepared(const std::string& sql) {
    Count();
    return tx_.exec(sql);
  }

 private:
  void Prepare(const Statement& statement);
  void Count() {
    if (statements_ != nullptr) statements_->fetch_add(1, std::memory_order_relaxed);
  }

  PooledConnection& connection_;
  pqxx::transaction_base& tx_;
  std::atomic<int64_t>* statements_;
};

namespace internal {
// Converts the in-flight exception (inside a catch block) to a status; marks
// the connection broken when it is. The only place pqxx errors are mapped.
absl::Status CurrentExceptionToStatus(absl::string_view operation, PooledConnection* connection);
// True for the failures a fresh attempt of the whole transaction can cure.
bool IsRetryableTransactionFailure(const absl::Status& status);
void BackoffBeforeRetry(int attempt);
}  // namespace internal

// A bounded pool of our own over libpqxx (one connection per thread at a time,
// libpqxx's rule). Broken connections are dropped and replaced on demand.
class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<PooledConnection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    ~Lease();
    PooledConnection& connection() { return *connection_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<PooledConnection> connection_;
  };

  // Connects once to fail fast on a bad URL; the rest connect lazily.
  // `observer` (optional) must outlive the pool.
  static absl::StatusOr<std::unique_ptr<ConnectionPool>> Create(PoolConfig config,
                                                                PoolObserver* observer = nullptr);
  ~ConnectionPool();

  // Waits up to the acquire timeout; UNAVAILABLE when none frees up or the
  // database cannot be reached.
  absl::StatusOr<Lease> Acquire();

  // Runs `fn(Tx&)` in one READ COMMITTED transaction and commits when it
  // returns OK. `fn` returns absl::Status or absl::StatusOr<T>; an error rolls
  // back. Serialization failures and deadlocks rerun `fn` from the start
  // (so it must have no side effects outside the transaction); an in-doubt
  // commit is never retried: it surfaces as UNAVAILABLE.
  template <typename Fn>
  auto InTransaction(absl::string_view operation, Fn&& fn) -> decltype(fn(std::declval<Tx&>())) {
    return RunWithRetry<pqxx::work>(operation, std::forward<Fn>(fn));
  }

  // Runs `fn(Tx&)` without a transaction block: each statement commits on
  // its own, saving the BEGIN/COMMIT round trips for single-statement work.
  template <typename Fn>
  auto Autocommit(absl::string_view operation, Fn&& fn) -> decltype(fn(std::declval<Tx&>())) {
    return RunWithRetry<pqxx::nontransaction>(operation, std::forward<Fn>(fn));
  }

  int size() const { return config_.size; }
  // Connections currently leased (for metrics and tests).
  int in_use() const;
  PoolStats stats() const;
  // Statements sent so far, BEGIN and COMMIT (or ROLLBACK) included, not the
  // one-off PREPAREs: what a code path costs the database (tests, metrics).
  int64_t statements_sent() const { return statements_.load(std::memory_order_relaxed); }

 private:
  ConnectionPool(PoolConfig config, PoolObserver* observer)
      : config_(std::move(config)), observer_(observer) {}
  absl::StatusOr<std::unique_ptr<PooledConnection>> Connect();
  // An idle connection the server has closed meanwhile (restart,
  // pg_terminate_backend, idle timeout) has its end-of-stream or FATAL
  // message waiting: drop it rather than fail the caller's first statement.
  static bool LooksDead(const PooledConnection& connection);
  void Release(std::unique_ptr<PooledConnection> connection);

  template <typename TxType, typename Fn>
  auto RunWithRetry(absl::string_view operation, Fn&& fn) -> decltype(fn(std::declval<Tx&>())) {
    using Result = decltype(fn(std::declval<Tx&>()));
    for (int attempt = 1;; ++attempt) {
      Result result = RunOnce<TxType>(operation, fn);
      if (attempt >= config_.max_attempts ||
          !internal::IsRetryableTransactionFailure(StatusOf(result))) {
        return result;
      }
      internal::BackoffBeforeRetry(attempt);
    }
  }

  template <typename TxType, typename Fn>
  auto RunOnce(absl::string_view operation, Fn& fn) -> decltype(fn(std::declval<Tx&>())) {
    auto lease = Acquire();
    if (!lease.ok()) return lease.status();
    PooledConnection& connection = lease->connection();
    try {
      TxType pqxx_tx(*connection.conn);
      // A transaction block costs its BEGIN and its COMMIT or ROLLBACK.
      if (!std::is_same_v<TxType, pqxx::nontransaction>) statements_.fetch_add(2);
      Tx tx(connection, pqxx_tx, &statements_);
      auto result = fn(tx);
      if (!StatusOf(result).ok()) return result;  // pqxx_tx's destructor rolls back
      pqxx_tx.commit();
      return result;
    } catch (...) {
      return internal::CurrentExceptionToStatus(operation, &connection);
    }
  }

  static const absl::Status& StatusOf(const absl::Status& status) { return status; }
  template <typename T>
  static absl::Status StatusOf(const absl::StatusOr<T>& result) {
    return result.status();
  }

  const PoolConfig config_;
  PoolObserver* const observer_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<PooledConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + leased + being opened
  int leased_ ABSL_GUARDED_BY(mu_) = 0;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<int64_t> statements_{0};
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_POOL_H_

#include "storage/pool.h"

#include <poll.h>

#include <exception>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/log.h"

namespace affonso::storage {
namespace {

// SQLSTATE classes we map to distinct statuses.
constexpr absl::string_view kUniqueViolation = "23505";
constexpr absl::string_view kForeignKeyViolation = "23503";
constexpr absl::string_view kCheckViolation = "23514";
constexpr absl::string_view kInvalidTextRepresentation = "22P02";
constexpr absl::string_view kQueryCanceled = "57014";
constexpr absl::string_view kAdminShutdownClass = "57P";
constexpr absl::string_view kConnectionExceptionClass = "08";

// libpq waits for a TCP connect forever by default, and on a silent network
// for as long as the kernel retransmits: a pool with an acquire deadline
// needs both bounded. Settings already in the URL win.
std::string WithNetworkTimeouts(const std::string& url, absl::Duration network_timeout) {
  std::vector<std::pair<std::string, std::string>> settings = {
      {"connect_timeout", "3"},
      {"keepalives_idle", "10"},
      {"keepalives_interval", "5"},
      {"keepalives_count", "3"},
      {"tcp_user_timeout", std::to_string(absl::ToInt64Milliseconds(network_timeout))}};
  const bool is_uri =
      absl::StartsWith(url, "postgres://") || absl::StartsWith(url, "postgresql://");
  std::string result = url;
  for (const auto& [name, value] : settings) {
    if (absl::StrContains(url, name)) continue;
    if (is_uri) {
      absl::StrAppend(&result, absl::StrContains(result, "?") ? "&" : "?", name, "=", value);
    } else {
      absl::StrAppend(&result, " ", name, "=", value);
    }
  }
  return result;
}

// What of a SQL error may be logged: DETAIL lines quote the row's values and
// data exceptions (class 22) quote the input, which may be emails or names
// (never logged); the primary message otherwise names only the constraint.
std::string Loggable(const pqxx::sql_error& e) {
  const std::string state = absl::StrCat("SQLSTATE ", e.sqlstate());
  if (absl::StartsWith(e.sqlstate(), "22")) return state;
  absl::string_view message = e.what();
  return absl::StrCat(state, ": ", message.substr(0, message.find('\n')));
}

}  // namespace

void Tx::Prepare(const Statement& statement) {
  if (connection_.prepared.contains(statement.name)) return;
  connection_.conn->prepare(statement.name, statement.sql);
  connection_.prepared.insert(statement.name);
}

namespace internal {

absl::Status CurrentExceptionToStatus(absl::string_view operation, PooledConnection* connection) {
  // Messages reach API clients: they name no statement, table or SQL (the
  // log lines do).
  try {
    throw;
  } catch (const pqxx::in_doubt_error& e) {
    // The COMMIT may or may not have landed: never retry here. UNAVAILABLE
    // sends the caller back through its idempotent path.
    if (connection) connection->broken = true;
    AFFONSO_LOG(kWarning, operation, ": commit outcome unknown: ", e.what());
    return absl::UnavailableError("database commit outcome unknown; retry the call");
  } catch (const pqxx::broken_connection& e) {
    if (connection) connection->broken = true;
    AFFONSO_LOG(kWarning, operation, ": database connection lost: ", e.what());
    return absl::UnavailableError("database unavailable");
  } catch (const pqxx::statement_completion_unknown& e) {
    if (connection) connection->broken = true;
    AFFONSO_LOG(kWarning, operation, ": statement outcome unknown: ", e.what());
    return absl::UnavailableError("database unavailable");
  } catch (const pqxx::transaction_rollback& e) {
    // Serialization failure or deadlock: the transaction is safe to rerun.
    AFFONSO_LOG(kDebug, operation, ": transaction rolled back: ", e.what());
    return absl::AbortedError("transaction conflict; retry the request");
  } catch (const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    if (state == kUniqueViolation) {
      return WithApiCode(absl::AlreadyExistsError("already exists"), api_code::kDuplicate);
    }
    if (state == kForeignKeyViolation || state == kCheckViolation ||
        state == kInvalidTextRepresentation) {
      // Input that validation let through: the caller's to fix.
      AFFONSO_LOG(kWarning, operation, ": constraint rejected input: ", Loggable(e));
      return absl::FailedPreconditionError("the request holds a value that cannot be stored");
    }
    if (state == kQueryCanceled) {
      AFFONSO_LOG(kWarning, operation, ": statement timed out");
      return absl::DeadlineExceededError("the database did not answer in time");
    }
    if (absl::StartsWith(state, kAdminShutdownClass) ||
        absl::StartsWith(state, kConnectionExceptionClass)) {
      if (connection) connection->broken = true;
      AFFONSO_LOG(kWarning, operation, ": database going away: ", e.what());
      return absl::UnavailableError("database unavailable");
    }
    AFFONSO_LOG(kError, operation, ": SQL error ", Loggable(e));
    return absl::InternalError("internal error");
  } catch (const std::exception& e) {
    if (connection && connection->conn && !connection->conn->is_open()) {
      connection->broken = true;
      return absl::UnavailableError("database unavailable");
    }
    AFFONSO_LOG(kError, operation, ": unexpected exception: ", e.what());
    return absl::InternalError("internal error");
  }
}

bool IsRetryableTransactionFailure(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted;
}

void BackoffBeforeRetry(int attempt) {
  // Jittered so that transactions that collided do not collide again.
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> jitter_us(0, 2000 * attempt);
  absl::SleepFor(absl::Microseconds(jitter_us(rng)));
}

}  // namespace internal

ConnectionPool::Lease::~Lease() {
  if (pool_ && connection_) pool_->Release(std::move(connection_));
}

absl::StatusOr<std::unique_ptr<ConnectionPool>> ConnectionPool::Create(PoolConfig config,
                                                                       PoolObserver* observer) {
  if (config.size < 1) return absl::InvalidArgumentError("pool size must be >= 1");
  std::unique_ptr<ConnectionPool> pool(new ConnectionPool(std::move(config), observer));
  auto first = pool->Connect();
  if (!first.ok()) return first.status();
  absl::MutexLock lock(&pool->mu_);
  pool->idle_.push_back(*std::move(first));
  pool->open_ = 1;
  return pool;
}

ConnectionPool::~ConnectionPool() {
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

absl::StatusOr<std::unique_ptr<PooledConnection>> ConnectionPool::Connect() {
  try {
    auto connection = std::make_unique<PooledConnection>();
    connection->conn = std::make_unique<pqxx::connection>(
        WithNetworkTimeouts(config_.database_url, config_.network_timeout));
    if (config_.statement_timeout > absl::ZeroDuration()) {
      pqxx::nontransaction tx(*connection->conn);
      tx.exec(absl::StrCat("SET statement_timeout = ",
                           absl::ToInt64Milliseconds(config_.statement_timeout)));
    }
    // Broken connections are dropped on release and replaced here. Should
    // libpqxx reconnect one on its own between transactions, it re-registers
    // the statements it was given, so `prepared` stays true to the session.
    return connection;
  } catch (...) {
    return internal::CurrentExceptionToStatus("connect", nullptr);
  }
}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire() {
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + config_.acquire_timeout;
  mu_.Lock();
  while (idle_.empty() && open_ >= config_.size) {
    ++waiting_;
    const bool freed =
        mu_.AwaitWithDeadline(absl::Condition(
                                  +[](ConnectionPool* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
                                    return !p->idle_.empty() || p->open_ < p->config_.size;
                                  },
                                  this),
                              deadline);
    --waiting_;
    if (freed) break;
    mu_.Unlock();
    if (observer_) observer_->OnAcquireTimeout();
    return absl::UnavailableError("no database connection free within the acquire timeout");
  }
  while (!idle_.empty()) {
    std::unique_ptr<PooledConnection> connection = std::move(idle_.back());
    idle_.pop_back();
    if (LooksDead(*connection)) {
      // Rare, and closing a dead socket does not wait: under the lock, so the
      // slot it frees cannot be taken twice. Replaced below by a new
      // connection when no other idle one is left.
      connection.reset();
      --open_;
      continue;
    }
    ++leased_;
    mu_.Unlock();
    if (observer_) observer_->OnAcquired(absl::Now() - start);
    return Lease(this, std::move(connection));
  }
  ++open_;
  ++leased_;
  mu_.Unlock();
  // Connect outside the lock: it is a network round trip.
  auto connection = Connect();
  if (!connection.ok()) {
    {
      absl::MutexLock lock(&mu_);
      --open_;
      --leased_;
    }
    if (observer_) observer_->OnConnectFailed();
    return connection.status();
  }
  if (observer_) observer_->OnAcquired(absl::Now() - start);
  return Lease(this, *std::move(connection));
}

bool ConnectionPool::LooksDead(const PooledConnection& connection) {
  if (!connection.conn || !connection.conn->is_open()) return true;
  pollfd socket{connection.conn->sock(), POLLIN, 0};
  // Idle in the pool, a live session has nothing to say: anything readable
  // is the server's goodbye (or its end of the stream).
  return poll(&socket, 1, 0) != 0;
}

void ConnectionPool::Release(std::unique_ptr<PooledConnection> connection) {
  const bool usable = !connection->broken && connection->conn && connection->conn->is_open();
  if (!usable) connection.reset();  // close outside the lock
  absl::MutexLock lock(&mu_);
  --leased_;
  if (usable) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;
  }
}

int ConnectionPool::in_use() const {
  absl::MutexLock lock(&mu_);
  return leased_;
}

PoolStats ConnectionPool::stats() const {
  absl::MutexLock lock(&mu_);
  PoolStats stats;
  stats.size = config_.size;
  stats.open = open_;
  stats.in_use = leased_;
  stats.idle = static_cast<int>(idle_.size());
  stats.waiting = waiting_;
  return stats;
}

}  // namespace affonso::storage

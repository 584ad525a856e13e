#include "storage/migrations.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace affonso::storage {
namespace {

// Any constant works; it only has to be the same in every replica.
constexpr const char* kLockSql = "SELECT pg_advisory_xact_lock(7283514001)";
constexpr const char* kCreateTableSql =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";
constexpr Statement kAppliedVersions{"migrations_applied", "SELECT version FROM schema_migrations"};
// $1 version, $2 name.
constexpr Statement kRecordVersion{"migrations_record",
                                   "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)"};

}  // namespace

absl::StatusOr<int> ApplyMigrations(ConnectionPool& pool,
                                    const std::vector<Migration>& migrations) {
  return pool.InTransaction("migrate", [&](Tx& tx) -> absl::StatusOr<int> {
    // Waiting for another replica's migrations, or rewriting a big table,
    // may take long: the pool's statement timeout, meant for request work,
    // does not apply here.
    tx.ExecUnprepared("SET LOCAL statement_timeout = 0");
    tx.ExecUnprepared(kLockSql);
    tx.ExecUnprepared(kCreateTableSql);
    std::set<int> applied;
    for (const auto& row : tx.Exec(kAppliedVersions)) applied.insert(row["version"].as<int>());
    int count = 0;
    for (const Migration& migration : migrations) {
      if (applied.count(migration.version)) continue;
      AFFONSO_LOG(kInfo, "applying migration ", migration.version, " ", migration.name);
      tx.ExecUnprepared(migration.sql);
      tx.Exec(kRecordVersion, migration.version, migration.name);
      ++count;
    }
    return count;
  });
}

}  // namespace affonso::storage

#ifndef AFFONSO_STORAGE_MIGRATIONS_H_
#define AFFONSO_STORAGE_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/pool.h"

namespace affonso::storage {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// The migrations compiled into the binary from storage/migrations/NNN_name.sql,
// in version order.
const std::vector<Migration>& BuiltinMigrations();

// Applies every migration not yet recorded in schema_migrations, all in one
// transaction under an advisory lock, so replicas starting together apply each
// exactly once and a failure leaves the schema as it was. Returns how many
// were applied now.
absl::StatusOr<int> ApplyMigrations(ConnectionPool& pool,
                                    const std::vector<Migration>& migrations = BuiltinMigrations());

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_MIGRATIONS_H_

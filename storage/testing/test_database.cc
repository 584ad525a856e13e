#include "storage/testing/test_database.h"

#include <cctype>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/ids.h"
#include "storage/migrations.h"

namespace affonso::storage::testing {
namespace {

// Swaps the database name of a postgresql:// URL (the path after the host).
std::string WithDatabase(const std::string& url, const std::string& name) {
  std::string::size_type scheme = url.find("://");
  std::string::size_type slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  std::string::size_type query = url.find('?');
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  std::string head = slash == std::string::npos
                         ? (query == std::string::npos ? url : url.substr(0, query))
                         : url.substr(0, slash);
  return absl::StrCat(head, "/", name, tail);
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(int pool_size) {
  const char* admin = std::getenv("AFFONSO_TEST_DATABASE_URL");
  if (admin == nullptr || *admin == '\0') {
    return absl::FailedPreconditionError(
        "AFFONSO_TEST_DATABASE_URL is not set: run database tests through ./dev test");
  }
  std::string name = absl::StrCat("t_", absl::AsciiStrToLower(RandomBase62(16)));
  try {
    pqxx::connection conn(admin);
    pqxx::nontransaction tx(conn);
    tx.exec("CREATE DATABASE " + name);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot create test database: ", e.what()));
  }
  std::unique_ptr<TestDatabase> db(new TestDatabase(admin, name, WithDatabase(admin, name)));
  PoolConfig config;
  config.database_url = db->url_;
  config.size = pool_size;
  auto pool = ConnectionPool::Create(config);
  if (!pool.ok()) return pool.status();
  db->pool_ = *std::move(pool);
  auto applied = ApplyMigrations(*db->pool_);
  if (!applied.ok()) return applied.status();
  return db;
}

TestDatabase::~TestDatabase() {
  pool_.reset();
  try {
    pqxx::connection conn(admin_url_);
    pqxx::nontransaction tx(conn);
    tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
    // A leftover database in a throwaway cluster is harmless.
  }
}

std::string TestDatabase::QueryValue(const std::string& sql) {
  pqxx::connection conn(url_);
  pqxx::nontransaction tx(conn);
  pqxx::result result = tx.exec(sql);
  if (result.empty() || result[0].empty() || result[0][0].is_null()) return "";
  return result[0][0].c_str();
}

}  // namespace affonso::storage::testing

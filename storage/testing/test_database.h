#ifndef AFFONSO_STORAGE_TESTING_TEST_DATABASE_H_
#define AFFONSO_STORAGE_TESTING_TEST_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/pool.h"

namespace affonso::storage::testing {

// A throwaway database, migrated, on the server named by
// AFFONSO_TEST_DATABASE_URL (set by `./dev test`); dropped on destruction.
// Each test gets its own, so tests never see each other's rows.
class TestDatabase {
 public:
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(int pool_size = 8);
  ~TestDatabase();

  const std::string& url() const { return url_; }
  ConnectionPool& pool() { return *pool_; }
  // Runs one SQL statement outside the pool (assertions, fault injection);
  // returns the first column of the first row, or "" for none / NULL.
  std::string QueryValue(const std::string& sql);

 private:
  TestDatabase(std::string admin_url, std::string name, std::string url)
      : admin_url_(std::move(admin_url)), name_(std::move(name)), url_(std::move(url)) {}

  std::string admin_url_;
  std::string name_;
  std::string url_;
  std::unique_ptr<ConnectionPool> pool_;
};

}  // namespace affonso::storage::testing

#endif  // AFFONSO_STORAGE_TESTING_TEST_DATABASE_H_

#ifndef AFFONSO_STORAGE_TESTING_FIXTURES_H_
#define AFFONSO_STORAGE_TESTING_FIXTURES_H_

#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "storage/api_key_store.h"
#include "storage/testing/test_database.h"

namespace affonso::storage::testing {

// A tenant with a default program and one affiliate, written with plain SQL so
// tests of one store do not depend on another store's code.
struct Tenant {
  std::string team_id;
  std::string program_id;
  std::string affiliate_id;
  std::string tracking_id;
  std::string api_key;
};

// `partnership_status` of the affiliate: "approved", "pending" or "rejected".
absl::StatusOr<Tenant> CreateTenant(TestDatabase& db, const std::string& name,
                                    const std::string& partnership_status = "approved");

// Inserts a click for the tenant's affiliate; returns its id.
std::string InsertClick(TestDatabase& db, const Tenant& tenant);

// Sets the program's tracking settings.
void SetTracking(TestDatabase& db, const Tenant& tenant, bool track_email, bool track_name);

// Base for database tests: a fresh migrated database holding tenants A and B,
// each with a default program, an approved affiliate and an API key.
class TwoTenantTest : public ::testing::Test {
 protected:
  explicit TwoTenantTest(int pool_size = 8) : pool_size_(pool_size) {}
  void SetUp() override;

  std::unique_ptr<TestDatabase> db_;
  Tenant a_, b_;

 private:
  int pool_size_;
};

}  // namespace affonso::storage::testing

#endif  // AFFONSO_STORAGE_TESTING_FIXTURES_H_

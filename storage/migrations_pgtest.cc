#include "storage/migrations.h"

#include <string>
#include <thread>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::StatusIs;

TEST(MigrationsTest, BuiltinMigrationsAreOrderedAndNonEmpty) {
  const auto& migrations = BuiltinMigrations();
  ASSERT_FALSE(migrations.empty());
  for (size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<int>(i) + 1) << migrations[i].name;
    EXPECT_FALSE(migrations[i].sql.empty());
  }
}

TEST(MigrationsTest, SecondRunAppliesNothing) {
  auto db = testing::TestDatabase::Create();
  ASSERT_OK(db);
  auto again = ApplyMigrations((*db)->pool());
  ASSERT_OK(again);
  EXPECT_EQ(*again, 0);
  EXPECT_EQ((*db)->QueryValue("SELECT count(*) FROM schema_migrations"),
            std::to_string(BuiltinMigrations().size()));
}

// 009 only adds a nullable column: keys from before it have every permission
// (NULL), and the column refuses an empty list or a NULL name.
TEST(MigrationsTest, ApiKeyPermissionsKeepEarlierKeysWorking) {
  auto db = testing::TestDatabase::Create();
  ASSERT_OK(db);
  // Back to the schema before 009, with a key of that release.
  (*db)->QueryValue(
      "ALTER TABLE api_keys DROP COLUMN permissions; "
      "DELETE FROM schema_migrations WHERE version = 9; "
      "INSERT INTO teams (id, name) VALUES ('team_old', 'Old'); "
      "INSERT INTO api_keys (id, team_id, key_hash, key_prefix) "
      "VALUES ('key_old', 'team_old', 'hash_old', 'sk_live_old'); SELECT 1");
  auto applied = ApplyMigrations((*db)->pool());
  ASSERT_OK(applied);
  EXPECT_EQ(*applied, 1);
  EXPECT_EQ((*db)->QueryValue("SELECT permissions IS NULL FROM api_keys WHERE id = 'key_old'"),
            "t");
  const std::string set = "UPDATE api_keys SET permissions = ";
  const std::string where = " WHERE id = 'key_old'";
  EXPECT_ANY_THROW((*db)->QueryValue(set + "'{}'" + where));  // the CHECK: a pqxx error
  EXPECT_ANY_THROW((*db)->QueryValue(set + "ARRAY['read:affiliates', NULL]" + where));
  EXPECT_NO_THROW((*db)->QueryValue(set + "ARRAY['read:affiliates']" + where));
}

// 023's onboarding questions hold the service's limits: a question of 1 to
// 500 characters, at most 20 options of 1 to 200 characters each.
TEST(MigrationsTest, OnboardingQuestionsHoldTheServiceLimits) {
  auto db = testing::TestDatabase::Create();
  ASSERT_OK(db);
  (*db)->QueryValue(
      "INSERT INTO teams (id, name) VALUES ('team_o', 'O'); "
      "INSERT INTO programs (id, team_id, name, is_default) VALUES ('prg_o', 'team_o', 'P', true); "
      "INSERT INTO onboarding_forms (team_id, id, program_id, name) "
      "VALUES ('team_o', 'obf_o', 'prg_o', 'F'); SELECT 1");
  int n = 0;
  auto insert = [&](const std::string& question, const std::string& type,
                    const std::string& options, int order) {
    return "INSERT INTO onboarding_questions (team_id, id, form_id, position, question, type, "
           "options, sort_order) VALUES ('team_o', 'obq_" +
           std::to_string(++n) + "', 'obf_o', 0, " + question + ", '" + type + "', " + options +
           ", " + std::to_string(order) + "); SELECT 1";
  };
  const std::string twenty = "ARRAY(SELECT 'o' || i FROM generate_series(1, 20) i)";
  const std::string long_option = "ARRAY['a', repeat('\xc3\xa9', 200)]";
  EXPECT_NO_THROW((*db)->QueryValue(insert("repeat('\xc3\xa9', 500)", "text_input", "'{}'", 0)));
  EXPECT_NO_THROW((*db)->QueryValue(insert("'Q'", "single_choice", twenty, 10000)));
  EXPECT_NO_THROW((*db)->QueryValue(insert("'Q'", "multiple_choice", long_option, 1)));
  EXPECT_ANY_THROW((*db)->QueryValue(insert("''", "text_input", "'{}'", 0)));
  EXPECT_ANY_THROW((*db)->QueryValue(insert("repeat('x', 501)", "text_input", "'{}'", 0)));
  EXPECT_ANY_THROW((*db)->QueryValue(
      insert("'Q'", "single_choice", "ARRAY(SELECT 'o' || i FROM generate_series(1, 21) i)", 0)));
  EXPECT_ANY_THROW(
      (*db)->QueryValue(insert("'Q'", "single_choice", "ARRAY['a', repeat('x', 201)]", 0)));
  EXPECT_ANY_THROW((*db)->QueryValue(insert("'Q'", "single_choice", "ARRAY['a', '']", 0)));
  EXPECT_ANY_THROW((*db)->QueryValue(insert("'Q'", "single_choice", "ARRAY['a', NULL]", 0)));
  EXPECT_ANY_THROW((*db)->QueryValue(insert("'Q'", "text_input", "'{}'", 10001)));
  EXPECT_EQ((*db)->QueryValue("SELECT count(*) FROM onboarding_questions"), "3");
}

TEST(MigrationsTest, ConcurrentReplicasApplyEachMigrationOnce) {
  auto db = testing::TestDatabase::Create();
  ASSERT_OK(db);
  std::vector<Migration> extra = BuiltinMigrations();
  extra.push_back({1000, "race_probe", "CREATE TABLE race_probe (id int)"});
  std::vector<std::thread> replicas;
  std::vector<absl::StatusOr<int>> results(6, 0);
  for (int i = 0; i < 6; ++i) {
    replicas.emplace_back([&, i] {
      PoolConfig config;
      config.database_url = (*db)->url();
      config.size = 1;
      auto pool = ConnectionPool::Create(config);
      if (!pool.ok()) {
        results[i] = pool.status();
        return;
      }
      results[i] = ApplyMigrations(**pool, extra);
    });
  }
  for (auto& replica : replicas) replica.join();
  int applied = 0;
  for (const auto& result : results) {
    ASSERT_OK(result);
    applied += *result;
  }
  EXPECT_EQ(applied, 1);
  EXPECT_EQ((*db)->QueryValue("SELECT count(*) FROM schema_migrations WHERE version = 1000"), "1");
}

TEST(MigrationsTest, FailingMigrationLeavesNothingBehind) {
  auto db = testing::TestDatabase::Create();
  ASSERT_OK(db);
  std::vector<Migration> broken = BuiltinMigrations();
  broken.push_back({1001, "good_part", "CREATE TABLE good_part (id int)"});
  broken.push_back({1002, "bad_part", "CREATE TABLE nonsense ("});
  EXPECT_THAT(ApplyMigrations((*db)->pool(), broken), StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ((*db)->QueryValue("SELECT to_regclass('good_part')::text"), "");
  EXPECT_EQ((*db)->QueryValue("SELECT count(*) FROM schema_migrations WHERE version > 1000"), "0");
}

}  // namespace
}  // namespace affonso::storage

#include "storage/demo_seed.h"

#include <thread>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

TEST(DemoSeedTest, SecondRunReusesTenantWithANewKey) {
  auto db = testing::TestDatabase::Create();
  ASSERT_OK(db);
  auto first = SeedDemo((*db)->pool());
  ASSERT_OK(first);
  auto second = SeedDemo((*db)->pool());
  ASSERT_OK(second);
  EXPECT_EQ(first->team_id, second->team_id);
  EXPECT_EQ(first->affiliate_id, second->affiliate_id);
  EXPECT_EQ(first->tracking_id, "demo");
  EXPECT_NE(first->api_key, second->api_key);
  EXPECT_EQ((*db)->QueryValue("SELECT count(*) FROM teams"), "1");
  EXPECT_EQ((*db)->QueryValue("SELECT partnership_status FROM affiliates"), "approved");
}

TEST(DemoSeedTest, ConcurrentSeedersMakeOneTenant) {
  auto db = testing::TestDatabase::Create(/*pool_size=*/8);
  ASSERT_OK(db);
  std::vector<std::thread> seeders;
  for (int i = 0; i < 4; ++i) {
    seeders.emplace_back([&] { EXPECT_OK(SeedDemo((*db)->pool())); });
  }
  for (auto& seeder : seeders) seeder.join();
  EXPECT_EQ((*db)->QueryValue("SELECT count(*) FROM teams"), "1");
  EXPECT_EQ((*db)->QueryValue("SELECT count(*) FROM affiliates"), "1");
  EXPECT_EQ((*db)->QueryValue("SELECT count(*) FROM api_keys"), "4");
  // The demo key may call everything (API-key permissions, issue 15).
  EXPECT_EQ((*db)->QueryValue("SELECT count(*) FROM api_keys WHERE permissions IS NOT NULL"), "0");
}

}  // namespace
}  // namespace affonso::storage

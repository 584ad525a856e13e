#include "storage/pg_api_key_store.h"

#include "common/ids.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::StatusIs;

class PgApiKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create();
    ASSERT_OK(db);
    db_ = *std::move(db);
    store_ = std::make_unique<PgApiKeyStore>(&db_->pool());
  }
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<PgApiKeyStore> store_;
};

TEST_F(PgApiKeyStoreTest, CreateTeamBootstrapsProgramGroupAndSettings) {
  auto team = store_->CreateTeam("Acme");
  ASSERT_OK(team);
  EXPECT_EQ(db_->QueryValue("SELECT team_id FROM programs WHERE id = '" + team->program_id +
                            "' AND is_default"),
            team->team_id);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM affiliate_groups WHERE program_id = '" +
                            team->program_id + "' AND is_default"),
            "1");
  EXPECT_EQ(db_->QueryValue("SELECT track_email AND track_name FROM program_tracking_settings "
                            "WHERE program_id = '" +
                            team->program_id + "'"),
            "t");
  EXPECT_EQ(db_->QueryValue("SELECT self_referral_mode FROM program_fraud_rules "
                            "WHERE program_id = '" +
                            team->program_id + "'"),
            "detect");
}

TEST_F(PgApiKeyStoreTest, KeysAreStoredOnlyAsHashes) {
  auto team = store_->CreateTeam("Acme");
  ASSERT_OK(team);
  auto key = store_->CreateApiKey(team->team_id);
  ASSERT_OK(key);
  EXPECT_EQ(key->key.rfind("sk_live_", 0), 0u);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM api_keys WHERE key_hash = '" + key->key + "'"),
            "0");
  auto found = store_->FindByHash(Sha256Hex(key->key));
  ASSERT_OK(found);
  EXPECT_EQ(found->team_id, team->team_id);
  EXPECT_EQ(found->id, key->id);
  EXPECT_FALSE(found->revoked);
}

TEST_F(PgApiKeyStoreTest, RevokedKeyIsReportedRevoked) {
  auto team = store_->CreateTeam("Acme");
  ASSERT_OK(team);
  auto key = store_->CreateApiKey(team->team_id);
  ASSERT_OK(key);
  ASSERT_OK(store_->RevokeApiKey(key->id));
  EXPECT_TRUE(store_->FindByHash(Sha256Hex(key->key))->revoked);
  EXPECT_THAT(store_->RevokeApiKey(key->id), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgApiKeyStoreTest, UnknownTeamOrKeyIsNotFound) {
  EXPECT_THAT(store_->CreateApiKey("team_nope"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->FindByHash(Sha256Hex("sk_live_nope")), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgApiKeyStoreTest, RateLimitOverridesAreReadWithTheKey) {
  auto team = store_->CreateTeam("Acme");
  ASSERT_OK(team);
  auto key = store_->CreateApiKey(team->team_id);
  ASSERT_OK(key);
  auto before = store_->FindByHash(Sha256Hex(key->key));
  ASSERT_OK(before);
  EXPECT_EQ(before->rate_limit_per_minute, 0);
  EXPECT_EQ(before->rate_limit_per_second, 0);

  ASSERT_OK(store_->SetApiKeyRateLimit(key->id, 3000, 0));
  auto after = store_->FindByHash(Sha256Hex(key->key));
  EXPECT_EQ(after->rate_limit_per_minute, 3000);
  EXPECT_EQ(after->rate_limit_per_second, 0);  // still the server's default
  EXPECT_EQ(db_->QueryValue("SELECT rate_limit_per_second IS NULL FROM api_keys WHERE id = '" +
                            key->id + "'"),
            "t");

  EXPECT_TRUE(absl::IsNotFound(store_->SetApiKeyRateLimit("key_unknown", 10, 10)));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->SetApiKeyRateLimit(key->id, -1, 10)));
}

TEST_F(PgApiKeyStoreTest, AKeyCreatedWithoutAListHasEveryPermission) {
  auto team = store_->CreateTeam("Acme");
  ASSERT_OK(team);
  auto key = store_->CreateApiKey(team->team_id);
  ASSERT_OK(key);
  auto found = store_->FindByHash(Sha256Hex(key->key));
  ASSERT_OK(found);
  EXPECT_FALSE(found->permissions.has_value());
  EXPECT_EQ(
      db_->QueryValue("SELECT permissions IS NULL FROM api_keys WHERE id = '" + key->id + "'"),
      "t");
}

TEST_F(PgApiKeyStoreTest, PermissionsAreStoredSortedAndOnce) {
  auto team = store_->CreateTeam("Acme");
  ASSERT_OK(team);
  auto key = store_->CreateApiKeyWithPermissions(
      team->team_id,
      std::vector<std::string>{"write:referrals", "read:affiliates", "write:referrals"});
  ASSERT_OK(key);
  auto found = store_->FindByHash(Sha256Hex(key->key));
  ASSERT_OK(found);
  ASSERT_TRUE(found->permissions.has_value());
  EXPECT_EQ(*found->permissions, (std::vector<std::string>{"read:affiliates", "write:referrals"}));
  EXPECT_EQ(db_->QueryValue("SELECT permissions FROM api_keys WHERE id = '" + key->id + "'"),
            "{read:affiliates,write:referrals}");
}

TEST_F(PgApiKeyStoreTest, AnEmptyListOrNameIsRefusedAndCreatesNothing) {
  auto team = store_->CreateTeam("Acme");
  ASSERT_OK(team);
  EXPECT_THAT(store_->CreateApiKeyWithPermissions(team->team_id, std::vector<std::string>{}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->CreateApiKeyWithPermissions(team->team_id,
                                                  std::vector<std::string>{"read:affiliates", ""}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM api_keys"), "0");
  EXPECT_THAT(
      store_->CreateApiKeyWithPermissions("team_nope", std::vector<std::string>{"read:affiliates"}),
      StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgApiKeyStoreTest, SetPermissionsReplacesThemOrRestoresEveryOne) {
  auto team = store_->CreateTeam("Acme");
  ASSERT_OK(team);
  auto key = store_->CreateApiKey(team->team_id);
  ASSERT_OK(key);
  ASSERT_OK(store_->SetApiKeyPermissions(key->id, std::vector<std::string>{"create:clicks"}));
  EXPECT_EQ(*store_->FindByHash(Sha256Hex(key->key))->permissions,
            std::vector<std::string>{"create:clicks"});
  ASSERT_OK(store_->SetApiKeyPermissions(key->id, std::nullopt));
  EXPECT_FALSE(store_->FindByHash(Sha256Hex(key->key))->permissions.has_value());
  EXPECT_THAT(store_->SetApiKeyPermissions(key->id, std::vector<std::string>{}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->SetApiKeyPermissions("key_unknown", std::nullopt),
              StatusIs(absl::StatusCode::kNotFound));
}

// The previous release inserts keys without naming the column: they have
// every permission, and the database refuses a list no release writes.
TEST_F(PgApiKeyStoreTest, KeysThePreviousReleaseCreatesHaveEveryPermission) {
  auto team = store_->CreateTeam("Acme");
  ASSERT_OK(team);
  const std::string key = "sk_live_previousreleasepreviousrelease00";
  db_->QueryValue(
      "INSERT INTO api_keys (id, team_id, key_hash, key_prefix) SELECT 'key_old', id, '" +
      Sha256Hex(key) + "', 'sk_live_prev' FROM teams WHERE id = '" + team->team_id + "'");
  auto found = store_->FindByHash(Sha256Hex(key));
  ASSERT_OK(found);
  EXPECT_EQ(found->id, "key_old");
  EXPECT_FALSE(found->permissions.has_value());
}

}  // namespace
}  // namespace affonso::storage

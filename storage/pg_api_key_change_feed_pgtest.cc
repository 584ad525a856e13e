#include "storage/pg_api_key_change_feed.h"

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/pg_api_key_store.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

class RecordingObserver : public ApiKeyChangeObserver {
 public:
  void OnApiKeyChanged(absl::string_view key_id) override {
    absl::MutexLock lock(&mu_);
    changed_.emplace_back(key_id);
  }
  void OnApiKeyChangesMissed() override {
    absl::MutexLock lock(&mu_);
    ++missed_;
  }
  // Waits until `count` changes were reported; all of them so far.
  std::vector<std::string> AwaitChanges(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return changed_.size() >= count; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(20));
    return changed_;
  }
  int AwaitMissed(int count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return missed_ >= count; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(20));
    return missed_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> changed_ ABSL_GUARDED_BY(mu_);
  int missed_ ABSL_GUARDED_BY(mu_) = 0;
};

class PgApiKeyChangeFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create();
    ASSERT_OK(db);
    db_ = *std::move(db);
    store_ = std::make_unique<PgApiKeyStore>(&db_->pool());
    auto team = store_->CreateTeam("Acme");
    ASSERT_OK(team);
    team_id_ = team->team_id;
  }

  std::string NewKeyId() {
    auto key = store_->CreateApiKey(team_id_);
    EXPECT_OK(key);
    return key.ok() ? key->id : "";
  }

  // The feed's own session, found by the name it gives itself.
  std::string FeedBackends() {
    return db_->QueryValue(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'affonso-api-key-feed' "
        "AND datname = current_database()");
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<PgApiKeyStore> store_;
  std::string team_id_;
  RecordingObserver observer_;
};

TEST_F(PgApiKeyChangeFeedTest, ReportsEachCommittedChangeOnce) {
  const std::string revoked = NewKeyId();
  const std::string limited = NewKeyId();
  PgApiKeyChangeFeed feed(db_->url(), &observer_);
  feed.Start();
  // Listening starts with "forget everything": nothing before it was heard.
  ASSERT_EQ(observer_.AwaitMissed(1), 1);
  EXPECT_TRUE(feed.listening());

  ASSERT_OK(store_->RevokeApiKey(revoked));
  EXPECT_EQ(observer_.AwaitChanges(1), std::vector<std::string>{revoked});
  // A revocation that changes nothing announces nothing: the next notice is
  // the limit change's.
  EXPECT_TRUE(absl::IsNotFound(store_->RevokeApiKey(revoked)));
  EXPECT_TRUE(absl::IsNotFound(store_->SetApiKeyRateLimit("key_unknown", 5, 1)));
  ASSERT_OK(store_->SetApiKeyRateLimit(limited, 60, 2));
  EXPECT_EQ(observer_.AwaitChanges(2), (std::vector<std::string>{revoked, limited}));
  feed.Stop();
  EXPECT_FALSE(feed.listening());
}

// A permission change is announced as a revocation is, so replicas evict the
// key within the same bound.
TEST_F(PgApiKeyChangeFeedTest, ReportsPermissionChanges) {
  const std::string narrowed = NewKeyId();
  PgApiKeyChangeFeed feed(db_->url(), &observer_);
  feed.Start();
  ASSERT_EQ(observer_.AwaitMissed(1), 1);
  ASSERT_OK(store_->SetApiKeyPermissions(narrowed, std::vector<std::string>{"read:affiliates"}));
  EXPECT_EQ(observer_.AwaitChanges(1), std::vector<std::string>{narrowed});
  EXPECT_TRUE(absl::IsNotFound(store_->SetApiKeyPermissions("key_unknown", std::nullopt)));
  ASSERT_OK(store_->SetApiKeyPermissions(narrowed, std::nullopt));
  EXPECT_EQ(observer_.AwaitChanges(2), (std::vector<std::string>{narrowed, narrowed}));
}

TEST_F(PgApiKeyChangeFeedTest, ReconnectsAfterLosingItsSessionAndReportsTheGap) {
  PgApiKeyChangeFeed feed(db_->url(), &observer_);
  feed.Start();
  ASSERT_EQ(observer_.AwaitMissed(1), 1);
  ASSERT_EQ(FeedBackends(), "1");
  db_->QueryValue(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
      "'affonso-api-key-feed' AND datname = current_database()");
  ASSERT_EQ(observer_.AwaitMissed(2), 2);
  const std::string key = NewKeyId();
  ASSERT_OK(store_->RevokeApiKey(key));
  EXPECT_EQ(observer_.AwaitChanges(1), std::vector<std::string>{key});
}

TEST_F(PgApiKeyChangeFeedTest, KeepsRetryingAnUnreachableDatabaseUntilStopped) {
  // Nothing listens on port 1: every attempt fails at once.
  PgApiKeyChangeFeed feed("postgresql://postgres@127.0.0.1:1/none", &observer_,
                          {absl::Milliseconds(10), absl::Milliseconds(50), absl::Seconds(1)});
  feed.Start();
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(feed.listening());
  feed.Stop();  // returns although the feed is between attempts
  EXPECT_EQ(observer_.AwaitMissed(0), 0);
}

}  // namespace
}  // namespace affonso::storage

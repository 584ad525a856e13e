#include "services/api_key_authenticator.h"

#include <functional>
#include <map>

#include "common/api_error.h"
#include "common/ids.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

class FakeApiKeyStore : public storage::ApiKeyStore {
 public:
  absl::StatusOr<storage::ApiKeyRecord> FindByHash(absl::string_view key_hash) override {
    ++lookups;
    auto it = keys.find(std::string(key_hash));
    if (it == keys.end()) return NotFoundError("api key");
    storage::ApiKeyRecord record = it->second;
    if (after_read) after_read();
    return record;
  }
  std::map<std::string, storage::ApiKeyRecord> keys;
  int lookups = 0;
  std::function<void()> after_read;  // runs between the read and the return
};

class ApiKeyAuthenticatorTest : public ::testing::Test {
 protected:
  ApiKeyAuthenticatorTest()
      : authenticator_(&store_, ApiKeyAuthenticator::Options{absl::Seconds(10), 100},
                       [this] { return now_; }) {
    store_.keys[Sha256Hex(kKey)] = {"key_1", "team_1", false};
  }
  static constexpr char kKey[] = "sk_live_abcdefghijklmnopqrstuvwxyz012345";
  FakeApiKeyStore store_;
  absl::Time now_ = absl::FromUnixSeconds(1000);
  ApiKeyAuthenticator authenticator_;
};

TEST_F(ApiKeyAuthenticatorTest, MissingHeaderIsMissingApiKey) {
  EXPECT_EQ(ApiErrorCode(authenticator_.Authenticate("").status()), "MISSING_API_KEY");
  EXPECT_EQ(ApiErrorCode(authenticator_.Authenticate("   ").status()), "MISSING_API_KEY");
}

TEST_F(ApiKeyAuthenticatorTest, MalformedOrUnknownIsInvalidApiKey) {
  for (const char* header : {"Basic abc", "Bearer", "Bearer ", "Bearer not_a_key",
                             "sk_live_abcdefghijklmnopqrstuvwxyz012345",
                             "Bearer sk_live_unknown"}) {
    auto result = authenticator_.Authenticate(header);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated) << header;
    EXPECT_EQ(ApiErrorCode(result.status()), "INVALID_API_KEY") << header;
  }
  EXPECT_EQ(ApiErrorCode(authenticator_.Authenticate("Bearer sk_" + std::string(500, 'a')).status()),
            "INVALID_API_KEY");
}

TEST_F(ApiKeyAuthenticatorTest, ValidKeyResolvesTeamAndIsCached) {
  for (int i = 0; i < 5; ++i) {
    auto caller = authenticator_.Authenticate(std::string("Bearer ") + kKey);
    ASSERT_TRUE(caller.ok()) << caller.status();
    EXPECT_EQ(caller->team_id, "team_1");
  }
  EXPECT_EQ(store_.lookups, 1);
  auto lower = authenticator_.Authenticate(std::string("bearer ") + kKey);
  EXPECT_TRUE(lower.ok());
}

TEST_F(ApiKeyAuthenticatorTest, RevocationTakesEffectWithinTtl) {
  ASSERT_TRUE(authenticator_.Authenticate(std::string("Bearer ") + kKey).ok());
  store_.keys[Sha256Hex(kKey)].revoked = true;
  now_ += absl::Seconds(9);
  EXPECT_TRUE(authenticator_.Authenticate(std::string("Bearer ") + kKey).ok());
  now_ += absl::Seconds(2);
  EXPECT_EQ(ApiErrorCode(authenticator_.Authenticate(std::string("Bearer ") + kKey).status()),
            "INVALID_API_KEY");
}

TEST_F(ApiKeyAuthenticatorTest, ReportedChangeEvictsThatKeyAtOnce) {
  constexpr char kOther[] = "sk_live_0123456789abcdefghijklmnopqrstuv";
  store_.keys[Sha256Hex(kOther)] = {"key_2", "team_2", false};
  ASSERT_TRUE(authenticator_.Authenticate(std::string("Bearer ") + kKey).ok());
  ASSERT_TRUE(authenticator_.Authenticate(std::string("Bearer ") + kOther).ok());
  store_.keys[Sha256Hex(kKey)].revoked = true;
  authenticator_.OnApiKeyChanged("key_1");  // no time passes
  EXPECT_EQ(ApiErrorCode(authenticator_.Authenticate(std::string("Bearer ") + kKey).status()),
            "INVALID_API_KEY");
  EXPECT_EQ(store_.lookups, 3);
  ASSERT_TRUE(authenticator_.Authenticate(std::string("Bearer ") + kOther).ok());
  EXPECT_EQ(store_.lookups, 3) << "the other key should have stayed cached";
}

TEST_F(ApiKeyAuthenticatorTest, MissedChangesEvictEveryKey) {
  ASSERT_TRUE(authenticator_.Authenticate(std::string("Bearer ") + kKey).ok());
  store_.keys[Sha256Hex(kKey)].revoked = true;
  authenticator_.OnApiKeyChangesMissed();
  EXPECT_EQ(ApiErrorCode(authenticator_.Authenticate(std::string("Bearer ") + kKey).status()),
            "INVALID_API_KEY");
  EXPECT_EQ(store_.lookups, 2);
}

// The revocation commits, and its notice arrives, after a lookup read the
// key but before it cached it: the stale row must not be cached.
TEST_F(ApiKeyAuthenticatorTest, LookupOverlappingAnEvictionIsNotCached) {
  store_.after_read = [this] {
    store_.after_read = nullptr;
    store_.keys[Sha256Hex(kKey)].revoked = true;
    authenticator_.OnApiKeyChanged("key_1");
  };
  // This call read the key before the revocation: it may pass.
  EXPECT_TRUE(authenticator_.Authenticate(std::string("Bearer ") + kKey).ok());
  EXPECT_EQ(ApiErrorCode(authenticator_.Authenticate(std::string("Bearer ") + kKey).status()),
            "INVALID_API_KEY");
  EXPECT_EQ(store_.lookups, 2);
}

TEST_F(ApiKeyAuthenticatorTest, StoreOutageIsUnavailableNotUnauthenticated) {
  class DownStore : public storage::ApiKeyStore {
    absl::StatusOr<storage::ApiKeyRecord> FindByHash(absl::string_view) override {
      return absl::UnavailableError("database unavailable");
    }
  } down;
  ApiKeyAuthenticator authenticator(&down, {});
  EXPECT_EQ(authenticator.Authenticate(std::string("Bearer ") + kKey).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace affonso::services

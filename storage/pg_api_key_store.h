#ifndef AFFONSO_STORAGE_PG_API_KEY_STORE_H_
#define AFFONSO_STORAGE_PG_API_KEY_STORE_H_

#include "storage/api_key_store.h"
#include "storage/pool.h"

namespace affonso::storage {

// RevokeApiKey, SetApiKeyRateLimit and SetApiKeyPermissions NOTIFY the key's id on this channel in
// the statement that changes it, so the notice goes out exactly when the
// change commits (PgApiKeyChangeFeed listens).
inline constexpr char kApiKeyChangesChannel[] = "affonso_api_key_changes";

class PgApiKeyStore final : public ApiKeyStore, public TeamAdminStore {
 public:
  explicit PgApiKeyStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<ApiKeyRecord> FindByHash(absl::string_view key_hash) override;
  absl::StatusOr<TeamBootstrap> CreateTeam(absl::string_view name) override;
  absl::StatusOr<IssuedApiKey> CreateApiKey(absl::string_view team_id) override;
  absl::StatusOr<IssuedApiKey> CreateApiKeyWithPermissions(
      absl::string_view team_id,
      const std::optional<std::vector<std::string>>& permissions) override;
  absl::Status RevokeApiKey(absl::string_view key_id) override;
  absl::Status SetApiKeyRateLimit(absl::string_view key_id, int per_minute,
                                  int per_second) override;
  absl::Status SetApiKeyPermissions(
      absl::string_view key_id,
      const std::optional<std::vector<std::string>>& permissions) override;

 private:
  ConnectionPool* pool_;
};

// The rows of a new team inside the caller's transaction (for seeding).
TeamBootstrap CreateTeamInTransaction(Tx& tx, const std::string& name);

// "sk_live_" + 32 base62 characters (~190 bits).
std::string NewApiKeyPlaintext();

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_API_KEY_STORE_H_

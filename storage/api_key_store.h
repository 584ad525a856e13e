#ifndef AFFONSO_STORAGE_API_KEY_STORE_H_
#define AFFONSO_STORAGE_API_KEY_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace affonso::storage {

struct ApiKeyRecord {
  std::string id;
  std::string team_id;
  bool revoked = false;
  // Per-key rate-limit overrides; 0 = the server's default.
  int rate_limit_per_minute = 0;
  int rate_limit_per_second = 0;
  // The permissions the key was given, sorted; nullopt: every permission
  // (keys created without a list, and every key of earlier releases).
  std::optional<std::vector<std::string>> permissions;
};

struct TeamBootstrap {
  std::string team_id;
  std::string program_id;
  std::string default_group_id;
};

struct IssuedApiKey {
  std::string id;
  std::string key;  // the only time the plaintext exists
};

// Read side, on every request (behind a cache).
class ApiKeyStore {
 public:
  virtual ~ApiKeyStore() = default;
  // NOT_FOUND when no key has this SHA-256 hash.
  virtual absl::StatusOr<ApiKeyRecord> FindByHash(absl::string_view key_hash) = 0;
};

// Told of key changes made anywhere (`ctl`, any replica), so a replica's cache
// of keys can drop a key at once rather than when its entry expires.
class ApiKeyChangeObserver {
 public:
  virtual ~ApiKeyChangeObserver() = default;
  // The key was revoked, or its limits or permissions changed.
  virtual void OnApiKeyChanged(absl::string_view key_id) = 0;
  // Changes may have gone unreported (nobody was listening): forget every key.
  virtual void OnApiKeyChangesMissed() = 0;
};

// Operator side (`./dev ctl`): tenants and their keys.
class TeamAdminStore {
 public:
  virtual ~TeamAdminStore() = default;
  // A team with its default program, the program's default group and its
  // tracking settings, in one transaction.
  virtual absl::StatusOr<TeamBootstrap> CreateTeam(absl::string_view name) = 0;
  // A key with every permission. NOT_FOUND for an unknown team.
  virtual absl::StatusOr<IssuedApiKey> CreateApiKey(absl::string_view team_id) = 0;
  // A key with only `permissions` (nullopt: every one). The names are the
  // caller's to check (services/call/permissions.h knows them); the store
  // refuses only an empty list or an empty name (INVALID_ARGUMENT).
  virtual absl::StatusOr<IssuedApiKey> CreateApiKeyWithPermissions(
      absl::string_view team_id, const std::optional<std::vector<std::string>>& permissions) = 0;
  // NOT_FOUND for an unknown or already revoked key. Announced to
  // ApiKeyChangeObservers when it commits.
  virtual absl::Status RevokeApiKey(absl::string_view key_id) = 0;
  // Per-key rate limits (0 = back to the server's default for that limit),
  // announced like a revocation. NOT_FOUND for an unknown key.
  virtual absl::Status SetApiKeyRateLimit(absl::string_view key_id, int per_minute,
                                          int per_second) = 0;
  // Replaces the key's permissions (nullopt: every one), checked as
  // CreateApiKeyWithPermissions checks them and announced like a revocation.
  // NOT_FOUND for an unknown key.
  virtual absl::Status SetApiKeyPermissions(
      absl::string_view key_id, const std::optional<std::vector<std::string>>& permissions) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_API_KEY_STORE_H_

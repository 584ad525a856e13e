#include "storage/pg_api_key_store.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/json_escape.h"
#include "storage/pg_values.h"
#include "storage/query_one.h"

namespace affonso::storage {
namespace {

// $1 the key's SHA-256 (hex).
constexpr Statement kFindByHash{"api_key_find_by_hash",
                                "SELECT id, team_id, revoked_at IS NOT NULL AS revoked, "
                                "  coalesce(rate_limit_per_minute, 0) AS rate_limit_per_minute, "
                                "  coalesce(rate_limit_per_second, 0) AS rate_limit_per_second, "
                                "  permissions "
                                "FROM api_keys WHERE key_hash = $1"};
// A JSON array of names (or NULL: every permission) as the sorted, distinct
// text[] the permissions column holds.
#define AFFONSO_SQL_PERMISSIONS(param)                      \
  "CASE WHEN " param                                        \
  "::jsonb IS NULL THEN NULL ELSE ARRAY(SELECT DISTINCT p " \
  "FROM jsonb_array_elements_text(" param "::jsonb) p ORDER BY p) END"
// $1 id, $2 name.
constexpr Statement kInsertTeam{"team_insert", "INSERT INTO teams (id, name) VALUES ($1, $2)"};
// $1 id, $2 team, $3 name.
constexpr Statement kInsertProgram{
    "program_insert",
    "INSERT INTO programs (id, team_id, name, is_default) VALUES ($1, $2, $3, true)"};
// $1 id, $2 team, $3 program.
constexpr Statement kInsertDefaultGroup{
    "group_insert_default",
    "INSERT INTO affiliate_groups (id, team_id, program_id, name, is_default) "
    "VALUES ($1, $2, $3, 'Default', true)"};
// $1 program (also kInsertFraudRules).
constexpr Statement kInsertTrackingSettings{
    "tracking_settings_insert", "INSERT INTO program_tracking_settings (program_id) VALUES ($1)"};
constexpr Statement kInsertFraudRules{"fraud_rules_insert",
                                      "INSERT INTO program_fraud_rules (program_id) VALUES ($1)"};
// $1 id, $2 team, $3 hash, $4 prefix (what a listing may show), $5 the
// permissions as a JSON array (NULL: every permission).
constexpr Statement kInsertApiKey{
    "api_key_insert",
    "INSERT INTO api_keys (id, team_id, key_hash, key_prefix, permissions) "
    "SELECT $1, id, $3, $4, " AFFONSO_SQL_PERMISSIONS("$5") " FROM teams WHERE id = $2"};
// $1 id, $2 kApiKeyChangesChannel. One statement, so the NOTIFY commits with it.
constexpr Statement kRevokeApiKey{"api_key_revoke",
                                  "WITH changed AS (UPDATE api_keys SET revoked_at = now() "
                                  "  WHERE id = $1 AND revoked_at IS NULL RETURNING id) "
                                  "SELECT pg_notify($2, id) FROM changed"};
// $1 id, $2 per minute, $3 per second (0 = the default), $4 kApiKeyChangesChannel.
constexpr Statement kSetRateLimit{
    "api_key_set_rate_limit",
    "WITH changed AS (UPDATE api_keys SET rate_limit_per_minute = nullif($2::int, 0), "
    "  rate_limit_per_second = nullif($3::int, 0) WHERE id = $1 RETURNING id) "
    "SELECT pg_notify($4, id) FROM changed"};
// $1 id, $2 the permissions as in kInsertApiKey, $3 kApiKeyChangesChannel.
constexpr Statement kSetPermissions{
    "api_key_set_permissions",
    "WITH changed AS (UPDATE api_keys SET permissions = " AFFONSO_SQL_PERMISSIONS("$2") " "
    "  WHERE id = $1 RETURNING id) "
    "SELECT pg_notify($3, id) FROM changed"};

#undef AFFONSO_SQL_PERMISSIONS

// The statements' permissions parameter: a JSON array, or "" for every
// permission (sent as NULL). INVALID_ARGUMENT for a list the column would
// refuse.
absl::StatusOr<std::string> PermissionsParam(
    const std::optional<std::vector<std::string>>& permissions) {
  if (!permissions) return std::string();
  if (permissions->empty()) {
    return ValidationError("permissions", "a key needs at least one permission");
  }
  std::vector<std::string> names;
  for (const std::string& name : *permissions) {
    if (name.empty()) return ValidationError("permissions", "a permission name is empty");
    names.push_back(JsonEscape(name));
  }
  return absl::StrCat("[", absl::StrJoin(names, ","), "]");
}

std::optional<std::vector<std::string>> ReadPermissions(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  std::vector<std::string> names;
  ReadTextArray(field, &names);
  return names;
}

ApiKeyRecord ReadApiKey(const pqxx::row& row) {
  ApiKeyRecord record;
  record.id = row["id"].as<std::string>();
  record.team_id = row["team_id"].as<std::string>();
  record.revoked = row["revoked"].as<bool>();
  record.rate_limit_per_minute = row["rate_limit_per_minute"].as<int>();
  record.rate_limit_per_second = row["rate_limit_per_second"].as<int>();
  record.permissions = ReadPermissions(row["permissions"]);
  return record;
}

}  // namespace

std::string NewApiKeyPlaintext() { return absl::StrCat("sk_live_", RandomBase62(32)); }

absl::StatusOr<ApiKeyRecord> PgApiKeyStore::FindByHash(absl::string_view key_hash) {
  return pool_->Autocommit("find_api_key", [&](Tx& tx) {
    return QueryOne(tx, kFindByHash, ReadApiKey, "api key", key_hash);
  });
}

TeamBootstrap CreateTeamInTransaction(Tx& tx, const std::string& name) {
  TeamBootstrap team{NewId("team"), NewId("prg"), NewId("grp")};
  tx.Exec(kInsertTeam, team.team_id, name);
  tx.Exec(kInsertProgram, team.program_id, team.team_id, name);
  tx.Exec(kInsertDefaultGroup, team.default_group_id, team.team_id, team.program_id);
  tx.Exec(kInsertTrackingSettings, team.program_id);
  tx.Exec(kInsertFraudRules, team.program_id);
  return team;
}

absl::StatusOr<TeamBootstrap> PgApiKeyStore::CreateTeam(absl::string_view name) {
  const std::string team_name(name);
  return pool_->InTransaction("create_team", [&](Tx& tx) -> absl::StatusOr<TeamBootstrap> {
    return CreateTeamInTransaction(tx, team_name);
  });
}

absl::StatusOr<IssuedApiKey> PgApiKeyStore::CreateApiKey(absl::string_view team_id) {
  return CreateApiKeyWithPermissions(team_id, std::nullopt);
}

absl::StatusOr<IssuedApiKey> PgApiKeyStore::CreateApiKeyWithPermissions(
    absl::string_view team_id, const std::optional<std::vector<std::string>>& permissions) {
  absl::StatusOr<std::string> names = PermissionsParam(permissions);
  if (!names.ok()) return names.status();
  IssuedApiKey issued{NewId("key"), NewApiKeyPlaintext()};
  const std::string team(team_id);
  const std::string hash = Sha256Hex(issued.key);
  const std::string prefix = issued.key.substr(0, 12);
  absl::Status status = pool_->Autocommit("create_api_key", [&](Tx& tx) {
    if (tx.Exec(kInsertApiKey, issued.id, team, hash, prefix, NullIfEmpty(*names))
            .affected_rows() == 0) {
      return NotFoundError("team");
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return issued;
}

absl::Status PgApiKeyStore::RevokeApiKey(absl::string_view key_id) {
  return pool_->Autocommit("revoke_api_key", [&](Tx& tx) {
    return RequireRow(tx, kRevokeApiKey, "api key", key_id, kApiKeyChangesChannel);
  });
}

absl::Status PgApiKeyStore::SetApiKeyRateLimit(absl::string_view key_id, int per_minute,
                                               int per_second) {
  if (per_minute < 0) return ValidationError("per_minute", "must be 0 (default) or positive");
  if (per_second < 0) return ValidationError("per_second", "must be 0 (default) or positive");
  return pool_->Autocommit("set_api_key_rate_limit", [&](Tx& tx) {
    return RequireRow(tx, kSetRateLimit, "api key", key_id, per_minute, per_second,
                      kApiKeyChangesChannel);
  });
}

absl::Status PgApiKeyStore::SetApiKeyPermissions(
    absl::string_view key_id, const std::optional<std::vector<std::string>>& permissions) {
  absl::StatusOr<std::string> names = PermissionsParam(permissions);
  if (!names.ok()) return names.status();
  return pool_->Autocommit("set_api_key_permissions", [&](Tx& tx) {
    return RequireRow(tx, kSetPermissions, "api key", key_id, NullIfEmpty(*names),
                      kApiKeyChangesChannel);
  });
}

}  // namespace affonso::storage

#include "storage/webhook_secrets.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace affonso::storage {
namespace {

// $1 the last id seen ("" at first), $2 batch size; kOtherKeyBatch adds $3,
// the primary key's id.
constexpr Statement kPlaintextBatch{
    "webhook_secret_plaintext_batch",
    "SELECT id, team_id, secret, secret_sealed FROM webhook_endpoints "
    "WHERE secret IS NOT NULL AND id > $1 ORDER BY id LIMIT $2 FOR UPDATE"};

// split_part: the key id between "v1:" and the next ':' (LIKE would read
// '_' in an id as a wildcard).
constexpr Statement kOtherKeyBatch{
    "webhook_secret_other_key_batch",
    "SELECT id, team_id, secret_sealed FROM webhook_endpoints "
    "WHERE secret_sealed IS NOT NULL AND split_part(secret_sealed, ':', 2) <> $3 "
    "  AND id > $1 ORDER BY id LIMIT $2 FOR UPDATE"};

// updated_at is the endpoint's as the API shows it: a storage change is not
// the user's. $1 id, $2 team, $3 sealed secret.
constexpr Statement kWriteSealed{"webhook_secret_write_sealed",
                                 "UPDATE webhook_endpoints SET secret = NULL, secret_sealed = $3 "
                                 "WHERE id = $1 AND team_id = $2"};

constexpr Statement kCount{"webhook_secret_count",
                           "SELECT CASE WHEN secret_sealed IS NULL THEN 'plaintext' "
                           "  ELSE split_part(secret_sealed, ':', 2) END AS key_id, "
                           "  count(*) AS endpoints "
                           "FROM webhook_endpoints GROUP BY 1"};

// Ids are "<prefix>_<base62>", so ':' cannot be part of one.
std::string AssociatedData(absl::string_view team_id, absl::string_view endpoint_id) {
  return absl::StrCat("webhook_endpoints:", team_id, ":", endpoint_id);
}

struct Batch {
  std::string last_id;
  int rows = 0;
  SecretRewriteResult result;
};

// Visits the rows `select(tx, after)` finds after the last one seen, `batch`
// per transaction; `reseal` gives a row's new sealed value (an error other
// than INTERNAL: unreadable, left alone).
template <typename Select, typename Reseal>
absl::StatusOr<SecretRewriteResult> Rewrite(ConnectionPool& pool, int batch, Select select,
                                            Reseal reseal) {
  SecretRewriteResult total;
  std::string after;
  while (true) {
    absl::StatusOr<Batch> done =
        pool.InTransaction("rewrite_webhook_secrets", [&](Tx& tx) -> absl::StatusOr<Batch> {
          Batch b;
          const pqxx::result rows = select(tx, after);
          for (const pqxx::row& row : rows) {
            const std::string id = row["id"].as<std::string>();
            const std::string team = row["team_id"].as<std::string>();
            b.last_id = id;
            ++b.rows;
            absl::StatusOr<std::string> sealed = reseal(team, id, row);
            if (!sealed.ok()) {
              if (sealed.status().code() == absl::StatusCode::kInternal) return sealed.status();
              b.result.unreadable.push_back(id);
              continue;
            }
            tx.Exec(kWriteSealed, id, team, *sealed);
            ++b.result.rewritten;
          }
          return b;
        });
    if (!done.ok()) return done.status();
    total.rewritten += done->result.rewritten;
    for (std::string& id : done->result.unreadable) total.unreadable.push_back(std::move(id));
    if (done->rows < batch) return total;
    after = done->last_id;
  }
}

absl::Status CheckKeyring(const SecretKeyring& keyring, int batch) {
  if (keyring.empty()) {
    return absl::FailedPreconditionError("no encryption key configured (SECRET_ENCRYPTION_KEYS)");
  }
  if (batch <= 0) return absl::InvalidArgumentError("batch must be positive");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StoredWebhookSecret> StoreWebhookSecret(const SecretKeyring* keyring,
                                                       absl::string_view team_id,
                                                       absl::string_view endpoint_id,
                                                       absl::string_view secret) {
  StoredWebhookSecret stored;
  if (keyring == nullptr || keyring->empty()) {
    stored.plaintext = std::string(secret);
    return stored;
  }
  absl::StatusOr<std::string> sealed = keyring->Seal(secret, AssociatedData(team_id, endpoint_id));
  if (!sealed.ok()) return sealed.status();
  stored.sealed = *std::move(sealed);
  return stored;
}

absl::StatusOr<std::string> ReadWebhookSecret(const SecretKeyring* keyring,
                                              absl::string_view team_id,
                                              absl::string_view endpoint_id,
                                              const pqxx::field& plaintext,
                                              const pqxx::field& sealed) {
  if (!sealed.is_null()) {
    if (keyring == nullptr || keyring->empty()) {
      return absl::FailedPreconditionError(
          "the secret is encrypted and no encryption key is configured");
    }
    return keyring->Open(sealed.c_str(), AssociatedData(team_id, endpoint_id));
  }
  if (plaintext.is_null()) return absl::DataLossError("the endpoint has no secret");
  return plaintext.as<std::string>();
}

absl::StatusOr<SecretRewriteResult> EncryptPlaintextWebhookSecrets(ConnectionPool& pool,
                                                                   const SecretKeyring& keyring,
                                                                   int batch) {
  AFFONSO_RETURN_IF_ERROR(CheckKeyring(keyring, batch));
  return Rewrite(
      pool, batch,
      [&](Tx& tx, const std::string& after) { return tx.Exec(kPlaintextBatch, after, batch); },
      [&](const std::string& team, const std::string& id,
          const pqxx::row& row) -> absl::StatusOr<std::string> {
        // Never written together; should both be there, the
        // sealed one is what the service reads.
        if (!row["secret_sealed"].is_null()) {
          return row["secret_sealed"].as<std::string>();
        }
        return keyring.Seal(row["secret"].as<std::string>(), AssociatedData(team, id));
      });
}

absl::StatusOr<SecretRewriteResult> ResealWebhookSecrets(ConnectionPool& pool,
                                                         const SecretKeyring& keyring, int batch) {
  AFFONSO_RETURN_IF_ERROR(CheckKeyring(keyring, batch));
  return Rewrite(
      pool, batch,
      [&](Tx& tx, const std::string& after) {
        return tx.Exec(kOtherKeyBatch, after, batch, keyring.primary_id());
      },
      [&](const std::string& team, const std::string& id,
          const pqxx::row& row) -> absl::StatusOr<std::string> {
        const std::string aad = AssociatedData(team, id);
        absl::StatusOr<std::string> secret =
            keyring.Open(row["secret_sealed"].as<std::string>(), aad);
        if (!secret.ok()) return secret.status();
        return keyring.Seal(*secret, aad);
      });
}

absl::StatusOr<std::map<std::string, int64_t>> CountWebhookSecrets(ConnectionPool& pool) {
  return pool.Autocommit(
      "count_webhook_secrets", [&](Tx& tx) -> absl::StatusOr<std::map<std::string, int64_t>> {
        std::map<std::string, int64_t> counts;
        for (const pqxx::row& row : tx.Exec(kCount)) {
          counts[row["key_id"].as<std::string>()] = row["endpoints"].as<int64_t>();
        }
        return counts;
      });
}

}  // namespace affonso::storage

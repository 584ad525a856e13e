#ifndef AFFONSO_STORAGE_WEBHOOK_SECRETS_H_
#define AFFONSO_STORAGE_WEBHOOK_SECRETS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret_box.h"
#include "storage/pool.h"

namespace affonso::storage {

// Webhook signing secrets at rest. Each endpoint row holds its secret either
// as plaintext (`secret`: written by a release before encryption, or when no
// key is configured) or sealed (`secret_sealed`, common/secret_box.h) with
// the row's team and endpoint id as associated data, so a sealed value copied
// to another row or team does not open. A null or empty keyring means
// encryption is off: secrets are written in plaintext, as before.

// The columns to write for a new endpoint's secret. Exactly one is set.
struct StoredWebhookSecret {
  std::string plaintext;  // "" when sealed
  std::string sealed;     // "" when plaintext
};
absl::StatusOr<StoredWebhookSecret> StoreWebhookSecret(const SecretKeyring* keyring,
                                                       absl::string_view team_id,
                                                       absl::string_view endpoint_id,
                                                       absl::string_view secret);

// The signing secret of a row from its two columns (either may be NULL):
// the sealed value when there is one, else the plaintext. Errors (key not
// configured, value tampered with or moved) must stop the delivery: nothing
// is ever sent unsigned or signed with another secret.
absl::StatusOr<std::string> ReadWebhookSecret(const SecretKeyring* keyring,
                                              absl::string_view team_id,
                                              absl::string_view endpoint_id,
                                              const pqxx::field& plaintext,
                                              const pqxx::field& sealed);

// What `ctl secrets` does. Rows are visited in id order, `batch` per
// transaction (each row updated by id and team), so the work can run beside
// live traffic and be interrupted and rerun at any point.
struct SecretRewriteResult {
  int64_t rewritten = 0;
  // Rows left as they were because their secret could not be read (their key
  // is not in the keyring): their ids, for the operator.
  std::vector<std::string> unreadable;
};

// Seals every plaintext secret, deleted endpoints' too, under the keyring's
// primary key and clears the plaintext. Idempotent: a second run rewrites
// nothing. FAILED_PRECONDITION when the keyring is empty.
absl::StatusOr<SecretRewriteResult> EncryptPlaintextWebhookSecrets(ConnectionPool& pool,
                                                                   const SecretKeyring& keyring,
                                                                   int batch);

// Re-seals under the primary key every sealed secret that names another key,
// so that key can then be removed from the configuration.
absl::StatusOr<SecretRewriteResult> ResealWebhookSecrets(ConnectionPool& pool,
                                                         const SecretKeyring& keyring, int batch);

// Rows per storage form: "plaintext", or the key id of the sealed ones.
absl::StatusOr<std::map<std::string, int64_t>> CountWebhookSecrets(ConnectionPool& pool);

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_WEBHOOK_SECRETS_H_

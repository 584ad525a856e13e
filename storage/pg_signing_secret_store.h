#ifndef AFFONSO_STORAGE_PG_SIGNING_SECRET_STORE_H_
#define AFFONSO_STORAGE_PG_SIGNING_SECRET_STORE_H_

#include <optional>

#include "common/secret_box.h"
#include "storage/pool.h"
#include "storage/signing_secret_store.h"

namespace affonso::storage {

// `keyring` (optional, outliving the store) seals the secrets, with the
// slot (team, program, source) as associated data, as webhook secrets are
// (storage/webhook_secrets.h); without keys they are stored in plaintext.
class PgSigningSecretStore final : public SigningSecretStore {
 public:
  explicit PgSigningSecretStore(ConnectionPool* pool, const SecretKeyring* keyring = nullptr)
      : pool_(pool), keyring_(keyring) {}

  absl::StatusOr<std::optional<SigningSecretRecord>> Get(absl::string_view team_id,
                                                         absl::string_view program_id,
                                                         absl::string_view source) override;
  absl::Status Set(absl::string_view team_id, absl::string_view program_id,
                   absl::string_view source, absl::string_view secret) override;
  absl::Status Rotate(absl::string_view team_id, absl::string_view program_id,
                      absl::string_view source, absl::string_view secret,
                      absl::Duration grace) override;
  absl::Status Clear(absl::string_view team_id, absl::string_view program_id,
                     absl::string_view source) override;

 private:
  ConnectionPool* pool_;
  const SecretKeyring* keyring_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_SIGNING_SECRET_STORE_H_

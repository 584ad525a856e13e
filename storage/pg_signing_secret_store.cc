#include "storage/pg_signing_secret_store.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/status_macros.h"
#include "storage/pg_values.h"

namespace affonso::storage {
namespace {

// $1 team, $2 program, $3 source.
constexpr Statement kGet{
    "signing_secret_get",
    "SELECT secret, secret_sealed, previous_secret, previous_secret_sealed, "
    "  " AFFONSO_SQL_MICROS("previous_valid_until") " AS previous_valid_until_us "
    "FROM signing_secrets WHERE team_id = $1 AND program_id = $2 AND source = $3"};

// Only for a program of the team (no row: NOT_FOUND). $4 plaintext, $5 sealed.
constexpr Statement kSet{
    "signing_secret_set",
    "INSERT INTO signing_secrets (team_id, program_id, source, secret, secret_sealed) "
    "SELECT p.team_id, p.id, $3, $4, $5 FROM programs p WHERE p.team_id = $1 AND p.id = $2 "
    "ON CONFLICT (team_id, program_id, source) DO UPDATE SET "
    "  secret = EXCLUDED.secret, secret_sealed = EXCLUDED.secret_sealed, "
    "  previous_secret = NULL, previous_secret_sealed = NULL, previous_valid_until = NULL, "
    "  updated_at = now()"};

// The current secret moves to previous_*: the associated data names the
// slot alone, so a sealed value moves as it is. $6 grace in microseconds.
constexpr Statement kRotate{
    "signing_secret_rotate",
    "UPDATE signing_secrets SET "
    "  previous_secret = secret, previous_secret_sealed = secret_sealed, "
    "  previous_valid_until = now() + $6::bigint * interval '1 microsecond', "
    "  secret = $4, secret_sealed = $5, updated_at = now() "
    "WHERE team_id = $1 AND program_id = $2 AND source = $3"};

constexpr Statement kClear{
    "signing_secret_clear",
    "DELETE FROM signing_secrets WHERE team_id = $1 AND program_id = $2 AND source = $3"};

// Ids are "<prefix>_<base62>" and sources are fixed words: ':' separates.
std::string AssociatedData(absl::string_view team_id, absl::string_view program_id,
                           absl::string_view source) {
  return absl::StrCat("signing_secrets:", team_id, ":", program_id, ":", source);
}

struct Stored {
  std::string plaintext;  // "" when sealed
  std::string sealed;     // "" when plaintext
};

absl::StatusOr<Stored> Store(const SecretKeyring* keyring, const std::string& associated_data,
                             absl::string_view secret) {
  if (secret.empty()) return absl::InvalidArgumentError("signing secret is empty");
  Stored stored;
  if (keyring == nullptr || keyring->empty()) {
    stored.plaintext = std::string(secret);
  } else {
    AFFONSO_ASSIGN_OR_RETURN(stored.sealed, keyring->Seal(secret, associated_data));
  }
  return stored;
}

// "" when both are NULL. A sealed value that does not open is an error: a
// slot is never treated as unsigned because its secret cannot be read.
absl::StatusOr<std::string> Read(const SecretKeyring* keyring, const std::string& associated_data,
                                 const pqxx::field& plaintext, const pqxx::field& sealed) {
  if (!sealed.is_null()) {
    if (keyring == nullptr || keyring->empty()) {
      return absl::FailedPreconditionError(
          "a signing secret is sealed but SECRET_ENCRYPTION_KEYS is not configured");
    }
    return keyring->Open(sealed.as<std::string>(), associated_data);
  }
  return ReadText(plaintext);
}

absl::Status CheckSource(absl::string_view source) {
  if (!IsSigningSecretSource(source)) {
    return ValidationError("source", "must be segment, custom or segment_webhook");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<SigningSecretRecord>> PgSigningSecretStore::Get(
    absl::string_view team_id, absl::string_view program_id, absl::string_view source) {
  const std::string team(team_id), program(program_id), src(source);
  AFFONSO_ASSIGN_OR_RETURN(
      pqxx::result rows,
      pool_->InTransaction("get_signing_secret", [&](Tx& tx) -> absl::StatusOr<pqxx::result> {
        return tx.Exec(kGet, team, program, src);
      }));
  if (rows.empty()) return std::optional<SigningSecretRecord>();
  const pqxx::row& row = rows[0];
  const std::string associated_data = AssociatedData(team, program, src);
  SigningSecretRecord record;
  AFFONSO_ASSIGN_OR_RETURN(record.secret,
                           Read(keyring_, associated_data, row["secret"], row["secret_sealed"]));
  if (!row["previous_valid_until_us"].is_null()) {
    AFFONSO_ASSIGN_OR_RETURN(
        record.previous_secret,
        Read(keyring_, associated_data, row["previous_secret"], row["previous_secret_sealed"]));
    record.previous_valid_until =
        absl::FromUnixMicros(row["previous_valid_until_us"].as<int64_t>());
  }
  return std::optional<SigningSecretRecord>(std::move(record));
}

absl::Status PgSigningSecretStore::Set(absl::string_view team_id, absl::string_view program_id,
                                       absl::string_view source, absl::string_view secret) {
  AFFONSO_RETURN_IF_ERROR(CheckSource(source));
  const std::string team(team_id), program(program_id), src(source);
  AFFONSO_ASSIGN_OR_RETURN(Stored stored,
                           Store(keyring_, AssociatedData(team, program, src), secret));
  return pool_->InTransaction("set_signing_secret", [&](Tx& tx) -> absl::Status {
    if (tx.Exec(kSet, team, program, src, NullIfEmpty(stored.plaintext), NullIfEmpty(stored.sealed))
            .affected_rows() == 0) {
      return NotFoundError("program");
    }
    return absl::OkStatus();
  });
}

absl::Status PgSigningSecretStore::Rotate(absl::string_view team_id, absl::string_view program_id,
                                          absl::string_view source, absl::string_view secret,
                                          absl::Duration grace) {
  AFFONSO_RETURN_IF_ERROR(CheckSource(source));
  const std::string team(team_id), program(program_id), src(source);
  AFFONSO_ASSIGN_OR_RETURN(Stored stored,
                           Store(keyring_, AssociatedData(team, program, src), secret));
  const int64_t grace_us = absl::ToInt64Microseconds(grace);
  return pool_->InTransaction("rotate_signing_secret", [&](Tx& tx) -> absl::Status {
    if (tx.Exec(kRotate, team, program, src, NullIfEmpty(stored.plaintext),
                NullIfEmpty(stored.sealed), grace_us)
            .affected_rows() == 0) {
      return NotFoundError("signing secret");
    }
    return absl::OkStatus();
  });
}

absl::Status PgSigningSecretStore::Clear(absl::string_view team_id, absl::string_view program_id,
                                         absl::string_view source) {
  AFFONSO_RETURN_IF_ERROR(CheckSource(source));
  const std::string team(team_id), program(program_id), src(source);
  return pool_->InTransaction("clear_signing_secret", [&](Tx& tx) -> absl::Status {
    if (tx.Exec(kClear, team, program, src).affected_rows() == 0) {
      return NotFoundError("signing secret");
    }
    return absl::OkStatus();
  });
}

}  // namespace affonso::storage

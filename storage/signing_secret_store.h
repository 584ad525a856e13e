#ifndef AFFONSO_STORAGE_SIGNING_SECRET_STORE_H_
#define AFFONSO_STORAGE_SIGNING_SECRET_STORE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace affonso::storage {

// The request-signing secret sources besides the program's own ("").
inline constexpr absl::string_view kSigningSecretSources[] = {"", "segment", "custom",
                                                              "segment_webhook"};
bool IsSigningSecretSource(absl::string_view source);

// How long `rotate` keeps the replaced secret valid (docs/MONEY.md).
inline constexpr absl::Duration kSigningSecretRotationGrace = absl::Hours(24);

// One (team, program, source) slot's secrets, opened.
struct SigningSecretRecord {
  std::string secret;
  // The secret `rotate` replaced, accepted until previous_valid_until; ""
  // when there is none.
  std::string previous_secret;
  absl::Time previous_valid_until = absl::InfinitePast();
};

// Request-signing secrets (storage/migrations/016_signing_secrets.sql), per
// team, program and source. Every call is scoped by team: another team's
// program is NOT_FOUND.
class SigningSecretStore {
 public:
  virtual ~SigningSecretStore() = default;

  // The slot exactly as stored (no fallback to the program's own): nullopt
  // when it has no secret.
  virtual absl::StatusOr<std::optional<SigningSecretRecord>> Get(absl::string_view team_id,
                                                                 absl::string_view program_id,
                                                                 absl::string_view source) = 0;
  // Sets the slot's secret at once, dropping any previous one (for a leaked
  // secret). NOT_FOUND for a program the team does not have.
  virtual absl::Status Set(absl::string_view team_id, absl::string_view program_id,
                           absl::string_view source, absl::string_view secret) = 0;
  // Replaces the slot's secret; the replaced one stays valid for `grace`
  // (an older previous one is dropped). NOT_FOUND when the slot has none.
  virtual absl::Status Rotate(absl::string_view team_id, absl::string_view program_id,
                              absl::string_view source, absl::string_view secret,
                              absl::Duration grace) = 0;
  // Removes the slot's secrets: its requests are accepted unsigned again
  // (or fall back to the program's own). NOT_FOUND when it has none.
  virtual absl::Status Clear(absl::string_view team_id, absl::string_view program_id,
                             absl::string_view source) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_SIGNING_SECRET_STORE_H_

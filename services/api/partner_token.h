#ifndef AFFONSO_SERVICES_API_PARTNER_TOKEN_H_
#define AFFONSO_SERVICES_API_PARTNER_TOKEN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace affonso::services {

// What a partner token may be used for; one kind is never accepted as the
// other (docs/BEHAVIOUR.md "Partner access").
enum class PartnerTokenPurpose {
  kPortal,  // POST /v1/affiliates/{id}/portal-token; read by POST /v1/portal/me
  kEmbed,   // POST /v1/embed/token; read by POST /v1/embed/me
};

// "portal" / "embed": the purpose column of partner_tokens.
const char* PartnerTokenPurposeName(PartnerTokenPurpose purpose);

// What a token says, all of it covered by its signature.
struct PartnerTokenClaims {
  PartnerTokenPurpose purpose = PartnerTokenPurpose::kPortal;
  std::string team_id;   // the team whose partner_tokens row it names
  std::string token_id;  // that row's id (ptk_...)
  int64_t expires_at_unix = 0;
};

// Signs and verifies partner tokens:
//   <kind>_<team id>.<token id>.<expires, unix s>.<base64url HMAC-SHA256>
// kind "afpt" (portal) or "afet" (embed). The HMAC is keyed with the server's
// secret and covers a version label and everything before the last dot, the
// kind included, so a token of one kind cannot be relabelled as the other.
// Nothing in a token is secret but its signature; it grants only what its
// row allows (revocation is the store's). Thread-safe (immutable).
class PartnerTokenSigner {
 public:
  static constexpr size_t kMinSecretBytes = 32;

  // INVALID_ARGUMENT when `secret` is shorter than kMinSecretBytes.
  static absl::StatusOr<PartnerTokenSigner> Create(std::string secret);
  // A signer with a random secret: tokens die with the process and are not
  // accepted by other replicas (PARTNER_TOKEN_RANDOM_KEY_FOR_DEV, and tests).
  static PartnerTokenSigner WithRandomSecret();

  std::string Sign(const PartnerTokenClaims& claims) const;

  // The claims of `token` when it is well formed, signed with this secret,
  // of `purpose` and not expired at `now`. Otherwise UNAUTHENTICATED with
  // the API code (the 401's reason) MISSING_TOKEN (empty), INVALID_TOKEN
  // (malformed, or any byte changed: the signature does not match),
  // WRONG_TOKEN_PURPOSE (a genuine token of the other kind) or TOKEN_EXPIRED.
  // The messages never quote the token.
  absl::StatusOr<PartnerTokenClaims> Verify(absl::string_view token, PartnerTokenPurpose purpose,
                                            absl::Time now) const;

 private:
  explicit PartnerTokenSigner(std::string secret) : secret_(std::move(secret)) {}
  std::string Mac(absl::string_view signed_part) const;

  std::string secret_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_PARTNER_TOKEN_H_

#ifndef AFFONSO_SERVICES_SIGNING_SIGNING_VERIFIER_H_
#define AFFONSO_SERVICES_SIGNING_SIGNING_VERIFIER_H_

#include <functional>
#include <optional>
#include <string>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/call/request_signing.h"
#include "storage/signing_secret_store.h"

namespace affonso::services {

// How far X-Affonso-Timestamp may be from now, either way.
inline constexpr absl::Duration kSignatureMaxSkew = absl::Seconds(300);
// How long a (team, program, source) lookup is remembered, a slot without a
// secret included, so unsigned traffic to programs without secrets costs no
// query: a secret set, rotated or cleared applies within this TTL.
inline constexpr absl::Duration kSigningSecretCacheTtl = absl::Seconds(10);

// "<timestamp>.<body>" HMAC-SHA256 under `secret`, lower-case hex: what the
// SDK sends as X-Affonso-Signature.
std::string RequestSignature(absl::string_view secret, absl::string_view timestamp,
                             absl::string_view body);

// The RequestVerifier over the stored signing secrets (docs/MONEY.md
// "Request signing"). A source without a secret of its own falls back to the
// program's own; with no secret at all every request may act. Otherwise:
// UNAUTHENTICATED with MISSING_SIGNATURE (a header absent), STALE_SIGNATURE
// (timestamp no integer of unix seconds or more than kSignatureMaxSkew from
// `clock`) or INVALID_SIGNATURE (no valid secret's HMAC matches, compared in
// constant time; computed even for a stale timestamp). Thread-safe.
class SigningVerifier final : public RequestVerifier {
 public:
  // `store` must outlive the verifier.
  explicit SigningVerifier(storage::SigningSecretStore* store,
                           std::function<absl::Time()> clock = absl::Now,
                           absl::Duration cache_ttl = kSigningSecretCacheTtl);

  absl::Status Verify(absl::string_view team_id, absl::string_view program_id,
                      absl::string_view source, const SignedRequest& request) override;

 private:
  using Key = std::tuple<std::string, std::string, std::string>;
  struct Cached {
    std::optional<storage::SigningSecretRecord> record;
    absl::Time fetched_at;
  };

  absl::StatusOr<std::optional<storage::SigningSecretRecord>> Lookup(absl::string_view team_id,
                                                                     absl::string_view program_id,
                                                                     absl::string_view source);

  storage::SigningSecretStore* store_;
  const std::function<absl::Time()> clock_;
  const absl::Duration cache_ttl_;
  absl::Mutex mu_;
  absl::flat_hash_map<Key, Cached> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_SIGNING_SIGNING_VERIFIER_H_

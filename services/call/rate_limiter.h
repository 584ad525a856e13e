#ifndef AFFONSO_SERVICES_CALL_RATE_LIMITER_H_
#define AFFONSO_SERVICES_CALL_RATE_LIMITER_H_

#include "common/wire_metadata.h"
#include "services/call/authenticator.h"
#include "storage/rate_limit_store.h"

namespace affonso::services {

// Admits a call only within its API key's rate limits: the key's own
// overrides, else `defaults`. Decorates the authenticator, so every RPC that
// authenticates is limited, with no change to the services. An allowed
// caller carries the X-RateLimit-* values (common/wire_metadata.h); a refused one is
// RESOURCE_EXHAUSTED / RATE_LIMIT_EXCEEDED with Retry-After besides. When the
// shared state cannot be reached the call fails with that error (UNAVAILABLE):
// it would need the same database anyway.
class RateLimitingAuthenticator final : public Authenticator {
 public:
  RateLimitingAuthenticator(const Authenticator* inner, storage::RateLimitStore* store,
                            storage::RateLimit defaults)
      : inner_(inner), store_(store), defaults_(defaults) {}

  absl::StatusOr<Caller> Authenticate(absl::string_view authorization) const override {
    return AuthenticateFrom(authorization, "");
  }
  absl::StatusOr<Caller> AuthenticateFrom(absl::string_view authorization,
                                          absl::string_view client_address) const override;

 private:
  const Authenticator* inner_;
  storage::RateLimitStore* store_;
  const storage::RateLimit defaults_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_CALL_RATE_LIMITER_H_

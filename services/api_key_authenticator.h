#ifndef AFFONSO_SERVICES_API_KEY_AUTHENTICATOR_H_
#define AFFONSO_SERVICES_API_KEY_AUTHENTICATOR_H_

#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/authenticator.h"
#include "storage/api_key_store.h"

namespace affonso::services {

// Bearer API keys, looked up by SHA-256 (keys are high-entropy, so a fast
// hash is as safe as a slow one) and cached per replica for `ttl`: a revoked
// key stops working on every replica within `ttl`. Unknown keys are not
// cached, so a key created a moment ago works at once.
class ApiKeyAuthenticator final : public Authenticator {
 public:
  struct Options {
    absl::Duration ttl = absl::Seconds(10);
    // Bounds memory under a flood of distinct valid keys; the cache is
    // simply cleared when full.
    size_t max_entries = 10000;
  };

  ApiKeyAuthenticator(storage::ApiKeyStore* store, Options options,
                      std::function<absl::Time()> clock = absl::Now);

  absl::StatusOr<Caller> Authenticate(absl::string_view authorization) const override;

 private:
  struct Entry {
    storage::ApiKeyRecord record;
    absl::Time expires;
  };

  storage::ApiKeyStore* store_;
  const Options options_;
  const std::function<absl::Time()> clock_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);
};

// The key inside "Bearer <key>", or "" when the header is not of that form.
absl::string_view BearerToken(absl::string_view authorization);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_KEY_AUTHENTICATOR_H_

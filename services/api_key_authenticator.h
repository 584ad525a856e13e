#ifndef AFFONSO_SERVICES_API_KEY_AUTHENTICATOR_H_
#define AFFONSO_SERVICES_API_KEY_AUTHENTICATOR_H_

#include <cstdint>
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
// hash is as safe as a slow one) and cached per replica. A change to a key
// (revocation, limits) evicts it as soon as the change feed reports it, and
// no entry is trusted for longer than `ttl` whatever the feed does: a revoked
// key stops working on every replica within `ttl`, normally within
// milliseconds. Unknown keys are not cached, so a key created a moment ago
// works at once.
class ApiKeyAuthenticator final : public Authenticator, public storage::ApiKeyChangeObserver {
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

  // From the change feed, on its thread.
  void OnApiKeyChanged(absl::string_view key_id) override;
  void OnApiKeyChangesMissed() override;

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
  // Bumped by every eviction. A lookup caches its row only if none happened
  // while it read: a row read just before a revocation committed must not
  // land in the cache after that revocation's eviction.
  uint64_t evictions_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_KEY_AUTHENTICATOR_H_

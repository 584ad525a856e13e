#ifndef AFFONSO_SERVICES_CALL_API_KEY_AUTHENTICATOR_H_
#define AFFONSO_SERVICES_CALL_API_KEY_AUTHENTICATOR_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/call/authenticator.h"
#include "storage/api_key_store.h"

namespace affonso::services {

// Bearer API keys, looked up by SHA-256 (keys are high-entropy, so a fast
// hash is as safe as a slow one) and cached per replica; the caller carries
// the key's permissions, which PermissionStage checks. A change to a key
// (revocation, limits, permissions) evicts it as soon as the change feed reports it, and
// no entry is trusted for longer than `ttl` whatever the feed does: a revoked
// key stops working on every replica within `ttl`, normally within
// milliseconds.
//
// Failed attempts are kept cheap, so clients without a valid key cannot take
// the database or the handler threads that authenticated calls need: a
// well-formed unknown key is remembered for `negative_ttl` (a repeat costs no
// query; a key created meanwhile works once that passed); a client address
// with `failures_per_minute` failed attempts is refused (RESOURCE_EXHAUSTED,
// RATE_LIMIT_EXCEEDED) for the rest of that minute unless its key is cached,
// without a query; and at most `max_concurrent_lookups` queries run at once,
// beyond which a call fails UNAVAILABLE at once instead of waiting on a
// thread. All of it per replica and in memory, bounded in size.
class ApiKeyAuthenticator final : public Authenticator, public storage::ApiKeyChangeObserver {
 public:
  struct Options {
    absl::Duration ttl = absl::Seconds(10);
    // Bounds memory under a flood of distinct valid keys; the cache is
    // simply cleared when full.
    size_t max_entries = 10000;
    // Unknown key hashes remembered, and how many at most (cleared when full).
    absl::Duration negative_ttl = absl::Seconds(5);
    size_t max_negative_entries = 10000;
    // Failed attempts per client address per minute before it is refused;
    // 0 turns it off. Addresses tracked at most (IPv6 by /64); beyond them
    // new addresses share one overflow budget.
    int failures_per_minute = 0;
    size_t max_addresses = 10000;
    // Key lookups in flight at once; 0 = no bound.
    int max_concurrent_lookups = 0;
  };

  ApiKeyAuthenticator(storage::ApiKeyStore* store, Options options,
                      std::function<absl::Time()> clock = absl::Now);

  absl::StatusOr<Caller> Authenticate(absl::string_view authorization) const override {
    return AuthenticateFrom(authorization, "");
  }
  // `client_address` "" is never limited (in-process callers).
  absl::StatusOr<Caller> AuthenticateFrom(absl::string_view authorization,
                                          absl::string_view client_address) const override;
  // A cached valid key, a malformed one, a key cached as unknown or revoked
  // and an address over its failure budget are answered from memory; only a
  // lookup is left to AuthenticateFrom.
  std::optional<absl::StatusOr<Caller>> AuthenticateWithoutWaiting(
      absl::string_view authorization, absl::string_view client_address) const override;

  // What this replica can refuse from memory alone, before anything reads
  // the request: a key cached as unknown or revoked (INVALID_API_KEY, counted
  // as a failed attempt) and an address over its failure budget whose key is
  // not cached as valid (RATE_LIMIT_EXCEEDED with retry-after). OK otherwise,
  // and then AuthenticateFrom still decides. Never queries or waits: the REST
  // gateway runs it on an HTTP I/O thread before parsing the body.
  absl::Status RefuseWithoutLookup(absl::string_view authorization,
                                   absl::string_view client_address) const;

  // From the change feed, on its thread.
  void OnApiKeyChanged(absl::string_view key_id) override;
  void OnApiKeyChangesMissed() override;

 private:
  // What a lookup found, made into the caller once: a cached key's calls
  // share its permissions rather than copy them.
  struct Entry {
    Caller caller;
    bool revoked = false;
    absl::Time expires;
  };

  struct Failures {
    absl::Time window_start;
    int count = 0;
  };

  // OK, or the refusal of an address over its budget.
  absl::Status CheckAddress(absl::string_view client_address, absl::Time now) const;
  void CountFailure(absl::string_view client_address, absl::Time now) const;
  // What the cache and the failure budgets decide about the key with SHA-256
  // `hash`; nullopt when only the store can tell.
  std::optional<absl::StatusOr<Caller>> FromMemory(const std::string& hash,
                                                   absl::string_view client_address,
                                                   absl::Time now) const;
  absl::StatusOr<Caller> Lookup(absl::string_view key, absl::string_view client_address,
                                absl::Time now) const;

  storage::ApiKeyStore* store_;
  const Options options_;
  const std::function<absl::Time()> clock_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);
  // Bumped by every eviction. A lookup caches its row only if none happened
  // while it read: a row read just before a revocation committed must not
  // land in the cache after that revocation's eviction.
  uint64_t evictions_ ABSL_GUARDED_BY(mu_) = 0;
  // Hashes the store did not know, until when.
  mutable absl::flat_hash_map<std::string, absl::Time> unknown_ ABSL_GUARDED_BY(mu_);
  mutable absl::flat_hash_map<std::string, Failures> failures_ ABSL_GUARDED_BY(mu_);
  mutable int lookups_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_CALL_API_KEY_AUTHENTICATOR_H_

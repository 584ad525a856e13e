#ifndef AFFONSO_SERVICES_CALL_RATE_LIMITER_H_
#define AFFONSO_SERVICES_CALL_RATE_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "common/wire_metadata.h"
#include "services/call/admission.h"
#include "storage/rate_limit_store.h"

namespace affonso::services {

// A monotonic clock's reading, as time since its own epoch.
absl::Duration SteadyNow();

struct RateLimiterOptions {
  storage::RateLimit defaults;  // a key's limits unless it has its own
  // Dates a refusal's X-RateLimit-Reset.
  std::function<absl::Time()> clock = absl::Now;
  // Times leases and cached refusals: never the wall clock, which can step.
  std::function<absl::Duration()> steady_clock = SteadyNow;
  // Keys with local state, least recently used dropped beyond it.
  size_t max_keys = 10000;
  // A call waits this long for its key's lease round trip, then fails
  // UNAVAILABLE.
  absl::Duration lease_wait = absl::Seconds(10);
  // How often the `affonso-ratelim` thread gives back the unused requests of
  // expired leases; zero starts no thread (tests call ReturnExpiredLeases).
  absl::Duration return_interval = absl::Milliseconds(10);
};

// The admission stage after authentication: admits a call only within its
// API key's rate limits, the key's own overrides, else the defaults. An
// admitted call's response carries the X-RateLimit-* values (common/wire_metadata.h); a refused one
// is RESOURCE_EXHAUSTED / RATE_LIMIT_EXCEEDED with Retry-After besides. When the shared state
// cannot be reached the call fails with that error (UNAVAILABLE): it would need the same database
// anyway.
//
// Leases (storage::RateLimitStore::Lease, migration 020): a round trip takes the waiting call's
// request and, for a key in demand, a few more, which later calls use from memory until the end of
// the 50 ms bucket they are counted in, timed from before the round trip was sent. A lease in the
// second half of its bucket also takes requests of the next bucket (migration 026), used from the
// answer plus the time the database said was left (its bucket has begun by then) until the send
// plus that plus 50 ms; a call that finds them due within 5 ms waits for them rather than leading a
// lease, so a key in demand makes about one round trip per bucket. So a request is always used
// within the database's bucket it is counted in and the replicas together never admit more than
// the limits; unused requests are given back (with the key's next lease, or by the background
// thread), and a crash or a failed round trip loses at most a lease, which only under-admits. Per
// key at most one lease round trip is in flight: the key's other calls wait for it. A refusal is
// kept until its retry_after and answers the key's calls meanwhile from memory. A change of the
// key's limits (the authenticator's Caller) ends its lease at once.
//
// Thread-safe. The mutex is never held across a round trip, so AdmitWithoutWaiting (a local
// request or a cached refusal) may run on threads that must not block.
class RateLimiter final : public AdmissionStage {
 public:
  // Counts decisions in `registry` (affonso_rate_limit_decisions_total) and lease round trips
  // (affonso_rate_limit_leases_total).
  RateLimiter(storage::RateLimitStore* store, RateLimiterOptions options,
              metrics::Registry* registry);
  RateLimiter(storage::RateLimitStore* store, storage::RateLimit defaults,
              metrics::Registry* registry, std::function<absl::Time()> clock = absl::Now);
  // Stops the background thread and gives back every unused request.
  ~RateLimiter() override;

  absl::Status Admit(const AdmissionRequest& request, AdmissionState* state) const override;
  // Decides from memory: a leased request or a cached refusal; nullopt, nothing done, when the
  // call needs a round trip.
  std::optional<absl::Status> AdmitWithoutWaiting(const AdmissionRequest& request,
                                                  AdmissionState* state) const override;

  // Gives back the unused requests of leases that have expired, and of leases ended early;
  // returns how many round trips it made. The background thread calls it.
  int ReturnExpiredLeases() const;
  // Keys with local state, and calls waiting for a round trip (tests).
  size_t keys() const;
  int waiting() const;

 private:
  // Leased requests not used yet, `tokens` of them, usable from `from` until `expires` (steady
  // clock), counted in these buckets.
  struct Held {
    int tokens = 0;
    absl::Duration from;
    absl::Duration expires;
    int64_t minute_bucket = 0;
    int64_t second_bucket = 0;
  };
  struct Entry;
  // Requests to give back, taken out of their entry: no call can use them any more.
  struct Return {
    std::string team_id;
    std::string api_key_id;
    storage::RateLimit limit;
    int n = 0;
    int64_t minute_bucket = 0;
    int64_t second_bucket = 0;
  };

  storage::RateLimit LimitOf(const Caller& caller) const;
  // The key's entry, made most recently used; null when absent and not `create`.
  std::shared_ptr<Entry> Find(const Caller& caller, bool create) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the entry's lease: its unused requests, current and ahead, go to `returns_`.
  void EndLease(Entry& entry) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Its requests go to `returns_`, `held` left empty.
  void GiveUp(Entry& entry, Held& held) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds `leased` to `held` when of the same bucket, else replaces it (what it held given up),
  // unless `leased` is over already at `now`.
  void Hold(Entry& entry, Held& held, Held leased, absl::Duration now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Once the current requests are used or over and the bucket of those
  // leased ahead has begun, they become the current ones; once it has
  // passed, they go back.
  void MoveAhead(Entry& entry, absl::Duration now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A call decided from memory, or nullopt.
  std::optional<absl::Status> DecideLocally(Entry& entry, absl::Duration now,
                                            AdmissionState* state) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Refusal(storage::RateLimit limit, int remaining, absl::Duration retry_after) const;
  void Allowed(storage::RateLimit limit, int remaining, int64_t reset_unix,
               AdmissionState* state) const;
  void GiveBack(const std::vector<Return>& returns) const;
  void RunReturner();

  storage::RateLimitStore* const store_;
  const RateLimiterOptions options_;
  metrics::Counter& allowed_;
  metrics::Counter& limited_;
  metrics::Counter& errors_;  // the shared state could not be reached
  metrics::Counter& leases_granted_;
  metrics::Counter& leases_refused_;
  metrics::Counter& leases_returned_;
  metrics::Counter& leases_errors_;
  metrics::Counter& leases_ahead_;
  metrics::Histogram& lease_seconds_;

  mutable absl::Mutex mu_;
  // Most recently used first; `index_` finds a key's place.
  mutable std::list<std::shared_ptr<Entry>> lru_ ABSL_GUARDED_BY(mu_);
  mutable absl::flat_hash_map<std::string, std::list<std::shared_ptr<Entry>>::iterator> index_
      ABSL_GUARDED_BY(mu_);
  // Entries that were leased requests beyond a call's own: the returner's to check.
  mutable std::vector<std::shared_ptr<Entry>> leased_ ABSL_GUARDED_BY(mu_);
  mutable std::vector<Return> returns_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread returner_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_CALL_RATE_LIMITER_H_

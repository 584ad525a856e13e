#ifndef AFFONSO_STORAGE_RATE_LIMIT_STORE_H_
#define AFFONSO_STORAGE_RATE_LIMIT_STORE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace affonso::storage {

// Requests a key may make: `per_minute` sustained, at most `per_second` of
// them within any one second.
struct RateLimit {
  int per_minute = 0;
  int per_second = 0;
};

struct RateLimitDecision {
  bool allowed = false;
  // Requests that would pass right now, after this one.
  int remaining = 0;
  // When the per-minute allowance is whole again (unix seconds).
  int64_t reset_unix = 0;
  // When refused: how long until the same request would pass.
  absl::Duration retry_after;
};

// A lease: requests a replica takes at once and admits calls against from
// memory, until the end of the 50 ms bucket they are counted in (migration
// 020), and late in a bucket requests of the next one besides (migration
// 026). With it, the unused requests of the replica's previous lease of the
// key go back.
struct RateLimitLeaseRequest {
  RateLimit limit;
  int need = 0;   // 0 or 1: a call waiting now, granted first
  int extra = 0;  // speculative requests wanted besides
  int ahead = 0;  // requests wanted for the next bucket
  // Unused requests of the previous lease, and the buckets it came from
  // (RateLimitLease's minute_bucket and second_bucket).
  int return_n = 0;
  int64_t return_minute_bucket = 0;
  int64_t return_second_bucket = 0;
};

struct RateLimitLease {
  int granted = 0;  // the need first, then extra
  // Requests of the next bucket, counted in second bucket second_bucket + 1
  // and minute bucket minute_bucket: usable from bucket_left after the
  // answer came until bucket_left + 50 ms after the request was sent.
  int ahead_granted = 0;
  // Requests that would pass right now, after the granted ones.
  int remaining = 0;
  int64_t reset_unix = 0;  // as RateLimitDecision's
  // When the need was refused: how long until it would pass.
  absl::Duration retry_after;
  // The buckets the granted requests are counted in, to give them back.
  int64_t minute_bucket = 0;
  int64_t second_bucket = 0;
  // Time left in the 50 ms bucket when the store read its clock: the granted
  // requests beyond the need may be used only that long after the request
  // was sent.
  absl::Duration bucket_left;
};

// Shared rate-limit state: every replica takes from the same buckets.
class RateLimitStore {
 public:
  virtual ~RateLimitStore() = default;
  // Takes one request from the buckets of `team_id`'s key `api_key_id` when
  // both limits allow it.
  virtual absl::StatusOr<RateLimitDecision> Take(absl::string_view team_id,
                                                 absl::string_view api_key_id, RateLimit limit) = 0;
  // Gives back `request.return_n`, then grants the need and extra requests
  // the limits leave room for, atomically. By default (stores without
  // leases, fakes) a Take for the need, nothing extra, and the requests to
  // give back are dropped (which can only under-admit); nothing ahead.
  virtual absl::StatusOr<RateLimitLease> Lease(absl::string_view team_id,
                                               absl::string_view api_key_id,
                                               const RateLimitLeaseRequest& request) {
    RateLimitLease lease;
    if (request.need == 0) return lease;
    absl::StatusOr<RateLimitDecision> taken = Take(team_id, api_key_id, request.limit);
    if (!taken.ok()) return taken.status();
    lease.granted = taken->allowed ? 1 : 0;
    lease.remaining = taken->remaining;
    lease.reset_unix = taken->reset_unix;
    lease.retry_after = taken->retry_after;
    return lease;
  }
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_RATE_LIMIT_STORE_H_

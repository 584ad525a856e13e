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

// Shared rate-limit state: every replica takes from the same buckets.
class RateLimitStore {
 public:
  virtual ~RateLimitStore() = default;
  // Takes one request from the buckets of `team_id`'s key `api_key_id` when
  // both limits allow it.
  virtual absl::StatusOr<RateLimitDecision> Take(absl::string_view team_id,
                                                 absl::string_view api_key_id, RateLimit limit) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_RATE_LIMIT_STORE_H_

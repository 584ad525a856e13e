#ifndef AFFONSO_SERVICES_CALL_PUBLIC_RATE_LIMITER_H_
#define AFFONSO_SERVICES_CALL_PUBLIC_RATE_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "services/call/admission.h"

namespace affonso::services {

// Rate limits of the public (unauthenticated) endpoints, POST /v1/track and
// the pixel's signup, which have no API key to count by: token buckets per
// key (a client address, a program id) in this replica's memory. Unlike
// RateLimiter (per API key, shared by every replica through the database),
// a decision is a few hundred nanoseconds under a shard's lock and never
// waits, so a flood of anonymous calls costs no database work; the price is
// that each replica counts alone (N replicas behind a balancer that spreads
// one client admit up to N times the limit).
//
// Each key has a bucket of `per_minute` tokens refilled at per_minute / 60
// a second (the sustained rate; a full bucket is the burst), and, when
// `per_second` > 0, a second bucket of `per_second` tokens refilled at
// per_second a second that caps how fast the first is spent. A call takes
// one token from each or is refused. A key never seen (or forgotten) starts
// full.
//
// Memory is bounded: at most `max_keys` keys are tracked (split over the
// shards); a new key in a full shard evicts the shard's stalest one, whose
// bucket starts full if it comes back. Thread-safe.
class PublicRateLimiter {
 public:
  struct Options {
    int per_minute = 0;  // 0: the limiter admits everything, tracking nothing
    int per_second = 0;  // 0: no burst bucket
    size_t max_keys = 100000;
    int shards = 16;
    // Says what is counted in refusals ("this address", "this program").
    std::string what = "this client";
    // Counts decisions (affonso_public_rate_limit_decisions_total) under
    // the label limit=`name`; null: not counted.
    metrics::Registry* registry = nullptr;
    std::string name = "ip";
    std::function<absl::Time()> clock = absl::Now;
  };

  explicit PublicRateLimiter(Options options);

  bool enabled() const { return options_.per_minute > 0; }

  // Takes a token for `key`: OK with X-RateLimit-Limit / Remaining / Reset
  // (per minute; Reset in unix seconds, when the bucket is full again)
  // appended to `headers` (may be null), or RESOURCE_EXHAUSTED with
  // RATE_LIMIT_EXCEEDED carrying the same and Retry-After (whole seconds,
  // at least 1; Reset is then when the retry would pass) as response
  // metadata. Always OK, adding nothing, when disabled.
  absl::Status Take(absl::string_view key, ResponseHeaders* headers);

  // Keys tracked now (tests).
  size_t tracked_keys() const;

 private:
  struct Bucket {
    std::string key;
    double minute_tokens = 0;
    double second_tokens = 0;
    absl::Time updated;
  };
  struct Shard {
    mutable absl::Mutex mu;
    // Most recently used first; the map points into it (list nodes never move).
    std::list<Bucket> buckets ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<absl::string_view, std::list<Bucket>::iterator> index ABSL_GUARDED_BY(mu);
  };

  const Options options_;
  const size_t keys_per_shard_;
  std::vector<std::unique_ptr<Shard>> shards_;
  metrics::Counter* allowed_ = nullptr;
  metrics::Counter* limited_ = nullptr;
};

// The admission stage of the public endpoints' runner: the client address
// (AdmissionRequest::client_address, "" when unknown: those share one
// bucket), keyed by ClientBudgetKey (common/ip_address.h), through `limiter`. Decides from
// memory, so it never waits.
class ClientAddressRateLimitStage final : public AdmissionStage {
 public:
  explicit ClientAddressRateLimitStage(PublicRateLimiter* limiter) : limiter_(limiter) {}

  absl::Status Admit(const AdmissionRequest& request, AdmissionState* state) const override;
  std::optional<absl::Status> AdmitWithoutWaiting(const AdmissionRequest& request,
                                                  AdmissionState* state) const override;

 private:
  PublicRateLimiter* limiter_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_CALL_PUBLIC_RATE_LIMITER_H_

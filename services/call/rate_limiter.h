#ifndef AFFONSO_SERVICES_CALL_RATE_LIMITER_H_
#define AFFONSO_SERVICES_CALL_RATE_LIMITER_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "common/wire_metadata.h"
#include "services/call/admission.h"
#include "storage/rate_limit_store.h"

namespace affonso::services {

// The admission stage after authentication: admits a call only within its
// API key's rate limits, the key's own overrides, else `defaults`. An
// admitted call's response carries the X-RateLimit-* values (common/wire_metadata.h); a refused one
// is RESOURCE_EXHAUSTED / RATE_LIMIT_EXCEEDED with Retry-After besides. When the shared state
// cannot be reached the call fails with that error (UNAVAILABLE): it would need the same database
// anyway. Every decision is a round trip to the shared state, so it never decides without waiting.
class RateLimiter final : public AdmissionStage {
 public:
  // Counts decisions in `registry` (affonso_rate_limit_decisions_total).
  // `clock` dates a refusal's X-RateLimit-Reset.
  RateLimiter(storage::RateLimitStore* store, storage::RateLimit defaults,
              metrics::Registry* registry, std::function<absl::Time()> clock = absl::Now);

  absl::Status Admit(const AdmissionRequest& request, AdmissionState* state) const override;

 private:
  storage::RateLimitStore* store_;
  const storage::RateLimit defaults_;
  const std::function<absl::Time()> clock_;
  metrics::Counter& allowed_;
  metrics::Counter& limited_;
  metrics::Counter& errors_;  // the shared state could not be reached
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_CALL_RATE_LIMITER_H_

#include "services/call/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"

namespace affonso::services {
namespace {

metrics::CounterFamily& Decisions(metrics::Registry* registry) {
  return registry->AddCounter("affonso_rate_limit_decisions_total",
                              "Rate-limit decisions on authenticated calls, by result.",
                              {"result"});
}

}  // namespace

RateLimiter::RateLimiter(storage::RateLimitStore* store, storage::RateLimit defaults,
                         metrics::Registry* registry, std::function<absl::Time()> clock)
    : store_(store),
      defaults_(defaults),
      clock_(std::move(clock)),
      allowed_(Decisions(registry).WithLabels({"allowed"})),
      limited_(Decisions(registry).WithLabels({"limited"})),
      errors_(Decisions(registry).WithLabels({"error"})) {}

absl::Status RateLimiter::Admit(const AdmissionRequest& request, AdmissionState* state) const {
  const Caller& caller = state->caller;
  storage::RateLimit limit = defaults_;
  if (caller.rate_limit_per_minute > 0) limit.per_minute = caller.rate_limit_per_minute;
  if (caller.rate_limit_per_second > 0) limit.per_second = caller.rate_limit_per_second;
  absl::StatusOr<storage::RateLimitDecision> decision =
      store_->Take(caller.team_id, caller.api_key_id, limit);
  if (!decision.ok()) {
    errors_.Increment();
    return decision.status();
  }
  (decision->allowed ? allowed_ : limited_).Increment();

  const std::string limit_value = std::to_string(limit.per_minute);
  const std::string remaining = std::to_string(decision->remaining);
  if (decision->allowed) {
    state->headers.emplace_back(kRateLimitLimitKey, limit_value);
    state->headers.emplace_back(kRateLimitRemainingKey, remaining);
    state->headers.emplace_back(kRateLimitResetKey, std::to_string(decision->reset_unix));
    return absl::OkStatus();
  }
  // Whole seconds, as Retry-After counts them; never 0, which reads as "now".
  const int64_t retry_seconds =
      std::max<int64_t>(1, std::ceil(absl::ToDoubleSeconds(decision->retry_after)));
  // On a refusal the reset is when the same request would pass: the SDK
  // sleeps until X-RateLimit-Reset before its retry (when that is under a
  // minute away), so the minute allowance's full refill would make it wait
  // up to a minute for a burst that clears in a second.
  const std::string reset = std::to_string(absl::ToInt64Seconds(
      absl::Ceil(clock_() - absl::UnixEpoch() + decision->retry_after, absl::Seconds(1))));
  absl::Status refused =
      WithApiCode(absl::ResourceExhaustedError(absl::StrCat(
                      "rate limit exceeded: ", limit.per_minute, " requests per minute, at most ",
                      limit.per_second, " per second; retry after ", retry_seconds, " s")),
                  api_code::kRateLimit);
  refused = WithResponseMetadata(refused, kRateLimitLimitKey, limit_value);
  refused = WithResponseMetadata(refused, kRateLimitRemainingKey, remaining);
  refused = WithResponseMetadata(refused, kRateLimitResetKey, reset);
  return WithResponseMetadata(refused, kRetryAfterKey, std::to_string(retry_seconds));
}

}  // namespace affonso::services

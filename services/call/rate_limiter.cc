#include "services/call/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/metrics.h"

namespace affonso::services {
namespace {

// allowed | limited | error (the shared state could not be reached).
metrics::Counter& Decisions(const char* result) {
  static metrics::CounterFamily& decisions = metrics::DefaultRegistry().AddCounter(
      "affonso_rate_limit_decisions_total",
      "Rate-limit decisions on authenticated calls, by result.", {"result"});
  return decisions.WithLabels({result});
}

}  // namespace

absl::StatusOr<Caller> RateLimitingAuthenticator::AuthenticateFrom(
    absl::string_view authorization, absl::string_view client_address) const {
  absl::StatusOr<Caller> caller = inner_->AuthenticateFrom(authorization, client_address);
  if (!caller.ok()) return caller;
  storage::RateLimit limit = defaults_;
  if (caller->rate_limit_per_minute > 0) limit.per_minute = caller->rate_limit_per_minute;
  if (caller->rate_limit_per_second > 0) limit.per_second = caller->rate_limit_per_second;
  absl::StatusOr<storage::RateLimitDecision> decision =
      store_->Take(caller->team_id, caller->api_key_id, limit);
  if (!decision.ok()) {
    Decisions("error").Increment();
    return decision.status();
  }
  Decisions(decision->allowed ? "allowed" : "limited").Increment();

  const std::string limit_value = std::to_string(limit.per_minute);
  const std::string remaining = std::to_string(decision->remaining);
  const std::string reset = std::to_string(decision->reset_unix);
  if (decision->allowed) {
    caller->response_metadata.emplace_back(kRateLimitLimitKey, limit_value);
    caller->response_metadata.emplace_back(kRateLimitRemainingKey, remaining);
    caller->response_metadata.emplace_back(kRateLimitResetKey, reset);
    return caller;
  }
  // Whole seconds, as Retry-After counts them; never 0, which reads as "now".
  const int64_t retry_seconds =
      std::max<int64_t>(1, std::ceil(absl::ToDoubleSeconds(decision->retry_after)));
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

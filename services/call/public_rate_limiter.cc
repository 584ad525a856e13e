#include "services/call/public_rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/ip_address.h"
#include "common/wire_metadata.h"

namespace affonso::services {
namespace {

metrics::CounterFamily& Decisions(metrics::Registry* registry) {
  return registry->AddCounter(
      "affonso_public_rate_limit_decisions_total",
      "Rate-limit decisions on the public (unauthenticated) endpoints, by limit and result.",
      {"limit", "result"});
}

// Unix seconds of `time`, rounded up: a reset is never earlier than true.
int64_t CeilUnixSeconds(absl::Time time) {
  return absl::ToInt64Seconds(absl::Ceil(time - absl::UnixEpoch(), absl::Seconds(1)));
}

}  // namespace

PublicRateLimiter::PublicRateLimiter(Options options)
    : options_(std::move(options)),
      keys_per_shard_(std::max<size_t>(1, options_.max_keys / std::max(1, options_.shards))) {
  const int shards = std::max(1, options_.shards);
  shards_.reserve(shards);
  for (int i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
  if (options_.registry != nullptr) {
    metrics::CounterFamily& decisions = Decisions(options_.registry);
    allowed_ = &decisions.WithLabels({options_.name, "allowed"});
    limited_ = &decisions.WithLabels({options_.name, "limited"});
  }
}

size_t PublicRateLimiter::tracked_keys() const {
  size_t keys = 0;
  for (const auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    keys += shard->buckets.size();
  }
  return keys;
}

absl::Status PublicRateLimiter::Take(absl::string_view key, ResponseHeaders* headers) {
  if (!enabled()) return absl::OkStatus();
  const double per_minute = options_.per_minute;
  const double per_second = std::max(0, options_.per_second);
  const double minute_rate = per_minute / 60;  // tokens a second
  const absl::Time now = options_.clock();

  bool allowed = false;
  double minute_tokens = 0;  // after the take
  double wait_seconds = 0;   // until a refused call would pass
  Shard& shard = *shards_[absl::Hash<absl::string_view>()(key) % shards_.size()];
  {
    absl::MutexLock lock(&shard.mu);
    std::list<Bucket>& buckets = shard.buckets;
    auto found = shard.index.find(key);
    if (found != shard.index.end()) {
      buckets.splice(buckets.begin(), buckets, found->second);
    } else {
      if (buckets.size() >= keys_per_shard_) {
        // Full: the stalest key's node is reused for the new one.
        shard.index.erase(buckets.back().key);
        buckets.splice(buckets.begin(), buckets, std::prev(buckets.end()));
      } else {
        buckets.emplace_front();
      }
      Bucket& fresh = buckets.front();
      fresh.key = std::string(key);
      fresh.minute_tokens = per_minute;
      fresh.second_tokens = per_second;
      fresh.updated = now;
      shard.index.emplace(fresh.key, buckets.begin());
    }
    Bucket& bucket = buckets.front();
    // A clock that steps back refills nothing.
    const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - bucket.updated));
    bucket.updated = std::max(bucket.updated, now);
    bucket.minute_tokens = std::min(per_minute, bucket.minute_tokens + elapsed * minute_rate);
    bucket.second_tokens = std::min(per_second, bucket.second_tokens + elapsed * per_second);
    allowed = bucket.minute_tokens >= 1 && (per_second == 0 || bucket.second_tokens >= 1);
    if (allowed) {
      bucket.minute_tokens -= 1;
      if (per_second > 0) bucket.second_tokens -= 1;
    } else {
      if (bucket.minute_tokens < 1) {
        wait_seconds = std::max(wait_seconds, (1 - bucket.minute_tokens) / minute_rate);
      }
      if (per_second > 0 && bucket.second_tokens < 1) {
        wait_seconds = std::max(wait_seconds, (1 - bucket.second_tokens) / per_second);
      }
    }
    minute_tokens = bucket.minute_tokens;
  }

  const std::string limit = std::to_string(options_.per_minute);
  const std::string remaining = std::to_string(static_cast<int64_t>(std::floor(minute_tokens)));
  if (allowed) {
    if (allowed_ != nullptr) allowed_->Increment();
    if (headers != nullptr) {
      const double full_in = (per_minute - minute_tokens) / minute_rate;
      headers->emplace_back(kRateLimitLimitKey, limit);
      headers->emplace_back(kRateLimitRemainingKey, remaining);
      headers->emplace_back(kRateLimitResetKey,
                            std::to_string(CeilUnixSeconds(now + absl::Seconds(full_in))));
    }
    return absl::OkStatus();
  }
  if (limited_ != nullptr) limited_->Increment();
  // Whole seconds, as Retry-After counts them; never 0, which reads as "now".
  const int64_t retry_seconds = std::max<int64_t>(1, std::ceil(wait_seconds));
  absl::Status refused = WithApiCode(
      absl::ResourceExhaustedError(absl::StrCat(
          "rate limit exceeded: ", options_.per_minute, " requests per minute from ", options_.what,
          options_.per_second > 0 ? absl::StrCat(", at most ", options_.per_second, " per second")
                                  : "",
          "; retry after ", retry_seconds, " s")),
      api_code::kRateLimit);
  refused = WithResponseMetadata(refused, kRateLimitLimitKey, limit);
  refused = WithResponseMetadata(refused, kRateLimitRemainingKey, remaining);
  refused =
      WithResponseMetadata(refused, kRateLimitResetKey,
                           std::to_string(CeilUnixSeconds(now + absl::Seconds(wait_seconds))));
  return WithResponseMetadata(refused, kRetryAfterKey, std::to_string(retry_seconds));
}

absl::Status ClientAddressRateLimitStage::Admit(const AdmissionRequest& request,
                                                AdmissionState* state) const {
  return limiter_->Take(ClientBudgetKey(request.client_address), &state->headers);
}

std::optional<absl::Status> ClientAddressRateLimitStage::AdmitWithoutWaiting(
    const AdmissionRequest& request, AdmissionState* state) const {
  return Admit(request, state);
}

}  // namespace affonso::services

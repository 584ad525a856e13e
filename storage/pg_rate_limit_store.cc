#include "storage/pg_rate_limit_store.h"

#include <string>

#include "common/api_error.h"

namespace affonso::storage {
namespace {

constexpr Statement kTake{
    "rate_limit_take",
    "SELECT allowed, remaining, reset_unix, retry_after_ms FROM rate_limit_take($1, $2, $3)"};

}  // namespace

absl::StatusOr<RateLimitDecision> PgRateLimitStore::Take(absl::string_view api_key_id,
                                                         RateLimit limit) {
  if (limit.per_minute <= 0 || limit.per_second <= 0) {
    return ValidationError("rate_limit", "limits must be positive");
  }
  const std::string key(api_key_id);
  return pool_->Autocommit("rate_limit_take", [&](Tx& tx) -> absl::StatusOr<RateLimitDecision> {
    pqxx::result rows = tx.Exec(kTake, key, limit.per_minute, limit.per_second);
    RateLimitDecision decision;
    decision.allowed = rows[0][0].as<bool>();
    decision.remaining = rows[0][1].as<int>();
    decision.reset_unix = rows[0][2].as<int64_t>();
    decision.retry_after = absl::Milliseconds(rows[0][3].as<int64_t>());
    return decision;
  });
}

}  // namespace affonso::storage

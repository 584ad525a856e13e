#include "storage/pg_rate_limit_store.h"

#include <string>

#include "common/api_error.h"

namespace affonso::storage {
namespace {

// $1 team, $2 api key, $3 per minute, $4 per second; kTakeAt adds $5, the
// time in Unix seconds.
constexpr Statement kTake{
    "rate_limit_take",
    "SELECT allowed, remaining, reset_unix, retry_after_ms FROM rate_limit_take($1, $2, $3, $4)"};
constexpr Statement kTakeAt{"rate_limit_take_at",
                            "SELECT allowed, remaining, reset_unix, retry_after_ms "
                            "FROM rate_limit_take_at($1, $2, $3, $4, $5)"};

RateLimitDecision DecisionFrom(const pqxx::row& row) {
  RateLimitDecision decision;
  decision.allowed = row["allowed"].as<bool>();
  decision.remaining = row["remaining"].as<int>();
  decision.reset_unix = row["reset_unix"].as<int64_t>();
  decision.retry_after = absl::Milliseconds(row["retry_after_ms"].as<int64_t>());
  return decision;
}

}  // namespace

absl::StatusOr<RateLimitDecision> PgRateLimitStore::Take(absl::string_view team_id,
                                                         absl::string_view api_key_id,
                                                         RateLimit limit) {
  if (limit.per_minute <= 0 || limit.per_second <= 0) {
    return ValidationError("rate_limit", "limits must be positive");
  }
  const std::string key(api_key_id);
  return pool_->Autocommit("rate_limit_take", [&](Tx& tx) -> absl::StatusOr<RateLimitDecision> {
    pqxx::result rows =
        tx.Exec(kTake, std::string(team_id), key, limit.per_minute, limit.per_second);
    return DecisionFrom(rows[0]);
  });
}

absl::StatusOr<RateLimitDecision> PgRateLimitStore::TakeAt(absl::string_view team_id,
                                                           absl::string_view api_key_id,
                                                           RateLimit limit, absl::Time now) {
  if (limit.per_minute <= 0 || limit.per_second <= 0) {
    return ValidationError("rate_limit", "limits must be positive");
  }
  const std::string key(api_key_id);
  const double unix_seconds = absl::ToDoubleSeconds(now - absl::UnixEpoch());
  return pool_->Autocommit("rate_limit_take", [&](Tx& tx) -> absl::StatusOr<RateLimitDecision> {
    pqxx::result rows = tx.Exec(kTakeAt, std::string(team_id), key, limit.per_minute,
                                limit.per_second, unix_seconds);
    return DecisionFrom(rows[0]);
  });
}

}  // namespace affonso::storage

#include "storage/pg_rate_limit_store.h"

#include <string>

#include "common/api_error.h"
#include "common/status_macros.h"

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

// $1 team, $2 api key, $3 per minute, $4 per second, $5 need, $6 extra,
// $7 ahead, $8 return_n, $9 its minute bucket, $10 its second bucket;
// kLeaseAt adds $11, the time in Unix seconds.
constexpr Statement kLease{
    "rate_limit_lease",
    "SELECT granted, ahead_granted, remaining, reset_unix, retry_after_ms, minute_bucket, "
    "second_bucket, bucket_left_us "
    "FROM rate_limit_lease_ahead($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)"};
constexpr Statement kLeaseAt{
    "rate_limit_lease_at",
    "SELECT granted, ahead_granted, remaining, reset_unix, retry_after_ms, minute_bucket, "
    "second_bucket, bucket_left_us "
    "FROM rate_limit_lease_ahead($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"};

RateLimitLease LeaseFrom(const pqxx::row& row) {
  RateLimitLease lease;
  lease.granted = row["granted"].as<int>();
  lease.ahead_granted = row["ahead_granted"].as<int>();
  lease.remaining = row["remaining"].as<int>();
  lease.reset_unix = row["reset_unix"].as<int64_t>();
  lease.retry_after = absl::Milliseconds(row["retry_after_ms"].as<int64_t>());
  lease.minute_bucket = row["minute_bucket"].as<int64_t>();
  lease.second_bucket = row["second_bucket"].as<int64_t>();
  lease.bucket_left = absl::Microseconds(row["bucket_left_us"].as<int64_t>());
  return lease;
}

absl::Status CheckLeaseRequest(const RateLimitLeaseRequest& request) {
  if (request.limit.per_minute <= 0 || request.limit.per_second <= 0) {
    return ValidationError("rate_limit", "limits must be positive");
  }
  if (request.need < 0 || request.need > 1 || request.extra < 0 || request.ahead < 0 ||
      request.return_n < 0) {
    return ValidationError("rate_limit",
                           "need must be 0 or 1, extra, ahead and return_n not negative");
  }
  return absl::OkStatus();
}

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

absl::StatusOr<RateLimitLease> PgRateLimitStore::Lease(absl::string_view team_id,
                                                       absl::string_view api_key_id,
                                                       const RateLimitLeaseRequest& request) {
  AFFONSO_RETURN_IF_ERROR(CheckLeaseRequest(request));
  const std::string team(team_id);
  const std::string key(api_key_id);
  return pool_->Autocommit("rate_limit_lease", [&](Tx& tx) -> absl::StatusOr<RateLimitLease> {
    pqxx::result rows =
        tx.Exec(kLease, team, key, request.limit.per_minute, request.limit.per_second, request.need,
                request.extra, request.ahead, request.return_n, request.return_minute_bucket,
                request.return_second_bucket);
    return LeaseFrom(rows[0]);
  });
}

absl::StatusOr<RateLimitLease> PgRateLimitStore::LeaseAt(absl::string_view team_id,
                                                         absl::string_view api_key_id,
                                                         const RateLimitLeaseRequest& request,
                                                         absl::Time now) {
  AFFONSO_RETURN_IF_ERROR(CheckLeaseRequest(request));
  const std::string team(team_id);
  const std::string key(api_key_id);
  const double unix_seconds = absl::ToDoubleSeconds(now - absl::UnixEpoch());
  return pool_->Autocommit("rate_limit_lease", [&](Tx& tx) -> absl::StatusOr<RateLimitLease> {
    pqxx::result rows =
        tx.Exec(kLeaseAt, team, key, request.limit.per_minute, request.limit.per_second,
                request.need, request.extra, request.ahead, request.return_n,
                request.return_minute_bucket, request.return_second_bucket, unix_seconds);
    return LeaseFrom(rows[0]);
  });
}

}  // namespace affonso::storage

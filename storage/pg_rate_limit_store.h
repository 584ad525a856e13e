#ifndef AFFONSO_STORAGE_PG_RATE_LIMIT_STORE_H_
#define AFFONSO_STORAGE_PG_RATE_LIMIT_STORE_H_

#include "storage/pool.h"
#include "storage/rate_limit_store.h"

namespace affonso::storage {

// Sliding windows in PostgreSQL (migration 008's rate_limit_take, 020's
// rate_limit_lease): one autocommit round trip per take or lease, serialised
// per key by a row lock, on an
// UNLOGGED table so the commit waits for no WAL flush. PostgreSQL because it is the
// store every replica already shares: no second system to run, and the
// database clock is the one clock all replicas agree on.
class PgRateLimitStore final : public RateLimitStore {
 public:
  explicit PgRateLimitStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<RateLimitDecision> Take(absl::string_view team_id, absl::string_view api_key_id,
                                         RateLimit limit) override;
  // The same at a given time instead of the database clock's (tests).
  absl::StatusOr<RateLimitDecision> TakeAt(absl::string_view team_id, absl::string_view api_key_id,
                                           RateLimit limit, absl::Time now);
  // migration 020's rate_limit_lease: one autocommit round trip per lease.
  absl::StatusOr<RateLimitLease> Lease(absl::string_view team_id, absl::string_view api_key_id,
                                       const RateLimitLeaseRequest& request) override;
  // The same at a given time instead of the database clock's (tests).
  absl::StatusOr<RateLimitLease> LeaseAt(absl::string_view team_id, absl::string_view api_key_id,
                                         const RateLimitLeaseRequest& request, absl::Time now);

 private:
  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_RATE_LIMIT_STORE_H_

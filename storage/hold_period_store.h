#ifndef AFFONSO_STORAGE_HOLD_PERIOD_STORE_H_
#define AFFONSO_STORAGE_HOLD_PERIOD_STORE_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace affonso::storage {

// The hold-period scheduler's database side, across every team.
class HoldPeriodStore {
 public:
  virtual ~HoldPeriodStore() = default;

  // Moves up to `limit` `pending` commissions whose hold period has ended by
  // `as_of` (created_at + hold_period_days x 24 h <= as_of; nullopt = the
  // database's clock, the one every replica shares) to ready_for_payment,
  // each with transaction.updated and transaction.approved, in one
  // transaction. Rows another replica holds are skipped (it is moving them),
  // so however many replicas run, each commission is approved once.
  // Returns how many moved; fewer than `limit` means none is left due.
  // UNAVAILABLE / DEADLINE_EXCEEDED when the database is; safe to call again.
  virtual absl::StatusOr<int> ApproveDue(std::optional<absl::Time> as_of, int limit) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_HOLD_PERIOD_STORE_H_

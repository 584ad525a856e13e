#include "storage/pg_hold_period_store.h"

#include <string>
#include <vector>

#include "storage/commission_status_moves.h"
#include "storage/pg_values.h"

namespace affonso::storage {
namespace {

// The due commissions, oldest due first, locked; rows another replica has
// locked are skipped (it is approving them). Served by migration 017's
// commissions_hold_due. $1 as-of in epoch micros (NULL: now()), $2 limit.
constexpr Statement kLockDue{
    "hold_period_lock_due",
    "SELECT c.team_id, c.id FROM commissions c "
    "WHERE c.status = 'pending' "
    "  AND commission_hold_ends_at(c.created_at, c.hold_period_days) <= "
    "    COALESCE(" AFFONSO_SQL_FROM_MICROS("$1") ", now()) "
    "ORDER BY commission_hold_ends_at(c.created_at, c.hold_period_days), c.id "
    "LIMIT $2::int FOR UPDATE SKIP LOCKED"};

}  // namespace

absl::StatusOr<int> PgHoldPeriodStore::ApproveDue(std::optional<absl::Time> as_of, int limit) {
  const std::string as_of_us =
      as_of.has_value() ? std::to_string(absl::ToUnixMicros(*as_of)) : std::string();
  return pool_->InTransaction("approve_due_commissions", [&](Tx& tx) -> absl::StatusOr<int> {
    std::vector<CommissionRef> due;
    for (const pqxx::row& row : tx.Exec(kLockDue, NullIfEmpty(as_of_us), limit)) {
      due.push_back({ReadText(row["team_id"]), ReadText(row["id"])});
    }
    // Locked, so each is still pending and moves.
    return static_cast<int>(
        MoveCommissionStatus(tx, due, "pending", "ready_for_payment", "transaction.approved")
            .size());
  });
}

}  // namespace affonso::storage

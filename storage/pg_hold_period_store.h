#ifndef AFFONSO_STORAGE_PG_HOLD_PERIOD_STORE_H_
#define AFFONSO_STORAGE_PG_HOLD_PERIOD_STORE_H_

#include "storage/hold_period_store.h"
#include "storage/pool.h"

namespace affonso::storage {

class PgHoldPeriodStore final : public HoldPeriodStore {
 public:
  explicit PgHoldPeriodStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<int> ApproveDue(std::optional<absl::Time> as_of, int limit) override;

 private:
  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_HOLD_PERIOD_STORE_H_

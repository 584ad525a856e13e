#ifndef AFFONSO_STORAGE_PG_COMMISSION_STORE_H_
#define AFFONSO_STORAGE_PG_COMMISSION_STORE_H_

#include "storage/commission_store.h"
#include "storage/pool.h"

namespace affonso::storage {

class PgCommissionStore final : public CommissionStore {
 public:
  explicit PgCommissionStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<CommissionPage> ListCommissions(absl::string_view team_id,
                                                 const CommissionListQuery& query) override;
  absl::StatusOr<affonso::v1::Commission> GetCommission(absl::string_view team_id,
                                                        absl::string_view id) override;

 private:
  ConnectionPool* pool_;
};

// The strings stored in commissions.status; nullptr for UNSPECIFIED.
const char* CommissionStatusToDb(affonso::v1::CommissionStatus status);
// UNSPECIFIED for a string this build does not know.
affonso::v1::CommissionStatus CommissionStatusFromDb(absl::string_view text);

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_COMMISSION_STORE_H_

#ifndef AFFONSO_STORAGE_PG_COMMISSION_STORE_H_
#define AFFONSO_STORAGE_PG_COMMISSION_STORE_H_

#include "storage/commission_names.h"
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
  absl::StatusOr<CreatedCommission> CreateCommission(absl::string_view team_id,
                                                     const CommissionInput& input) override;
  absl::StatusOr<affonso::v1::Commission> UpdateCommission(absl::string_view team_id,
                                                           const CommissionChange& change) override;
  absl::Status DeleteCommission(absl::string_view team_id, absl::string_view id) override;

 private:
  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_COMMISSION_STORE_H_

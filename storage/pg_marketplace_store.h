#ifndef AFFONSO_STORAGE_PG_MARKETPLACE_STORE_H_
#define AFFONSO_STORAGE_PG_MARKETPLACE_STORE_H_

#include "storage/marketplace_store.h"
#include "storage/pool.h"

namespace affonso::storage {

class PgMarketplaceStore final : public MarketplaceStore {
 public:
  explicit PgMarketplaceStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<MarketplacePage> ListPrograms(const MarketplaceQuery& query) override;
  absl::StatusOr<affonso::v1::MarketplaceProgram> GetProgram(absl::string_view program_id) override;

 private:
  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_MARKETPLACE_STORE_H_

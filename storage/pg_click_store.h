#ifndef AFFONSO_STORAGE_PG_CLICK_STORE_H_
#define AFFONSO_STORAGE_PG_CLICK_STORE_H_

#include "storage/click_store.h"
#include "storage/pool.h"

namespace affonso::storage {

class PgClickStore final : public ClickStore {
 public:
  explicit PgClickStore(ConnectionPool* pool) : pool_(pool) {}
  absl::StatusOr<affonso::v1::Click> TrackClick(
      absl::string_view team_id, const affonso::v1::TrackClickRequest& request) override;

 private:
  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_CLICK_STORE_H_

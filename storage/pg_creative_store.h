#ifndef AFFONSO_STORAGE_PG_CREATIVE_STORE_H_
#define AFFONSO_STORAGE_PG_CREATIVE_STORE_H_

#include "storage/creative_store.h"
#include "storage/pool.h"

namespace affonso::storage {

class PgCreativeStore final : public CreativeStore {
 public:
  explicit PgCreativeStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<affonso::v1::Creative> CreateCreative(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::CreativeInput& input) override;
  absl::StatusOr<affonso::v1::Creative> GetCreative(absl::string_view team_id,
                                                    absl::string_view program_id,
                                                    absl::string_view id) override;
  absl::StatusOr<CreativePage> ListCreatives(absl::string_view team_id,
                                             absl::string_view program_id,
                                             const CreativeListQuery& query) override;
  absl::StatusOr<affonso::v1::Creative> UpdateCreative(
      absl::string_view team_id, absl::string_view program_id, absl::string_view id,
      const affonso::v1::CreativeInput& update) override;
  absl::Status DeleteCreative(absl::string_view team_id, absl::string_view program_id,
                              absl::string_view id) override;

 private:
  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_CREATIVE_STORE_H_

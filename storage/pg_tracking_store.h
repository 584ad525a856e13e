#ifndef AFFONSO_STORAGE_PG_TRACKING_STORE_H_
#define AFFONSO_STORAGE_PG_TRACKING_STORE_H_

#include "storage/pool.h"
#include "storage/tracking_store.h"

namespace affonso::storage {

// De-duplication takes a transaction-scoped advisory lock on (team, program,
// affiliate, visitor hash) before it looks for the visitor's click, so two
// racing calls for one visitor serialise there and the second sees the
// first's row; different visitors never wait for each other (short of a
// 64-bit hash collision, which only makes one wait).
class PgTrackingStore final : public TrackingStore {
 public:
  explicit PgTrackingStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<PublicProgram> ResolveProgram(absl::string_view program_id) override;
  absl::StatusOr<TrackedClick> RecordClick(absl::string_view team_id, absl::string_view program_id,
                                           const affonso::v1::TrackRequest& click,
                                           const Visitor& visitor,
                                           int dedup_window_seconds) override;
  absl::StatusOr<TrackedClick> UpgradeClick(absl::string_view team_id, absl::string_view program_id,
                                            absl::string_view click_id,
                                            const Visitor& visitor) override;
  absl::Status CheckClickInProgram(absl::string_view team_id, absl::string_view program_id,
                                   absl::string_view click_id) override;

 private:
  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_TRACKING_STORE_H_

#ifndef AFFONSO_STORAGE_PG_TRACKING_STORE_H_
#define AFFONSO_STORAGE_PG_TRACKING_STORE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/metrics.h"
#include "storage/batch_workers.h"
#include "storage/pool.h"
#include "storage/tracking_store.h"

namespace affonso::storage {

// RecordClick's clicks that arrive together share one transaction and one
// commit (BatchWorkers), as signups do. De-duplication takes a
// transaction-scoped advisory lock on (team, program, affiliate, visitor
// hash) before it looks for the visitor's click, so two racing batches (or
// replicas) for one visitor serialise there and the second sees the first's
// row; a batch takes its locks in key order, so two batches never wait for
// each other in a cycle. Within a batch, calls of one visitor on one
// affiliate are one click: the first makes (or finds) it and the others get
// it back, created false, as if they had come one after the other.
// Different visitors never wait for each other (short of a 64-bit hash
// collision, which only makes one wait).
class PgTrackingStore final : public TrackingStore {
 public:
  using Options = BatchStoreOptions;
  PgTrackingStore(ConnectionPool* pool, Options options);
  explicit PgTrackingStore(ConnectionPool* pool) : PgTrackingStore(pool, Options()) {}
  // Answers everything queued, then stops the workers.
  ~PgTrackingStore() override;

  absl::StatusOr<PublicProgram> ResolveProgram(absl::string_view program_id) override;
  void RecordClickAsync(std::string team_id, std::string program_id,
                        const affonso::v1::TrackRequest* click, Visitor visitor,
                        int dedup_window_seconds, TrackedClickCallback done) override;
  absl::StatusOr<TrackedClick> UpgradeClick(absl::string_view team_id, absl::string_view program_id,
                                            absl::string_view click_id,
                                            const Visitor& visitor) override;
  absl::Status CheckClickInProgram(absl::string_view team_id, absl::string_view program_id,
                                   absl::string_view click_id) override;

 private:
  struct Pending {
    std::string team_id;
    std::string program_id;
    const affonso::v1::TrackRequest* click;
    Visitor visitor;
    int dedup_window_seconds;
    TrackedClickCallback done;
  };

  // Runs one batch and answers every member; on an error, none.
  absl::Status RunBatch(absl::Span<Pending> batch);

  ConnectionPool* pool_;
  BatchWorkers<Pending> batches_;  // last: its workers use the rest
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_TRACKING_STORE_H_

#ifndef AFFONSO_STORAGE_PG_CLICK_STORE_H_
#define AFFONSO_STORAGE_PG_CLICK_STORE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/metrics.h"
#include "storage/batch_workers.h"
#include "storage/click_store.h"
#include "storage/pool.h"

namespace affonso::storage {

// Clicks that arrive together are inserted by one statement, so one commit
// (BatchWorkers): POST /v1/clicks is a single-row insert whose cost is the
// commit's fsync, which a batch shares. Each click is answered after the
// commit; a click whose program or affiliate is missing is answered
// NOT_FOUND on its own, its neighbours still recorded.
class PgClickStore final : public ClickStore {
 public:
  using Options = BatchStoreOptions;
  PgClickStore(ConnectionPool* pool, Options options);
  explicit PgClickStore(ConnectionPool* pool) : PgClickStore(pool, Options()) {}
  // Answers everything queued, then stops the workers.
  ~PgClickStore() override;

  void TrackClickAsync(std::string team_id, const affonso::v1::TrackClickRequest* request,
                       ClickCallback done) override;

 private:
  struct Pending {
    std::string team_id;
    const affonso::v1::TrackClickRequest* request;
    ClickCallback done;
  };

  // Runs one batch and answers every member; on an error, none.
  absl::Status RunBatch(absl::Span<Pending> batch);

  ConnectionPool* pool_;
  BatchWorkers<Pending> batches_;  // last: its workers use the rest
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_CLICK_STORE_H_

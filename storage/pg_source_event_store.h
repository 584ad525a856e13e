#ifndef AFFONSO_STORAGE_PG_SOURCE_EVENT_STORE_H_
#define AFFONSO_STORAGE_PG_SOURCE_EVENT_STORE_H_

#include "storage/pool.h"
#include "storage/source_event_store.h"

namespace affonso::storage {

// The source_events table (migration 018).
class PgSourceEventStore final : public SourceEventStore {
 public:
  explicit PgSourceEventStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<ReservedEvent> Reserve(absl::string_view team_id,
                                        const SourceEventInput& input) override;
  absl::StatusOr<SourceEvent> Complete(absl::string_view team_id, absl::string_view id,
                                       absl::string_view action, absl::string_view referral_status,
                                       absl::string_view transaction_id) override;

 private:
  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_SOURCE_EVENT_STORE_H_

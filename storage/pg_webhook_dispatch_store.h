#ifndef AFFONSO_STORAGE_PG_WEBHOOK_DISPATCH_STORE_H_
#define AFFONSO_STORAGE_PG_WEBHOOK_DISPATCH_STORE_H_

#include "common/secret_box.h"
#include "storage/pool.h"
#include "storage/webhook_dispatch_store.h"

namespace affonso::storage {

class PgWebhookDispatchStore final : public WebhookDispatchStore {
 public:
  // `keyring` (optional, outliving the store) opens sealed signing secrets.
  explicit PgWebhookDispatchStore(ConnectionPool* pool, const SecretKeyring* keyring = nullptr)
      : pool_(pool), keyring_(keyring) {}

  absl::StatusOr<int> FanOut(int max_events) override;
  absl::StatusOr<std::vector<ClaimedDelivery>> Claim(int max, absl::Duration lease,
                                                     const ClaimCaps& caps) override;
  absl::StatusOr<int> ExtendLeases(const std::vector<HeldLease>& held,
                                   absl::Duration lease) override;
  absl::Status Record(const AttemptRecord& record, absl::Duration disable_after) override;
  absl::StatusOr<std::vector<std::string>> RecordBatch(const std::vector<AttemptRecord>& records,
                                                       absl::Duration disable_after) override;
  absl::Status RecordOutcomeOnly(const AttemptRecord& record) override;
  absl::StatusOr<OutboxBacklog> Backlog(int64_t count_cap) override;

 private:
  ConnectionPool* pool_;
  const SecretKeyring* keyring_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_WEBHOOK_DISPATCH_STORE_H_

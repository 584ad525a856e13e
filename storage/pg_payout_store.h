#ifndef AFFONSO_STORAGE_PG_PAYOUT_STORE_H_
#define AFFONSO_STORAGE_PG_PAYOUT_STORE_H_

#include <string>

#include "common/money.h"
#include "storage/payout_store.h"
#include "storage/pool.h"

namespace affonso::storage {

class PgPayoutStore final : public PayoutStore {
 public:
  explicit PgPayoutStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<PayoutPage> ListPayouts(absl::string_view team_id,
                                         const PayoutListQuery& query) override;
  absl::StatusOr<affonso::v1::PayoutDetail> GetPayout(absl::string_view team_id,
                                                      absl::string_view id) override;
  absl::StatusOr<affonso::v1::Payout> UpdatePayout(absl::string_view team_id,
                                                   const PayoutChange& change) override;
  absl::StatusOr<PayoutGenerationResult> GeneratePayouts(
      const PayoutGeneration& generation) override;

 private:
  struct Group {
    std::string team_id;
    std::string affiliate_id;
    std::string currency;
    // The affiliate's program's terms: its period start (epoch micros) and
    // threshold.
    std::string ready_before_us;
    Money threshold;
  };
  enum class Outcome { kCreated, kBelowThreshold, kBusy, kNothing };
  // One group's payout, in one transaction; `payout_id` is set when created.
  absl::StatusOr<Outcome> GenerateOne(const Group& group, const PayoutGeneration& generation,
                                      std::string* payout_id);

  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_PAYOUT_STORE_H_

#ifndef AFFONSO_SERVICES_LIFECYCLE_PAYOUT_GENERATOR_H_
#define AFFONSO_SERVICES_LIFECYCLE_PAYOUT_GENERATOR_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "services/lifecycle/periodic_worker.h"
#include "storage/payout_store.h"
#include "storage/payout_terms.h"

namespace affonso::services {

struct PayoutGeneratorOptions {
  // How often a replica looks; a period's payouts are made by the first run
  // in it (what was ready before the period began), later runs of the same
  // period find only what a failed or cancelled payout released or what
  // stayed below the threshold.
  absl::Duration interval = absl::Hours(1);
  // The terms of programs that never set their payment terms; each other
  // program pays on its own payment_threshold and payment_frequency.
  storage::PayoutTerms terms = storage::DefaultPayoutTerms();
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  int groups_per_page = 100;
};

// Makes the payouts of the current payment period on every replica that
// runs it (storage::PayoutStore::GeneratePayouts: replicas skip the groups
// another is paying, the database refuses a commission in two payouts).
class PayoutGenerator {
 public:
  PayoutGenerator(storage::PayoutStore* store, PayoutGeneratorOptions options,
                  metrics::Registry* registry);
  ~PayoutGenerator();  // Stop()

  void Start();
  void Stop();
  // One run over every team (or `team_id`), each program for the period of
  // its payment frequency that the clock is in.
  absl::StatusOr<storage::PayoutGenerationResult> RunOnce(const std::string& team_id = "");

 private:
  storage::PayoutStore* store_;
  const PayoutGeneratorOptions options_;
  metrics::Counter& created_;
  metrics::Counter& below_threshold_;
  metrics::Counter& busy_;
  metrics::Counter& runs_ok_;
  metrics::Counter& runs_failed_;
  std::unique_ptr<PeriodicWorker> worker_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_LIFECYCLE_PAYOUT_GENERATOR_H_

#include "services/lifecycle/payout_generator.h"

#include "common/log.h"
#include "services/lifecycle/lifecycle_metrics.h"

namespace affonso::services {
namespace {

metrics::CounterFamily& Groups(metrics::Registry* registry) {
  return registry->AddCounter(
      "affonso_payout_groups_skipped_total",
      "Affiliate-and-currency groups a payout-generation run left for later, by reason "
      "(below_threshold; busy: another replica was paying it).",
      {"reason"});
}

}  // namespace

PayoutGenerator::PayoutGenerator(storage::PayoutStore* store, PayoutGeneratorOptions options,
                                 metrics::Registry* registry)
    : store_(store),
      options_(std::move(options)),
      created_(registry
                   ->AddCounter("affonso_payouts_generated_total",
                                "Payouts the payout-generation job made (by this replica).", {})
                   .WithLabels({})),
      below_threshold_(Groups(registry).WithLabels({"below_threshold"})),
      busy_(Groups(registry).WithLabels({"busy"})),
      runs_ok_(LifecycleRuns(registry).WithLabels({"payout_generation", "ok"})),
      runs_failed_(LifecycleRuns(registry).WithLabels({"payout_generation", "error"})) {}

PayoutGenerator::~PayoutGenerator() { Stop(); }

void PayoutGenerator::Start() {
  worker_ = std::make_unique<PeriodicWorker>(
      "payout_generation", options_.interval,
      [this](const std::function<bool()>&) { RunOnce().IgnoreError(); });
  worker_->Start();
}

void PayoutGenerator::Stop() {
  if (worker_) worker_->Stop();
}

absl::StatusOr<storage::PayoutGenerationResult> PayoutGenerator::RunOnce(
    const std::string& team_id) {
  storage::PayoutGeneration generation;
  generation.team_id = team_id;
  generation.now = options_.clock();
  generation.threshold = options_.terms.threshold;
  generation.frequency = options_.terms.frequency;
  generation.groups_per_page = options_.groups_per_page;
  absl::StatusOr<storage::PayoutGenerationResult> result = store_->GeneratePayouts(generation);
  if (!result.ok()) {
    runs_failed_.Increment();
    AFFONSO_LOG(kWarning, "payout generation: ", result.status().ToString());
    return result;
  }
  runs_ok_.Increment();
  created_.Increment(result->payout_ids.size());
  below_threshold_.Increment(result->below_threshold);
  busy_.Increment(result->busy);
  if (!result->payout_ids.empty()) {
    AFFONSO_LOG(kInfo, "payout generation: ", result->payout_ids.size(),
                " payout(s) made for what was ready before each program's period start (at ",
                absl::FormatTime(generation.now), ")");
  }
  return result;
}

}  // namespace affonso::services

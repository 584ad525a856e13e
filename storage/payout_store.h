#ifndef AFFONSO_STORAGE_PAYOUT_STORE_H_
#define AFFONSO_STORAGE_PAYOUT_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/money.h"
#include "proto/affonso/v1/payouts.pb.h"
#include "storage/payout_terms.h"

namespace affonso::storage {

// One page of the offset list; page and limit already resolved.
struct PayoutListQuery {
  int page = 1;
  int limit = 10;
  affonso::v1::PayoutStatus status = affonso::v1::PAYOUT_STATUS_UNSPECIFIED;  // = any
  std::string affiliate_id;                                                   // "" = any
  // created_at bounds in epoch microseconds, inclusive; "" = none.
  std::string created_from_us;
  std::string created_to_us;
  // "<column>:<asc|desc>" for created_at, updated_at, amount or
  // invoice_number; ties go newest first.
  std::string sort = "created_at:desc";
};

struct PayoutPage {
  std::vector<affonso::v1::Payout> payouts;
  int total = 0;
};

struct PayoutChange {
  std::string id;
  affonso::v1::PayoutStatus status = affonso::v1::PAYOUT_STATUS_UNSPECIFIED;
  std::optional<std::string> payment_method;  // absent = unchanged
  std::optional<std::string> payment_reference;
};

// One run of payout generation.
struct PayoutGeneration {
  std::string team_id;  // "" = every team
  // The time of the run. Each program pays the commissions that became
  // ready_for_payment before its current payment period began:
  // PeriodStart(its payment_frequency, now).
  absl::Time now = absl::Now();
  // When set, replaces every program's period start: what became ready
  // before this is paid, whatever the frequency (ctl --ready_before, tests).
  std::optional<absl::Time> ready_before;
  // The terms of a program that never set its payment terms
  // (GET /v1/program/payment-terms answers null): DefaultPayoutTerms(). A
  // payout is made when an affiliate's net in a currency reaches its
  // program's threshold.
  Money threshold = DefaultPayoutTerms().threshold;
  PaymentFrequency frequency = DefaultPayoutTerms().frequency;
  // Affiliate-and-currency groups read per query; each group is then its own
  // transaction.
  int groups_per_page = 100;
  // A bigger group is paid in several payouts (the rest in the next run).
  int max_commissions_per_payout = 5000;
};

struct PayoutGenerationResult {
  std::vector<std::string> payout_ids;  // created, in order
  int below_threshold = 0;              // groups whose net stays below
  int busy = 0;                         // groups another replica was generating
};

// Scoped to `team_id`: another team's payout is NOT_FOUND. Every change
// writes its events (payout.*, and transaction.* for the commissions it
// moves) to the outbox in its own transaction.
class PayoutStore {
 public:
  virtual ~PayoutStore() = default;

  virtual absl::StatusOr<PayoutPage> ListPayouts(absl::string_view team_id,
                                                 const PayoutListQuery& query) = 0;

  // With its transactions: the commissions it pays first, then the
  // clawbacks it nets, each oldest commission first.
  virtual absl::StatusOr<affonso::v1::PayoutDetail> GetPayout(absl::string_view team_id,
                                                              absl::string_view id) = 0;

  // VALIDATION_ERROR on `status` when PayoutStatusChangeAllowed
  // (storage/payout_names.h) refuses.
  // completed: processed_at, payout.paid, every commission of the payout
  // paid (transaction.updated + transaction.paid each). failed (payout.failed)
  // and cancelled (payout.updated): the commissions back to ready_for_payment
  // (transaction.updated each) and the clawbacks owed again, free for the next
  // payout. processing or the same status: payout.updated.
  virtual absl::StatusOr<affonso::v1::Payout> UpdatePayout(absl::string_view team_id,
                                                           const PayoutChange& change) = 0;

  // Groups every affiliate's ready_for_payment commissions that are in no
  // live payout and became ready before its program's period start, per
  // currency, with the affiliate's owed clawbacks in that currency, into one
  // payout each (payout.created; the commissions move to processing_payout
  // with transaction.updated; the clawbacks get the payout's id) when the net
  // reaches the program's payment_threshold (the affiliate's program's
  // payment terms as they are when the run reads the group; `threshold` and
  // `frequency` for a program without terms). One transaction per
  // payout; replicas running at once skip the groups another is generating,
  // and the database refuses a commission in two live payouts.
  virtual absl::StatusOr<PayoutGenerationResult> GeneratePayouts(
      const PayoutGeneration& generation) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PAYOUT_STORE_H_

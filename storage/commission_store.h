#ifndef AFFONSO_STORAGE_COMMISSION_STORE_H_
#define AFFONSO_STORAGE_COMMISSION_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/commissions.pb.h"

namespace affonso::storage {

// One page of the offset list; page and limit already resolved by the caller.
struct CommissionListQuery {
  int page = 1;
  int limit = 10;
  // Empty / UNSPECIFIED = no filter.
  std::string affiliate_id;
  std::string referral_id;
  affonso::v1::CommissionStatus status = affonso::v1::COMMISSION_STATUS_UNSPECIFIED;
  affonso::v1::SalesStatus sales_status = affonso::v1::SALES_STATUS_UNSPECIFIED;
  // created_at bounds in epoch microseconds, inclusive; "" = none.
  std::string created_from_us;
  std::string created_to_us;
  // "<column>:<asc|desc>" for created_at, updated_at, sale_amount or
  // commission_amount; ties go newest first.
  std::string sort = "created_at:desc";
};

struct CommissionPage {
  std::vector<affonso::v1::Commission> commissions;
  int total = 0;  // matching rows across all pages
};

// A commission created through the API: amounts as decimal text with at most
// two decimals (validated by the caller), currencies upper case.
struct CommissionInput {
  std::string referral_id;
  std::string sale_amount;
  std::string sale_amount_currency;
  std::string commission_amount;
  std::string commission_currency;
  affonso::v1::CommissionStatus status = affonso::v1::COMMISSION_STATUS_PENDING;
  affonso::v1::SalesStatus sales_status = affonso::v1::SALES_STATUS_COMPLETE;
  std::string payment_intent_id;  // "" = none
  int hold_period_days = 0;
  std::string created_at_us;  // "" = now
};

struct CreatedCommission {
  affonso::v1::Commission commission;
  // false: the program already had a commission with this payment intent,
  // which is returned instead.
  bool created = false;
};

// An update: absent = unchanged; the same formats as CommissionInput.
struct CommissionChange {
  std::string id;
  std::optional<affonso::v1::CommissionStatus> status;
  std::optional<affonso::v1::SalesStatus> sales_status;
  std::optional<int> hold_period_days;
  std::optional<std::string> sale_amount;
  std::optional<std::string> sale_amount_currency;
  std::optional<std::string> commission_amount;
  std::optional<std::string> commission_currency;
};

// Scoped to `team_id`: another team's commission (or referral) is NOT_FOUND.
// Every write puts its transaction.* events in the outbox in its own
// transaction. Commissions come back with affiliate_program set (the
// caller drops it unless it was asked for); affiliate and referral are left
// to the caller.
class CommissionStore {
 public:
  virtual ~CommissionStore() = default;

  virtual absl::StatusOr<CommissionPage> ListCommissions(absl::string_view team_id,
                                                         const CommissionListQuery& query) = 0;

  virtual absl::StatusOr<affonso::v1::Commission> GetCommission(absl::string_view team_id,
                                                                absl::string_view id) = 0;

  // A sale commission for the team's live referral `input.referral_id`, in
  // its program and for its affiliate, with transaction.created. NOT_FOUND
  // ("referral") for a missing or deleted referral. A payment intent the
  // program already has returns that commission (created = false), however
  // many creates race.
  virtual absl::StatusOr<CreatedCommission> CreateCommission(absl::string_view team_id,
                                                             const CommissionInput& input) = 0;

  // transaction.updated, plus transaction.approved / paid / rejected when the
  // status moves to ready_for_payment / paid / declined. VALIDATION_ERROR on
  // `status` when CommissionStatusChangeAllowed refuses the change or the
  // commission is in a live payout (it moves with the payout), on the
  // amount or currency field when the commission is past ready_for_payment.
  virtual absl::StatusOr<affonso::v1::Commission> UpdateCommission(
      absl::string_view team_id, const CommissionChange& change) = 0;

  // Deletes the row, with transaction.deleted. VALIDATION_ERROR on `status`
  // for a commission paid out, being paid out, disputed or refunded.
  virtual absl::Status DeleteCommission(absl::string_view team_id, absl::string_view id) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_COMMISSION_STORE_H_

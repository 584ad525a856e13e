#ifndef AFFONSO_STORAGE_COMMISSION_NAMES_H_
#define AFFONSO_STORAGE_COMMISSION_NAMES_H_

#include "absl/strings/string_view.h"
#include "proto/affonso/v1/commissions.pb.h"
#include "proto/affonso/v1/common.pb.h"

namespace affonso::storage {

// The strings stored in commissions.status ("pending", "ready_for_payment",
// ...); nullptr for UNSPECIFIED or a number the proto does not define.
const char* CommissionStatusToDb(affonso::v1::CommissionStatus status);
// UNSPECIFIED for a string this build does not know.
affonso::v1::CommissionStatus CommissionStatusFromDb(absl::string_view text);

// The same for commissions.sales_status ("open", "complete", ...).
const char* SalesStatusToDb(affonso::v1::SalesStatus status);
affonso::v1::SalesStatus SalesStatusFromDb(absl::string_view text);

// Whether an update may move a commission from `from` to `to`
// (docs/BEHAVIOUR.md): forward through the lifecycle pending ->
// (pending_manual_approval ->) ready_for_payment -> processing_payout ->
// paid, declined from anything not paid out yet, refunded or dispute once
// paid, a failed payout back to ready_for_payment; declined and refunded are
// final. The same status is always allowed (a no-op).
bool CommissionStatusChangeAllowed(affonso::v1::CommissionStatus from,
                                   affonso::v1::CommissionStatus to);

// The outbox event announcing that a commission moved to `to`
// ("transaction.approved", "transaction.paid", "transaction.rejected"), or
// nullptr for a status without one.
const char* CommissionStatusEvent(affonso::v1::CommissionStatus to);

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_COMMISSION_NAMES_H_

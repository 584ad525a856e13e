#ifndef AFFONSO_STORAGE_PAYOUT_NAMES_H_
#define AFFONSO_STORAGE_PAYOUT_NAMES_H_

#include "absl/strings/string_view.h"
#include "proto/affonso/v1/payouts.pb.h"

namespace affonso::storage {

// The strings stored in payouts.status ("pending", "processing", ...);
// nullptr for UNSPECIFIED or a number the proto does not define.
const char* PayoutStatusToDb(affonso::v1::PayoutStatus status);
// UNSPECIFIED for a string this build does not know.
affonso::v1::PayoutStatus PayoutStatusFromDb(absl::string_view text);

// Whether a payout may go from `from` to `to`: pending -> processing ->
// completed, failed or cancelled from pending or processing (completed too
// from pending: paid in one step); completed, failed and cancelled are final.
// The same status is allowed (a change of the payment fields only).
bool PayoutStatusChangeAllowed(affonso::v1::PayoutStatus from, affonso::v1::PayoutStatus to);

// The outbox event of a change to `to`: payout.paid (completed),
// payout.failed (failed), payout.updated otherwise.
const char* PayoutStatusEvent(affonso::v1::PayoutStatus to);

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PAYOUT_NAMES_H_

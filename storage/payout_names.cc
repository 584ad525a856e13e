#include "storage/payout_names.h"

namespace affonso::storage {
namespace {

namespace v1 = affonso::v1;

struct PayoutStatusName {
  v1::PayoutStatus status;
  const char* name;
};
constexpr PayoutStatusName kPayoutStatusNames[] = {
    {v1::PAYOUT_STATUS_PENDING, "pending"},     {v1::PAYOUT_STATUS_PROCESSING, "processing"},
    {v1::PAYOUT_STATUS_COMPLETED, "completed"}, {v1::PAYOUT_STATUS_FAILED, "failed"},
    {v1::PAYOUT_STATUS_CANCELLED, "cancelled"},
};

}  // namespace

const char* PayoutStatusToDb(v1::PayoutStatus status) {
  for (const auto& entry : kPayoutStatusNames) {
    if (entry.status == status) return entry.name;
  }
  return nullptr;
}

v1::PayoutStatus PayoutStatusFromDb(absl::string_view text) {
  for (const auto& entry : kPayoutStatusNames) {
    if (text == entry.name) return entry.status;
  }
  return v1::PAYOUT_STATUS_UNSPECIFIED;
}

bool PayoutStatusChangeAllowed(v1::PayoutStatus from, v1::PayoutStatus to) {
  if (PayoutStatusToDb(from) == nullptr || PayoutStatusToDb(to) == nullptr) return false;
  if (from == to) return true;
  switch (from) {
    case v1::PAYOUT_STATUS_PENDING:
      return true;  // to any other
    case v1::PAYOUT_STATUS_PROCESSING:
      return to == v1::PAYOUT_STATUS_COMPLETED || to == v1::PAYOUT_STATUS_FAILED ||
             to == v1::PAYOUT_STATUS_CANCELLED;
    default:  // completed, failed and cancelled are final
      return false;
  }
}

const char* PayoutStatusEvent(v1::PayoutStatus to) {
  switch (to) {
    case v1::PAYOUT_STATUS_COMPLETED:
      return "payout.paid";
    case v1::PAYOUT_STATUS_FAILED:
      return "payout.failed";
    default:
      return "payout.updated";
  }
}

}  // namespace affonso::storage

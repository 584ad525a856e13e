#include "storage/commission_names.h"

namespace affonso::storage {
namespace {

namespace v1 = affonso::v1;

using affonso::v1::CommissionStatus;
using affonso::v1::SalesStatus;

struct CommissionStatusName {
  CommissionStatus status;
  const char* name;
};
constexpr CommissionStatusName kCommissionStatusNames[] = {
    {affonso::v1::COMMISSION_STATUS_PENDING, "pending"},
    {affonso::v1::COMMISSION_STATUS_PENDING_MANUAL_APPROVAL, "pending_manual_approval"},
    {affonso::v1::COMMISSION_STATUS_READY_FOR_PAYMENT, "ready_for_payment"},
    {affonso::v1::COMMISSION_STATUS_PROCESSING_PAYOUT, "processing_payout"},
    {affonso::v1::COMMISSION_STATUS_PAID, "paid"},
    {affonso::v1::COMMISSION_STATUS_DECLINED, "declined"},
    {affonso::v1::COMMISSION_STATUS_REFUNDED, "refunded"},
    {affonso::v1::COMMISSION_STATUS_DISPUTE, "dispute"},
};

struct SalesStatusName {
  SalesStatus status;
  const char* name;
};
constexpr SalesStatusName kSalesStatusNames[] = {
    {affonso::v1::SALES_STATUS_OPEN, "open"},
    {affonso::v1::SALES_STATUS_COMPLETE, "complete"},
    {affonso::v1::SALES_STATUS_TRIALING, "trialing"},
    {affonso::v1::SALES_STATUS_FAILED, "failed"},
    {affonso::v1::SALES_STATUS_REFUNDED, "refunded"},
    {affonso::v1::SALES_STATUS_PARTIAL_REFUNDED, "partial_refunded"},
};

}  // namespace

const char* CommissionStatusToDb(CommissionStatus status) {
  for (const auto& entry : kCommissionStatusNames) {
    if (entry.status == status) return entry.name;
  }
  return nullptr;
}

CommissionStatus CommissionStatusFromDb(absl::string_view text) {
  for (const auto& entry : kCommissionStatusNames) {
    if (text == entry.name) return entry.status;
  }
  return affonso::v1::COMMISSION_STATUS_UNSPECIFIED;
}

const char* SalesStatusToDb(SalesStatus status) {
  for (const auto& entry : kSalesStatusNames) {
    if (entry.status == status) return entry.name;
  }
  return nullptr;
}

SalesStatus SalesStatusFromDb(absl::string_view text) {
  for (const auto& entry : kSalesStatusNames) {
    if (text == entry.name) return entry.status;
  }
  return affonso::v1::SALES_STATUS_UNSPECIFIED;
}

bool CommissionStatusChangeAllowed(CommissionStatus from, CommissionStatus to) {
  if (CommissionStatusToDb(from) == nullptr || CommissionStatusToDb(to) == nullptr) return false;
  if (from == to) return true;
  switch (from) {
    case v1::COMMISSION_STATUS_PENDING:
      return to == v1::COMMISSION_STATUS_PENDING_MANUAL_APPROVAL ||
             to == v1::COMMISSION_STATUS_READY_FOR_PAYMENT ||
             to == v1::COMMISSION_STATUS_DECLINED || to == v1::COMMISSION_STATUS_REFUNDED;
    case v1::COMMISSION_STATUS_PENDING_MANUAL_APPROVAL:
      return to == v1::COMMISSION_STATUS_READY_FOR_PAYMENT || to == v1::COMMISSION_STATUS_DECLINED;
    case v1::COMMISSION_STATUS_READY_FOR_PAYMENT:
      return to == v1::COMMISSION_STATUS_PROCESSING_PAYOUT || to == v1::COMMISSION_STATUS_PAID ||
             to == v1::COMMISSION_STATUS_DECLINED || to == v1::COMMISSION_STATUS_REFUNDED;
    case v1::COMMISSION_STATUS_PROCESSING_PAYOUT:
      // A payout that failed puts the commission back in line.
      return to == v1::COMMISSION_STATUS_PAID || to == v1::COMMISSION_STATUS_READY_FOR_PAYMENT;
    case v1::COMMISSION_STATUS_PAID:
      return to == v1::COMMISSION_STATUS_REFUNDED || to == v1::COMMISSION_STATUS_DISPUTE;
    case v1::COMMISSION_STATUS_DISPUTE:
      return to == v1::COMMISSION_STATUS_PAID || to == v1::COMMISSION_STATUS_REFUNDED;
    default:  // declined and refunded are final
      return false;
  }
}

const char* CommissionStatusEvent(CommissionStatus to) {
  switch (to) {
    case affonso::v1::COMMISSION_STATUS_READY_FOR_PAYMENT:
      return "transaction.approved";
    case affonso::v1::COMMISSION_STATUS_PAID:
      return "transaction.paid";
    case affonso::v1::COMMISSION_STATUS_DECLINED:
      return "transaction.rejected";
    default:
      return nullptr;
  }
}

}  // namespace affonso::storage

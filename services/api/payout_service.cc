#include "services/api/payout_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/api_error.h"
#include "common/status_macros.h"
#include "services/call/pagination.h"
#include "services/call/validation.h"

namespace affonso::services {
namespace {

namespace v1 = affonso::v1;

constexpr size_t kMaxIdFilterLength = 255;
constexpr size_t kMaxPaymentFieldLength = 255;

absl::Status CheckPayoutStatus(int status) {
  if (!v1::PayoutStatus_IsValid(status) || status == v1::PAYOUT_STATUS_UNSPECIFIED) {
    return ValidationError("status",
                           "status must be pending, processing, completed, failed or cancelled");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<storage::PayoutListQuery> ParseListPayouts(const v1::ListPayoutsRequest& request) {
  AFFONSO_ASSIGN_OR_RETURN(
      PageRequest page,
      ResolvePage(request.page(), request.limit(), kDefaultPayoutPageLimit, kMaxPayoutPageLimit));
  AFFONSO_RETURN_IF_ERROR(
      CheckMaxLength("affiliateId", request.affiliate_id(), kMaxIdFilterLength));
  if (request.has_status()) AFFONSO_RETURN_IF_ERROR(CheckPayoutStatus(request.status()));
  storage::PayoutListQuery query;
  AFFONSO_ASSIGN_OR_RETURN(query.created_from_us,
                           DateBoundMicros("dateFrom", request.date_from(), DateBound::kStart));
  AFFONSO_ASSIGN_OR_RETURN(query.created_to_us,
                           DateBoundMicros("dateTo", request.date_to(), DateBound::kEnd));
  AFFONSO_ASSIGN_OR_RETURN(query.sort, ParseSortSpec(request.sort(), {"created_at", "updated_at",
                                                                      "amount", "invoice_number"}));
  query.page = page.page;
  query.limit = page.limit;
  query.affiliate_id = request.affiliate_id();
  query.status = request.has_status() ? request.status() : v1::PAYOUT_STATUS_UNSPECIFIED;
  return query;
}

absl::StatusOr<storage::PayoutChange> ParseUpdatePayout(const v1::UpdatePayoutRequest& request) {
  AFFONSO_RETURN_IF_ERROR(CheckPayoutStatus(request.status()));
  storage::PayoutChange change;
  change.id = request.id();
  change.status = request.status();
  if (request.has_payment_method()) {
    AFFONSO_RETURN_IF_ERROR(
        CheckMaxLength("paymentMethod", request.payment_method(), kMaxPaymentFieldLength));
    change.payment_method = request.payment_method();
  }
  if (request.has_payment_reference()) {
    AFFONSO_RETURN_IF_ERROR(
        CheckMaxLength("paymentReference", request.payment_reference(), kMaxPaymentFieldLength));
    change.payment_reference = request.payment_reference();
  }
  return change;
}

grpc::Status PayoutServiceImpl::ListPayouts(grpc::ServerContext* context,
                                            const v1::ListPayoutsRequest* request,
                                            v1::ListPayoutsResponse* response) {
  return runner_.Run(context, "ListPayouts", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(storage::PayoutListQuery query, ParseListPayouts(*request));
    storage::PayoutPage page;
    // A filter naming an id we could never have issued matches nothing.
    if (query.affiliate_id.empty() || LooksLikeId(query.affiliate_id, "aff")) {
      AFFONSO_ASSIGN_OR_RETURN(page, store_->ListPayouts(caller.team_id, query));
    }
    for (v1::Payout& payout : page.payouts) *response->add_data() = std::move(payout);
    *response->mutable_pagination() = MakePagination(query.page, query.limit, page.total);
    return absl::OkStatus();
  });
}

grpc::Status PayoutServiceImpl::GetPayout(grpc::ServerContext* context,
                                          const v1::GetPayoutRequest* request,
                                          v1::PayoutDetail* response) {
  return runner_.Run(context, "GetPayout", *request, [&](const Caller& caller) -> absl::Status {
    if (!LooksLikeId(request->id(), "pay")) return NotFoundError("payout");
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->GetPayout(caller.team_id, request->id()));
    return absl::OkStatus();
  });
}

grpc::Status PayoutServiceImpl::UpdatePayout(grpc::ServerContext* context,
                                             const v1::UpdatePayoutRequest* request,
                                             v1::Payout* response) {
  return runner_.Run(context, "UpdatePayout", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(storage::PayoutChange change, ParseUpdatePayout(*request));
    if (!LooksLikeId(request->id(), "pay")) return NotFoundError("payout");
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->UpdatePayout(caller.team_id, change));
    return absl::OkStatus();
  });
}

}  // namespace affonso::services

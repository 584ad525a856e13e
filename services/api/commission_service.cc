#include "services/api/commission_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/status_macros.h"
#include "services/call/pagination.h"
#include "services/call/validation.h"

namespace affonso::services {
namespace {

constexpr size_t kMaxIdFilterLength = 255;

// A referral converted from a click keeps the click's id.
bool LooksLikeReferralId(const std::string& id) {
  return LooksLikeId(id, "ref") || LooksLikeId(id, "clk");
}

// A filter naming an id we could never have issued matches nothing.
bool FilterMatchesNothing(const storage::CommissionListQuery& query) {
  return (!query.affiliate_id.empty() && !LooksLikeId(query.affiliate_id, "aff")) ||
         (!query.referral_id.empty() && !LooksLikeReferralId(query.referral_id));
}

}  // namespace

absl::StatusOr<storage::CommissionListQuery> ParseListCommissions(
    const affonso::v1::ListCommissionsRequest& request) {
  AFFONSO_ASSIGN_OR_RETURN(PageRequest page,
                           ResolvePage(request.page(), request.limit(), kDefaultCommissionPageLimit,
                                       kMaxCommissionPageLimit));
  AFFONSO_RETURN_IF_ERROR(
      CheckMaxLength("affiliate_id", request.affiliate_id(), kMaxIdFilterLength));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("referral_id", request.referral_id(), kMaxIdFilterLength));
  if (request.has_status() && (!affonso::v1::CommissionStatus_IsValid(request.status()) ||
                               request.status() == affonso::v1::COMMISSION_STATUS_UNSPECIFIED)) {
    return ValidationError("status", "status must be pending, ready_for_payment, paid or declined");
  }
  storage::CommissionListQuery query;
  query.page = page.page;
  query.limit = page.limit;
  query.affiliate_id = request.affiliate_id();
  query.referral_id = request.referral_id();
  query.status =
      request.has_status() ? request.status() : affonso::v1::COMMISSION_STATUS_UNSPECIFIED;
  return query;
}

grpc::Status CommissionServiceImpl::ListCommissions(
    grpc::ServerContext* context, const affonso::v1::ListCommissionsRequest* request,
    affonso::v1::ListCommissionsResponse* response) {
  return runner_.Run(
      context, "ListCommissions", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(storage::CommissionListQuery query,
                                 ParseListCommissions(*request));
        storage::CommissionPage page;
        if (!FilterMatchesNothing(query)) {
          AFFONSO_ASSIGN_OR_RETURN(page, store_->ListCommissions(caller.team_id, query));
        }
        for (affonso::v1::Commission& commission : page.commissions) {
          *response->add_data() = std::move(commission);
        }
        *response->mutable_pagination() = MakePagination(query.page, query.limit, page.total);
        return absl::OkStatus();
      });
}

grpc::Status CommissionServiceImpl::GetCommission(grpc::ServerContext* context,
                                                  const affonso::v1::GetCommissionRequest* request,
                                                  affonso::v1::Commission* response) {
  return runner_.Run(context, "GetCommission", *request, [&](const Caller& caller) -> absl::Status {
    if (!LooksLikeId(request->id(), "com")) return NotFoundError("commission");
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->GetCommission(caller.team_id, request->id()));
    return absl::OkStatus();
  });
}

}  // namespace affonso::services

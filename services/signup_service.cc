#include "services/signup_service.h"

#include "common/api_error.h"
#include "common/status_macros.h"
#include "services/validation.h"

namespace affonso::services {

absl::Status ValidateRecordSignup(const affonso::v1::RecordSignupRequest& request) {
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("click_id", request.click_id()));
  if (request.email().empty() && request.external_user_id().empty()) {
    return ValidationError("email", "either email or external_user_id must be provided");
  }
  AFFONSO_RETURN_IF_ERROR(CheckEmail("email", request.email()));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("external_user_id", request.external_user_id(), 255));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("name", request.name(), 255));
  return absl::OkStatus();
}

grpc::Status SignupServiceImpl::RecordSignup(grpc::ServerContext* context,
                                             const affonso::v1::RecordSignupRequest* request,
                                             affonso::v1::RecordSignupResponse* response) {
  return runner_.Run(context, "RecordSignup", [&](const Caller& caller) -> absl::Status {
    AFFONSO_RETURN_IF_ERROR(ValidateRecordSignup(*request));
    if (!LooksLikeId(request->click_id(), "clk")) return NotFoundError("click");
    AFFONSO_ASSIGN_OR_RETURN(storage::Conversion conversion,
                             store_->ConvertClick(caller.team_id, *request));
    *response->mutable_referral() = std::move(conversion.referral);
    response->set_created(conversion.created);
    RpcRunner::SetHttpCode(context, conversion.created ? 201 : 200);
    return absl::OkStatus();
  });
}

}  // namespace affonso::services

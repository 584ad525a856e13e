#include "services/api/signup_service.h"

#include "common/api_error.h"
#include "common/status_macros.h"
#include "services/call/validation.h"

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

grpc::ServerUnaryReactor* SignupServiceImpl::RecordSignup(
    grpc::CallbackServerContext* context, const affonso::v1::RecordSignupRequest* request,
    affonso::v1::RecordSignupResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Admission may finish on an admission thread; nothing here waits.
  runner_.BeginAsync(context, [this, context, request, response, reactor](CallScope scope) {
    Convert(context, request, response, reactor, std::move(scope));
  });
  return reactor;
}

void SignupServiceImpl::Convert(grpc::CallbackServerContext* context,
                                const affonso::v1::RecordSignupRequest* request,
                                affonso::v1::RecordSignupResponse* response,
                                grpc::ServerUnaryReactor* reactor, CallScope scope) {
  absl::Status invalid =
      scope.caller.ok() ? RpcRunner::CheckRequest(*request) : scope.caller.status();
  if (invalid.ok()) invalid = ValidateRecordSignup(*request);
  if (invalid.ok() && !LooksLikeId(request->click_id(), "clk")) invalid = NotFoundError("click");
  if (!invalid.ok()) {
    metrics_->CountSignup(invalid, false, nullptr);
    reactor->Finish(runner_.End(context, "RecordSignup", scope, invalid));
    return;
  }
  const std::string team_id = scope.caller->team_id;
  store_->ConvertClickAsync(
      team_id, request,
      [this, context, reactor, response,
       scope = std::move(scope)](absl::StatusOr<storage::Conversion> conversion) {
        if (conversion.ok()) {
          *response->mutable_referral() = std::move(conversion->referral);
          response->set_created(conversion->created);
          RpcRunner::SetHttpCode(context, conversion->created ? 201 : 200);
        }
        metrics_->CountSignup(conversion.status(), conversion.ok() && conversion->created,
                              &response->referral());
        reactor->Finish(runner_.End(context, "RecordSignup", scope, conversion.status()));
      });
}

}  // namespace affonso::services

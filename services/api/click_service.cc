#include "services/api/click_service.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "common/api_error.h"
#include "common/status_macros.h"
#include "services/call/validation.h"

namespace affonso::services {

absl::Status ValidateTrackClick(const affonso::v1::TrackClickRequest& request) {
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("program_id", request.program_id()));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("program_id", request.program_id(), 64));
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("tracking_id", request.tracking_id()));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("tracking_id", request.tracking_id(), 255));
  const std::pair<const char*, const std::string*> short_fields[] = {
      {"sub1", &request.sub1()},
      {"sub2", &request.sub2()},
      {"sub3", &request.sub3()},
      {"sub4", &request.sub4()},
      {"sub5", &request.sub5()},
      {"utm_source", &request.utm_source()},
      {"utm_medium", &request.utm_medium()},
      {"utm_campaign", &request.utm_campaign()},
      {"utm_term", &request.utm_term()},
      {"utm_content", &request.utm_content()},
      {"gclid", &request.gclid()},
      {"fbclid", &request.fbclid()},
      {"msclkid", &request.msclkid()},
      {"ttclid", &request.ttclid()},
  };
  for (const auto& [field, value] : short_fields) {
    AFFONSO_RETURN_IF_ERROR(CheckMaxLength(field, *value, 255));
  }
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("referrer", request.referrer(), 2000));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("ip", request.ip(), 45));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("user_agent", request.user_agent(), 1000));
  const std::string& country = request.country();
  if (!country.empty() && (country.size() != 2 || !absl::ascii_isalpha(country[0]) ||
                           !absl::ascii_isalpha(country[1]))) {
    return ValidationError("country", "country must be an ISO 3166-1 alpha-2 code");
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* ClickServiceImpl::TrackClick(
    grpc::CallbackServerContext* context, const affonso::v1::TrackClickRequest* request,
    affonso::v1::Click* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Admission may finish on an admission thread; nothing here waits.
  runner_.BeginAsync(context, [this, context, request, response, reactor](CallScope scope) {
    Track(context, request, response, reactor, std::move(scope));
  });
  return reactor;
}

void ClickServiceImpl::Track(grpc::CallbackServerContext* context,
                             const affonso::v1::TrackClickRequest* request,
                             affonso::v1::Click* response, grpc::ServerUnaryReactor* reactor,
                             CallScope scope) {
  absl::Status invalid =
      scope.caller.ok() ? RpcRunner::CheckRequest(*request) : scope.caller.status();
  if (invalid.ok()) invalid = ValidateTrackClick(*request);
  if (invalid.ok() && !LooksLikeId(request->program_id(), "prg")) {
    invalid = NotFoundError("program");
  }
  if (!invalid.ok()) {
    reactor->Finish(runner_.End(context, "TrackClick", scope, invalid));
    return;
  }
  const std::string team_id = scope.caller->team_id;
  store_->TrackClickAsync(
      team_id, request,
      [this, context, reactor, response,
       scope = std::move(scope)](absl::StatusOr<affonso::v1::Click> click) {
        if (click.ok()) {
          *response = *std::move(click);
          RpcRunner::SetHttpCode(context, 201);
        }
        reactor->Finish(runner_.End(context, "TrackClick", scope, click.status()));
      });
}

}  // namespace affonso::services

#include "services/api/referral_service.h"

#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/status_macros.h"
#include "services/api/affiliate_service.h"
#include "services/call/validation.h"

namespace affonso::services {
namespace {

using affonso::v1::CreateReferralRequest;
using affonso::v1::ListReferralsRequest;
using affonso::v1::UpdateReferralRequest;

constexpr int kMaxPageSize = 100;

// The range google.protobuf.Timestamp allows (0001-01-01 .. 9999-12-31).
absl::Status CheckTimestamp(absl::string_view field, const google::protobuf::Timestamp& value) {
  constexpr int64_t kMinSeconds = -62135596800;
  constexpr int64_t kMaxSeconds = 253402300799;
  if (value.seconds() < kMinSeconds || value.seconds() > kMaxSeconds || value.nanos() < 0 ||
      value.nanos() > 999999999) {
    return ValidationError(field, absl::StrCat(field, " is not a valid timestamp"));
  }
  return absl::OkStatus();
}

// Open proto3 enums can carry numbers we do not know.
absl::Status CheckStatus(int status) {
  if (!affonso::v1::ReferralStatus_IsValid(status)) {
    return ValidationError("status", "status is not a known referral status");
  }
  return absl::OkStatus();
}

absl::Status RequireEmail(const std::string& email) {
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("email", email));
  return CheckEmail("email", email);
}

absl::Status CheckCursor(absl::string_view field, const std::string& cursor) {
  if (cursor.empty() || LooksLikeReferralId(cursor)) return absl::OkStatus();
  return ValidationError(field, absl::StrCat(field, " is not a referral id"));
}

}  // namespace

bool LooksLikeReferralId(absl::string_view id) {
  return LooksLikeId(id, "ref") || LooksLikeId(id, "clk");
}

absl::Status ValidateCreateReferral(const CreateReferralRequest& request) {
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("affiliate_id", request.affiliate_id()));
  AFFONSO_RETURN_IF_ERROR(RequireEmail(request.email()));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("name", request.name(), 255));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("customer_id", request.customer_id(), 255));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("subscription_id", request.subscription_id(), 255));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("external_user_id", request.external_user_id(), 255));
  AFFONSO_RETURN_IF_ERROR(CheckStatus(request.status()));
  if (request.has_created_at()) {
    AFFONSO_RETURN_IF_ERROR(CheckTimestamp("created_at", request.created_at()));
  }
  AFFONSO_RETURN_IF_ERROR(
      CheckMessageSize("metadata", request.metadata(), kMaxReferralMetadataBytes));
  return absl::OkStatus();
}

absl::Status ValidateUpdateReferral(const UpdateReferralRequest& request) {
  // Present-but-empty email is refused: it is a direct referral's business key.
  if (request.has_email()) AFFONSO_RETURN_IF_ERROR(RequireEmail(request.email()));
  if (request.has_customer_id()) {
    AFFONSO_RETURN_IF_ERROR(CheckMaxLength("customer_id", request.customer_id(), 255));
  }
  if (request.has_subscription_id()) {
    AFFONSO_RETURN_IF_ERROR(CheckMaxLength("subscription_id", request.subscription_id(), 255));
  }
  if (request.has_status()) {
    AFFONSO_RETURN_IF_ERROR(CheckStatus(request.status()));
    if (request.status() == affonso::v1::REFERRAL_STATUS_UNSPECIFIED) {
      return ValidationError("status", "status must be a referral status");
    }
  }
  if (request.has_name()) AFFONSO_RETURN_IF_ERROR(CheckMaxLength("name", request.name(), 255));
  if (request.has_metadata()) {
    AFFONSO_RETURN_IF_ERROR(
        CheckMessageSize("metadata", request.metadata(), kMaxReferralMetadataBytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateListReferrals(const ListReferralsRequest& request) {
  if (request.limit() < 0 || request.limit() > kMaxPageSize) {
    return ValidationError("limit", absl::StrCat("limit must be between 1 and ", kMaxPageSize));
  }
  if (!request.starting_after().empty() && !request.ending_before().empty()) {
    return ValidationError("ending_before",
                           "starting_after and ending_before cannot be used together");
  }
  AFFONSO_RETURN_IF_ERROR(CheckCursor("starting_after", request.starting_after()));
  AFFONSO_RETURN_IF_ERROR(CheckCursor("ending_before", request.ending_before()));
  AFFONSO_RETURN_IF_ERROR(CheckStatus(request.status()));
  if (!affonso::v1::ListOrder_IsValid(request.order())) {
    return ValidationError("order", "order must be asc or desc");
  }
  if (request.has_created_gte()) {
    AFFONSO_RETURN_IF_ERROR(CheckTimestamp("created_gte", request.created_gte()));
  }
  if (request.has_created_lte()) {
    AFFONSO_RETURN_IF_ERROR(CheckTimestamp("created_lte", request.created_lte()));
  }
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("external_user_id", request.external_user_id(), 255));
  return ParseReferralExpansions(request.expand(), {}).status();
}

absl::StatusOr<ReferralExpansions> ParseReferralExpansions(
    const google::protobuf::RepeatedPtrField<std::string>& expand,
    const google::protobuf::RepeatedPtrField<std::string>& include) {
  AFFONSO_ASSIGN_OR_RETURN(std::vector<std::string> expanded,
                           ParseNameList("expand", expand, {"affiliate"}));
  AFFONSO_ASSIGN_OR_RETURN(std::vector<std::string> included,
                           ParseNameList("include", include, {"stats"}));
  ReferralExpansions expansions;
  expansions.affiliate = Names(expanded, "affiliate");
  expansions.stats = Names(included, "stats");
  return expansions;
}

absl::Status ReferralServiceImpl::ExpandAffiliates(absl::string_view team_id,
                                                   std::vector<affonso::v1::Referral*> referrals) {
  std::map<std::string, std::optional<affonso::v1::Affiliate>> found;
  for (affonso::v1::Referral* referral : referrals) {
    AFFONSO_ASSIGN_OR_RETURN(
        const std::optional<affonso::v1::Affiliate>* affiliate,
        EmbeddedAffiliate(affiliates_, team_id, referral->affiliate_id(), &found));
    if (affiliate->has_value()) *referral->mutable_affiliate() = **affiliate;
  }
  return absl::OkStatus();
}

grpc::Status ReferralServiceImpl::CreateReferral(grpc::ServerContext* context,
                                                 const CreateReferralRequest* request,
                                                 affonso::v1::Referral* response) {
  return runner_.Run(
      context, "CreateReferral", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_RETURN_IF_ERROR(ValidateCreateReferral(*request));
        if (!LooksLikeId(request->affiliate_id(), "aff")) return NotFoundError("affiliate");
        if (!request->click_id().empty() && !LooksLikeId(request->click_id(), "clk")) {
          return NotFoundError("click");
        }
        AFFONSO_ASSIGN_OR_RETURN(*response, store_->CreateReferral(caller.team_id, *request));
        metrics_->CountFraudFlags(*response);
        RpcRunner::SetHttpCode(context, 201);
        return absl::OkStatus();
      });
}

grpc::Status ReferralServiceImpl::GetReferral(grpc::ServerContext* context,
                                              const affonso::v1::GetReferralRequest* request,
                                              affonso::v1::Referral* response) {
  return runner_.Run(context, "GetReferral", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(ReferralExpansions expansions,
                             ParseReferralExpansions(request->expand(), request->include()));
    if (!LooksLikeReferralId(request->id())) return NotFoundError("referral");
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->GetReferral(caller.team_id, request->id()));
    if (expansions.affiliate) {
      AFFONSO_RETURN_IF_ERROR(ExpandAffiliates(caller.team_id, {response}));
    }
    if (expansions.stats) {
      AFFONSO_ASSIGN_OR_RETURN(*response->mutable_stats(),
                               store_->GetReferralStats(caller.team_id, request->id()));
    }
    return absl::OkStatus();
  });
}

grpc::Status ReferralServiceImpl::UpdateReferral(grpc::ServerContext* context,
                                                 const UpdateReferralRequest* request,
                                                 affonso::v1::Referral* response) {
  return runner_.Run(
      context, "UpdateReferral", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_RETURN_IF_ERROR(ValidateUpdateReferral(*request));
        if (!LooksLikeReferralId(request->id())) return NotFoundError("referral");
        AFFONSO_ASSIGN_OR_RETURN(*response, store_->UpdateReferral(caller.team_id, *request));
        return absl::OkStatus();
      });
}

grpc::Status ReferralServiceImpl::ListReferrals(grpc::ServerContext* context,
                                                const ListReferralsRequest* request,
                                                affonso::v1::ListReferralsResponse* response) {
  return runner_.Run(context, "ListReferrals", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_RETURN_IF_ERROR(ValidateListReferrals(*request));
    AFFONSO_ASSIGN_OR_RETURN(ReferralExpansions expansions,
                             ParseReferralExpansions(request->expand(), {}));
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->ListReferrals(caller.team_id, *request));
    if (expansions.affiliate) {
      std::vector<affonso::v1::Referral*> referrals;
      for (affonso::v1::Referral& referral : *response->mutable_data()) {
        referrals.push_back(&referral);
      }
      AFFONSO_RETURN_IF_ERROR(ExpandAffiliates(caller.team_id, std::move(referrals)));
    }
    return absl::OkStatus();
  });
}

grpc::Status ReferralServiceImpl::DeleteReferral(grpc::ServerContext* context,
                                                 const affonso::v1::DeleteReferralRequest* request,
                                                 affonso::v1::DeleteReferralResponse* response) {
  return runner_.Run(
      context, "DeleteReferral", *request, [&](const Caller& caller) -> absl::Status {
        if (!LooksLikeReferralId(request->id())) return NotFoundError("referral");
        AFFONSO_RETURN_IF_ERROR(store_->DeleteReferral(caller.team_id, request->id()));
        response->set_id(request->id());
        response->set_deleted(true);
        response->set_message("referral deleted");
        return absl::OkStatus();
      });
}

}  // namespace affonso::services

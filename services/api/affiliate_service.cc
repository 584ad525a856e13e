#include "services/api/affiliate_service.h"

#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/api_error.h"
#include "common/status_macros.h"
#include "services/call/pagination.h"
#include "services/call/validation.h"

namespace affonso::services {
namespace {

constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxEmailLength = 254;
constexpr size_t kMaxTrackingIdLength = 64;
constexpr size_t kMaxExternalUserIdLength = 255;
constexpr size_t kMaxSearchLength = 255;
constexpr char kExpandCommissionOverrides[] = "commissionOverrides";
// numeric(18,2) holds 16 integer digits; stay clear of float rounding there.

absl::Status CheckName(const std::string& name) {
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("name", name));
  return CheckMaxLength("name", name, kMaxNameLength);
}

absl::Status CheckRequiredEmail(const std::string& email) {
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("email", email));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("email", email, kMaxEmailLength));
  return CheckEmail("email", email);
}

// Tracking ids end up in referral links (?via=...): keep them URL-safe.
absl::Status CheckTrackingId(const std::string& tracking_id) {
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("tracking_id", tracking_id, kMaxTrackingIdLength));
  for (char c : tracking_id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return ValidationError("tracking_id",
                             "tracking_id may only contain letters, digits, '_' and '-'");
    }
  }
  return absl::OkStatus();
}

// An enum number outside the contract (proto3 keeps unknown values).
absl::Status CheckPartnershipStatus(int status, bool allow_unspecified) {
  if (!affonso::v1::PartnershipStatus_IsValid(status) ||
      (!allow_unspecified && status == affonso::v1::PARTNERSHIP_STATUS_UNSPECIFIED)) {
    return ValidationError("partnership_status",
                           "partnership_status must be pending, approved or rejected");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCreateAffiliate(const affonso::v1::CreateAffiliateRequest& request) {
  AFFONSO_RETURN_IF_ERROR(CheckName(request.name()));
  AFFONSO_RETURN_IF_ERROR(CheckRequiredEmail(request.email()));
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("program_id", request.program_id()));
  AFFONSO_RETURN_IF_ERROR(CheckTrackingId(request.tracking_id()));
  AFFONSO_RETURN_IF_ERROR(
      CheckPartnershipStatus(request.partnership_status(), /*allow_unspecified=*/true));
  AFFONSO_RETURN_IF_ERROR(
      CheckMaxLength("external_user_id", request.external_user_id(), kMaxExternalUserIdLength));
  return absl::OkStatus();
}

absl::Status ValidateUpdateAffiliate(const affonso::v1::UpdateAffiliateRequest& request) {
  if (request.has_name()) AFFONSO_RETURN_IF_ERROR(CheckName(request.name()));
  if (request.has_email()) AFFONSO_RETURN_IF_ERROR(CheckRequiredEmail(request.email()));
  if (request.has_tracking_id()) {
    // Present and empty cannot mean "generate": the affiliate already has one.
    AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("tracking_id", request.tracking_id()));
    AFFONSO_RETURN_IF_ERROR(CheckTrackingId(request.tracking_id()));
  }
  if (request.has_partnership_status()) {
    AFFONSO_RETURN_IF_ERROR(
        CheckPartnershipStatus(request.partnership_status(), /*allow_unspecified=*/false));
  }
  if (request.has_external_user_id()) {
    AFFONSO_RETURN_IF_ERROR(
        CheckMaxLength("external_user_id", request.external_user_id(), kMaxExternalUserIdLength));
  }
  return absl::OkStatus();
}

absl::Status ValidateAffiliateExpand(
    const google::protobuf::RepeatedPtrField<std::string>& expand) {
  for (const std::string& value : expand) {
    for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      if (absl::StripAsciiWhitespace(item) != kExpandCommissionOverrides) {
        return ValidationError(
            "expand", absl::StrCat("expand supports only \"", kExpandCommissionOverrides, "\""));
      }
    }
  }
  return absl::OkStatus();
}

bool ExpandsCommissionOverrides(const google::protobuf::RepeatedPtrField<std::string>& expand) {
  for (const std::string& value : expand) {
    for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      if (absl::StripAsciiWhitespace(item) == kExpandCommissionOverrides) return true;
    }
  }
  return false;
}

absl::Status ValidateCreateCommissionOverride(
    const affonso::v1::CreateCommissionOverrideRequest& request) {
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("incentive_id", request.incentive_id()));
  return CheckAmount(request.amount(), request.is_percentage());
}

absl::StatusOr<storage::AffiliateListQuery> ParseListAffiliates(
    const affonso::v1::ListAffiliatesRequest& request) {
  AFFONSO_ASSIGN_OR_RETURN(PageRequest page,
                           ResolvePage(request.page(), request.limit(), kDefaultAffiliatePageLimit,
                                       kMaxAffiliatePageLimit));
  AFFONSO_RETURN_IF_ERROR(
      CheckPartnershipStatus(request.partnership_status(), /*allow_unspecified=*/true));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("search", request.search(), kMaxSearchLength));
  AFFONSO_RETURN_IF_ERROR(ValidateAffiliateExpand(request.expand()));
  storage::AffiliateListQuery query;
  query.page = page.page;
  query.limit = page.limit;
  query.partnership_status = request.partnership_status();
  query.group_id = request.group_id();
  query.program_id = request.program_id();
  query.search = request.search();
  return query;
}

grpc::Status AffiliateServiceImpl::CreateAffiliate(
    grpc::ServerContext* context, const affonso::v1::CreateAffiliateRequest* request,
    affonso::v1::Affiliate* response) {
  return runner_.Run(
      context, "CreateAffiliate", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_RETURN_IF_ERROR(ValidateCreateAffiliate(*request));
        if (!LooksLikeId(request->program_id(), "prg")) return NotFoundError("program");
        if (!request->group_id().empty() && !LooksLikeId(request->group_id(), "grp")) {
          return NotFoundError("group");
        }
        AFFONSO_ASSIGN_OR_RETURN(*response, store_->CreateAffiliate(caller.team_id, *request));
        RpcRunner::SetHttpCode(context, 201);
        return absl::OkStatus();
      });
}

grpc::Status AffiliateServiceImpl::GetAffiliate(grpc::ServerContext* context,
                                                const affonso::v1::GetAffiliateRequest* request,
                                                affonso::v1::Affiliate* response) {
  return runner_.Run(context, "GetAffiliate", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_RETURN_IF_ERROR(ValidateAffiliateExpand(request->expand()));
    if (!LooksLikeId(request->id(), "aff")) return NotFoundError("affiliate");
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->GetAffiliate(caller.team_id, request->id()));
    if (!ExpandsCommissionOverrides(request->expand())) return absl::OkStatus();
    AFFONSO_ASSIGN_OR_RETURN(auto overrides,
                             store_->ListCommissionOverrides(caller.team_id, {response->id()}));
    for (affonso::v1::CommissionOverride& commission_override : overrides[response->id()]) {
      *response->add_commission_overrides() = std::move(commission_override);
    }
    return absl::OkStatus();
  });
}

grpc::Status AffiliateServiceImpl::UpdateAffiliate(
    grpc::ServerContext* context, const affonso::v1::UpdateAffiliateRequest* request,
    affonso::v1::Affiliate* response) {
  return runner_.Run(
      context, "UpdateAffiliate", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_RETURN_IF_ERROR(ValidateUpdateAffiliate(*request));
        if (!LooksLikeId(request->id(), "aff")) return NotFoundError("affiliate");
        if (request->has_group_id() && !request->group_id().empty() &&
            !LooksLikeId(request->group_id(), "grp")) {
          return NotFoundError("group");
        }
        AFFONSO_ASSIGN_OR_RETURN(*response, store_->UpdateAffiliate(caller.team_id, *request));
        return absl::OkStatus();
      });
}

grpc::Status AffiliateServiceImpl::DeleteAffiliate(
    grpc::ServerContext* context, const affonso::v1::DeleteAffiliateRequest* request,
    affonso::v1::DeleteAffiliateResponse* response) {
  return runner_.Run(
      context, "DeleteAffiliate", *request, [&](const Caller& caller) -> absl::Status {
        if (!LooksLikeId(request->id(), "aff")) return NotFoundError("affiliate");
        AFFONSO_RETURN_IF_ERROR(store_->DeleteAffiliate(caller.team_id, request->id()));
        response->set_id(request->id());
        response->set_deleted(true);
        return absl::OkStatus();
      });
}

grpc::Status AffiliateServiceImpl::ListAffiliates(grpc::ServerContext* context,
                                                  const affonso::v1::ListAffiliatesRequest* request,
                                                  affonso::v1::ListAffiliatesResponse* response) {
  return runner_.Run(
      context, "ListAffiliates", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(storage::AffiliateListQuery query, ParseListAffiliates(*request));
        AFFONSO_ASSIGN_OR_RETURN(storage::AffiliatePage page,
                                 store_->ListAffiliates(caller.team_id, query));
        for (affonso::v1::Affiliate& affiliate : page.affiliates) {
          *response->add_data() = std::move(affiliate);
        }
        *response->mutable_pagination() = MakePagination(query.page, query.limit, page.total);
        if (!ExpandsCommissionOverrides(request->expand())) return absl::OkStatus();
        return AttachCommissionOverrides(caller.team_id, response->mutable_data());
      });
}

absl::Status AffiliateServiceImpl::AttachCommissionOverrides(
    const std::string& team_id,
    google::protobuf::RepeatedPtrField<affonso::v1::Affiliate>* affiliates) {
  if (affiliates->empty()) return absl::OkStatus();
  std::vector<std::string> ids;
  ids.reserve(affiliates->size());
  for (const affonso::v1::Affiliate& affiliate : *affiliates) ids.push_back(affiliate.id());
  AFFONSO_ASSIGN_OR_RETURN(auto overrides, store_->ListCommissionOverrides(team_id, ids));
  for (affonso::v1::Affiliate& affiliate : *affiliates) {
    auto found = overrides.find(affiliate.id());
    if (found == overrides.end()) continue;
    for (affonso::v1::CommissionOverride& commission_override : found->second) {
      *affiliate.add_commission_overrides() = std::move(commission_override);
    }
  }
  return absl::OkStatus();
}

grpc::Status AffiliateServiceImpl::CreateCommissionOverride(
    grpc::ServerContext* context, const affonso::v1::CreateCommissionOverrideRequest* request,
    affonso::v1::CommissionOverride* response) {
  return runner_.Run(context, "CreateCommissionOverride", *request,
                     [&](const Caller& caller) -> absl::Status {
                       AFFONSO_RETURN_IF_ERROR(ValidateCreateCommissionOverride(*request));
                       if (!LooksLikeId(request->affiliate_id(), "aff"))
                         return NotFoundError("affiliate");
                       if (!LooksLikeId(request->incentive_id(), "inc"))
                         return NotFoundError("incentive");
                       AFFONSO_ASSIGN_OR_RETURN(
                           *response, store_->CreateCommissionOverride(caller.team_id, *request));
                       RpcRunner::SetHttpCode(context, 201);
                       return absl::OkStatus();
                     });
}

grpc::Status AffiliateServiceImpl::DeleteCommissionOverride(
    grpc::ServerContext* context, const affonso::v1::DeleteCommissionOverrideRequest* request,
    affonso::v1::DeleteCommissionOverrideResponse* response) {
  return runner_.Run(context, "DeleteCommissionOverride", *request,
                     [&](const Caller& caller) -> absl::Status {
                       if (!LooksLikeId(request->affiliate_id(), "aff"))
                         return NotFoundError("affiliate");
                       if (!LooksLikeId(request->id(), "ovr"))
                         return NotFoundError("commission override");
                       AFFONSO_RETURN_IF_ERROR(store_->DeleteCommissionOverride(
                           caller.team_id, request->affiliate_id(), request->id()));
                       response->set_id(request->id());
                       response->set_deleted(true);
                       return absl::OkStatus();
                     });
}

}  // namespace affonso::services

#include "services/api/affiliate_service.h"

#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
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
constexpr size_t kMaxCompanyNameLength = 255;
constexpr size_t kMaxSortLength = 64;

// The SDK's PayoutMethod values.
constexpr absl::string_view kPayoutMethods[] = {
    "paypal", "wise",    "payoneer", "paxum",  "webmoney", "skrill", "wire_transfer",
    "ach",    "bitcoin", "ethereum", "alipay", "wechat",   "manual", "none"};

absl::Status CheckMetadata(const google::protobuf::Struct& metadata) {
  return CheckEncodedSize("metadata", metadata, kMaxAffiliateMetadataBytes);
}

absl::Status CheckCompanyName(const std::string& company_name) {
  return CheckMaxLength("company_name", company_name, kMaxCompanyNameLength);
}

// ISO 3166-1 alpha-2, any case; "" = none.
absl::Status CheckCountryCode(const std::string& country_code) {
  if (country_code.empty()) return absl::OkStatus();
  if (country_code.size() != 2 ||
      !absl::ascii_isalpha(static_cast<unsigned char>(country_code[0])) ||
      !absl::ascii_isalpha(static_cast<unsigned char>(country_code[1]))) {
    return ValidationError("country_code", "country_code must be a 2-letter ISO 3166-1 code");
  }
  return absl::OkStatus();
}

// "" = none.
absl::Status CheckPayoutMethod(const std::string& payout_method) {
  if (payout_method.empty()) return absl::OkStatus();
  for (absl::string_view known : kPayoutMethods) {
    if (payout_method == known) return absl::OkStatus();
  }
  return ValidationError("payout_method",
                         "payout_method must be paypal, wise, payoneer, paxum, webmoney, skrill, "
                         "wire_transfer, ach, bitcoin, ethereum, alipay, wechat, manual or none");
}

// The SDK's PayoutDetails: string values (null allowed, as the response's
// Record<string, string | null>).
absl::Status CheckPayoutDetails(const google::protobuf::Struct& details) {
  for (const auto& [key, value] : details.fields()) {
    if (value.kind_case() != google::protobuf::Value::kStringValue &&
        value.kind_case() != google::protobuf::Value::kNullValue) {
      return ValidationError("payout_details", "payout_details values must be strings");
    }
  }
  return CheckEncodedSize("payout_details", details, kMaxPayoutDetailsBytes);
}

absl::StatusOr<storage::AffiliateSort> ParseSort(const std::string& sort) {
  if (sort.empty()) return storage::AffiliateSort::kNewest;
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("sort", sort, kMaxSortLength));
  absl::string_view field = sort;
  bool descending = false;
  if (absl::ConsumePrefix(&field, "-")) {
    descending = true;
  } else if (absl::ConsumeSuffix(&field, ":desc")) {
    descending = true;
  } else {
    absl::ConsumeSuffix(&field, ":asc");
  }
  if (field == "created_at" || field == "createdAt") {
    return descending ? storage::AffiliateSort::kNewest : storage::AffiliateSort::kOldest;
  }
  if (field == "name") {
    return descending ? storage::AffiliateSort::kNameDesc : storage::AffiliateSort::kNameAsc;
  }
  if (field == "email") {
    return descending ? storage::AffiliateSort::kEmailDesc : storage::AffiliateSort::kEmailAsc;
  }
  return ValidationError("sort",
                         "sort must be created_at, name or email, optionally as -field or "
                         "field:asc / field:desc");
}

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
absl::Status CheckPartnershipStatus(int status, bool allow_unspecified,
                                    absl::string_view field = "partnership_status") {
  if (!affonso::v1::PartnershipStatus_IsValid(status) ||
      (!allow_unspecified && status == affonso::v1::PARTNERSHIP_STATUS_UNSPECIFIED)) {
    return ValidationError(field, absl::StrCat(field, " must be pending, approved or rejected"));
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
  AFFONSO_RETURN_IF_ERROR(CheckMetadata(request.metadata()));
  AFFONSO_RETURN_IF_ERROR(CheckCompanyName(request.company_name()));
  AFFONSO_RETURN_IF_ERROR(CheckCountryCode(request.country_code()));
  AFFONSO_RETURN_IF_ERROR(CheckPayoutMethod(request.payout_method()));
  if (request.has_payout_details()) {
    AFFONSO_RETURN_IF_ERROR(CheckPayoutDetails(request.payout_details()));
    if (request.payout_method().empty()) {
      return ValidationError("payout_details", "payout_details needs payout_method");
    }
  }
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
  if (request.has_status()) {
    AFFONSO_RETURN_IF_ERROR(
        CheckPartnershipStatus(request.status(), /*allow_unspecified=*/false, "status"));
    if (request.has_partnership_status() && request.partnership_status() != request.status()) {
      return ValidationError("status", "status and partnership_status disagree");
    }
  }
  if (request.has_external_user_id()) {
    AFFONSO_RETURN_IF_ERROR(
        CheckMaxLength("external_user_id", request.external_user_id(), kMaxExternalUserIdLength));
  }
  if (request.has_metadata()) AFFONSO_RETURN_IF_ERROR(CheckMetadata(request.metadata()));
  if (request.has_company_name()) AFFONSO_RETURN_IF_ERROR(CheckCompanyName(request.company_name()));
  if (request.has_country_code()) AFFONSO_RETURN_IF_ERROR(CheckCountryCode(request.country_code()));
  if (request.has_payout_method()) {
    AFFONSO_RETURN_IF_ERROR(CheckPayoutMethod(request.payout_method()));
  }
  if (request.has_payout_details()) {
    AFFONSO_RETURN_IF_ERROR(CheckPayoutDetails(request.payout_details()));
  }
  return absl::OkStatus();
}

affonso::v1::CreateAffiliateRequest NormalizedCreateAffiliate(
    const affonso::v1::CreateAffiliateRequest& request) {
  affonso::v1::CreateAffiliateRequest normalized = request;
  absl::AsciiStrToUpper(normalized.mutable_country_code());
  return normalized;
}

affonso::v1::UpdateAffiliateRequest NormalizedUpdateAffiliate(
    const affonso::v1::UpdateAffiliateRequest& request) {
  affonso::v1::UpdateAffiliateRequest normalized = request;
  if (normalized.has_status()) {
    normalized.set_partnership_status(normalized.status());
    normalized.clear_status();
  }
  if (normalized.has_country_code()) absl::AsciiStrToUpper(normalized.mutable_country_code());
  return normalized;
}

absl::StatusOr<const std::optional<affonso::v1::Affiliate>*> EmbeddedAffiliate(
    storage::AffiliateStore* affiliates, absl::string_view team_id, const std::string& id,
    std::map<std::string, std::optional<affonso::v1::Affiliate>>* cache) {
  auto [it, inserted] = cache->try_emplace(id);
  if (!inserted) return &it->second;
  absl::StatusOr<affonso::v1::Affiliate> affiliate = affiliates->GetAffiliate(team_id, id);
  if (affiliate.ok()) {
    ApplyAffiliateExpansions(AffiliateExpansions(), &*affiliate);
    it->second = *std::move(affiliate);
  } else if (affiliate.status().code() != absl::StatusCode::kNotFound) {
    cache->erase(it);
    return affiliate.status();
  }
  return &it->second;
}

affonso::v1::AffiliatePromoCode PromoCodeOf(const affonso::v1::Coupon& coupon) {
  affonso::v1::AffiliatePromoCode promo_code;
  promo_code.set_code(coupon.code());
  promo_code.set_coupon_id(coupon.id());
  if (coupon.has_discount_type()) {
    promo_code.set_discount_type(
        coupon.discount_type() == affonso::v1::DISCOUNT_TYPE_FIXED ? "fixed" : "percentage");
  }
  if (coupon.has_discount_value()) promo_code.set_discount_value(coupon.discount_value());
  if (coupon.has_duration()) {
    switch (coupon.duration()) {
      case affonso::v1::COUPON_DURATION_ONCE:
        promo_code.set_duration("once");
        break;
      case affonso::v1::COUPON_DURATION_REPEATING:
        promo_code.set_duration("repeating");
        break;
      default:
        promo_code.set_duration("forever");
        break;
    }
  }
  *promo_code.mutable_created_at() = coupon.created_at();
  return promo_code;
}

absl::StatusOr<AffiliateExpansions> ParseAffiliateExpand(
    const google::protobuf::RepeatedPtrField<std::string>& expand) {
  AFFONSO_ASSIGN_OR_RETURN(std::vector<std::string> names,
                           ParseNameList("expand", expand,
                                         {"promoCodes", "commissionOverrides", "invoiceDetails",
                                          "payoutMethod", "onboardingResponses"}));
  AffiliateExpansions expansions;
  expansions.promo_codes = Names(names, "promoCodes");
  expansions.commission_overrides = Names(names, "commissionOverrides");
  expansions.invoice_details = Names(names, "invoiceDetails");
  expansions.payout_method = Names(names, "payoutMethod");
  expansions.onboarding_responses = Names(names, "onboardingResponses");
  return expansions;
}

void ApplyAffiliateExpansions(const AffiliateExpansions& expansions,
                              affonso::v1::Affiliate* affiliate) {
  affiliate->clear_expanded();
  // Promo codes (the affiliate's coupons) and onboarding responses (those of
  // a completed form) are attached by the caller; invoice details come with
  // their own issue: asked for, they are null until then.
  if (expansions.promo_codes) {
    affiliate->add_expanded("promo_codes");
  } else {
    affiliate->clear_promo_codes();
  }
  if (expansions.commission_overrides) {
    affiliate->add_expanded("commission_overrides");
  } else {
    affiliate->clear_commission_overrides();
  }
  if (expansions.invoice_details) {
    affiliate->add_expanded("invoice_details");
  } else {
    affiliate->clear_invoice_details();
  }
  if (expansions.payout_method) {
    affiliate->add_expanded("payout_method");
  } else {
    affiliate->clear_payout_method();
  }
  if (expansions.onboarding_responses) {
    affiliate->add_expanded("onboarding_responses");
  } else {
    affiliate->clear_onboarding_responses();
  }
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
  AFFONSO_ASSIGN_OR_RETURN(AffiliateExpansions expansions, ParseAffiliateExpand(request.expand()));
  if (expansions.onboarding_responses && page.limit > storage::kMaxOnboardingExpandedPageLimit) {
    return ValidationError(
        "limit", absl::StrCat("limit is at most ", storage::kMaxOnboardingExpandedPageLimit,
                              " with expand=onboardingResponses"));
  }
  storage::AffiliateListQuery query;
  AFFONSO_ASSIGN_OR_RETURN(query.sort, ParseSort(request.sort()));
  if (!request.date_from().empty()) {
    AFFONSO_ASSIGN_OR_RETURN(absl::Time from,
                             ParseDateBound("date_from", request.date_from(), DateBound::kStart));
    query.created_from_micros = absl::ToUnixMicros(from);
  }
  if (!request.date_to().empty()) {
    AFFONSO_ASSIGN_OR_RETURN(absl::Time to,
                             ParseDateBound("date_to", request.date_to(), DateBound::kEnd));
    // The store's bound is exclusive; ParseDateBound's is the last included
    // microsecond (a date's whole UTC day).
    query.created_before_micros = absl::ToUnixMicros(to) + 1;
  }
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
        AFFONSO_ASSIGN_OR_RETURN(
            *response,
            store_->CreateAffiliate(caller.team_id, NormalizedCreateAffiliate(*request)));
        ApplyAffiliateExpansions(AffiliateExpansions(), response);
        RpcRunner::SetHttpCode(context, 201);
        return absl::OkStatus();
      });
}

grpc::Status AffiliateServiceImpl::GetAffiliate(grpc::ServerContext* context,
                                                const affonso::v1::GetAffiliateRequest* request,
                                                affonso::v1::Affiliate* response) {
  return runner_.Run(context, "GetAffiliate", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(AffiliateExpansions expansions,
                             ParseAffiliateExpand(request->expand()));
    if (!LooksLikeId(request->id(), "aff")) return NotFoundError("affiliate");
    google::protobuf::RepeatedPtrField<affonso::v1::Affiliate> one;
    AFFONSO_ASSIGN_OR_RETURN(*one.Add(), store_->GetAffiliate(caller.team_id, request->id()));
    AFFONSO_RETURN_IF_ERROR(Expand(caller.team_id, expansions, &one));
    response->Swap(&one[0]);
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
        AFFONSO_ASSIGN_OR_RETURN(
            *response,
            store_->UpdateAffiliate(caller.team_id, NormalizedUpdateAffiliate(*request)));
        ApplyAffiliateExpansions(AffiliateExpansions(), response);
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
        response->set_message("affiliate deleted");
        return absl::OkStatus();
      });
}

grpc::Status AffiliateServiceImpl::ListAffiliates(grpc::ServerContext* context,
                                                  const affonso::v1::ListAffiliatesRequest* request,
                                                  affonso::v1::ListAffiliatesResponse* response) {
  return runner_.Run(
      context, "ListAffiliates", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(storage::AffiliateListQuery query, ParseListAffiliates(*request));
        AFFONSO_ASSIGN_OR_RETURN(AffiliateExpansions expansions,
                                 ParseAffiliateExpand(request->expand()));
        AFFONSO_ASSIGN_OR_RETURN(storage::AffiliatePage page,
                                 store_->ListAffiliates(caller.team_id, query));
        for (affonso::v1::Affiliate& affiliate : page.affiliates) {
          *response->add_data() = std::move(affiliate);
        }
        *response->mutable_pagination() = MakePagination(query.page, query.limit, page.total);
        return Expand(caller.team_id, expansions, response->mutable_data());
      });
}

absl::Status AffiliateServiceImpl::Expand(
    const std::string& team_id, const AffiliateExpansions& expansions,
    google::protobuf::RepeatedPtrField<affonso::v1::Affiliate>* affiliates) {
  for (affonso::v1::Affiliate& affiliate : *affiliates) {
    ApplyAffiliateExpansions(expansions, &affiliate);
  }
  if (affiliates->empty()) return absl::OkStatus();
  std::vector<std::string> ids;
  ids.reserve(affiliates->size());
  for (const affonso::v1::Affiliate& affiliate : *affiliates) ids.push_back(affiliate.id());
  if (expansions.promo_codes && coupons_ != nullptr) {
    AFFONSO_ASSIGN_OR_RETURN(auto coupons, coupons_->ListForAffiliates(team_id, ids));
    for (affonso::v1::Affiliate& affiliate : *affiliates) {
      auto found = coupons.find(affiliate.id());
      if (found == coupons.end()) continue;
      for (const affonso::v1::Coupon& coupon : found->second) {
        *affiliate.add_promo_codes() = PromoCodeOf(coupon);
      }
    }
  }
  if (expansions.onboarding_responses && onboarding_ != nullptr) {
    AFFONSO_ASSIGN_OR_RETURN(auto responses, onboarding_->ListCompletedResponses(team_id, ids));
    for (affonso::v1::Affiliate& affiliate : *affiliates) {
      auto found = responses.find(affiliate.id());
      if (found != responses.end()) {
        *affiliate.mutable_onboarding_responses() = std::move(found->second);
      }
    }
  }
  if (!expansions.commission_overrides) return absl::OkStatus();
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
                       response->set_message("commission override deleted");
                       return absl::OkStatus();
                     });
}

}  // namespace affonso::services

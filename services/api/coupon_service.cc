#include "services/api/coupon_service.h"

#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/api_error.h"
#include "common/money.h"
#include "common/status_macros.h"
#include "services/api/affiliate_service.h"
#include "services/call/pagination.h"
#include "services/call/validation.h"

namespace affonso::services {
namespace {

using affonso::v1::Coupon;

constexpr size_t kMaxIdFilterLength = 255;
constexpr size_t kMaxSearchLength = 255;
constexpr char kDefaultCurrency[] = "USD";
constexpr int64_t kMaxPercentCents = 10000;  // 100.00

// A filter naming an id we could never have issued matches nothing.
bool FilterMatchesNothing(const storage::CouponListQuery& query) {
  return (!query.affiliate_id.empty() && !LooksLikeId(query.affiliate_id, "aff")) ||
         (!query.program_id.empty() && !LooksLikeId(query.program_id, "prg"));
}

absl::StatusOr<storage::CouponSort> ParseSort(const std::string& sort) {
  if (sort.empty()) return storage::CouponSort::kNewest;
  absl::string_view field = sort;
  std::optional<bool> descending;
  if (absl::ConsumePrefix(&field, "-")) {
    descending = true;
  } else if (absl::ConsumeSuffix(&field, ":asc")) {
    descending = false;
  } else if (absl::ConsumeSuffix(&field, ":desc")) {
    descending = true;
  }
  if (field == "created_at") {
    return descending.value_or(true) ? storage::CouponSort::kNewest : storage::CouponSort::kOldest;
  }
  if (field == "code") {
    return descending.value_or(false) ? storage::CouponSort::kCodeDesc
                                      : storage::CouponSort::kCodeAsc;
  }
  if (field == "discount_value") {
    return descending.value_or(false) ? storage::CouponSort::kDiscountValueDesc
                                      : storage::CouponSort::kDiscountValueAsc;
  }
  return ValidationError(
      "sort", "sort must be created_at, code or discount_value, optionally with :asc or :desc");
}

}  // namespace

bool IsValidCouponCode(absl::string_view code) {
  if (code.empty() || code.size() > kMaxCouponCodeLength) return false;
  for (char c : code) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

absl::StatusOr<storage::CouponInput> ParseCreateCoupon(
    const affonso::v1::CreateCouponRequest& request) {
  storage::CouponInput input;
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("affiliate_id", request.affiliate_id()));
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("code", request.code()));
  if (!IsValidCouponCode(request.code())) {
    return ValidationError("code",
                           "code must be 1 to 64 characters of letters, digits, '_' and '-'");
  }
  if (request.discount_type() != affonso::v1::DISCOUNT_TYPE_PERCENTAGE &&
      request.discount_type() != affonso::v1::DISCOUNT_TYPE_FIXED) {
    return ValidationError("discount_type", "discount_type must be percentage or fixed");
  }
  if (!request.has_discount_value()) {
    return ValidationError("discount_value", "discount_value is required");
  }
  AFFONSO_ASSIGN_OR_RETURN(input.discount_value,
                           Money::FromAmount("discount_value", request.discount_value()));
  if (request.discount_type() == affonso::v1::DISCOUNT_TYPE_PERCENTAGE &&
      input.discount_value.cents() > kMaxPercentCents) {
    return ValidationError("discount_value", "a percentage discount_value is at most 100");
  }
  if (request.duration() != affonso::v1::COUPON_DURATION_FOREVER &&
      request.duration() != affonso::v1::COUPON_DURATION_ONCE &&
      request.duration() != affonso::v1::COUPON_DURATION_REPEATING) {
    return ValidationError("duration", "duration must be forever, once or repeating");
  }
  if (request.duration() == affonso::v1::COUPON_DURATION_REPEATING) {
    if (!request.has_duration_in_months()) {
      return ValidationError("duration_in_months",
                             "duration_in_months is required when duration is repeating");
    }
    if (request.duration_in_months() < 1 ||
        request.duration_in_months() > kMaxCouponDurationMonths) {
      return ValidationError(
          "duration_in_months",
          absl::StrCat("duration_in_months must be from 1 to ", kMaxCouponDurationMonths));
    }
    input.duration_in_months = request.duration_in_months();
  } else if (request.has_duration_in_months()) {
    return ValidationError("duration_in_months",
                           "duration_in_months is only for a repeating duration");
  }
  if (!request.currency().empty()) {
    const std::string& currency = request.currency();
    if (currency.size() != 3 || !absl::ascii_isalpha(currency[0]) ||
        !absl::ascii_isalpha(currency[1]) || !absl::ascii_isalpha(currency[2])) {
      return ValidationError("currency", "currency must be a three-letter currency code");
    }
    input.currency = absl::AsciiStrToUpper(currency);
  } else if (request.discount_type() == affonso::v1::DISCOUNT_TYPE_FIXED) {
    input.currency = kDefaultCurrency;
  }
  if (request.product_ids_size() > kMaxCouponProductIds) {
    return ValidationError("product_ids",
                           absl::StrCat("product_ids has at most ", kMaxCouponProductIds, " ids"));
  }
  std::set<std::string> seen;
  for (const std::string& product_id : request.product_ids()) {
    AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("product_ids", product_id));
    AFFONSO_RETURN_IF_ERROR(CheckMaxLength("product_ids", product_id, kMaxCouponProductIdLength));
    if (seen.insert(product_id).second) input.product_ids.push_back(product_id);
  }
  input.affiliate_id = request.affiliate_id();
  input.code = request.code();
  input.discount_type = request.discount_type();
  input.duration = request.duration();
  return input;
}

absl::StatusOr<storage::CouponListQuery> ParseListCoupons(
    const affonso::v1::ListCouponsRequest& request) {
  AFFONSO_ASSIGN_OR_RETURN(
      PageRequest page,
      ResolvePage(request.page(), request.limit(), kDefaultCouponPageLimit, kMaxCouponPageLimit));
  AFFONSO_RETURN_IF_ERROR(
      CheckMaxLength("affiliate_id", request.affiliate_id(), kMaxIdFilterLength));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("program_id", request.program_id(), kMaxIdFilterLength));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("search", request.search(), kMaxSearchLength));
  AFFONSO_RETURN_IF_ERROR(ParseCouponExpand(request.expand()).status());
  storage::CouponListQuery query;
  AFFONSO_ASSIGN_OR_RETURN(query.sort, ParseSort(request.sort()));
  query.page = page.page;
  query.limit = page.limit;
  query.affiliate_id = request.affiliate_id();
  query.program_id = request.program_id();
  query.search = request.search();
  return query;
}

absl::StatusOr<bool> ParseCouponExpand(
    const google::protobuf::RepeatedPtrField<std::string>& expand) {
  AFFONSO_ASSIGN_OR_RETURN(std::vector<std::string> names,
                           ParseNameList("expand", expand, {"affiliate"}));
  return Names(names, "affiliate");
}

absl::Status CouponServiceImpl::ExpandAffiliates(absl::string_view team_id,
                                                 std::vector<Coupon*> coupons) {
  std::map<std::string, std::optional<affonso::v1::Affiliate>> cache;
  for (Coupon* coupon : coupons) {
    AFFONSO_ASSIGN_OR_RETURN(
        const std::optional<affonso::v1::Affiliate>* affiliate,
        EmbeddedAffiliate(affiliates_, team_id, coupon->affiliate_id(), &cache));
    if (affiliate->has_value()) *coupon->mutable_affiliate() = **affiliate;
  }
  return absl::OkStatus();
}

grpc::Status CouponServiceImpl::ListCoupons(grpc::ServerContext* context,
                                            const affonso::v1::ListCouponsRequest* request,
                                            affonso::v1::ListCouponsResponse* response) {
  return runner_.Run(context, "ListCoupons", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(storage::CouponListQuery query, ParseListCoupons(*request));
    AFFONSO_ASSIGN_OR_RETURN(const bool expand_affiliate, ParseCouponExpand(request->expand()));
    storage::CouponPage page;
    if (!FilterMatchesNothing(query)) {
      AFFONSO_ASSIGN_OR_RETURN(page, store_->ListCoupons(caller.team_id, query));
    }
    std::vector<Coupon*> coupons;
    for (Coupon& coupon : page.coupons) {
      Coupon* added = response->add_data();
      *added = std::move(coupon);
      coupons.push_back(added);
    }
    if (expand_affiliate) {
      AFFONSO_RETURN_IF_ERROR(ExpandAffiliates(caller.team_id, std::move(coupons)));
    }
    *response->mutable_pagination() = MakePagination(query.page, query.limit, page.total);
    return absl::OkStatus();
  });
}

grpc::Status CouponServiceImpl::CreateCoupon(grpc::ServerContext* context,
                                             const affonso::v1::CreateCouponRequest* request,
                                             Coupon* response) {
  return runner_.Run(context, "CreateCoupon", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(storage::CouponInput input, ParseCreateCoupon(*request));
    if (!LooksLikeId(input.affiliate_id, "aff")) return NotFoundError("affiliate");
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->CreateCoupon(caller.team_id, input));
    RpcRunner::SetHttpCode(context, 201);
    return absl::OkStatus();
  });
}

grpc::Status CouponServiceImpl::GetCoupon(grpc::ServerContext* context,
                                          const affonso::v1::GetCouponRequest* request,
                                          Coupon* response) {
  return runner_.Run(context, "GetCoupon", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(const bool expand_affiliate, ParseCouponExpand(request->expand()));
    if (!LooksLikeId(request->id(), "cpn")) return NotFoundError("coupon");
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->GetCoupon(caller.team_id, request->id()));
    if (expand_affiliate) return ExpandAffiliates(caller.team_id, {response});
    return absl::OkStatus();
  });
}

grpc::Status CouponServiceImpl::DeleteCoupon(grpc::ServerContext* context,
                                             const affonso::v1::DeleteCouponRequest* request,
                                             affonso::v1::DeleteCouponResponse* response) {
  return runner_.Run(context, "DeleteCoupon", *request, [&](const Caller& caller) -> absl::Status {
    if (!LooksLikeId(request->id(), "cpn")) return NotFoundError("coupon");
    AFFONSO_RETURN_IF_ERROR(store_->DeleteCoupon(caller.team_id, request->id()));
    response->set_id(request->id());
    response->set_deleted(true);
    response->set_message("coupon deleted");
    return absl::OkStatus();
  });
}

}  // namespace affonso::services

#include "services/api/commission_service.h"

#include <map>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/api_error.h"
#include "common/status_macros.h"
#include "services/api/affiliate_service.h"
#include "services/call/pagination.h"
#include "services/call/validation.h"

namespace affonso::services {
namespace {

using affonso::v1::Commission;

constexpr size_t kMaxIdFilterLength = 255;
constexpr size_t kMaxPaymentIntentLength = 255;
constexpr int kMaxHoldPeriodDays = 3650;
constexpr char kDefaultCurrency[] = "USD";

// A referral converted from a click keeps the click's id.
bool LooksLikeReferralId(const std::string& id) {
  return LooksLikeId(id, "ref") || LooksLikeId(id, "clk");
}

// A filter naming an id we could never have issued matches nothing.
bool FilterMatchesNothing(const storage::CommissionListQuery& query) {
  return (!query.affiliate_id.empty() && !LooksLikeId(query.affiliate_id, "aff")) ||
         (!query.referral_id.empty() && !LooksLikeReferralId(query.referral_id));
}

// Open proto3 enums can carry numbers we do not know; UNSPECIFIED passes when
// `unspecified_ok` (it then means the default).
absl::Status CheckCommissionStatus(int status, bool unspecified_ok) {
  if (!affonso::v1::CommissionStatus_IsValid(status) ||
      (!unspecified_ok && status == affonso::v1::COMMISSION_STATUS_UNSPECIFIED)) {
    return ValidationError("status",
                           "status must be pending, pending_manual_approval, ready_for_payment, "
                           "processing_payout, paid, declined, refunded or dispute");
  }
  return absl::OkStatus();
}

absl::Status CheckSalesStatus(int status, bool unspecified_ok) {
  if (!affonso::v1::SalesStatus_IsValid(status) ||
      (!unspecified_ok && status == affonso::v1::SALES_STATUS_UNSPECIFIED)) {
    return ValidationError(
        "sales_status",
        "sales_status must be open, complete, trialing, failed, refunded or partial_refunded");
  }
  return absl::OkStatus();
}

// Three letters, returned upper case.
absl::StatusOr<std::string> ParseCurrency(absl::string_view field, const std::string& value) {
  if (value.size() != 3 || !absl::ascii_isalpha(value[0]) || !absl::ascii_isalpha(value[1]) ||
      !absl::ascii_isalpha(value[2])) {
    return ValidationError(field, absl::StrCat(field, " must be a three-letter currency code"));
  }
  return absl::AsciiStrToUpper(value);
}

absl::Status CheckHoldPeriod(int days) {
  if (days < 0 || days > kMaxHoldPeriodDays) {
    return ValidationError("hold_period_days",
                           absl::StrCat("hold_period_days must be from 0 to ", kMaxHoldPeriodDays));
  }
  return absl::OkStatus();
}

absl::Status CheckTimestamp(absl::string_view field, const google::protobuf::Timestamp& value) {
  if (value.nanos() < 0 || value.nanos() > 999999999 ||
      !InTimestampRange(absl::FromUnixSeconds(value.seconds()))) {
    return ValidationError(field, absl::StrCat(field, " is not a valid timestamp"));
  }
  return absl::OkStatus();
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
  if (request.has_status()) {
    AFFONSO_RETURN_IF_ERROR(CheckCommissionStatus(request.status(), /*unspecified_ok=*/false));
  }
  if (request.has_sales_status()) {
    AFFONSO_RETURN_IF_ERROR(CheckSalesStatus(request.sales_status(), /*unspecified_ok=*/false));
  }
  storage::CommissionListQuery query;
  AFFONSO_ASSIGN_OR_RETURN(query.created_from_us,
                           DateBoundMicros("dateFrom", request.date_from(), DateBound::kStart));
  AFFONSO_ASSIGN_OR_RETURN(query.created_to_us,
                           DateBoundMicros("dateTo", request.date_to(), DateBound::kEnd));
  AFFONSO_ASSIGN_OR_RETURN(
      query.sort, ParseSortSpec(request.sort(),
                                {"created_at", "updated_at", "sale_amount", "commission_amount"}));
  AFFONSO_RETURN_IF_ERROR(ParseCommissionExpansions(request.expand()).status());
  query.page = page.page;
  query.limit = page.limit;
  query.affiliate_id = request.affiliate_id();
  query.referral_id = request.referral_id();
  query.status =
      request.has_status() ? request.status() : affonso::v1::COMMISSION_STATUS_UNSPECIFIED;
  query.sales_status =
      request.has_sales_status() ? request.sales_status() : affonso::v1::SALES_STATUS_UNSPECIFIED;
  return query;
}

absl::StatusOr<storage::CommissionInput> ParseCreateCommission(
    const affonso::v1::CreateCommissionRequest& request) {
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("referral_id", request.referral_id()));
  if (!request.has_sale_amount()) {
    return ValidationError("sale_amount", "sale_amount is required");
  }
  AFFONSO_RETURN_IF_ERROR(CheckMoney("sale_amount", request.sale_amount()));
  if (!request.has_commission_amount()) {
    return ValidationError("commission_amount", "commission_amount is required");
  }
  AFFONSO_RETURN_IF_ERROR(CheckMoney("commission_amount", request.commission_amount()));
  storage::CommissionInput input;
  if (!request.sale_amount_currency().empty()) {
    AFFONSO_ASSIGN_OR_RETURN(input.sale_amount_currency,
                             ParseCurrency("sale_amount_currency", request.sale_amount_currency()));
  }
  if (!request.commission_currency().empty()) {
    AFFONSO_ASSIGN_OR_RETURN(input.commission_currency,
                             ParseCurrency("commission_currency", request.commission_currency()));
  }
  if (input.commission_currency.empty()) {
    input.commission_currency =
        input.sale_amount_currency.empty() ? kDefaultCurrency : input.sale_amount_currency;
  }
  if (input.sale_amount_currency.empty()) input.sale_amount_currency = input.commission_currency;
  AFFONSO_RETURN_IF_ERROR(CheckCommissionStatus(request.status(), /*unspecified_ok=*/true));
  AFFONSO_RETURN_IF_ERROR(CheckSalesStatus(request.sales_status(), /*unspecified_ok=*/true));
  AFFONSO_RETURN_IF_ERROR(
      CheckMaxLength("payment_intent_id", request.payment_intent_id(), kMaxPaymentIntentLength));
  if (request.has_hold_period_days()) {
    AFFONSO_RETURN_IF_ERROR(CheckHoldPeriod(request.hold_period_days()));
    input.hold_period_days = request.hold_period_days();
  }
  if (request.has_created_at()) {
    AFFONSO_RETURN_IF_ERROR(CheckTimestamp("created_at", request.created_at()));
    input.created_at_us = std::to_string(request.created_at().seconds() * 1000000 +
                                         request.created_at().nanos() / 1000);
  }
  input.referral_id = request.referral_id();
  input.sale_amount = MoneyText(request.sale_amount());
  input.commission_amount = MoneyText(request.commission_amount());
  if (request.status() != affonso::v1::COMMISSION_STATUS_UNSPECIFIED) {
    input.status = request.status();
  }
  if (request.sales_status() != affonso::v1::SALES_STATUS_UNSPECIFIED) {
    input.sales_status = request.sales_status();
  }
  input.payment_intent_id = request.payment_intent_id();
  return input;
}

absl::StatusOr<storage::CommissionChange> ParseUpdateCommission(
    const affonso::v1::UpdateCommissionRequest& request) {
  storage::CommissionChange change;
  change.id = request.id();
  if (request.has_status()) {
    AFFONSO_RETURN_IF_ERROR(CheckCommissionStatus(request.status(), /*unspecified_ok=*/false));
    change.status = request.status();
  }
  if (request.has_sales_status()) {
    AFFONSO_RETURN_IF_ERROR(CheckSalesStatus(request.sales_status(), /*unspecified_ok=*/false));
    change.sales_status = request.sales_status();
  }
  if (request.has_hold_period_days()) {
    AFFONSO_RETURN_IF_ERROR(CheckHoldPeriod(request.hold_period_days()));
    change.hold_period_days = request.hold_period_days();
  }
  if (request.has_sale_amount()) {
    AFFONSO_RETURN_IF_ERROR(CheckMoney("sale_amount", request.sale_amount()));
    change.sale_amount = MoneyText(request.sale_amount());
  }
  if (request.has_commission_amount()) {
    AFFONSO_RETURN_IF_ERROR(CheckMoney("commission_amount", request.commission_amount()));
    change.commission_amount = MoneyText(request.commission_amount());
  }
  if (request.has_sale_amount_currency()) {
    AFFONSO_ASSIGN_OR_RETURN(change.sale_amount_currency,
                             ParseCurrency("sale_amount_currency", request.sale_amount_currency()));
  }
  if (request.has_commission_currency()) {
    AFFONSO_ASSIGN_OR_RETURN(change.commission_currency,
                             ParseCurrency("commission_currency", request.commission_currency()));
  }
  return change;
}

absl::StatusOr<CommissionExpansions> ParseCommissionExpansions(
    const google::protobuf::RepeatedPtrField<std::string>& expand) {
  AFFONSO_ASSIGN_OR_RETURN(
      std::vector<std::string> names,
      ParseNameList("expand", expand, {"affiliate", "affiliate_program", "referral"}));
  CommissionExpansions expansions;
  expansions.affiliate = Names(names, "affiliate");
  expansions.affiliate_program = Names(names, "affiliate_program");
  expansions.referral = Names(names, "referral");
  return expansions;
}

absl::Status CommissionServiceImpl::Expand(absl::string_view team_id,
                                           const CommissionExpansions& expansions,
                                           std::vector<Commission*> commissions) {
  std::map<std::string, std::optional<affonso::v1::Affiliate>> affiliates;
  std::map<std::string, std::optional<affonso::v1::Referral>> referrals;
  for (Commission* commission : commissions) {
    if (!expansions.affiliate_program) commission->clear_affiliate_program();
    if (expansions.affiliate) {
      AFFONSO_ASSIGN_OR_RETURN(
          const std::optional<affonso::v1::Affiliate>* affiliate,
          EmbeddedAffiliate(affiliates_, team_id, commission->affiliate_id(), &affiliates));
      if (affiliate->has_value()) *commission->mutable_affiliate() = **affiliate;
    }
    if (expansions.referral) {
      auto [it, inserted] = referrals.try_emplace(commission->referral_id());
      if (inserted) {
        absl::StatusOr<affonso::v1::Referral> referral =
            referrals_->GetReferral(team_id, commission->referral_id());
        if (referral.ok()) {
          it->second = *std::move(referral);
        } else if (referral.status().code() != absl::StatusCode::kNotFound) {
          return referral.status();
        }
      }
      if (it->second.has_value()) *commission->mutable_referral() = *it->second;
    }
  }
  return absl::OkStatus();
}

grpc::Status CommissionServiceImpl::ListCommissions(
    grpc::ServerContext* context, const affonso::v1::ListCommissionsRequest* request,
    affonso::v1::ListCommissionsResponse* response) {
  return runner_.Run(
      context, "ListCommissions", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(storage::CommissionListQuery query,
                                 ParseListCommissions(*request));
        AFFONSO_ASSIGN_OR_RETURN(CommissionExpansions expansions,
                                 ParseCommissionExpansions(request->expand()));
        storage::CommissionPage page;
        if (!FilterMatchesNothing(query)) {
          AFFONSO_ASSIGN_OR_RETURN(page, store_->ListCommissions(caller.team_id, query));
        }
        std::vector<Commission*> commissions;
        for (Commission& commission : page.commissions) {
          Commission* added = response->add_data();
          *added = std::move(commission);
          commissions.push_back(added);
        }
        AFFONSO_RETURN_IF_ERROR(Expand(caller.team_id, expansions, std::move(commissions)));
        *response->mutable_pagination() = MakePagination(query.page, query.limit, page.total);
        return absl::OkStatus();
      });
}

grpc::Status CommissionServiceImpl::GetCommission(grpc::ServerContext* context,
                                                  const affonso::v1::GetCommissionRequest* request,
                                                  Commission* response) {
  return runner_.Run(context, "GetCommission", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(CommissionExpansions expansions,
                             ParseCommissionExpansions(request->expand()));
    if (!LooksLikeId(request->id(), "com")) return NotFoundError("commission");
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->GetCommission(caller.team_id, request->id()));
    return Expand(caller.team_id, expansions, {response});
  });
}

grpc::Status CommissionServiceImpl::CreateCommission(
    grpc::ServerContext* context, const affonso::v1::CreateCommissionRequest* request,
    Commission* response) {
  return runner_.Run(
      context, "CreateCommission", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(storage::CommissionInput input, ParseCreateCommission(*request));
        if (!LooksLikeReferralId(input.referral_id)) return NotFoundError("referral");
        AFFONSO_ASSIGN_OR_RETURN(storage::CreatedCommission created,
                                 store_->CreateCommission(caller.team_id, input));
        *response = std::move(created.commission);
        response->clear_affiliate_program();
        RpcRunner::SetHttpCode(context, created.created ? 201 : 200);
        return absl::OkStatus();
      });
}

grpc::Status CommissionServiceImpl::UpdateCommission(
    grpc::ServerContext* context, const affonso::v1::UpdateCommissionRequest* request,
    Commission* response) {
  return runner_.Run(
      context, "UpdateCommission", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(storage::CommissionChange change, ParseUpdateCommission(*request));
        if (!LooksLikeId(request->id(), "com")) return NotFoundError("commission");
        AFFONSO_ASSIGN_OR_RETURN(*response, store_->UpdateCommission(caller.team_id, change));
        response->clear_affiliate_program();
        return absl::OkStatus();
      });
}

grpc::Status CommissionServiceImpl::DeleteCommission(
    grpc::ServerContext* context, const affonso::v1::DeleteCommissionRequest* request,
    affonso::v1::DeleteCommissionResponse* response) {
  return runner_.Run(
      context, "DeleteCommission", *request, [&](const Caller& caller) -> absl::Status {
        if (!LooksLikeId(request->id(), "com")) return NotFoundError("commission");
        AFFONSO_RETURN_IF_ERROR(store_->DeleteCommission(caller.team_id, request->id()));
        response->set_id(request->id());
        response->set_deleted(true);
        response->set_message("commission deleted");
        return absl::OkStatus();
      });
}

}  // namespace affonso::services

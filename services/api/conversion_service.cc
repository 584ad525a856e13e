#include "services/api/conversion_service.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/api_error.h"
#include "common/grpc_metadata.h"
#include "common/money.h"
#include "common/status_macros.h"
#include "common/wire_metadata.h"
#include "services/call/validation.h"
#include "storage/pg_values.h"

namespace affonso::services {
namespace {

using affonso::v1::Conversion;
using affonso::v1::CreateConversionRequest;

constexpr size_t kMaxIdentifierLength = 255;
constexpr size_t kMaxCouponCodeLength = 64;
constexpr size_t kMaxReasonLength = 500;
constexpr int kMaxProductIds = 100;

absl::StatusOr<std::string> ParseCurrency(absl::string_view field, const std::string& value) {
  if (value.size() != 3 || !absl::ascii_isalpha(value[0]) || !absl::ascii_isalpha(value[1]) ||
      !absl::ascii_isalpha(value[2])) {
    return ValidationError(field, absl::StrCat(field, " must be a three-letter currency code"));
  }
  return absl::AsciiStrToUpper(value);
}

absl::StatusOr<std::string> TimestampMicrosOf(absl::string_view field,
                                              const google::protobuf::Timestamp& value) {
  if (value.nanos() < 0 || value.nanos() > 999999999 ||
      !InTimestampRange(absl::FromUnixSeconds(value.seconds()))) {
    return ValidationError(field, absl::StrCat(field, " is not a valid timestamp"));
  }
  return std::to_string(storage::TimestampToMicros(value));
}

absl::Status CheckIds(absl::string_view field,
                      const google::protobuf::RepeatedPtrField<std::string>& ids) {
  if (ids.size() > kMaxProductIds) {
    return ValidationError(field, absl::StrCat(field, " holds at most ", kMaxProductIds, " ids"));
  }
  for (const std::string& id : ids) {
    AFFONSO_RETURN_IF_ERROR(RequireNonEmpty(field, id));
    AFFONSO_RETURN_IF_ERROR(CheckMaxLength(field, id, kMaxIdentifierLength));
  }
  return absl::OkStatus();
}

SignedRequest SignatureOf(const grpc::ServerContext& context, const std::string& body) {
  SignedRequest signed_request;
  signed_request.timestamp = MetadataValue(context.client_metadata(), kSignatureTimestampKey);
  signed_request.signature = MetadataValue(context.client_metadata(), kSignatureKey);
  signed_request.body = body;
  return signed_request;
}

}  // namespace

absl::StatusOr<ReferralKey> ParseReferralKey(const CreateConversionRequest& request) {
  const std::pair<const char*, const std::string*> identifiers[] = {
      {"referral_id", &request.referral_id()}, {"click_id", &request.click_id()},
      {"affonso_id", &request.affonso_id()},   {"affonso_referral", &request.affonso_referral()},
      {"customer_id", &request.customer_id()}, {"external_user_id", &request.external_user_id()},
  };
  const storage::ReferralIdentifier kinds[] = {
      storage::ReferralIdentifier::kReferralId, storage::ReferralIdentifier::kClickId,
      storage::ReferralIdentifier::kClickId,    storage::ReferralIdentifier::kClickId,
      storage::ReferralIdentifier::kCustomerId, storage::ReferralIdentifier::kExternalUserId,
  };
  for (size_t i = 0; i < std::size(identifiers); ++i) {
    const auto& [field, value] = identifiers[i];
    if (value->empty()) continue;
    AFFONSO_RETURN_IF_ERROR(CheckMaxLength(field, *value, kMaxIdentifierLength));
    return ReferralKey{kinds[i], *value};
  }
  if (!request.coupon_code().empty()) {
    AFFONSO_RETURN_IF_ERROR(
        CheckMaxLength("coupon_code", request.coupon_code(), kMaxCouponCodeLength));
    return ReferralKey{storage::ReferralIdentifier::kCouponCode, request.coupon_code()};
  }
  return ValidationError("referral_id",
                         "one of referral_id, click_id, affonso_id, affonso_referral, customer_id, "
                         "external_user_id or coupon_code is required");
}

absl::StatusOr<storage::SaleInput> ParseCreateConversion(const CreateConversionRequest& request) {
  AFFONSO_RETURN_IF_ERROR(ParseReferralKey(request).status());
  storage::SaleInput input;
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("external_event_id", request.external_event_id()));
  AFFONSO_RETURN_IF_ERROR(
      CheckMaxLength("external_event_id", request.external_event_id(), kMaxIdentifierLength));
  input.external_event_id = request.external_event_id();
  if (!request.has_sale_amount()) return ValidationError("sale_amount", "sale_amount is required");
  AFFONSO_ASSIGN_OR_RETURN(input.sale_amount,
                           Money::FromAmount("sale_amount", request.sale_amount()));
  if (!request.sale_amount_currency().empty()) {
    AFFONSO_ASSIGN_OR_RETURN(input.currency,
                             ParseCurrency("sale_amount_currency", request.sale_amount_currency()));
  }
  AFFONSO_RETURN_IF_ERROR(CheckIds("product_ids", request.product_ids()));
  AFFONSO_RETURN_IF_ERROR(CheckIds("price_ids", request.price_ids()));
  input.product_ids = request.product_ids();
  input.price_ids = request.price_ids();
  switch (request.interval()) {
    case affonso::v1::CONVERSION_INTERVAL_UNSPECIFIED:
      break;
    case affonso::v1::CONVERSION_INTERVAL_MONTHLY:
      input.interval = "monthly";
      break;
    case affonso::v1::CONVERSION_INTERVAL_YEARLY:
      input.interval = "yearly";
      break;
    default:
      return ValidationError("interval", "interval must be monthly or yearly");
  }
  input.is_subscription = request.is_subscription();
  if (request.has_created_at()) {
    AFFONSO_ASSIGN_OR_RETURN(input.created_at_us,
                             TimestampMicrosOf("created_at", request.created_at()));
  }
  // A conversion starts before any payout: the statuses past approval come
  // from the commission's lifecycle, not from the report of the sale.
  switch (request.status()) {
    case affonso::v1::COMMISSION_STATUS_UNSPECIFIED:
    case affonso::v1::COMMISSION_STATUS_PENDING:
    case affonso::v1::COMMISSION_STATUS_PENDING_MANUAL_APPROVAL:
    case affonso::v1::COMMISSION_STATUS_READY_FOR_PAYMENT:
    case affonso::v1::COMMISSION_STATUS_DECLINED:
      input.status = request.status();
      break;
    default:
      return ValidationError("status",
                             "a conversion's status must be pending, pending_manual_approval, "
                             "ready_for_payment or declined");
  }
  switch (request.sales_status()) {
    case affonso::v1::SALES_STATUS_UNSPECIFIED:
      input.sales_status = affonso::v1::SALES_STATUS_COMPLETE;
      break;
    case affonso::v1::SALES_STATUS_OPEN:
    case affonso::v1::SALES_STATUS_COMPLETE:
    case affonso::v1::SALES_STATUS_TRIALING:
    case affonso::v1::SALES_STATUS_FAILED:
      input.sales_status = request.sales_status();
      break;
    default:
      return ValidationError("sales_status",
                             "a conversion's sales_status must be open, complete, trialing or "
                             "failed (refunds go through /refund)");
  }
  if (request.has_metadata()) {
    AFFONSO_RETURN_IF_ERROR(
        CheckMessageSize("metadata", request.metadata(), kMaxConversionMetadataBytes));
    input.metadata_json = storage::StructToJson(request.metadata());
  }
  if (!request.coupon_code().empty()) {
    AFFONSO_RETURN_IF_ERROR(
        CheckMaxLength("coupon_code", request.coupon_code(), kMaxCouponCodeLength));
    input.coupon_code = request.coupon_code();
  }
  return input;
}

absl::StatusOr<storage::RefundInput> ParseRefundConversion(
    const affonso::v1::RefundConversionRequest& request) {
  storage::RefundInput input;
  input.conversion_id = request.id();
  if (request.has_amount()) {
    AFFONSO_ASSIGN_OR_RETURN(Money amount, Money::FromAmount("amount", request.amount()));
    if (amount <= Money()) return ValidationError("amount", "amount must be above 0");
    input.amount = amount;
  }
  if (!request.currency().empty()) {
    AFFONSO_ASSIGN_OR_RETURN(input.currency, ParseCurrency("currency", request.currency()));
  }
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("reason", request.reason(), kMaxReasonLength));
  input.reason = request.reason();
  AFFONSO_RETURN_IF_ERROR(
      CheckMaxLength("external_event_id", request.external_event_id(), kMaxIdentifierLength));
  input.external_event_id = request.external_event_id();
  if (request.has_refunded_at()) {
    AFFONSO_ASSIGN_OR_RETURN(input.refunded_at_us,
                             TimestampMicrosOf("refunded_at", request.refunded_at()));
  }
  return input;
}

absl::StatusOr<Attribution> ConversionServiceImpl::Attribute(
    absl::string_view team_id, const CreateConversionRequest& request) {
  AFFONSO_ASSIGN_OR_RETURN(ReferralKey key, ParseReferralKey(request));
  AFFONSO_ASSIGN_OR_RETURN(storage::SaleAttribution found,
                           store_->Attribute(team_id, key.kind, key.value));
  Attribution attribution;
  attribution.referral_id = found.click_id.empty() ? found.referral_id : found.click_id;
  attribution.program_id = found.program_id;
  attribution.affiliate_id = found.affiliate_id;
  attribution.referral_status = found.referral_status;
  return attribution;
}

absl::StatusOr<Conversion> ConversionServiceImpl::Record(absl::string_view team_id,
                                                         const CreateConversionRequest& request,
                                                         absl::string_view source_event_id) {
  return RecordSale(team_id, request, source_event_id, nullptr);
}

absl::StatusOr<Conversion> ConversionServiceImpl::RecordSale(absl::string_view team_id,
                                                             const CreateConversionRequest& request,
                                                             absl::string_view source_event_id,
                                                             const SignedRequest* signed_request) {
  AFFONSO_ASSIGN_OR_RETURN(ReferralKey key, ParseReferralKey(request));
  AFFONSO_ASSIGN_OR_RETURN(storage::SaleInput input, ParseCreateConversion(request));
  input.source_event_id = std::string(source_event_id);
  // A repeat answers the first conversion, whatever it says now (and
  // whether or not its referral is still there).
  AFFONSO_ASSIGN_OR_RETURN(std::optional<Conversion> earlier,
                           store_->FindByExternalEventId(team_id, input.external_event_id));
  if (earlier.has_value()) {
    if (signed_request != nullptr) {
      AFFONSO_RETURN_IF_ERROR(
          verifier_->Verify(team_id, earlier->program_id(), "", *signed_request));
    }
    earlier->set_replayed(true);
    return *std::move(earlier);
  }
  AFFONSO_ASSIGN_OR_RETURN(input.attribution, store_->Attribute(team_id, key.kind, key.value));
  if (signed_request != nullptr) {
    AFFONSO_RETURN_IF_ERROR(
        verifier_->Verify(team_id, input.attribution.program_id, "", *signed_request));
  }
  if (!input.attribution.click_id.empty()) {
    // The click becomes its lead through the signup path (exactly once,
    // however many conversions race), then the sale is the lead's.
    affonso::v1::RecordSignupRequest signup;
    signup.set_click_id(input.attribution.click_id);
    if (key.kind != storage::ReferralIdentifier::kExternalUserId) {
      signup.set_external_user_id(request.external_user_id());
    }
    AFFONSO_ASSIGN_OR_RETURN(storage::Conversion converted,
                             signups_->ConvertClick(team_id, signup));
    input.attribution.referral_id = converted.referral.id();
    input.attribution.click_id.clear();
  }
  AFFONSO_ASSIGN_OR_RETURN(storage::RecordedConversion recorded,
                           store_->RecordSale(team_id, input));
  recorded.conversion.set_replayed(!recorded.created);
  return std::move(recorded.conversion);
}

grpc::Status ConversionServiceImpl::CreateConversion(grpc::ServerContext* context,
                                                     const CreateConversionRequest* request,
                                                     Conversion* response) {
  return runner_.Run(
      context, "CreateConversion", *request, [&](const Caller& caller) -> absl::Status {
        const SignedRequest signed_request = SignatureOf(*context, request->signed_body());
        AFFONSO_ASSIGN_OR_RETURN(*response,
                                 RecordSale(caller.team_id, *request, "", &signed_request));
        RpcRunner::SetHttpCode(context, response->replayed() ? 200 : 201);
        return absl::OkStatus();
      });
}

grpc::Status ConversionServiceImpl::RefundConversion(
    grpc::ServerContext* context, const affonso::v1::RefundConversionRequest* request,
    Conversion* response) {
  return runner_.Run(
      context, "RefundConversion", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(storage::RefundInput input, ParseRefundConversion(*request));
        if (!LooksLikeId(request->id(), "com")) return NotFoundError("conversion");
        AFFONSO_ASSIGN_OR_RETURN(Conversion conversion,
                                 store_->GetConversion(caller.team_id, request->id()));
        AFFONSO_RETURN_IF_ERROR(verifier_->Verify(caller.team_id, conversion.program_id(), "",
                                                  SignatureOf(*context, request->signed_body())));
        AFFONSO_ASSIGN_OR_RETURN(*response, store_->RefundConversion(caller.team_id, input));
        return absl::OkStatus();
      });
}

}  // namespace affonso::services

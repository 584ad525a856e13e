#include "services/api/event_service.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api_error.h"
#include "common/grpc_metadata.h"
#include "common/status_macros.h"
#include "common/wire_metadata.h"
#include "google/protobuf/util/json_util.h"
#include "services/api/conversion_service.h"
#include "services/call/validation.h"

namespace affonso::services {
namespace {

using affonso::v1::CreateConversionRequest;
using affonso::v1::CreateEventRequest;
using affonso::v1::EventResult;
using affonso::v1::SegmentTrackRequest;
using google::protobuf::Struct;
using google::protobuf::Value;

constexpr size_t kMaxEventNameLength = 255;
// Leaves room for the "<source>:" prefix of a source's conversion key within
// the conversion path's 255.
constexpr size_t kMaxExternalEventIdLength = 200;

// Segment events that are sales (docs/MONEY.md, "Segment mapping").
bool IsSegmentSale(absl::string_view event) {
  return event == "Order Completed" || event == "Checkout Completed" ||
         event == "Subscription Started" || event == "Payment Succeeded";
}

std::string TextOf(const Struct& object, absl::string_view key) {
  auto it = object.fields().find(std::string(key));
  if (it == object.fields().end()) return "";
  if (it->second.kind_case() == Value::kStringValue) return it->second.string_value();
  return "";
}

const Value* Find(const Struct& object, absl::string_view key) {
  auto it = object.fields().find(std::string(key));
  return it == object.fields().end() ? nullptr : &it->second;
}

std::string StatusName(affonso::v1::ReferralStatus status) {
  std::string name = affonso::v1::ReferralStatus_Name(status);
  constexpr absl::string_view kPrefix = "REFERRAL_STATUS_";
  if (absl::StartsWith(name, kPrefix)) name = name.substr(kPrefix.size());
  return absl::AsciiStrToLower(name);
}

// A free-form body read as `out`'s JSON: unknown fields ignored, enums as
// API.md writes them ("monthly"); the raw body is never taken from it.
absl::Status ReadPayload(Struct payload, google::protobuf::Message* out) {
  payload.mutable_fields()->erase("signed_body");
  payload.mutable_fields()->erase("signedBody");
  if (Value* interval = payload.mutable_fields()->count("interval") > 0
                            ? &(*payload.mutable_fields())["interval"]
                            : nullptr;
      interval != nullptr && interval->kind_case() == Value::kStringValue &&
      !absl::StartsWith(interval->string_value(), "CONVERSION_INTERVAL_")) {
    interval->set_string_value(
        absl::StrCat("CONVERSION_INTERVAL_", absl::AsciiStrToUpper(interval->string_value())));
  }
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(payload, &json).ok()) {
    return ValidationError("", "request body is not a JSON object");
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(json, out, options).ok())
    return ValidationError("", "request body does not hold a valid event");
  return absl::OkStatus();
}

std::string JsonOf(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) return "{}";
  return json;
}

CreateConversionRequest ToConversion(const CreateEventRequest& event) {
  CreateConversionRequest conversion;
  conversion.set_referral_id(event.referral_id());
  conversion.set_click_id(event.click_id());
  conversion.set_affonso_id(event.affonso_id());
  conversion.set_affonso_referral(event.affonso_referral());
  conversion.set_customer_id(event.customer_id());
  conversion.set_external_user_id(event.external_user_id());
  if (event.has_sale_amount()) conversion.set_sale_amount(event.sale_amount());
  conversion.set_sale_amount_currency(event.sale_amount_currency());
  *conversion.mutable_product_ids() = event.product_ids();
  *conversion.mutable_price_ids() = event.price_ids();
  conversion.set_interval(event.interval());
  conversion.set_is_subscription(event.is_subscription());
  if (event.has_occurred_at()) *conversion.mutable_created_at() = event.occurred_at();
  if (event.has_metadata()) *conversion.mutable_metadata() = event.metadata();
  conversion.set_coupon_code(event.coupon_code());
  return conversion;
}

// Absent = conversion when there is a sale amount, else milestone.
std::string EventTypeOf(const CreateEventRequest& event) {
  std::string type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(event.event_type()));
  if (type.empty()) type = event.has_sale_amount() ? "conversion" : "milestone";
  return type;
}

SignedRequest SignatureOf(const grpc::ServerContext& context, const std::string& body) {
  SignedRequest signed_request;
  signed_request.timestamp = MetadataValue(context.client_metadata(), kSignatureTimestampKey);
  signed_request.signature = MetadataValue(context.client_metadata(), kSignatureKey);
  signed_request.body = body;
  return signed_request;
}

// 201 when this call recorded the event, 200 for a repeat.
void SetCode(grpc::ServerContext* context, const EventResult& result) {
  const bool replayed =
      result.has_conversion() ? result.conversion().replayed() : result.event().replayed();
  RpcRunner::SetHttpCode(context, replayed ? 200 : 201);
}

}  // namespace

absl::StatusOr<CreateEventRequest> EventFromSegment(const SegmentTrackRequest& track) {
  if (track.type() != "track") {
    return ValidationError("type", "only Segment track calls are recorded");
  }
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("messageId", track.message_id()));
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("event", track.event()));
  const Struct& properties = track.properties();
  CreateEventRequest event;
  event.set_event_name(track.event());
  event.set_external_event_id(track.message_id());
  event.set_referral_id(TextOf(properties, "referral_id"));
  event.set_affonso_referral(TextOf(properties, "affonso_referral"));
  event.set_click_id(TextOf(properties, "click_id"));
  event.set_affonso_id(TextOf(properties, "affonso_id"));
  event.set_external_user_id(track.user_id());
  if (track.has_timestamp()) *event.mutable_occurred_at() = track.timestamp();
  if (IsSegmentSale(track.event())) {
    event.set_event_type("conversion");
    for (const char* key : {"revenue", "total"}) {
      const Value* amount = Find(properties, key);
      if (amount != nullptr && amount->kind_case() == Value::kNumberValue) {
        event.set_sale_amount(amount->number_value());
        break;
      }
    }
    event.set_sale_amount_currency(TextOf(properties, "currency"));
    event.set_coupon_code(TextOf(properties, "coupon"));
    const Value* products = Find(properties, "products");
    if (products != nullptr && products->kind_case() == Value::kListValue) {
      for (const Value& product : products->list_value().values()) {
        if (product.kind_case() != Value::kStructValue) continue;
        const std::string id = TextOf(product.struct_value(), "product_id");
        if (!id.empty()) event.add_product_ids(id);
      }
    }
  } else if (track.event() == "Signed Up") {
    event.set_event_type("lead");
    const Value* traits = Find(track.context(), "traits");
    if (traits != nullptr && traits->kind_case() == Value::kStructValue) {
      event.set_email(TextOf(traits->struct_value(), "email"));
    }
  } else if (track.event() == "Trial Started") {
    event.set_event_type("trial");
  } else {
    event.set_event_type("milestone");
  }
  return event;
}

absl::StatusOr<CreateEventRequest> EventFromCustomPayload(const Struct& payload) {
  CreateEventRequest event;
  AFFONSO_RETURN_IF_ERROR(ReadPayload(payload, &event));
  return event;
}

absl::StatusOr<SegmentTrackRequest> SegmentFromPayload(const Struct& payload) {
  SegmentTrackRequest track;
  AFFONSO_RETURN_IF_ERROR(ReadPayload(payload, &track));
  return track;
}

absl::StatusOr<std::pair<std::string, std::string>> EventServiceImpl::Apply(
    absl::string_view team_id, const std::string& event_type, const Attribution& attribution,
    const CreateEventRequest& event) {
  std::string status = attribution.referral_status;
  bool lead_created = false;
  if ((event_type == "lead" || event_type == "trial") && status.empty()) {
    // A click not converted yet becomes its lead through the signup path
    // (fraud checks, lead commission, referral.lead; exactly once).
    affonso::v1::RecordSignupRequest signup;
    signup.set_click_id(attribution.referral_id);
    signup.set_email(event.email());
    signup.set_external_user_id(event.external_user_id());
    AFFONSO_ASSIGN_OR_RETURN(storage::Conversion converted,
                             signups_->ConvertClick(team_id, signup));
    lead_created = converted.created;
    status = StatusName(converted.referral.status());
  }
  if (event_type == "lead")
    return std::make_pair(lead_created ? "lead_created" : "already_lead", status);
  if (event_type == "trial") {
    if (status == "trialing") return std::make_pair(std::string("already_trialing"), status);
    if (status != "lead") return std::make_pair(std::string("recorded"), status);
    affonso::v1::UpdateReferralRequest update;
    update.set_id(attribution.referral_id);
    update.set_status(affonso::v1::REFERRAL_STATUS_TRIALING);
    AFFONSO_ASSIGN_OR_RETURN(affonso::v1::Referral referral,
                             referrals_->UpdateReferral(team_id, update));
    return std::make_pair(std::string("trial_started"), StatusName(referral.status()));
  }
  return std::make_pair(std::string("recorded"), status);
}

absl::StatusOr<EventResult> EventServiceImpl::Ingest(absl::string_view team_id,
                                                     absl::string_view source,
                                                     const CreateEventRequest& event,
                                                     const SignedRequest& signed_request,
                                                     const std::string& payload) {
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("event_name", event.event_name()));
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("event_name", event.event_name(), kMaxEventNameLength));
  AFFONSO_RETURN_IF_ERROR(
      CheckMaxLength("external_event_id", event.external_event_id(), kMaxExternalEventIdLength));
  if (payload.size() > kMaxEventPayloadBytes) {
    return ValidationError(
        "payload", absl::StrCat("an event's body is at most ", kMaxEventPayloadBytes, " bytes"));
  }
  // The signup path takes the lead's email as validated.
  if (!event.email().empty()) AFFONSO_RETURN_IF_ERROR(CheckEmail("email", event.email()));
  const std::string event_type = EventTypeOf(event);
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength("event_type", event_type, kMaxEventNameLength));
  CreateConversionRequest conversion = ToConversion(event);
  const bool is_sale = event_type == "conversion";
  if (is_sale) {
    // Refused before anything is written; the key is set below.
    CreateConversionRequest check = conversion;
    check.set_external_event_id("evt_check");
    AFFONSO_RETURN_IF_ERROR(ParseCreateConversion(check).status());
  }
  AFFONSO_ASSIGN_OR_RETURN(Attribution attribution, conversions_->Attribute(team_id, conversion));
  if (attribution.referral_id.empty() && !is_sale) return NotFoundError("referral");
  AFFONSO_RETURN_IF_ERROR(verifier_->Verify(team_id, attribution.program_id,
                                            source == "api" ? "" : source, signed_request));

  storage::SourceEventInput input;
  input.source = std::string(source);
  input.external_event_id = event.external_event_id();
  input.event_name = event.event_name();
  input.event_type = event_type;
  input.referral_id = attribution.referral_id;
  input.program_id = attribution.program_id;
  input.payload = payload;
  AFFONSO_ASSIGN_OR_RETURN(storage::ReservedEvent reserved, events_->Reserve(team_id, input));
  const storage::SourceEvent& recorded = reserved.event;
  EventResult result;
  if (recorded.event_type == "conversion") {
    // The conversion path is idempotent on its own key: a repeat (or a
    // racing duplicate) answers the first conversion.
    conversion.set_external_event_id(recorded.external_event_id.empty() ? recorded.id
                                     : source == "api"
                                         ? recorded.external_event_id
                                         : absl::StrCat(source, ":", recorded.external_event_id));
    AFFONSO_ASSIGN_OR_RETURN(*result.mutable_conversion(),
                             conversions_->Record(team_id, conversion, recorded.id));
    if (!reserved.created) result.mutable_conversion()->set_replayed(true);
    AFFONSO_RETURN_IF_ERROR(
        events_->Complete(team_id, recorded.id, "conversion", "", result.conversion().id())
            .status());
    return result;
  }
  storage::SourceEvent stored = recorded;
  if (stored.action.empty()) {
    if (!reserved.created && absl::Now() - stored.created_at < kEventTakeoverAfter) {
      return absl::AbortedError("the event is being recorded; retry");
    }
    AFFONSO_ASSIGN_OR_RETURN(auto outcome, Apply(team_id, recorded.event_type, attribution, event));
    AFFONSO_ASSIGN_OR_RETURN(
        stored, events_->Complete(team_id, recorded.id, outcome.first, outcome.second, ""));
  }
  affonso::v1::S2SEvent& answer = *result.mutable_event();
  answer.set_referral_id(stored.referral_id);
  if (!stored.transaction_id.empty()) answer.set_transaction_id(stored.transaction_id);
  answer.set_event_name(stored.event_name);
  answer.set_event_type(stored.event_type);
  if (!stored.external_event_id.empty()) answer.set_external_event_id(stored.external_event_id);
  answer.set_action(stored.action);
  answer.set_referral_status(stored.referral_status);
  answer.set_replayed(!reserved.created);
  answer.set_source_event_id(stored.id);
  return result;
}

grpc::Status EventServiceImpl::CreateEvent(grpc::ServerContext* context,
                                           const CreateEventRequest* request,
                                           EventResult* response) {
  return runner_.Run(context, "CreateEvent", *request, [&](const Caller& caller) -> absl::Status {
    CreateEventRequest recorded = *request;
    recorded.clear_signed_body();
    AFFONSO_ASSIGN_OR_RETURN(
        *response, Ingest(caller.team_id, "api", *request,
                          SignatureOf(*context, request->signed_body()), JsonOf(recorded)));
    SetCode(context, *response);
    return absl::OkStatus();
  });
}

grpc::Status EventServiceImpl::IngestSegmentEvent(grpc::ServerContext* context,
                                                  const SegmentTrackRequest* request,
                                                  EventResult* response) {
  return runner_.Run(
      context, "IngestSegmentEvent", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(CreateEventRequest event, EventFromSegment(*request));
        SegmentTrackRequest recorded = *request;
        recorded.clear_signed_body();
        AFFONSO_ASSIGN_OR_RETURN(
            *response, Ingest(caller.team_id, "segment", event,
                              SignatureOf(*context, request->signed_body()), JsonOf(recorded)));
        SetCode(context, *response);
        return absl::OkStatus();
      });
}

grpc::Status EventServiceImpl::IngestSourceEvent(
    grpc::ServerContext* context, const affonso::v1::IngestSourceEventRequest* request,
    EventResult* response) {
  return runner_.Run(
      context, "IngestSourceEvent", *request, [&](const Caller& caller) -> absl::Status {
        CreateEventRequest event;
        if (request->source() == "custom") {
          AFFONSO_ASSIGN_OR_RETURN(event, EventFromCustomPayload(request->payload()));
        } else if (request->source() == "segment_webhook") {
          AFFONSO_ASSIGN_OR_RETURN(SegmentTrackRequest track,
                                   SegmentFromPayload(request->payload()));
          AFFONSO_ASSIGN_OR_RETURN(event, EventFromSegment(track));
        } else {
          return NotFoundError("source");
        }
        AFFONSO_ASSIGN_OR_RETURN(*response, Ingest(caller.team_id, request->source(), event,
                                                   SignatureOf(*context, request->signed_body()),
                                                   JsonOf(request->payload())));
        SetCode(context, *response);
        return absl::OkStatus();
      });
}

}  // namespace affonso::services

#include "services/api/webhook_service.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api_error.h"
#include "common/status_macros.h"
#include "services/call/pagination.h"
#include "services/call/validation.h"
#include "services/webhooks/outbound_url.h"

namespace affonso::services {
namespace {

using affonso::v1::CreateWebhookRequest;
using affonso::v1::ListWebhookDeliveriesRequest;
using affonso::v1::UpdateWebhookRequest;
using google::protobuf::RepeatedPtrField;

constexpr size_t kMaxDescriptionLength = 500;
// The events the service writes to the outbox.
constexpr const char* kEventTypes[] = {
    "referral.lead",        "referral.updated",    "referral.converted",   "referral.deleted",
    "transaction.created",  "transaction.updated", "transaction.approved", "transaction.paid",
    "transaction.rejected", "transaction.deleted", "payout.created",       "payout.updated",
    "payout.paid",          "payout.failed",       "payout.deleted",       "affiliate.created",
    "affiliate.confirmed",  "affiliate.updated",   "affiliate.deleted",
};

bool IsKnownEventType(absl::string_view type) {
  for (const char* known : kEventTypes) {
    if (type == known) return true;
  }
  return false;
}

absl::Status CheckEvents(const RepeatedPtrField<std::string>& events) {
  if (events.empty()) {
    return ValidationError("events", "events must list at least one event type");
  }
  for (const std::string& type : events) {
    if (!IsKnownEventType(type)) {
      return ValidationError(
          "events", absl::StrCat("events may only contain ", absl::StrJoin(kEventTypes, ", ")));
    }
  }
  return absl::OkStatus();
}

// Keeps the first occurrence of each type, in the order given.
void Deduplicate(RepeatedPtrField<std::string>* events) {
  absl::flat_hash_set<std::string> seen;
  RepeatedPtrField<std::string> unique;
  for (std::string& type : *events) {
    if (seen.insert(type).second) unique.Add(std::move(type));
  }
  events->Swap(&unique);
}

absl::StatusOr<storage::WebhookListQuery> PageQuery(int page, int limit) {
  AFFONSO_ASSIGN_OR_RETURN(PageRequest resolved, ResolvePage(page, limit, kDefaultWebhookPageLimit,
                                                             kMaxWebhookPageLimit));
  storage::WebhookListQuery query;
  query.page = resolved.page;
  query.limit = resolved.limit;
  return query;
}

// Attempt ids are issued by the dispatcher as `wha_…`.
absl::Status CheckDeliveryCursor(absl::string_view field, const std::string& cursor) {
  if (cursor.empty() || LooksLikeId(cursor, "wha")) return absl::OkStatus();
  return ValidationError(field, absl::StrCat(field, " is not a webhook delivery id"));
}

}  // namespace

absl::Status CheckWebhookUrl(absl::string_view url, bool allow_private_destinations) {
  // The sender parses and judges the stored URL with the same rule.
  return CheckOutboundUrl(url, allow_private_destinations).status();
}

absl::Status ValidateCreateWebhook(const CreateWebhookRequest& request,
                                   bool allow_private_destinations) {
  AFFONSO_RETURN_IF_ERROR(CheckWebhookUrl(request.url(), allow_private_destinations));
  AFFONSO_RETURN_IF_ERROR(CheckEvents(request.events()));
  return CheckMaxLength("description", request.description(), kMaxDescriptionLength);
}

absl::Status ValidateUpdateWebhook(const UpdateWebhookRequest& request,
                                   bool allow_private_destinations) {
  if (request.has_url()) {
    AFFONSO_RETURN_IF_ERROR(CheckWebhookUrl(request.url(), allow_private_destinations));
  }
  // Empty = unchanged (an endpoint always listens to something).
  if (!request.events().empty()) AFFONSO_RETURN_IF_ERROR(CheckEvents(request.events()));
  if (request.has_description()) {
    AFFONSO_RETURN_IF_ERROR(
        CheckMaxLength("description", request.description(), kMaxDescriptionLength));
  }
  return absl::OkStatus();
}

absl::Status ValidateListWebhookDeliveries(const ListWebhookDeliveriesRequest& request) {
  if (request.limit() < 0 || request.limit() > kMaxWebhookPageLimit) {
    return ValidationError("limit",
                           absl::StrCat("limit must be between 1 and ", kMaxWebhookPageLimit));
  }
  if (!request.starting_after().empty() && !request.ending_before().empty()) {
    return ValidationError("ending_before",
                           "starting_after and ending_before cannot be used together");
  }
  AFFONSO_RETURN_IF_ERROR(CheckDeliveryCursor("starting_after", request.starting_after()));
  AFFONSO_RETURN_IF_ERROR(CheckDeliveryCursor("ending_before", request.ending_before()));
  if (!affonso::v1::ListOrder_IsValid(request.order())) {
    return ValidationError("order", "order must be asc or desc");
  }
  return absl::OkStatus();
}

absl::StatusOr<storage::WebhookListQuery> ParseListWebhooks(
    const affonso::v1::ListWebhooksRequest& request) {
  return PageQuery(request.page(), request.limit());
}

grpc::Status WebhookServiceImpl::CreateWebhook(grpc::ServerContext* context,
                                               const CreateWebhookRequest* request,
                                               affonso::v1::WebhookEndpoint* response) {
  return runner_.Run(context, "CreateWebhook", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_RETURN_IF_ERROR(ValidateCreateWebhook(*request, allow_private_destinations_));
    CreateWebhookRequest normalized = *request;
    Deduplicate(normalized.mutable_events());
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->CreateWebhook(caller.team_id, normalized));
    RpcRunner::SetHttpCode(context, 201);
    return absl::OkStatus();
  });
}

grpc::Status WebhookServiceImpl::ListWebhooks(grpc::ServerContext* context,
                                              const affonso::v1::ListWebhooksRequest* request,
                                              affonso::v1::ListWebhooksResponse* response) {
  return runner_.Run(context, "ListWebhooks", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_ASSIGN_OR_RETURN(storage::WebhookListQuery query, ParseListWebhooks(*request));
    AFFONSO_ASSIGN_OR_RETURN(storage::WebhookPage page,
                             store_->ListWebhooks(caller.team_id, query));
    for (affonso::v1::WebhookEndpoint& webhook : page.webhooks) {
      webhook.clear_secret();
      *response->add_data() = std::move(webhook);
    }
    *response->mutable_pagination() = MakePagination(query.page, query.limit, page.total);
    return absl::OkStatus();
  });
}

grpc::Status WebhookServiceImpl::GetWebhook(grpc::ServerContext* context,
                                            const affonso::v1::GetWebhookRequest* request,
                                            affonso::v1::WebhookEndpoint* response) {
  return runner_.Run(context, "GetWebhook", *request, [&](const Caller& caller) -> absl::Status {
    if (!LooksLikeId(request->id(), "whk")) return NotFoundError("webhook");
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->GetWebhook(caller.team_id, request->id()));
    response->clear_secret();
    return absl::OkStatus();
  });
}

grpc::Status WebhookServiceImpl::UpdateWebhook(grpc::ServerContext* context,
                                               const UpdateWebhookRequest* request,
                                               affonso::v1::WebhookEndpoint* response) {
  return runner_.Run(context, "UpdateWebhook", *request, [&](const Caller& caller) -> absl::Status {
    AFFONSO_RETURN_IF_ERROR(ValidateUpdateWebhook(*request, allow_private_destinations_));
    if (!LooksLikeId(request->id(), "whk")) return NotFoundError("webhook");
    UpdateWebhookRequest normalized = *request;
    Deduplicate(normalized.mutable_events());
    AFFONSO_ASSIGN_OR_RETURN(*response, store_->UpdateWebhook(caller.team_id, normalized));
    response->clear_secret();
    return absl::OkStatus();
  });
}

grpc::Status WebhookServiceImpl::DeleteWebhook(grpc::ServerContext* context,
                                               const affonso::v1::DeleteWebhookRequest* request,
                                               affonso::v1::DeleteWebhookResponse* response) {
  return runner_.Run(context, "DeleteWebhook", *request, [&](const Caller& caller) -> absl::Status {
    if (!LooksLikeId(request->id(), "whk")) return NotFoundError("webhook");
    AFFONSO_RETURN_IF_ERROR(store_->DeleteWebhook(caller.team_id, request->id()));
    response->set_id(request->id());
    response->set_deleted(true);
    response->set_message("webhook endpoint deleted");
    return absl::OkStatus();
  });
}

grpc::Status WebhookServiceImpl::ListWebhookDeliveries(
    grpc::ServerContext* context, const ListWebhookDeliveriesRequest* request,
    affonso::v1::ListWebhookDeliveriesResponse* response) {
  return runner_.Run(context, "ListWebhookDeliveries", *request,
                     [&](const Caller& caller) -> absl::Status {
                       AFFONSO_RETURN_IF_ERROR(ValidateListWebhookDeliveries(*request));
                       if (!LooksLikeId(request->webhook_id(), "whk"))
                         return NotFoundError("webhook");
                       AFFONSO_ASSIGN_OR_RETURN(
                           *response, store_->ListWebhookDeliveries(caller.team_id, *request));
                       return absl::OkStatus();
                     });
}

grpc::Status WebhookServiceImpl::RedeliverEvent(grpc::ServerContext* context,
                                                const affonso::v1::RedeliverEventRequest* request,
                                                affonso::v1::RedeliverEventResponse* response) {
  return runner_.Run(
      context, "RedeliverEvent", *request, [&](const Caller& caller) -> absl::Status {
        if (!LooksLikeId(request->webhook_id(), "whk")) return NotFoundError("webhook");
        if (!LooksLikeId(request->event_id(), "evt")) return NotFoundError("event");
        AFFONSO_ASSIGN_OR_RETURN(
            *response,
            store_->RedeliverEvent(caller.team_id, request->webhook_id(), request->event_id()));
        return absl::OkStatus();
      });
}

}  // namespace affonso::services

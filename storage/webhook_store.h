#ifndef AFFONSO_STORAGE_WEBHOOK_STORE_H_
#define AFFONSO_STORAGE_WEBHOOK_STORE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/webhooks.pb.h"

namespace affonso::storage {

// ListWebhookDeliveriesRequest.limit 0 means this.
inline constexpr int kDefaultWebhookDeliveryPageSize = 10;

// One page of the endpoint list; page and limit already resolved by the caller.
struct WebhookListQuery {
  int page = 1;
  int limit = 10;
};

struct WebhookPage {
  std::vector<affonso::v1::WebhookEndpoint> webhooks;
  int total = 0;  // live endpoints of the team across all pages
};

// Webhook endpoints and their delivery log. Every method is scoped to
// `team_id`: another team's endpoint or event, like a deleted endpoint, is
// NOT_FOUND. Requests are assumed validated (events known and deduplicated).
// `secret` is filled in only by CreateWebhook.
class WebhookStore {
 public:
  virtual ~WebhookStore() = default;

  // A new enabled endpoint (`whk_` id) with a fresh "whsec_" signing secret.
  virtual absl::StatusOr<affonso::v1::WebhookEndpoint> CreateWebhook(
      absl::string_view team_id, const affonso::v1::CreateWebhookRequest& request) = 0;

  virtual absl::StatusOr<affonso::v1::WebhookEndpoint> GetWebhook(absl::string_view team_id,
                                                                  absl::string_view id) = 0;

  // Oldest first (created_at, id).
  virtual absl::StatusOr<WebhookPage> ListWebhooks(absl::string_view team_id,
                                                   const WebhookListQuery& query) = 0;

  // Changes only the fields present (events: only when non-empty). Setting
  // enabled (either way) clears the service's disabled_reason; enabled = true
  // also ends the current run of failures (failing_since).
  virtual absl::StatusOr<affonso::v1::WebhookEndpoint> UpdateWebhook(
      absl::string_view team_id, const affonso::v1::UpdateWebhookRequest& request) = 0;

  // Soft delete; its pending deliveries are canceled in the same transaction.
  virtual absl::Status DeleteWebhook(absl::string_view team_id, absl::string_view id) = 0;

  // The endpoint's attempts log, keyset-paginated on (created_at, id).
  // NOT_FOUND("webhook") for an endpoint that is not the team's live one;
  // VALIDATION_ERROR naming the cursor field when the cursor is not one of
  // the endpoint's attempts.
  virtual absl::StatusOr<affonso::v1::ListWebhookDeliveriesResponse> ListWebhookDeliveries(
      absl::string_view team_id, const affonso::v1::ListWebhookDeliveriesRequest& request) = 0;

  // Queues the event for the endpoint now: the existing delivery goes back to
  // pending (its attempt count kept) or a new one is created. NOT_FOUND
  // ("webhook" / "event") unless both are the team's; VALIDATION_ERROR on
  // webhook_id when the endpoint is disabled.
  virtual absl::StatusOr<affonso::v1::RedeliverEventResponse> RedeliverEvent(
      absl::string_view team_id, absl::string_view webhook_id, absl::string_view event_id) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_WEBHOOK_STORE_H_

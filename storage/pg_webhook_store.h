#ifndef AFFONSO_STORAGE_PG_WEBHOOK_STORE_H_
#define AFFONSO_STORAGE_PG_WEBHOOK_STORE_H_

#include "common/secret_box.h"
#include "storage/pool.h"
#include "storage/webhook_store.h"

namespace affonso::storage {

inline constexpr int kDefaultMaxWebhookEndpointsPerTeam = 20;

class PgWebhookStore final : public WebhookStore {
 public:
  // CreateWebhook refuses a team's endpoint beyond `max_endpoints_per_team`
  // live ones (FAILED_PRECONDITION: 400 VALIDATION_ERROR). `keyring`
  // (optional, outliving the store) seals new signing secrets; without keys
  // they are stored in plaintext (storage/webhook_secrets.h).
  explicit PgWebhookStore(ConnectionPool* pool,
                          int max_endpoints_per_team = kDefaultMaxWebhookEndpointsPerTeam,
                          const SecretKeyring* keyring = nullptr)
      : pool_(pool), max_endpoints_per_team_(max_endpoints_per_team), keyring_(keyring) {}

  absl::StatusOr<affonso::v1::WebhookEndpoint> CreateWebhook(
      absl::string_view team_id, const affonso::v1::CreateWebhookRequest& request) override;
  absl::StatusOr<affonso::v1::WebhookEndpoint> GetWebhook(absl::string_view team_id,
                                                          absl::string_view id) override;
  absl::StatusOr<WebhookPage> ListWebhooks(absl::string_view team_id,
                                           const WebhookListQuery& query) override;
  absl::StatusOr<affonso::v1::WebhookEndpoint> UpdateWebhook(
      absl::string_view team_id, const affonso::v1::UpdateWebhookRequest& request) override;
  absl::Status DeleteWebhook(absl::string_view team_id, absl::string_view id) override;
  absl::StatusOr<affonso::v1::ListWebhookDeliveriesResponse> ListWebhookDeliveries(
      absl::string_view team_id, const affonso::v1::ListWebhookDeliveriesRequest& request) override;
  absl::StatusOr<affonso::v1::RedeliverEventResponse> RedeliverEvent(
      absl::string_view team_id, absl::string_view webhook_id, absl::string_view event_id) override;

 private:
  ConnectionPool* pool_;
  const int max_endpoints_per_team_;
  const SecretKeyring* keyring_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_WEBHOOK_STORE_H_

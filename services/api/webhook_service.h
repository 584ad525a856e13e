#ifndef AFFONSO_SERVICES_API_WEBHOOK_SERVICE_H_
#define AFFONSO_SERVICES_API_WEBHOOK_SERVICE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/webhooks.grpc.pb.h"
#include "services/call/authenticator.h"
#include "services/call/rpc_runner.h"
#include "storage/webhook_store.h"

namespace affonso::services {

inline constexpr int kDefaultWebhookPageLimit = 10;
inline constexpr int kMaxWebhookPageLimit = 100;

// Request validation, exposed for tests. Each failure names its field.
// The URL rule is CheckOutboundUrl (services/webhooks/outbound_url.h), the one the
// sender applies: `allow_private_destinations` (local development) lets
// private and special-use literals through; host names are judged on their
// resolved addresses when a delivery is sent.
absl::Status CheckWebhookUrl(absl::string_view url, bool allow_private_destinations);
absl::Status ValidateCreateWebhook(const affonso::v1::CreateWebhookRequest& request,
                                   bool allow_private_destinations);
absl::Status ValidateUpdateWebhook(const affonso::v1::UpdateWebhookRequest& request,
                                   bool allow_private_destinations);
absl::Status ValidateListWebhookDeliveries(
    const affonso::v1::ListWebhookDeliveriesRequest& request);
absl::StatusOr<storage::WebhookListQuery> ParseListWebhooks(
    const affonso::v1::ListWebhooksRequest& request);

class WebhookServiceImpl final : public affonso::v1::WebhookService::Service {
 public:
  WebhookServiceImpl(RpcRunner runner, storage::WebhookStore* store,
                     bool allow_private_destinations)
      : runner_(std::move(runner)),
        store_(store),
        allow_private_destinations_(allow_private_destinations) {}

  grpc::Status CreateWebhook(grpc::ServerContext* context,
                             const affonso::v1::CreateWebhookRequest* request,
                             affonso::v1::WebhookEndpoint* response) override;
  grpc::Status ListWebhooks(grpc::ServerContext* context,
                            const affonso::v1::ListWebhooksRequest* request,
                            affonso::v1::ListWebhooksResponse* response) override;
  grpc::Status GetWebhook(grpc::ServerContext* context,
                          const affonso::v1::GetWebhookRequest* request,
                          affonso::v1::WebhookEndpoint* response) override;
  grpc::Status UpdateWebhook(grpc::ServerContext* context,
                             const affonso::v1::UpdateWebhookRequest* request,
                             affonso::v1::WebhookEndpoint* response) override;
  grpc::Status DeleteWebhook(grpc::ServerContext* context,
                             const affonso::v1::DeleteWebhookRequest* request,
                             affonso::v1::DeleteWebhookResponse* response) override;
  grpc::Status ListWebhookDeliveries(grpc::ServerContext* context,
                                     const affonso::v1::ListWebhookDeliveriesRequest* request,
                                     affonso::v1::ListWebhookDeliveriesResponse* response) override;
  grpc::Status RedeliverEvent(grpc::ServerContext* context,
                              const affonso::v1::RedeliverEventRequest* request,
                              affonso::v1::RedeliverEventResponse* response) override;

 private:
  RpcRunner runner_;
  storage::WebhookStore* store_;
  const bool allow_private_destinations_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_WEBHOOK_SERVICE_H_

#ifndef AFFONSO_SERVICES_API_NOTIFICATION_SERVICE_H_
#define AFFONSO_SERVICES_API_NOTIFICATION_SERVICE_H_

#include <cstddef>
#include <optional>

#include "absl/status/statusor.h"
#include "proto/affonso/v1/notifications.grpc.pb.h"
#include "services/call/authenticator.h"
#include "services/call/rpc_runner.h"
#include "services/rules/notification_catalogue.h"
#include "storage/notification_store.h"

namespace affonso::services {

// A custom subject is one line of at most this many characters, a custom
// body at most this many bytes (docs/BEHAVIOUR.md "Notification templates").
inline constexpr size_t kMaxNotificationSubjectLength = 200;
inline constexpr size_t kMaxNotificationBodyBytes = 20000;

// Checks a subject template of `type`: non-empty, one line (no control
// characters), within kMaxNotificationSubjectLength, well-formed, only the
// type's placeholders. A VALIDATION_ERROR naming `field` otherwise.
absl::Status CheckSubjectTemplate(absl::string_view field, const EmailType& type,
                                  absl::string_view subject);
// The same for a body template: non-empty, within kMaxNotificationBodyBytes.
absl::Status CheckBodyTemplate(absl::string_view field, const EmailType& type,
                               absl::string_view body);

// Validates a PATCH body for `type` (custom text only on a customizable
// type; a text must be a string or null) into the store's update.
absl::StatusOr<storage::NotificationSettingUpdate> ValidateNotificationUpdate(
    const EmailType& type, const affonso::v1::NotificationUpdate& update);

// The SDK's Notification of `type` with the program's `setting` (none: the
// type's defaults, id null).
affonso::v1::Notification MakeNotification(
    const EmailType& type, const std::optional<storage::NotificationSetting>& setting);

// The preview of `type`: the draft's texts when given, else `setting`'s
// custom ones, else the defaults, rendered with the type's sample values.
// The draft is validated as an update's texts (fields "subject", "body").
absl::StatusOr<affonso::v1::NotificationPreview> RenderNotificationPreview(
    const EmailType& type, const std::optional<storage::NotificationSetting>& setting,
    const affonso::v1::NotificationDraft& draft);

class NotificationServiceImpl final : public affonso::v1::NotificationService::Service {
 public:
  NotificationServiceImpl(RpcRunner runner, storage::NotificationStore* store)
      : runner_(std::move(runner)), store_(store) {}

  grpc::Status ListNotifications(grpc::ServerContext* context,
                                 const affonso::v1::ListNotificationsRequest* request,
                                 affonso::v1::ListNotificationsResponse* response) override;
  grpc::Status UpdateNotification(grpc::ServerContext* context,
                                  const affonso::v1::UpdateNotificationRequest* request,
                                  affonso::v1::Notification* response) override;
  grpc::Status PreviewNotification(grpc::ServerContext* context,
                                   const affonso::v1::PreviewNotificationRequest* request,
                                   affonso::v1::NotificationPreview* response) override;

 private:
  RpcRunner runner_;
  storage::NotificationStore* store_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_NOTIFICATION_SERVICE_H_

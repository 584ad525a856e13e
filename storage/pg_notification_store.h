#ifndef AFFONSO_STORAGE_PG_NOTIFICATION_STORE_H_
#define AFFONSO_STORAGE_PG_NOTIFICATION_STORE_H_

#include "storage/notification_store.h"
#include "storage/pool.h"

namespace affonso::storage {

class PgNotificationStore final : public NotificationStore {
 public:
  explicit PgNotificationStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<std::vector<NotificationSetting>> ListSettings(
      absl::string_view team_id, absl::string_view program_id) override;
  absl::StatusOr<std::optional<NotificationSetting>> GetSetting(
      absl::string_view team_id, absl::string_view program_id,
      absl::string_view email_type_id) override;
  absl::StatusOr<NotificationSetting> UpdateSetting(
      absl::string_view team_id, absl::string_view program_id, absl::string_view email_type_id,
      bool active_by_default, const NotificationSettingUpdate& update) override;

 private:
  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_NOTIFICATION_STORE_H_

#ifndef AFFONSO_STORAGE_NOTIFICATION_STORE_H_
#define AFFONSO_STORAGE_NOTIFICATION_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace affonso::storage {

// A program's stored setting of one email type of the notification
// catalogue (services/rules/notification_catalogue.h). The catalogue is the
// service's; storage keeps only what a program changed.
struct NotificationSetting {
  std::string email_type_id;
  std::string id;  // ntf_...
  bool is_active = true;
  std::optional<std::string> custom_subject;  // nullopt: the type's default
  std::optional<std::string> custom_body;
};

// A change, validated by the service (known type, templates checked).
// Absent (nullopt outer) = unchanged; a present nullopt clears.
struct NotificationSettingUpdate {
  std::optional<bool> is_active;
  std::optional<std::optional<std::string>> custom_subject;
  std::optional<std::optional<std::string>> custom_body;
};

// Every call names the program by `program_id`, "" meaning the team's
// default program; a program the team does not own is NOT_FOUND("program").
class NotificationStore {
 public:
  virtual ~NotificationStore() = default;

  // The program's stored settings, by email_type_id; types it never changed
  // have none.
  virtual absl::StatusOr<std::vector<NotificationSetting>> ListSettings(
      absl::string_view team_id, absl::string_view program_id) = 0;

  // The stored setting of one type; nullopt when the program never changed
  // it.
  virtual absl::StatusOr<std::optional<NotificationSetting>> GetSetting(
      absl::string_view team_id, absl::string_view program_id, absl::string_view email_type_id) = 0;

  // Creates the setting (is_active = `active_by_default` unless the update
  // sets it) or changes it, atomically (racing first updates make one row).
  virtual absl::StatusOr<NotificationSetting> UpdateSetting(
      absl::string_view team_id, absl::string_view program_id, absl::string_view email_type_id,
      bool active_by_default, const NotificationSettingUpdate& update) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_NOTIFICATION_STORE_H_

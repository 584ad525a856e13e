#include "storage/pg_notification_store.h"

#include <string>

#include "common/api_error.h"
#include "common/ids.h"
#include "storage/joined_statement.h"
#include "storage/pg_values.h"
#include "storage/program_scope_sql.h"

namespace affonso::storage {
namespace {

constexpr char kSettingColumns[] =
    "s.email_type_id, s.id, s.is_active, s.custom_subject, s.custom_body";

constexpr JoinedStatement kProgramId{"notification_program", kWithProgram, "SELECT id FROM prog"};

constexpr JoinedStatement kSelectSettings{"notification_settings", kWithProgram, "SELECT ",
                                          kSettingColumns,
                                          " FROM prog JOIN program_notification_settings s "
                                          "  ON s.team_id = $1 AND s.program_id = prog.id "
                                          "ORDER BY s.email_type_id"};

// $3 the email type.
constexpr JoinedStatement kSelectSetting{
    "notification_setting", kWithProgram, "SELECT ", kSettingColumns,
    " FROM prog JOIN program_notification_settings s "
    "  ON s.team_id = $1 AND s.program_id = prog.id AND s.email_type_id = $3"};

// $3 the email type, $4 a new id, $5 is_active or NULL (unchanged), $6 the
// default is_active of a new row, $7 / $9 whether the subject / body are
// set, $8 / $10 their new values (NULL: the default text). Racing first
// updates meet at the primary key and the later one changes the row.
constexpr JoinedStatement kUpsertSetting{
    "notification_upsert", kWithProgram,
    "INSERT INTO program_notification_settings AS s (team_id, program_id, email_type_id, id, "
    "  is_active, custom_subject, custom_body) "
    "SELECT $1, prog.id, $3, $4, coalesce($5::boolean, $6::boolean), "
    "  CASE WHEN $7::boolean THEN $8::text END, CASE WHEN $9::boolean THEN $10::text END "
    "FROM prog "
    "ON CONFLICT (team_id, program_id, email_type_id) DO UPDATE SET "
    "  is_active = coalesce($5::boolean, s.is_active), "
    "  custom_subject = CASE WHEN $7::boolean THEN $8::text ELSE s.custom_subject END, "
    "  custom_body = CASE WHEN $9::boolean THEN $10::text ELSE s.custom_body END, "
    "  updated_at = now() "
    "RETURNING ",
    kSettingColumns};

NotificationSetting ReadSetting(const pqxx::row& row) {
  NotificationSetting setting;
  setting.email_type_id = ReadText(row["email_type_id"]);
  setting.id = ReadText(row["id"]);
  setting.is_active = row["is_active"].as<bool>();
  if (!row["custom_subject"].is_null()) setting.custom_subject = ReadText(row["custom_subject"]);
  if (!row["custom_body"].is_null()) setting.custom_body = ReadText(row["custom_body"]);
  return setting;
}

const char* Bool(bool value) { return value ? "true" : "false"; }

}  // namespace

absl::StatusOr<std::vector<NotificationSetting>> PgNotificationStore::ListSettings(
    absl::string_view team_id, absl::string_view program_id) {
  const std::string team(team_id);
  const std::string program(program_id);
  return pool_->InTransaction(
      "list_notification_settings",
      [&](Tx& tx) -> absl::StatusOr<std::vector<NotificationSetting>> {
        if (tx.Exec(kProgramId, team, NullIfEmpty(program)).empty()) {
          return NotFoundError("program");
        }
        std::vector<NotificationSetting> settings;
        for (const pqxx::row& row : tx.Exec(kSelectSettings, team, NullIfEmpty(program))) {
          settings.push_back(ReadSetting(row));
        }
        return settings;
      });
}

absl::StatusOr<std::optional<NotificationSetting>> PgNotificationStore::GetSetting(
    absl::string_view team_id, absl::string_view program_id, absl::string_view email_type_id) {
  const std::string team(team_id);
  const std::string program(program_id);
  const std::string type(email_type_id);
  return pool_->InTransaction("get_notification_setting",
                              [&](Tx& tx) -> absl::StatusOr<std::optional<NotificationSetting>> {
                                if (tx.Exec(kProgramId, team, NullIfEmpty(program)).empty()) {
                                  return NotFoundError("program");
                                }
                                const pqxx::result rows =
                                    tx.Exec(kSelectSetting, team, NullIfEmpty(program), type);
                                if (rows.empty()) return std::optional<NotificationSetting>();
                                return std::optional<NotificationSetting>(ReadSetting(rows[0]));
                              });
}

absl::StatusOr<NotificationSetting> PgNotificationStore::UpdateSetting(
    absl::string_view team_id, absl::string_view program_id, absl::string_view email_type_id,
    bool active_by_default, const NotificationSettingUpdate& update) {
  const std::string team(team_id);
  const std::string program(program_id);
  const std::string type(email_type_id);
  const std::string id = NewId("ntf");
  const char* is_active = update.is_active.has_value() ? Bool(*update.is_active) : nullptr;
  const bool set_subject = update.custom_subject.has_value();
  const bool set_body = update.custom_body.has_value();
  const char* subject = set_subject && update.custom_subject->has_value()
                            ? (*update.custom_subject)->c_str()
                            : nullptr;
  const char* body =
      set_body && update.custom_body->has_value() ? (*update.custom_body)->c_str() : nullptr;
  return pool_->Autocommit(
      "update_notification_setting", [&](Tx& tx) -> absl::StatusOr<NotificationSetting> {
        const pqxx::result rows =
            tx.Exec(kUpsertSetting, team, NullIfEmpty(program), type, id, is_active,
                    Bool(active_by_default), Bool(set_subject), subject, Bool(set_body), body);
        if (rows.empty()) return NotFoundError("program");
        return ReadSetting(rows[0]);
      });
}

}  // namespace affonso::storage

#include "services/api/notification_service.h"

#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/status_macros.h"
#include "common/untrusted_text.h"
#include "services/api/program_service.h"
#include "services/call/validation.h"
#include "services/rules/email_template.h"

namespace affonso::services {
namespace {

using affonso::v1::Notification;
using google::protobuf::Value;

// A text of a PATCH: nullopt absent, a nullopt inside for null.
absl::StatusOr<std::optional<std::optional<std::string>>> ReadText(absl::string_view field,
                                                                   bool present,
                                                                   const Value& value) {
  using Result = std::optional<std::optional<std::string>>;
  if (!present) return Result();
  AFFONSO_RETURN_IF_ERROR(CheckNullableString(field, value));
  if (value.kind_case() == Value::kNullValue) return Result(std::optional<std::string>());
  return Result(std::optional<std::string>(value.string_value()));
}

absl::Status CheckCustomizable(absl::string_view field, const EmailType& type) {
  if (type.is_customizable) return absl::OkStatus();
  return ValidationError(
      field, absl::StrCat("the ", type.id, " email is not customizable: its text is fixed"));
}

absl::Status CheckPlaceholders(absl::string_view field, const EmailType& type,
                               absl::string_view text) {
  absl::Status status = CheckTemplate(text, type.placeholders);
  if (status.ok()) return status;
  return ValidationError(field, absl::StrCat(field, ": ", status.message()));
}

}  // namespace

absl::Status CheckSubjectTemplate(absl::string_view field, const EmailType& type,
                                  absl::string_view subject) {
  if (subject.empty()) {
    return ValidationError(field, absl::StrCat(field,
                                               " must not be empty (null restores the "
                                               "default)"));
  }
  AFFONSO_RETURN_IF_ERROR(CheckMaxLength(field, subject, kMaxNotificationSubjectLength));
  if (HasControlCharacter(subject)) {
    return ValidationError(field, absl::StrCat(field, " is one line without control characters"));
  }
  return CheckPlaceholders(field, type, subject);
}

absl::Status CheckBodyTemplate(absl::string_view field, const EmailType& type,
                               absl::string_view body) {
  if (body.empty()) {
    return ValidationError(field,
                           absl::StrCat(field, " must not be empty (null restores the default)"));
  }
  AFFONSO_RETURN_IF_ERROR(CheckMaxBytes(field, body, kMaxNotificationBodyBytes));
  return CheckPlaceholders(field, type, body);
}

absl::StatusOr<storage::NotificationSettingUpdate> ValidateNotificationUpdate(
    const EmailType& type, const affonso::v1::NotificationUpdate& update) {
  storage::NotificationSettingUpdate out;
  if (update.has_is_active()) out.is_active = update.is_active();
  AFFONSO_ASSIGN_OR_RETURN(
      out.custom_subject,
      ReadText("custom_subject", update.has_custom_subject(), update.custom_subject()));
  AFFONSO_ASSIGN_OR_RETURN(out.custom_body,
                           ReadText("custom_body", update.has_custom_body(), update.custom_body()));
  if (out.custom_subject.has_value() && out.custom_subject->has_value()) {
    AFFONSO_RETURN_IF_ERROR(CheckCustomizable("custom_subject", type));
    AFFONSO_RETURN_IF_ERROR(CheckSubjectTemplate("custom_subject", type, **out.custom_subject));
  }
  if (out.custom_body.has_value() && out.custom_body->has_value()) {
    AFFONSO_RETURN_IF_ERROR(CheckCustomizable("custom_body", type));
    AFFONSO_RETURN_IF_ERROR(CheckBodyTemplate("custom_body", type, **out.custom_body));
  }
  return out;
}

Notification MakeNotification(const EmailType& type,
                              const std::optional<storage::NotificationSetting>& setting) {
  Notification notification;
  notification.set_email_type_id(type.id);
  notification.set_is_active(type.active_by_default);
  if (setting.has_value()) {
    notification.set_id(setting->id);
    notification.set_is_active(setting->is_active);
    if (setting->custom_subject.has_value()) {
      notification.set_custom_subject(*setting->custom_subject);
    }
    if (setting->custom_body.has_value()) notification.set_custom_body(*setting->custom_body);
  }
  affonso::v1::NotificationType* described = notification.mutable_type();
  described->set_name(type.name);
  described->set_description(type.description);
  described->set_icon(type.icon);
  described->set_is_customizable(type.is_customizable);
  described->set_target_audience(type.target_audience);
  return notification;
}

absl::StatusOr<affonso::v1::NotificationPreview> RenderNotificationPreview(
    const EmailType& type, const std::optional<storage::NotificationSetting>& setting,
    const affonso::v1::NotificationDraft& draft) {
  std::string subject = type.default_subject;
  std::string body = type.default_body;
  if (setting.has_value() && setting->custom_subject.has_value()) {
    subject = *setting->custom_subject;
  }
  if (setting.has_value() && setting->custom_body.has_value()) body = *setting->custom_body;
  if (draft.has_subject()) {
    AFFONSO_RETURN_IF_ERROR(CheckCustomizable("subject", type));
    AFFONSO_RETURN_IF_ERROR(CheckSubjectTemplate("subject", type, draft.subject()));
    subject = draft.subject();
  }
  if (draft.has_body()) {
    AFFONSO_RETURN_IF_ERROR(CheckCustomizable("body", type));
    AFFONSO_RETURN_IF_ERROR(CheckBodyTemplate("body", type, draft.body()));
    body = draft.body();
  }
  const std::map<std::string, std::string> samples = SampleValues(type);
  affonso::v1::NotificationPreview preview;
  preview.set_email_type_id(type.id);
  // A stored text was checked when it was saved, against the same catalogue
  // (a placeholder the catalogue dropped since would fail here: INTERNAL,
  // ours).
  absl::StatusOr<std::string> rendered =
      RenderTemplate(subject, samples, TemplateEscaping::kPlainText);
  if (!rendered.ok()) return absl::InternalError("a stored template no longer renders");
  preview.set_subject(*std::move(rendered));
  rendered = RenderTemplate(body, samples, TemplateEscaping::kHtml);
  if (!rendered.ok()) return absl::InternalError("a stored template no longer renders");
  preview.set_body(*std::move(rendered));
  for (const std::string& name : type.placeholders) {
    affonso::v1::NotificationPlaceholder* placeholder = preview.add_placeholders();
    placeholder->set_name(name);
    placeholder->set_sample_value(samples.at(name));
  }
  return preview;
}

grpc::Status NotificationServiceImpl::ListNotifications(
    grpc::ServerContext* context, const affonso::v1::ListNotificationsRequest* request,
    affonso::v1::ListNotificationsResponse* response) {
  return runner_.Run(
      context, "ListNotifications", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(std::vector<storage::NotificationSetting> settings,
                                 store_->ListSettings(caller.team_id, program));
        std::map<std::string, storage::NotificationSetting> by_type;
        for (storage::NotificationSetting& setting : settings) {
          std::string key = setting.email_type_id;
          by_type.emplace(std::move(key), std::move(setting));
        }
        for (const EmailType& type : EmailTypes()) {
          auto stored = by_type.find(type.id);
          *response->add_data() = MakeNotification(
              type, stored == by_type.end()
                        ? std::nullopt
                        : std::optional<storage::NotificationSetting>(stored->second));
        }
        return absl::OkStatus();
      });
}

grpc::Status NotificationServiceImpl::UpdateNotification(
    grpc::ServerContext* context, const affonso::v1::UpdateNotificationRequest* request,
    Notification* response) {
  return runner_.Run(
      context, "UpdateNotification", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        const EmailType* type = FindEmailType(request->email_type_id());
        if (type == nullptr) return NotFoundError("email type");
        AFFONSO_ASSIGN_OR_RETURN(storage::NotificationSettingUpdate update,
                                 ValidateNotificationUpdate(*type, request->notification()));
        AFFONSO_ASSIGN_OR_RETURN(storage::NotificationSetting setting,
                                 store_->UpdateSetting(caller.team_id, program, type->id,
                                                       type->active_by_default, update));
        *response = MakeNotification(*type, setting);
        return absl::OkStatus();
      });
}

grpc::Status NotificationServiceImpl::PreviewNotification(
    grpc::ServerContext* context, const affonso::v1::PreviewNotificationRequest* request,
    affonso::v1::NotificationPreview* response) {
  return runner_.Run(
      context, "PreviewNotification", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        const EmailType* type = FindEmailType(request->email_type_id());
        if (type == nullptr) return NotFoundError("email type");
        AFFONSO_ASSIGN_OR_RETURN(std::optional<storage::NotificationSetting> setting,
                                 store_->GetSetting(caller.team_id, program, type->id));
        AFFONSO_ASSIGN_OR_RETURN(*response,
                                 RenderNotificationPreview(*type, setting, request->draft()));
        return absl::OkStatus();
      });
}

}  // namespace affonso::services

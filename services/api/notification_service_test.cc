#include "services/api/notification_service.h"

#include <string>

#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::HasApiError;
using affonso::v1::NotificationDraft;
using affonso::v1::NotificationUpdate;
using google::protobuf::NULL_VALUE;

const EmailType& Type(const char* id) {
  const EmailType* type = FindEmailType(id);
  EXPECT_NE(type, nullptr) << id;
  return *type;
}

TEST(MakeNotificationTest, DefaultsUntilTheProgramChangesIt) {
  const EmailType& rejected = Type("affiliate_rejected");
  affonso::v1::Notification notification = MakeNotification(rejected, std::nullopt);
  EXPECT_FALSE(notification.has_id());
  EXPECT_EQ(notification.email_type_id(), "affiliate_rejected");
  EXPECT_EQ(notification.is_active(), rejected.active_by_default);
  EXPECT_FALSE(notification.has_custom_subject());
  EXPECT_FALSE(notification.has_custom_body());
  EXPECT_EQ(notification.type().name(), rejected.name);
  EXPECT_EQ(notification.type().target_audience(), "affiliate");
  EXPECT_TRUE(notification.type().is_customizable());

  storage::NotificationSetting setting;
  setting.email_type_id = "affiliate_rejected";
  setting.id = "ntf_x";
  setting.is_active = !rejected.active_by_default;
  setting.custom_subject = "Sorry, {{affiliate_name}}";
  notification = MakeNotification(rejected, setting);
  EXPECT_EQ(notification.id(), "ntf_x");
  EXPECT_EQ(notification.is_active(), !rejected.active_by_default);
  EXPECT_EQ(notification.custom_subject(), "Sorry, {{affiliate_name}}");
  EXPECT_FALSE(notification.has_custom_body());
}

TEST(ValidateNotificationUpdateTest, ChecksTemplatesAgainstTheTypesPlaceholders) {
  const EmailType& commission = Type("new_commission");
  NotificationUpdate update;
  update.set_is_active(false);
  update.mutable_custom_subject()->set_string_value("+{{commission_amount}} {{ currency }}");
  update.mutable_custom_body()->set_null_value(NULL_VALUE);
  ASSERT_OK_AND_ASSIGN(storage::NotificationSettingUpdate out,
                       ValidateNotificationUpdate(commission, update));
  EXPECT_EQ(out.is_active, false);
  ASSERT_TRUE(out.custom_subject.has_value());
  EXPECT_EQ(*out.custom_subject, "+{{commission_amount}} {{ currency }}");
  ASSERT_TRUE(out.custom_body.has_value());
  EXPECT_FALSE(out.custom_body->has_value());  // null: back to the default

  struct Case {
    const char* field;
    const char* subject;  // nullptr: leave absent
    const char* body;
  };
  const Case cases[] = {
      {"custom_subject", "Hi {{payout_amount}}", nullptr},  // another type's placeholder
      {"custom_subject", "Hi {{affiliate_name}", nullptr},
      {"custom_subject", "Hi }} there", nullptr},
      {"custom_subject", "", nullptr},
      {"custom_subject", "two\nlines", nullptr},
      {"custom_body", nullptr, "<p>{{password}}</p>"},
      {"custom_body", nullptr, "<p>{{{affiliate_name}}}</p>"},
      {"custom_body", nullptr, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    NotificationUpdate bad;
    if (c.subject != nullptr) bad.mutable_custom_subject()->set_string_value(c.subject);
    if (c.body != nullptr) bad.mutable_custom_body()->set_string_value(c.body);
    EXPECT_THAT(ValidateNotificationUpdate(commission, bad),
                HasApiError("VALIDATION_ERROR", c.field));
  }
  NotificationUpdate long_subject;
  long_subject.mutable_custom_subject()->set_string_value(std::string(201, 's'));
  EXPECT_THAT(ValidateNotificationUpdate(commission, long_subject),
              HasApiError("VALIDATION_ERROR", "custom_subject"));
  NotificationUpdate long_body;
  long_body.mutable_custom_body()->set_string_value(std::string(20001, 'b'));
  EXPECT_THAT(ValidateNotificationUpdate(commission, long_body),
              HasApiError("VALIDATION_ERROR", "custom_body"));
  NotificationUpdate not_text;
  not_text.mutable_custom_body()->set_bool_value(true);
  EXPECT_THAT(ValidateNotificationUpdate(commission, not_text),
              HasApiError("VALIDATION_ERROR", "custom_body"));
}

TEST(ValidateNotificationUpdateTest, AFixedTypeTakesNoCustomText) {
  const EmailType* fixed = nullptr;
  for (const EmailType& type : EmailTypes()) {
    if (!type.is_customizable) fixed = &type;
  }
  ASSERT_NE(fixed, nullptr);
  NotificationUpdate update;
  update.mutable_custom_subject()->set_string_value("{{program_name}}");
  EXPECT_THAT(ValidateNotificationUpdate(*fixed, update),
              HasApiError("VALIDATION_ERROR", "custom_subject"));
  NotificationUpdate body;
  body.mutable_custom_body()->set_string_value("<p>{{program_name}}</p>");
  EXPECT_THAT(ValidateNotificationUpdate(*fixed, body),
              HasApiError("VALIDATION_ERROR", "custom_body"));
  // It can still be turned off, and clearing is harmless.
  NotificationUpdate off;
  off.set_is_active(false);
  off.mutable_custom_subject()->set_null_value(NULL_VALUE);
  EXPECT_OK(ValidateNotificationUpdate(*fixed, off).status());
}

TEST(RenderNotificationPreviewTest, DraftThenCustomThenDefault) {
  const EmailType& welcome = Type("affiliate_welcome");
  const std::map<std::string, std::string> samples = SampleValues(welcome);
  ASSERT_OK_AND_ASSIGN(affonso::v1::NotificationPreview preview,
                       RenderNotificationPreview(welcome, std::nullopt, NotificationDraft()));
  EXPECT_EQ(preview.email_type_id(), "affiliate_welcome");
  EXPECT_EQ(preview.subject(), "Welcome to " + samples.at("program_name"));
  EXPECT_NE(preview.body().find(samples.at("affiliate_name")), std::string::npos);
  EXPECT_EQ(preview.body().find("{{"), std::string::npos);
  ASSERT_EQ(preview.placeholders_size(), static_cast<int>(welcome.placeholders.size()));
  EXPECT_EQ(preview.placeholders(0).name(), welcome.placeholders[0]);
  EXPECT_EQ(preview.placeholders(0).sample_value(), samples.at(welcome.placeholders[0]));

  storage::NotificationSetting setting;
  setting.custom_subject = "Hello {{affiliate_name}}";
  ASSERT_OK_AND_ASSIGN(preview, RenderNotificationPreview(welcome, setting, NotificationDraft()));
  EXPECT_EQ(preview.subject(), "Hello " + samples.at("affiliate_name"));

  NotificationDraft draft;
  draft.set_subject("Draft for {{program_name}}");
  draft.set_body("<b>{{affiliate_email}}</b>");
  ASSERT_OK_AND_ASSIGN(preview, RenderNotificationPreview(welcome, setting, draft));
  EXPECT_EQ(preview.subject(), "Draft for " + samples.at("program_name"));
  EXPECT_EQ(preview.body(), "<b>" + samples.at("affiliate_email") + "</b>");

  NotificationDraft bad;
  bad.set_body("<b>{{commission_amount}}</b>");
  EXPECT_THAT(RenderNotificationPreview(welcome, setting, bad),
              HasApiError("VALIDATION_ERROR", "body"));
  bad.clear_body();
  bad.set_subject("{{");
  EXPECT_THAT(RenderNotificationPreview(welcome, setting, bad),
              HasApiError("VALIDATION_ERROR", "subject"));
}

}  // namespace
}  // namespace affonso::services

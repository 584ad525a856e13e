#include "services/api/notification_service.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;
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

// The settings of one program in memory; records what reached it.
class FakeNotificationStore : public storage::NotificationStore {
 public:
  absl::StatusOr<std::vector<storage::NotificationSetting>> ListSettings(
      absl::string_view team_id, absl::string_view program_id) override {
    calls.push_back(absl::StrCat("list ", team_id, " ", program_id));
    std::vector<storage::NotificationSetting> out;
    for (const auto& [unused, setting] : settings) out.push_back(setting);
    return out;
  }
  absl::StatusOr<std::optional<storage::NotificationSetting>> GetSetting(
      absl::string_view team_id, absl::string_view program_id,
      absl::string_view email_type_id) override {
    calls.push_back(absl::StrCat("get ", team_id, " ", program_id, " ", email_type_id));
    auto found = settings.find(std::string(email_type_id));
    if (found == settings.end()) return std::optional<storage::NotificationSetting>();
    return std::optional<storage::NotificationSetting>(found->second);
  }
  absl::StatusOr<storage::NotificationSetting> UpdateSetting(
      absl::string_view team_id, absl::string_view program_id, absl::string_view email_type_id,
      bool active_by_default, const storage::NotificationSettingUpdate& update) override {
    calls.push_back(absl::StrCat("update ", team_id, " ", program_id, " ", email_type_id, " ",
                                 active_by_default ? "on" : "off"));
    storage::NotificationSetting& setting = settings[std::string(email_type_id)];
    if (setting.id.empty()) {
      setting.id = "ntf_new";
      setting.email_type_id = std::string(email_type_id);
      setting.is_active = active_by_default;
    }
    if (update.is_active.has_value()) setting.is_active = *update.is_active;
    if (update.custom_subject.has_value()) setting.custom_subject = *update.custom_subject;
    if (update.custom_body.has_value()) setting.custom_body = *update.custom_body;
    return setting;
  }

  std::map<std::string, storage::NotificationSetting> settings;
  std::vector<std::string> calls;
};

class NotificationServiceTest : public ::testing::Test {
 protected:
  testing::FakeAuthenticator authenticator_;
  FakeNotificationStore store_;
  NotificationServiceImpl service_{&authenticator_, &store_};
  testing::InProcessServer server_{{&service_}};
  std::unique_ptr<affonso::v1::NotificationService::Stub> stub_ =
      affonso::v1::NotificationService::NewStub(server_.channel());
};

TEST_F(NotificationServiceTest, ListsTheWholeCatalogueWithTheStoredSettings) {
  storage::NotificationSetting stored;
  stored.email_type_id = "new_referral";
  stored.id = "ntf_stored";
  stored.is_active = false;
  stored.custom_subject = "Referral: {{referral_name}}";
  store_.settings["new_referral"] = stored;
  auto context = testing::ContextWithAuth();
  affonso::v1::ListNotificationsRequest request;
  affonso::v1::ListNotificationsResponse response;
  ASSERT_OK(stub_->ListNotifications(context.get(), request, &response));
  ASSERT_EQ(response.data_size(), static_cast<int>(EmailTypes().size()));
  for (int i = 0; i < response.data_size(); ++i) {
    const affonso::v1::Notification& notification = response.data(i);
    EXPECT_EQ(notification.email_type_id(), EmailTypes()[i].id);
    if (notification.email_type_id() == "new_referral") {
      EXPECT_EQ(notification.id(), "ntf_stored");
      EXPECT_FALSE(notification.is_active());
      EXPECT_EQ(notification.custom_subject(), "Referral: {{referral_name}}");
    } else {
      EXPECT_FALSE(notification.has_id()) << notification.email_type_id();
      EXPECT_EQ(notification.is_active(), EmailTypes()[i].active_by_default);
    }
  }
  EXPECT_EQ(store_.calls, std::vector<std::string>{"list team_a "});
}

TEST_F(NotificationServiceTest, UpdatesKnownTypesOnlyWithValidTemplates) {
  affonso::v1::UpdateNotificationRequest request;
  request.set_email_type_id("affiliate_rejected");
  request.set_program_id("prg_0123456789abcdefghijkl");
  request.mutable_notification()->mutable_custom_body()->set_string_value("<p>{{nope}}</p>");
  affonso::v1::Notification response;
  {
    auto context = testing::ContextWithAuth();
    EXPECT_THAT(stub_->UpdateNotification(context.get(), request, &response),
                StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
    EXPECT_EQ(testing::ServerMetadata(*context, "x-error-field", /*trailing=*/true), "custom_body");
  }
  request.set_email_type_id("no_such_type");
  request.mutable_notification()->clear_custom_body();
  {
    auto context = testing::ContextWithAuth();
    EXPECT_THAT(stub_->UpdateNotification(context.get(), request, &response),
                StatusIs(grpc::StatusCode::NOT_FOUND));
  }
  EXPECT_TRUE(store_.calls.empty()) << "refused updates reached the store";

  request.set_email_type_id("affiliate_rejected");
  request.mutable_notification()->mutable_custom_subject()->set_string_value(
      "About {{program_name}}");
  auto context = testing::ContextWithAuth();
  ASSERT_OK(stub_->UpdateNotification(context.get(), request, &response));
  EXPECT_EQ(response.id(), "ntf_new");
  EXPECT_FALSE(response.is_active());  // the type's default, passed to the store
  EXPECT_EQ(response.custom_subject(), "About {{program_name}}");
  EXPECT_FALSE(response.has_custom_body());
  EXPECT_EQ(store_.calls, std::vector<std::string>{
                              "update team_a prg_0123456789abcdefghijkl affiliate_rejected off"});
}

TEST_F(NotificationServiceTest, PreviewsTheStoredTextAndStoresNothing) {
  storage::NotificationSetting stored;
  stored.email_type_id = "payout_sent";
  stored.id = "ntf_stored";
  stored.custom_body = "<p>{{payout_amount}} for {{affiliate_name}}</p>";
  store_.settings["payout_sent"] = stored;
  affonso::v1::PreviewNotificationRequest request;
  request.set_email_type_id("payout_sent");
  affonso::v1::NotificationPreview preview;
  auto context = testing::ContextWithAuth();
  ASSERT_OK(stub_->PreviewNotification(context.get(), request, &preview));
  const std::map<std::string, std::string> samples = SampleValues(Type("payout_sent"));
  EXPECT_EQ(preview.body(),
            "<p>" + samples.at("payout_amount") + " for " + samples.at("affiliate_name") + "</p>");
  EXPECT_EQ(store_.calls, std::vector<std::string>{"get team_a  payout_sent"});
}

}  // namespace
}  // namespace affonso::services

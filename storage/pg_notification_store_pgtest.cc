#include "storage/pg_notification_store.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::HasApiError;

class PgNotificationStoreTest : public testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgNotificationStore>(&db_->pool());
  }

  std::unique_ptr<PgNotificationStore> store_;
};

TEST_F(PgNotificationStoreTest, StoresOnlyWhatAProgramChanged) {
  ASSERT_OK_AND_ASSIGN(auto none, store_->ListSettings(a_.team_id, ""));
  EXPECT_TRUE(none.empty());
  ASSERT_OK_AND_ASSIGN(auto missing, store_->GetSetting(a_.team_id, "", "new_referral"));
  EXPECT_FALSE(missing.has_value());

  NotificationSettingUpdate update;
  update.custom_subject = std::optional<std::string>("Hi {{affiliate_name}}");
  ASSERT_OK_AND_ASSIGN(NotificationSetting created,
                       store_->UpdateSetting(a_.team_id, "", "new_referral",
                                             /*active_by_default=*/false, update));
  EXPECT_TRUE(absl::StartsWith(created.id, "ntf_")) << created.id;
  EXPECT_EQ(created.email_type_id, "new_referral");
  EXPECT_FALSE(created.is_active);  // the default, not set by the update
  EXPECT_EQ(created.custom_subject, "Hi {{affiliate_name}}");
  EXPECT_FALSE(created.custom_body.has_value());

  // Absent fields stay; a present nullopt clears; the id is kept.
  NotificationSettingUpdate second;
  second.is_active = true;
  second.custom_body = std::optional<std::string>("<p>Body</p>");
  ASSERT_OK_AND_ASSIGN(NotificationSetting changed,
                       store_->UpdateSetting(a_.team_id, a_.program_id, "new_referral",
                                             /*active_by_default=*/false, second));
  EXPECT_EQ(changed.id, created.id);
  EXPECT_TRUE(changed.is_active);
  EXPECT_EQ(changed.custom_subject, "Hi {{affiliate_name}}");
  EXPECT_EQ(changed.custom_body, "<p>Body</p>");
  NotificationSettingUpdate clear;
  clear.custom_subject = std::optional<std::string>();
  ASSERT_OK_AND_ASSIGN(changed,
                       store_->UpdateSetting(a_.team_id, "", "new_referral", false, clear));
  EXPECT_FALSE(changed.custom_subject.has_value());
  EXPECT_EQ(changed.custom_body, "<p>Body</p>");
  EXPECT_TRUE(changed.is_active);

  ASSERT_OK_AND_ASSIGN(auto all, store_->ListSettings(a_.team_id, ""));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, created.id);
  ASSERT_OK_AND_ASSIGN(auto one, store_->GetSetting(a_.team_id, "", "new_referral"));
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->custom_body, "<p>Body</p>");
}

TEST_F(PgNotificationStoreTest, AnotherTeamsProgramIsNotFoundAndSeesNothing) {
  NotificationSettingUpdate update;
  update.is_active = false;
  ASSERT_OK(store_->UpdateSetting(a_.team_id, "", "payout_sent", true, update).status());
  EXPECT_THAT(store_->ListSettings(b_.team_id, a_.program_id), HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->GetSetting(b_.team_id, a_.program_id, "payout_sent"),
              HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->UpdateSetting(b_.team_id, a_.program_id, "payout_sent", true, update),
              HasApiError("NOT_FOUND"));
  ASSERT_OK_AND_ASSIGN(auto b_settings, store_->ListSettings(b_.team_id, ""));
  EXPECT_TRUE(b_settings.empty());
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM program_notification_settings"), "1");
}

TEST_F(PgNotificationStoreTest, RacingFirstUpdatesMakeOneRow) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      NotificationSettingUpdate update;
      update.is_active = i % 2 == 0;
      EXPECT_OK(store_->UpdateSetting(a_.team_id, "", "affiliate_welcome", true, update).status());
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM program_notification_settings"), "1");
}

}  // namespace
}  // namespace affonso::storage

#include "services/api/program_service.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/status_macros.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;
using affonso::v1::FraudRulesUpdate;
using affonso::v1::GroupInput;
using affonso::v1::GroupUpdate;
using affonso::v1::IncentiveInput;
using affonso::v1::TrackingSettingsUpdate;

constexpr char kProgram[] = "prg_known";
constexpr char kGroup[] = "grp_known";
constexpr char kIncentive[] = "inc_known";

// Answers for one program and one group; records what reached it.
class FakeProgramStore : public storage::ProgramStore {
 public:
  absl::StatusOr<affonso::v1::ProgramSettings> GetProgram(absl::string_view team_id,
                                                          absl::string_view program_id) override {
    AFFONSO_RETURN_IF_ERROR(Record(team_id, program_id));
    affonso::v1::ProgramSettings program;
    program.set_id(kProgram);
    return program;
  }
  absl::StatusOr<affonso::v1::ProgramSettings> UpdateProgram(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::ProgramSettingsUpdate& update) override {
    AFFONSO_RETURN_IF_ERROR(Record(team_id, program_id));
    last_program_update = update;
    affonso::v1::ProgramSettings program;
    program.set_id(kProgram);
    program.set_name(update.name());
    return program;
  }
  absl::StatusOr<affonso::v1::FraudRules> GetFraudRules(absl::string_view team_id,
                                                        absl::string_view program_id) override {
    AFFONSO_RETURN_IF_ERROR(Record(team_id, program_id));
    affonso::v1::FraudRules rules;
    rules.set_program_id(kProgram);
    return rules;
  }
  absl::StatusOr<affonso::v1::FraudRules> UpdateFraudRules(
      absl::string_view team_id, absl::string_view program_id,
      const FraudRulesUpdate& update) override {
    AFFONSO_RETURN_IF_ERROR(Record(team_id, program_id));
    last_fraud_update = update;
    affonso::v1::FraudRules rules;
    rules.set_program_id(kProgram);
    return rules;
  }
  absl::StatusOr<affonso::v1::TrackingSettings> GetTrackingSettings(
      absl::string_view team_id, absl::string_view program_id) override {
    AFFONSO_RETURN_IF_ERROR(Record(team_id, program_id));
    return affonso::v1::TrackingSettings();
  }
  absl::StatusOr<affonso::v1::TrackingSettings> UpdateTrackingSettings(
      absl::string_view team_id, absl::string_view program_id,
      const TrackingSettingsUpdate& update) override {
    AFFONSO_RETURN_IF_ERROR(Record(team_id, program_id));
    last_tracking_update = update;
    affonso::v1::TrackingSettings settings;
    settings.set_default_referral_parameter(update.default_referral_parameter());
    return settings;
  }
  absl::StatusOr<affonso::v1::ListGroupsResponse> ListGroups(
      absl::string_view team_id, absl::string_view program_id) override {
    AFFONSO_RETURN_IF_ERROR(Record(team_id, program_id));
    affonso::v1::ListGroupsResponse groups;
    affonso::v1::Group* group = groups.add_data();
    group->set_id(kGroup);
    // As the real store does: every incentive, whatever the expansion.
    group->add_incentives()->set_id(kIncentive);
    return groups;
  }
  absl::StatusOr<affonso::v1::Group> CreateGroup(absl::string_view team_id,
                                                 absl::string_view program_id,
                                                 const GroupInput& input) override {
    AFFONSO_RETURN_IF_ERROR(Record(team_id, program_id));
    affonso::v1::Group group;
    group.set_id("grp_new");
    group.set_name(input.name());
    return group;
  }
  absl::StatusOr<affonso::v1::Group> GetGroup(absl::string_view team_id,
                                              absl::string_view program_id,
                                              absl::string_view group_id) override {
    AFFONSO_RETURN_IF_ERROR(RecordGroup(team_id, program_id, group_id));
    affonso::v1::Group group;
    group.set_id(kGroup);
    group.add_incentives()->set_id(kIncentive);
    return group;
  }
  absl::StatusOr<affonso::v1::Group> UpdateGroup(absl::string_view team_id,
                                                 absl::string_view program_id,
                                                 absl::string_view group_id,
                                                 const GroupUpdate& update) override {
    AFFONSO_RETURN_IF_ERROR(RecordGroup(team_id, program_id, group_id));
    affonso::v1::Group group;
    group.set_id(kGroup);
    group.set_name(update.name());
    return group;
  }
  absl::Status DeleteGroup(absl::string_view team_id, absl::string_view program_id,
                           absl::string_view group_id) override {
    return RecordGroup(team_id, program_id, group_id);
  }
  absl::StatusOr<affonso::v1::Incentive> CreateIncentive(absl::string_view team_id,
                                                         absl::string_view program_id,
                                                         absl::string_view group_id,
                                                         const IncentiveInput& input) override {
    AFFONSO_RETURN_IF_ERROR(RecordGroup(team_id, program_id, group_id));
    last_incentive = input;
    affonso::v1::Incentive incentive;
    incentive.set_id("inc_new");
    incentive.set_currency(input.currency());
    incentive.set_hold_period_days(input.hold_period_days());
    return incentive;
  }
  absl::Status DeleteIncentive(absl::string_view team_id, absl::string_view program_id,
                               absl::string_view group_id,
                               absl::string_view incentive_id) override {
    AFFONSO_RETURN_IF_ERROR(RecordGroup(team_id, program_id, group_id));
    return incentive_id == kIncentive ? absl::OkStatus() : NotFoundError("incentive");
  }

  absl::StatusOr<affonso::v1::PixelSettings> GetPixelSettings(
      absl::string_view team_id, absl::string_view program_id) override {
    AFFONSO_RETURN_IF_ERROR(Record(team_id, program_id));
    affonso::v1::PixelSettings settings;
    settings.set_program_id(kProgram);
    settings.set_click_dedup_window_seconds(3600);
    return settings;
  }
  absl::StatusOr<affonso::v1::PixelSettings> UpdatePixelSettings(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::PixelSettingsUpdate& update) override {
    AFFONSO_RETURN_IF_ERROR(Record(team_id, program_id));
    last_pixel_update = update;
    affonso::v1::PixelSettings settings;
    settings.set_program_id(kProgram);
    for (const auto& domain : update.allowed_domains().values()) {
      settings.add_allowed_domains(domain.string_value());
    }
    settings.set_click_dedup_window_seconds(update.click_dedup_window_seconds());
    return settings;
  }

  int calls = 0;
  std::string last_team;
  std::string last_program = "<none>";
  FraudRulesUpdate last_fraud_update;
  TrackingSettingsUpdate last_tracking_update;
  affonso::v1::ProgramSettingsUpdate last_program_update;
  IncentiveInput last_incentive;
  affonso::v1::PixelSettingsUpdate last_pixel_update;

 private:
  absl::Status Record(absl::string_view team_id, absl::string_view program_id) {
    ++calls;
    last_team = std::string(team_id);
    last_program = std::string(program_id);
    if (!program_id.empty() && program_id != kProgram) return NotFoundError("program");
    return absl::OkStatus();
  }
  absl::Status RecordGroup(absl::string_view team_id, absl::string_view program_id,
                           absl::string_view group_id) {
    AFFONSO_RETURN_IF_ERROR(Record(team_id, program_id));
    return group_id == kGroup ? absl::OkStatus() : NotFoundError("group");
  }
};

// ---- validation ----

TEST(ValidateFraudRulesUpdateTest, PresentModesMustBeSpecified) {
  FraudRulesUpdate empty;
  EXPECT_OK(ValidateFraudRulesUpdate(empty));
  FraudRulesUpdate unspecified;
  unspecified.set_suspicious_email_mode(affonso::v1::FRAUD_MODE_UNSPECIFIED);
  EXPECT_EQ(ApiErrorField(ValidateFraudRulesUpdate(unspecified).status()), "suspicious_email_mode");
  FraudRulesUpdate unknown;
  unknown.set_paid_traffic_mode(static_cast<affonso::v1::FraudMode>(42));
  EXPECT_EQ(ApiErrorField(ValidateFraudRulesUpdate(unknown).status()), "paid_traffic_mode");
  FraudRulesUpdate fine;
  fine.set_self_referral_mode(affonso::v1::FRAUD_MODE_OFF);
  EXPECT_OK(ValidateFraudRulesUpdate(fine));
  FraudRulesUpdate bad_self;
  bad_self.set_self_referral_mode(affonso::v1::FRAUD_MODE_UNSPECIFIED);
  absl::Status status = ValidateFraudRulesUpdate(bad_self).status();
  EXPECT_THAT(status, HasApiError("VALIDATION_ERROR", "self_referral_mode"));
}

TEST(ValidateFraudRulesUpdateTest, PaidTrafficConfigIsCheckedAndNormalised) {
  FraudRulesUpdate update;
  auto* config = update.mutable_paid_traffic_config();
  config->add_click_params(" GCLID ");
  config->add_click_params("fbclid");
  config->add_click_params("gclid");
  config->add_utm_mediums(" CPC");
  config->add_utm_mediums("cpc");
  config->add_utm_mediums("Paid-Social");
  auto normalized = ValidateFraudRulesUpdate(update);
  ASSERT_OK(normalized);
  const auto& out = normalized->paid_traffic_config();
  EXPECT_EQ(std::vector<std::string>(out.click_params().begin(), out.click_params().end()),
            (std::vector<std::string>{"gclid", "fbclid"}));
  EXPECT_EQ(std::vector<std::string>(out.utm_mediums().begin(), out.utm_mediums().end()),
            (std::vector<std::string>{"cpc", "paid-social"}));

  FraudRulesUpdate unknown_param;
  unknown_param.mutable_paid_traffic_config()->add_click_params("utm_source");
  EXPECT_EQ(ApiErrorField(ValidateFraudRulesUpdate(unknown_param).status()),
            "paid_traffic_config.click_params");

  FraudRulesUpdate blank_medium;
  blank_medium.mutable_paid_traffic_config()->add_utm_mediums("  ");
  EXPECT_EQ(ApiErrorField(ValidateFraudRulesUpdate(blank_medium).status()),
            "paid_traffic_config.utm_mediums");
  FraudRulesUpdate long_medium;
  long_medium.mutable_paid_traffic_config()->add_utm_mediums(std::string(65, 'm'));
  EXPECT_EQ(ApiErrorField(ValidateFraudRulesUpdate(long_medium).status()),
            "paid_traffic_config.utm_mediums");
  FraudRulesUpdate many;
  for (int i = 0; i < 51; ++i) {
    many.mutable_paid_traffic_config()->add_utm_mediums("m" + std::to_string(i));
  }
  EXPECT_EQ(ApiErrorField(ValidateFraudRulesUpdate(many).status()),
            "paid_traffic_config.utm_mediums");
  many.mutable_paid_traffic_config()->mutable_utm_mediums()->RemoveLast();
  EXPECT_OK(ValidateFraudRulesUpdate(many));

  // Present and empty is valid: it clears both lists.
  FraudRulesUpdate cleared;
  cleared.mutable_paid_traffic_config();
  auto empty = ValidateFraudRulesUpdate(cleared);
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->has_paid_traffic_config());
}

TEST(ValidateFraudRulesUpdateTest, AllowedDomainsMustBeDomainStrings) {
  FraudRulesUpdate update;
  auto* domains = update.mutable_allowed_email_domains();
  domains->add_values()->set_string_value(" Mailinator.COM ");
  domains->add_values()->set_string_value("mailinator.com");
  domains->add_values()->set_string_value("sub.corp.example");
  auto normalized = ValidateFraudRulesUpdate(update);
  ASSERT_OK(normalized);
  ASSERT_EQ(normalized->allowed_email_domains().values_size(), 2);
  EXPECT_EQ(normalized->allowed_email_domains().values(0).string_value(), "mailinator.com");
  EXPECT_EQ(normalized->allowed_email_domains().values(1).string_value(), "sub.corp.example");

  for (const char* bad : {"", "nodot", "a@b.com", "-x.com", "x..com", "1.2.3.4", "sp ace.com"}) {
    FraudRulesUpdate invalid;
    invalid.mutable_allowed_email_domains()->add_values()->set_string_value(bad);
    EXPECT_EQ(ApiErrorField(ValidateFraudRulesUpdate(invalid).status()), "allowed_email_domains")
        << bad;
  }
  FraudRulesUpdate number;
  number.mutable_allowed_email_domains()->add_values()->set_number_value(1);
  EXPECT_EQ(ApiErrorField(ValidateFraudRulesUpdate(number).status()), "allowed_email_domains");

  FraudRulesUpdate many;
  for (int i = 0; i < 101; ++i) {
    many.mutable_allowed_email_domains()->add_values()->set_string_value("d" + std::to_string(i) +
                                                                         ".com");
  }
  EXPECT_EQ(ApiErrorField(ValidateFraudRulesUpdate(many).status()), "allowed_email_domains");

  FraudRulesUpdate cleared;
  cleared.mutable_allowed_email_domains();
  auto empty = ValidateFraudRulesUpdate(cleared);
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->has_allowed_email_domains());
}

TEST(ValidateTrackingSettingsUpdateTest, ReferralParameterIsUrlSafe) {
  TrackingSettingsUpdate update;
  update.set_track_email(false);
  EXPECT_OK(ValidateTrackingSettingsUpdate(update));
  const std::vector<std::string> good_parameters = {"via", "ref_id", "a-B-9", std::string(32, 'p')};
  for (const std::string& good : good_parameters) {
    update.set_default_referral_parameter(good);
    EXPECT_OK(ValidateTrackingSettingsUpdate(update)) << good;
  }
  const std::vector<std::string> bad_parameters = {"",    "a b", "ref=1",
                                                   "r&f", "é",   std::string(33, 'p')};
  for (const std::string& bad : bad_parameters) {
    update.set_default_referral_parameter(bad);
    EXPECT_EQ(ApiErrorField(ValidateTrackingSettingsUpdate(update).status()),
              "default_referral_parameter")
        << bad;
  }
}

TEST(ValidateTrackingSettingsUpdateTest, OldNamesFoldIntoTheNewOnes) {
  TrackingSettingsUpdate old_names;
  old_names.set_track_email(false);
  old_names.set_track_name(true);
  auto normalized = ValidateTrackingSettingsUpdate(old_names);
  ASSERT_OK(normalized);
  EXPECT_TRUE(normalized->has_email_tracking_enabled());
  EXPECT_FALSE(normalized->email_tracking_enabled());
  EXPECT_TRUE(normalized->has_name_tracking_enabled());
  EXPECT_TRUE(normalized->name_tracking_enabled());
  EXPECT_FALSE(normalized->has_track_email());
  EXPECT_FALSE(normalized->has_track_name());

  TrackingSettingsUpdate agreeing;
  agreeing.set_track_email(true);
  agreeing.set_email_tracking_enabled(true);
  EXPECT_OK(ValidateTrackingSettingsUpdate(agreeing));
  TrackingSettingsUpdate contradicting;
  contradicting.set_track_name(false);
  contradicting.set_name_tracking_enabled(true);
  EXPECT_THAT(ValidateTrackingSettingsUpdate(contradicting).status(),
              HasApiError("VALIDATION_ERROR", "track_name"));
}

TEST(ValidateTrackingSettingsUpdateTest, EnabledParametersAreUrlSafeAndBounded) {
  TrackingSettingsUpdate update;
  auto* list = update.mutable_enabled_referral_parameters();
  list->add_values()->set_string_value("ref");
  list->add_values()->set_string_value("via");
  list->add_values()->set_string_value("ref");
  auto normalized = ValidateTrackingSettingsUpdate(update);
  ASSERT_OK(normalized);
  ASSERT_EQ(normalized->enabled_referral_parameters().values_size(), 2);
  EXPECT_EQ(normalized->enabled_referral_parameters().values(1).string_value(), "via");

  TrackingSettingsUpdate cleared;
  cleared.mutable_enabled_referral_parameters();
  ASSERT_OK_AND_ASSIGN(TrackingSettingsUpdate empty, ValidateTrackingSettingsUpdate(cleared));
  EXPECT_TRUE(empty.has_enabled_referral_parameters());

  TrackingSettingsUpdate bad;
  bad.mutable_enabled_referral_parameters()->add_values()->set_string_value("a b");
  EXPECT_THAT(ValidateTrackingSettingsUpdate(bad).status(),
              HasApiError("VALIDATION_ERROR", "enabled_referral_parameters"));
  TrackingSettingsUpdate number;
  number.mutable_enabled_referral_parameters()->add_values()->set_number_value(1);
  EXPECT_THAT(ValidateTrackingSettingsUpdate(number).status(),
              HasApiError("VALIDATION_ERROR", "enabled_referral_parameters"));
  TrackingSettingsUpdate many;
  for (int i = 0; i < 11; ++i) {
    many.mutable_enabled_referral_parameters()->add_values()->set_string_value("p" +
                                                                               std::to_string(i));
  }
  EXPECT_THAT(ValidateTrackingSettingsUpdate(many).status(),
              HasApiError("VALIDATION_ERROR", "enabled_referral_parameters"));
  many.mutable_enabled_referral_parameters()->mutable_values()->RemoveLast();
  EXPECT_OK(ValidateTrackingSettingsUpdate(many));
}

google::protobuf::Value TemplateEntry(const std::string& key, const std::string& value,
                                      const std::string& type) {
  google::protobuf::Value entry;
  auto& fields = *entry.mutable_struct_value()->mutable_fields();
  fields["key"].set_string_value(key);
  fields["value"].set_string_value(value);
  fields["type"].set_string_value(type);
  return entry;
}

absl::Status WithTemplate(std::vector<google::protobuf::Value> entries) {
  TrackingSettingsUpdate update;
  auto* list = update.mutable_tracking_template()->mutable_list_value();
  for (auto& entry : entries) *list->add_values() = std::move(entry);
  return ValidateTrackingSettingsUpdate(update).status();
}

TEST(ValidateTrackingSettingsUpdateTest, TrackingTemplateEntriesAreCheckedAndBounded) {
  EXPECT_OK(WithTemplate({TemplateEntry("utm_source", "partner", "literal"),
                          TemplateEntry("aff", "{tracking_id}", "macro")}));
  TrackingSettingsUpdate null_template;
  null_template.mutable_tracking_template()->set_null_value(google::protobuf::NULL_VALUE);
  ASSERT_OK_AND_ASSIGN(TrackingSettingsUpdate cleared,
                       ValidateTrackingSettingsUpdate(null_template));
  EXPECT_EQ(cleared.tracking_template().kind_case(), google::protobuf::Value::kNullValue);

  const auto rejected = [](std::vector<google::protobuf::Value> entries) {
    return ApiErrorField(WithTemplate(std::move(entries)));
  };
  EXPECT_EQ(rejected({TemplateEntry("aff", "{nope}", "macro")}), "tracking_template");
  EXPECT_EQ(rejected({TemplateEntry("aff", "x", "regex")}), "tracking_template");
  EXPECT_EQ(rejected({TemplateEntry("", "x", "literal")}), "tracking_template");
  EXPECT_EQ(rejected({TemplateEntry("a b", "x", "literal")}), "tracking_template");
  EXPECT_EQ(rejected({TemplateEntry(std::string(65, 'k'), "x", "literal")}), "tracking_template");
  EXPECT_EQ(rejected({TemplateEntry("k", std::string(501, 'v'), "literal")}), "tracking_template");
  EXPECT_EQ(rejected({TemplateEntry("k", "1", "literal"), TemplateEntry("k", "2", "literal")}),
            "tracking_template");
  google::protobuf::Value extra = TemplateEntry("k", "v", "literal");
  (*extra.mutable_struct_value()->mutable_fields())["other"].set_bool_value(true);
  EXPECT_EQ(rejected({extra}), "tracking_template");
  google::protobuf::Value not_object;
  not_object.set_string_value("k=v");
  EXPECT_EQ(rejected({not_object}), "tracking_template");
  std::vector<google::protobuf::Value> many;
  for (int i = 0; i < 21; ++i)
    many.push_back(TemplateEntry("k" + std::to_string(i), "v", "literal"));
  EXPECT_EQ(rejected(many), "tracking_template");
  many.pop_back();
  EXPECT_OK(WithTemplate(many));

  TrackingSettingsUpdate object;
  (*object.mutable_tracking_template()->mutable_struct_value()->mutable_fields())["k"]
      .set_string_value("v");
  EXPECT_THAT(ValidateTrackingSettingsUpdate(object).status(),
              HasApiError("VALIDATION_ERROR", "tracking_template"));
}

google::protobuf::Value ListConfig(const std::string& key, std::vector<std::string> items) {
  google::protobuf::Value config;
  auto* list = (*config.mutable_struct_value()->mutable_fields())[key].mutable_list_value();
  for (const std::string& item : items) list->add_values()->set_string_value(item);
  return config;
}

TEST(ValidateFraudRulesUpdateTest, NewModesMustBeSpecified) {
  FraudRulesUpdate fine;
  fine.set_cross_program_ban_mode(affonso::v1::FRAUD_MODE_BLOCK);
  fine.set_duplicate_payout_mode(affonso::v1::FRAUD_MODE_DETECT);
  fine.set_banned_referral_mode(affonso::v1::FRAUD_MODE_OFF);
  fine.set_blocked_country_mode(affonso::v1::FRAUD_MODE_BLOCK);
  EXPECT_OK(ValidateFraudRulesUpdate(fine));
  for (const char* field : {"cross_program_ban_mode", "duplicate_payout_mode",
                            "banned_referral_mode", "blocked_country_mode"}) {
    FraudRulesUpdate bad;
    const auto* descriptor = bad.GetDescriptor()->FindFieldByName(field);
    bad.GetReflection()->SetEnumValue(&bad, descriptor, affonso::v1::FRAUD_MODE_UNSPECIFIED);
    EXPECT_THAT(ValidateFraudRulesUpdate(bad).status(), HasApiError("VALIDATION_ERROR", field));
  }
}

TEST(ValidateFraudRulesUpdateTest, BannedReferralConfigIsDomainsOnly) {
  FraudRulesUpdate update;
  *update.mutable_banned_referral_config() =
      ListConfig("domains", {" Spam.Example ", "*.ads.example", "spam.example"});
  ASSERT_OK_AND_ASSIGN(FraudRulesUpdate normalized, ValidateFraudRulesUpdate(update));
  const auto& domains =
      normalized.banned_referral_config().struct_value().fields().at("domains").list_value();
  ASSERT_EQ(domains.values_size(), 2);
  EXPECT_EQ(domains.values(0).string_value(), "spam.example");
  EXPECT_EQ(domains.values(1).string_value(), "ads.example");

  FraudRulesUpdate null_config;
  null_config.mutable_banned_referral_config()->set_null_value(google::protobuf::NULL_VALUE);
  ASSERT_OK_AND_ASSIGN(FraudRulesUpdate cleared, ValidateFraudRulesUpdate(null_config));
  EXPECT_EQ(cleared.banned_referral_config().kind_case(), google::protobuf::Value::kNullValue);

  FraudRulesUpdate empty_object;
  empty_object.mutable_banned_referral_config()->mutable_struct_value();
  ASSERT_OK_AND_ASSIGN(FraudRulesUpdate empty, ValidateFraudRulesUpdate(empty_object));
  EXPECT_EQ(empty.banned_referral_config()
                .struct_value()
                .fields()
                .at("domains")
                .list_value()
                .values_size(),
            0);

  const auto field_of = [](const google::protobuf::Value& config) {
    FraudRulesUpdate bad;
    *bad.mutable_banned_referral_config() = config;
    return ApiErrorField(ValidateFraudRulesUpdate(bad).status());
  };
  for (const char* bad : {"", "nodot", "a@b.com", "x..com", "sp ace.com"}) {
    EXPECT_EQ(field_of(ListConfig("domains", {bad})), "banned_referral_config.domains") << bad;
  }
  EXPECT_EQ(field_of(ListConfig("patterns", {"spam.example"})), "banned_referral_config");
  google::protobuf::Value not_object;
  not_object.set_string_value("spam.example");
  EXPECT_EQ(field_of(not_object), "banned_referral_config");
  google::protobuf::Value not_list;
  (*not_list.mutable_struct_value()->mutable_fields())["domains"].set_string_value("spam.example");
  EXPECT_EQ(field_of(not_list), "banned_referral_config.domains");
  std::vector<std::string> many;
  for (int i = 0; i < 101; ++i) many.push_back("d" + std::to_string(i) + ".example");
  EXPECT_EQ(field_of(ListConfig("domains", many)), "banned_referral_config.domains");
  many.pop_back();
  EXPECT_EQ(field_of(ListConfig("domains", many)), "");
}

TEST(ValidateFraudRulesUpdateTest, BlockedCountryConfigIsCountryCodesOnly) {
  FraudRulesUpdate update;
  *update.mutable_blocked_country_config() = ListConfig("countries", {"ru", " KP ", "RU"});
  ASSERT_OK_AND_ASSIGN(FraudRulesUpdate normalized, ValidateFraudRulesUpdate(update));
  const auto& countries =
      normalized.blocked_country_config().struct_value().fields().at("countries").list_value();
  ASSERT_EQ(countries.values_size(), 2);
  EXPECT_EQ(countries.values(0).string_value(), "RU");
  EXPECT_EQ(countries.values(1).string_value(), "KP");

  const auto field_of = [](const google::protobuf::Value& config) {
    FraudRulesUpdate bad;
    *bad.mutable_blocked_country_config() = config;
    return ApiErrorField(ValidateFraudRulesUpdate(bad).status());
  };
  for (const char* bad : {"", "R", "RUS", "1A", "é"}) {
    EXPECT_EQ(field_of(ListConfig("countries", {bad})), "blocked_country_config.countries") << bad;
  }
  EXPECT_EQ(field_of(ListConfig("domains", {"RU"})), "blocked_country_config");
  std::vector<std::string> many;
  for (int i = 0; i < 251; ++i) {
    many.push_back(std::string(1, static_cast<char>('A' + i % 26)) +
                   std::string(1, static_cast<char>('A' + i / 26)));
  }
  EXPECT_EQ(field_of(ListConfig("countries", many)), "blocked_country_config.countries");
}

affonso::v1::PixelSettingsUpdate Domains(std::vector<std::string> domains) {
  affonso::v1::PixelSettingsUpdate update;
  auto* list = update.mutable_allowed_domains();
  for (const std::string& domain : domains) list->add_values()->set_string_value(domain);
  return update;
}

std::vector<std::string> DomainsOf(const affonso::v1::PixelSettingsUpdate& update) {
  std::vector<std::string> domains;
  for (const auto& value : update.allowed_domains().values()) {
    domains.push_back(value.string_value());
  }
  return domains;
}

TEST(ValidatePixelSettingsUpdateTest, DomainsAreHostsOrWildcardsNormalised) {
  auto normalized = ValidatePixelSettingsUpdate(
      Domains({" Shop.Example.COM ", "*.example.org", "localhost", "shop.example.com",
               "xn--bcher-kva.example", "127.0.0.1", std::string(63, 'a') + ".example"}));
  ASSERT_OK(normalized);
  EXPECT_EQ(DomainsOf(*normalized),
            (std::vector<std::string>{"shop.example.com", "*.example.org", "localhost",
                                      "xn--bcher-kva.example", "127.0.0.1",
                                      std::string(63, 'a') + ".example"}));
  EXPECT_FALSE(normalized->has_click_dedup_window_seconds());

  // Absent stays absent; [] is a present, empty list (any site).
  affonso::v1::PixelSettingsUpdate absent;
  ASSERT_OK_AND_ASSIGN(affonso::v1::PixelSettingsUpdate kept, ValidatePixelSettingsUpdate(absent));
  EXPECT_FALSE(kept.has_allowed_domains());
  ASSERT_OK_AND_ASSIGN(kept, ValidatePixelSettingsUpdate(Domains({})));
  EXPECT_TRUE(kept.has_allowed_domains());
  EXPECT_EQ(kept.allowed_domains().values_size(), 0);

  for (const std::string& bad :
       {std::string("https://shop.example.com"), std::string("shop.example.com:8443"),
        std::string("shop.example.com/path"), std::string("*"), std::string("*."),
        std::string("**.example.com"), std::string("shop.*.example.com"), std::string(""),
        std::string("-shop.example.com"), std::string("shop-.example.com"),
        std::string("shop..example.com"), std::string("shop.example.com."),
        std::string("shop example.com"), std::string("user@example.com"),
        std::string("b\xc3\xbc"
                    "cher.example"),
        std::string(64, 'a') + ".example",
        absl::StrCat(std::string(63, 'a'), ".", std::string(63, 'b'), ".", std::string(63, 'c'),
                     ".", std::string(63, 'd')),
        std::string("[::1]")}) {
    EXPECT_THAT(ValidatePixelSettingsUpdate(Domains({bad})).status(),
                HasApiError("VALIDATION_ERROR", "allowed_domains"))
        << bad;
  }
  affonso::v1::PixelSettingsUpdate not_strings;
  not_strings.mutable_allowed_domains()->add_values()->set_number_value(1);
  EXPECT_THAT(ValidatePixelSettingsUpdate(not_strings).status(),
              HasApiError("VALIDATION_ERROR", "allowed_domains"));

  std::vector<std::string> fifty, fifty_one;
  for (int i = 0; i < 51; ++i) {
    (i < 50 ? fifty : fifty_one).push_back(absl::StrCat("d", i, ".example"));
  }
  fifty_one.insert(fifty_one.begin(), fifty.begin(), fifty.end());
  EXPECT_OK(ValidatePixelSettingsUpdate(Domains(fifty)));
  EXPECT_THAT(ValidatePixelSettingsUpdate(Domains(fifty_one)).status(),
              HasApiError("VALIDATION_ERROR", "allowed_domains"));
}

TEST(ValidatePixelSettingsUpdateTest, WindowIsZeroToThirtyDays) {
  for (int good : {0, 1, 3600, 2592000}) {
    affonso::v1::PixelSettingsUpdate update;
    update.set_click_dedup_window_seconds(good);
    EXPECT_OK(ValidatePixelSettingsUpdate(update)) << good;
  }
  for (int bad : {-1, 2592001, std::numeric_limits<int>::min()}) {
    affonso::v1::PixelSettingsUpdate update;
    update.set_click_dedup_window_seconds(bad);
    EXPECT_THAT(ValidatePixelSettingsUpdate(update).status(),
                HasApiError("VALIDATION_ERROR", "click_dedup_window_seconds"))
        << bad;
  }
}

TEST(ValidateProgramSettingsUpdateTest, EachRuleNamesItsField) {
  affonso::v1::ProgramSettingsUpdate fine;
  fine.set_name("Acme Partners");
  fine.mutable_tagline()->set_string_value("Earn 30%");
  fine.mutable_category()->set_null_value(google::protobuf::NULL_VALUE);
  fine.mutable_description()->set_string_value("");
  fine.set_website_url("https://acme.example");
  fine.mutable_logo_url()->set_null_value(google::protobuf::NULL_VALUE);
  fine.set_access_mode(affonso::v1::PROGRAM_ACCESS_MODE_INVITE);
  fine.set_affiliate_links_enabled(false);
  EXPECT_OK(ValidateProgramSettingsUpdate(fine));
  EXPECT_OK(ValidateProgramSettingsUpdate(affonso::v1::ProgramSettingsUpdate()));

  const auto field_of = [](void (*edit)(affonso::v1::ProgramSettingsUpdate*)) {
    affonso::v1::ProgramSettingsUpdate update;
    edit(&update);
    return ApiErrorField(ValidateProgramSettingsUpdate(update));
  };
  EXPECT_EQ(field_of([](auto* u) { u->set_name(""); }), "name");
  EXPECT_EQ(field_of([](auto* u) { u->set_name(std::string(256, 'n')); }), "name");
  EXPECT_EQ(field_of([](auto* u) { u->mutable_tagline()->set_number_value(1); }), "tagline");
  EXPECT_EQ(
      field_of([](auto* u) { u->mutable_tagline()->set_string_value(std::string(256, 't')); }),
      "tagline");
  EXPECT_EQ(field_of([](auto* u) { u->mutable_category()->set_bool_value(true); }), "category");
  EXPECT_EQ(
      field_of([](auto* u) { u->mutable_description()->set_string_value(std::string(5001, 'd')); }),
      "description");
  EXPECT_EQ(field_of([](auto* u) { u->set_website_url("acme.example"); }), "website_url");
  EXPECT_EQ(field_of([](auto* u) { u->set_website_url("javascript:alert(1)"); }), "website_url");
  EXPECT_EQ(field_of([](auto* u) { u->set_website_url("https://"); }), "website_url");
  EXPECT_EQ(field_of([](auto* u) { u->mutable_logo_url()->set_string_value("ftp://x.example"); }),
            "logo_url");
  EXPECT_EQ(
      field_of([](auto* u) { u->set_access_mode(affonso::v1::PROGRAM_ACCESS_MODE_UNSPECIFIED); }),
      "access_mode");
}

TEST(ValidateGroupTest, NameAndDescription) {
  GroupInput input;
  EXPECT_EQ(ApiErrorField(ValidateGroupInput(input)), "name");
  input.set_name("   ");
  EXPECT_EQ(ApiErrorField(ValidateGroupInput(input)), "name");
  input.set_name(std::string(256, 'n'));
  EXPECT_EQ(ApiErrorField(ValidateGroupInput(input)), "name");
  input.set_name(std::string(255, 'n'));
  EXPECT_OK(ValidateGroupInput(input));
  input.set_description(std::string(1001, 'd'));
  EXPECT_EQ(ApiErrorField(ValidateGroupInput(input)), "description");
  input.set_description(std::string(1000, 'd'));
  EXPECT_OK(ValidateGroupInput(input));

  GroupUpdate update;
  EXPECT_OK(ValidateGroupUpdate(update));
  update.set_name("");
  EXPECT_EQ(ApiErrorField(ValidateGroupUpdate(update)), "name");
  update.set_name("VIP");
  update.set_description(std::string(1001, 'd'));
  EXPECT_EQ(ApiErrorField(ValidateGroupUpdate(update)), "description");
  update.set_description("");
  update.set_is_default(false);
  EXPECT_OK(ValidateGroupUpdate(update));
}

TEST(ValidateGroupTest, CustomWebsiteUrl) {
  GroupInput input;
  input.set_name("VIP");
  for (const char* good : {"https://example.com", "http://shop.example.com/vip?x=1"}) {
    input.set_custom_website_url(good);
    EXPECT_OK(ValidateGroupInput(input)) << good;
  }
  for (const std::string& bad :
       {std::string("example.com"), std::string("ftp://example.com"), std::string("https://"),
        std::string("https://exa mple.com"), std::string("javascript:alert(1)"),
        absl::StrCat("https://example.com/", std::string(2030, 'p'))}) {
    input.set_custom_website_url(bad);
    EXPECT_EQ(ApiErrorField(ValidateGroupInput(input)), "custom_website_url") << bad;
  }
  GroupUpdate update;
  update.set_custom_website_url("");  // clears it
  EXPECT_OK(ValidateGroupUpdate(update));
  update.set_custom_website_url("nope");
  EXPECT_EQ(ApiErrorField(ValidateGroupUpdate(update)), "custom_website_url");
}

TEST(ParseGroupExpandTest, IncentivesAndMultiLevelIncentives) {
  google::protobuf::RepeatedPtrField<std::string> expand;
  auto none = ParseGroupExpand(expand);
  ASSERT_OK(none);
  EXPECT_FALSE(none->incentives || none->multi_level_incentives);
  *expand.Add() = "incentives, multi_level_incentives";
  auto both = ParseGroupExpand(expand);
  ASSERT_OK(both);
  EXPECT_TRUE(both->incentives && both->multi_level_incentives);
  *expand.Add() = "affiliates";
  EXPECT_EQ(ApiErrorField(ParseGroupExpand(expand).status()), "expand");
}

TEST(ApplyGroupExpansionsTest, IncentivesOnlyWhenExpanded) {
  affonso::v1::Group group;
  group.add_incentives()->set_id(kIncentive);
  ApplyGroupExpansions(GroupExpansions(), &group);
  EXPECT_EQ(group.incentives_size(), 0);
  EXPECT_EQ(group.expanded_size(), 0);

  group.add_incentives()->set_id(kIncentive);
  GroupExpansions both;
  both.incentives = both.multi_level_incentives = true;
  ApplyGroupExpansions(both, &group);
  EXPECT_EQ(group.incentives_size(), 1);
  EXPECT_EQ(group.multi_level_incentives_size(), 0);
  EXPECT_EQ(std::vector<std::string>(group.expanded().begin(), group.expanded().end()),
            (std::vector<std::string>{"incentives", "multi_level_incentives"}));
  for (const std::string& name : group.expanded()) {
    EXPECT_NE(affonso::v1::Group::descriptor()->FindFieldByName(name), nullptr) << name;
  }
}

IncentiveInput Lead(double amount) {
  IncentiveInput input;
  input.set_name("Per lead");
  input.set_type(affonso::v1::INCENTIVE_TYPE_LEAD);
  input.set_amount(amount);
  return input;
}

TEST(ValidateIncentiveInputTest, DefaultsAreFilledIn) {
  auto normalized = ValidateIncentiveInput(Lead(10));
  ASSERT_OK(normalized);
  EXPECT_EQ(normalized->currency(), "USD");
  EXPECT_TRUE(normalized->has_hold_period_days());
  EXPECT_EQ(normalized->hold_period_days(), 30);
  IncentiveInput eur = Lead(10);
  eur.set_currency("eur");
  eur.set_hold_period_days(0);
  normalized = ValidateIncentiveInput(eur);
  ASSERT_OK(normalized);
  EXPECT_EQ(normalized->currency(), "EUR");
  EXPECT_EQ(normalized->hold_period_days(), 0);
}

TEST(ValidateIncentiveInputTest, EachRuleNamesItsField) {
  IncentiveInput no_name = Lead(1);
  no_name.set_name("");
  EXPECT_EQ(ApiErrorField(ValidateIncentiveInput(no_name).status()), "name");
  no_name.set_name(std::string(256, 'n'));
  EXPECT_EQ(ApiErrorField(ValidateIncentiveInput(no_name).status()), "name");

  IncentiveInput no_type = Lead(1);
  no_type.set_type(affonso::v1::INCENTIVE_TYPE_UNSPECIFIED);
  EXPECT_EQ(ApiErrorField(ValidateIncentiveInput(no_type).status()), "type");
  no_type.set_type(static_cast<affonso::v1::IncentiveType>(9));
  EXPECT_EQ(ApiErrorField(ValidateIncentiveInput(no_type).status()), "type");

  for (double bad : {-1.0, 1.005, 1e15, std::nan(""), std::numeric_limits<double>::infinity()}) {
    EXPECT_EQ(ApiErrorField(ValidateIncentiveInput(Lead(bad)).status()), "amount") << bad;
  }
  EXPECT_OK(ValidateIncentiveInput(Lead(0)));
  EXPECT_OK(ValidateIncentiveInput(Lead(19.99)));
  EXPECT_OK(ValidateIncentiveInput(Lead(250)));

  IncentiveInput lead_percentage = Lead(10);
  lead_percentage.set_is_percentage(true);
  EXPECT_EQ(ApiErrorField(ValidateIncentiveInput(lead_percentage).status()), "is_percentage");

  IncentiveInput sale = Lead(100);
  sale.set_type(affonso::v1::INCENTIVE_TYPE_SALE);
  sale.set_is_percentage(true);
  EXPECT_OK(ValidateIncentiveInput(sale));
  sale.set_amount(100.01);
  EXPECT_EQ(ApiErrorField(ValidateIncentiveInput(sale).status()), "amount");

  for (const char* bad : {"US", "USDX", "U$D", "1SD"}) {
    IncentiveInput currency = Lead(1);
    currency.set_currency(bad);
    EXPECT_EQ(ApiErrorField(ValidateIncentiveInput(currency).status()), "currency") << bad;
  }
  for (int bad : {-1, 3651}) {
    IncentiveInput hold = Lead(1);
    hold.set_hold_period_days(bad);
    EXPECT_EQ(ApiErrorField(ValidateIncentiveInput(hold).status()), "hold_period_days") << bad;
  }
  IncentiveInput longest = Lead(1);
  longest.set_hold_period_days(3650);
  EXPECT_OK(ValidateIncentiveInput(longest));
}

TEST(ValidateIncentiveInputTest, TheSdksTermsAreCheckedAndDefaulted) {
  auto plain = ValidateIncentiveInput(Lead(1));
  ASSERT_OK(plain);
  EXPECT_EQ(plain->apply_to(), "all_products");
  EXPECT_EQ(plain->approval_type(), "auto");
  EXPECT_EQ(plain->incentive_length(), "lifetime");
  EXPECT_FALSE(plain->has_length_value());

  IncentiveInput full = Lead(1);
  full.clear_type();
  full.set_incentive_type(affonso::v1::INCENTIVE_TYPE_SALE);
  full.set_apply_to("specific_products");
  full.add_product_ids("prod_1");
  full.add_product_ids("price_2");
  full.set_approval_type("manual");
  full.set_incentive_length("time_limited");
  full.set_length_value(12);
  full.set_variable_commission(true);
  (*full.mutable_variable_config()->mutable_struct_value()->mutable_fields())["tiers"]
      .set_number_value(3);
  auto normalized = ValidateIncentiveInput(full);
  ASSERT_OK(normalized);
  EXPECT_EQ(normalized->type(), affonso::v1::INCENTIVE_TYPE_SALE);
  EXPECT_EQ(normalized->incentive_type(), affonso::v1::INCENTIVE_TYPE_UNSPECIFIED);
  EXPECT_EQ(normalized->product_ids_size(), 2);

  struct Case {
    const char* description;
    void (*mutate)(IncentiveInput*);
    const char* field;
  };
  const Case cases[] = {
      {"type and incentive_type disagree",
       [](IncentiveInput* i) { i->set_type(affonso::v1::INCENTIVE_TYPE_LEAD); }, "incentive_type"},
      {"unknown apply_to", [](IncentiveInput* i) { i->set_apply_to("some"); }, "apply_to"},
      {"specific products without ids", [](IncentiveInput* i) { i->clear_product_ids(); },
       "product_ids"},
      {"ids for all products", [](IncentiveInput* i) { i->set_apply_to("all_products"); },
       "product_ids"},
      {"21 product ids",
       [](IncentiveInput* i) {
         for (int n = 0; n < 19; ++n) i->add_product_ids(absl::StrCat("p", n));
       },
       "product_ids"},
      {"blank product id", [](IncentiveInput* i) { i->set_product_ids(0, "a b"); }, "product_ids"},
      {"long product id", [](IncentiveInput* i) { i->set_product_ids(0, std::string(65, 'p')); },
       "product_ids"},
      {"unknown approval", [](IncentiveInput* i) { i->set_approval_type("later"); },
       "approval_type"},
      {"unknown length", [](IncentiveInput* i) { i->set_incentive_length("forever"); },
       "incentive_length"},
      {"limited without value", [](IncentiveInput* i) { i->clear_length_value(); }, "length_value"},
      {"zero length value", [](IncentiveInput* i) { i->set_length_value(0); }, "length_value"},
      {"lifetime with a value", [](IncentiveInput* i) { i->set_incentive_length("lifetime"); },
       "length_value"},
      {"big variable config",
       [](IncentiveInput* i) {
         i->mutable_variable_config()->set_string_value(std::string(1100, 'v'));
       },
       "variable_config"},
  };
  for (const Case& c : cases) {
    IncentiveInput input = full;
    c.mutate(&input);
    EXPECT_EQ(ApiErrorField(ValidateIncentiveInput(input).status()), c.field) << c.description;
  }
}

TEST(ProgramIdParamTest, AbsentIsTheDefaultAndJunkIsNotFound) {
  EXPECT_EQ(*ProgramIdParam(false, ""), "");
  EXPECT_EQ(*ProgramIdParam(true, ""), "");
  EXPECT_EQ(*ProgramIdParam(true, "prg_abc"), "prg_abc");
  EXPECT_THAT(ProgramIdParam(true, "grp_abc"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ProgramIdParam(true, "prg_x' OR 1=1"), StatusIs(absl::StatusCode::kNotFound));
}

// ---- the service over gRPC ----

// Records what reached it; the payment terms are unset (null) until updated.
class FakeProgramTermsStore : public storage::ProgramTermsStore {
 public:
  absl::StatusOr<affonso::v1::PaymentTermsResult> GetPaymentTerms(
      absl::string_view team_id, absl::string_view program_id) override {
    ++calls;
    last_program = std::string(program_id);
    affonso::v1::PaymentTermsResult result;
    if (terms_set) result.mutable_terms()->set_payment_threshold(10);
    return result;
  }
  absl::StatusOr<affonso::v1::PaymentTerms> UpdatePaymentTerms(
      absl::string_view, absl::string_view,
      const affonso::v1::PaymentTermsUpdate& update) override {
    ++calls;
    last_terms_update = update;
    return affonso::v1::PaymentTerms();
  }
  absl::StatusOr<affonso::v1::RestrictionsResult> GetRestrictions(absl::string_view,
                                                                  absl::string_view) override {
    ++calls;
    return affonso::v1::RestrictionsResult();
  }
  absl::StatusOr<affonso::v1::Restrictions> UpdateRestrictions(
      absl::string_view, absl::string_view,
      const affonso::v1::RestrictionsUpdate& update) override {
    ++calls;
    last_restrictions_update = update;
    return affonso::v1::Restrictions();
  }
  absl::StatusOr<affonso::v1::PortalSettingsResult> GetPortalSettings(absl::string_view,
                                                                      absl::string_view) override {
    ++calls;
    return affonso::v1::PortalSettingsResult();
  }
  absl::StatusOr<affonso::v1::PortalSettings> UpdatePortalSettings(
      absl::string_view, absl::string_view,
      const affonso::v1::PortalSettingsUpdate& update) override {
    ++calls;
    last_portal_update = update;
    return affonso::v1::PortalSettings();
  }

  int calls = 0;
  bool terms_set = false;
  std::string last_program;
  affonso::v1::PaymentTermsUpdate last_terms_update;
  affonso::v1::RestrictionsUpdate last_restrictions_update;
  affonso::v1::PortalSettingsUpdate last_portal_update;
};

class ProgramServiceTest : public ::testing::Test {
 protected:
  std::unique_ptr<grpc::ClientContext> Context(
      const std::string& authorization = testing::kGoodAuthorization) {
    return testing::ContextWithAuth(authorization);
  }
  static std::string Trailer(const grpc::ClientContext& context, const std::string& key) {
    return testing::ServerMetadata(context, key, /*trailing=*/true);
  }

  testing::FakeAuthenticator authenticator_;
  FakeProgramStore store_;
  FakeProgramTermsStore terms_;
  ProgramServiceImpl service_{&authenticator_, &store_, &terms_};
  testing::InProcessServer server_{{&service_}};
  std::unique_ptr<affonso::v1::ProgramService::Stub> stub_ =
      affonso::v1::ProgramService::NewStub(server_.channel());
};

TEST_F(ProgramServiceTest, AbsentProgramIdMeansTheDefaultProgram) {
  affonso::v1::GetFraudRulesRequest request;
  affonso::v1::FraudRules rules;
  auto context = Context();
  ASSERT_OK(stub_->GetFraudRules(context.get(), request, &rules));
  EXPECT_EQ(store_.last_team, "team_a");
  EXPECT_EQ(store_.last_program, "");

  request.set_program_id(kProgram);
  context = Context();
  ASSERT_OK(stub_->GetFraudRules(context.get(), request, &rules));
  EXPECT_EQ(store_.last_program, kProgram);
}

TEST_F(ProgramServiceTest, MalformedIdsAreNotFoundWithoutAStoreCall) {
  affonso::v1::ListGroupsRequest list;
  list.set_program_id("not-a-program");
  affonso::v1::ListGroupsResponse groups;
  auto context = Context();
  EXPECT_THAT(stub_->ListGroups(context.get(), list, &groups),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(Trailer(*context, "x-error-code"), "NOT_FOUND");

  affonso::v1::GetGroupRequest get;
  get.set_id("aff_123");
  affonso::v1::Group group;
  context = Context();
  EXPECT_THAT(stub_->GetGroup(context.get(), get, &group), StatusIs(grpc::StatusCode::NOT_FOUND));

  affonso::v1::DeleteIncentiveRequest remove;
  remove.set_group_id(kGroup);
  remove.set_id("grp_wrong_kind");
  affonso::v1::DeleteIncentiveResponse removed;
  context = Context();
  EXPECT_THAT(stub_->DeleteIncentive(context.get(), remove, &removed),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(ProgramServiceTest, MissingKeyNeverReachesTheStore) {
  affonso::v1::GetTrackingSettingsRequest request;
  affonso::v1::TrackingSettings settings;
  auto context = Context("");
  EXPECT_THAT(stub_->GetTrackingSettings(context.get(), request, &settings),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(Trailer(*context, "x-error-code"), "MISSING_API_KEY");
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(ProgramServiceTest, UpdateFraudRulesPassesTheNormalisedBody) {
  affonso::v1::UpdateFraudRulesRequest request;
  request.mutable_fraud_rules()->set_self_referral_mode(affonso::v1::FRAUD_MODE_BLOCK);
  request.mutable_fraud_rules()->mutable_paid_traffic_config()->add_utm_mediums(" CPC ");
  affonso::v1::FraudRules rules;
  auto context = Context();
  ASSERT_OK(stub_->UpdateFraudRules(context.get(), request, &rules));
  EXPECT_EQ(store_.last_fraud_update.self_referral_mode(), affonso::v1::FRAUD_MODE_BLOCK);
  EXPECT_EQ(store_.last_fraud_update.paid_traffic_config().utm_mediums(0), "cpc");

  request.mutable_fraud_rules()->mutable_paid_traffic_config()->add_click_params("utm_source");
  context = Context();
  EXPECT_THAT(stub_->UpdateFraudRules(context.get(), request, &rules),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(*context, "x-error-code"), "VALIDATION_ERROR");
  EXPECT_EQ(Trailer(*context, "x-error-field"), "paid_traffic_config.click_params");
  EXPECT_EQ(store_.calls, 1);
}

TEST_F(ProgramServiceTest, ProgramReadAndPatchReachTheStore) {
  affonso::v1::GetProgramRequest get;
  affonso::v1::ProgramSettings program;
  auto context = Context();
  ASSERT_OK(stub_->GetProgram(context.get(), get, &program));
  EXPECT_EQ(program.id(), kProgram);
  EXPECT_EQ(store_.last_program, "");

  affonso::v1::UpdateProgramRequest patch;
  patch.set_program_id(kProgram);
  patch.mutable_program()->set_name("Renamed");
  patch.mutable_program()->mutable_tagline()->set_null_value(google::protobuf::NULL_VALUE);
  context = Context();
  ASSERT_OK(stub_->UpdateProgram(context.get(), patch, &program));
  EXPECT_EQ(store_.last_program, kProgram);
  EXPECT_EQ(store_.last_program_update.tagline().kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_EQ(program.name(), "Renamed");

  patch.mutable_program()->set_website_url("not a url");
  context = Context();
  EXPECT_THAT(stub_->UpdateProgram(context.get(), patch, &program),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(*context, "x-error-field"), "website_url");
  EXPECT_EQ(store_.calls, 2);
}

TEST_F(ProgramServiceTest, TrackingUpdateReachesTheStoreUnderTheNewNames) {
  affonso::v1::UpdateTrackingSettingsRequest request;
  request.mutable_tracking()->set_track_email(false);
  affonso::v1::TrackingSettings settings;
  auto context = Context();
  ASSERT_OK(stub_->UpdateTrackingSettings(context.get(), request, &settings));
  EXPECT_TRUE(store_.last_tracking_update.has_email_tracking_enabled());
  EXPECT_FALSE(store_.last_tracking_update.email_tracking_enabled());
  EXPECT_FALSE(store_.last_tracking_update.has_track_email());
}

TEST_F(ProgramServiceTest, InvalidTrackingIsRejectedBeforeTheStore) {
  affonso::v1::UpdateTrackingSettingsRequest request;
  request.mutable_tracking()->set_default_referral_parameter("no spaces");
  affonso::v1::TrackingSettings settings;
  auto context = Context();
  EXPECT_THAT(stub_->UpdateTrackingSettings(context.get(), request, &settings),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(*context, "x-error-field"), "default_referral_parameter");
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(ProgramServiceTest, PixelSettingsReadAndPatchReachTheStore) {
  affonso::v1::GetPixelSettingsRequest get;
  affonso::v1::PixelSettings settings;
  auto context = Context();
  ASSERT_OK(stub_->GetPixelSettings(context.get(), get, &settings));
  EXPECT_EQ(settings.program_id(), kProgram);
  EXPECT_EQ(store_.last_program, "");

  affonso::v1::UpdatePixelSettingsRequest patch;
  patch.set_program_id(kProgram);
  *patch.mutable_pixel() = Domains({"*.Example.com", "*.example.com"});
  patch.mutable_pixel()->set_click_dedup_window_seconds(60);
  context = Context();
  ASSERT_OK(stub_->UpdatePixelSettings(context.get(), patch, &settings));
  EXPECT_EQ(store_.last_program, kProgram);
  EXPECT_EQ(DomainsOf(store_.last_pixel_update), std::vector<std::string>{"*.example.com"});
  EXPECT_EQ(store_.last_pixel_update.click_dedup_window_seconds(), 60);
  EXPECT_EQ(settings.click_dedup_window_seconds(), 60);
  EXPECT_EQ(store_.calls, 2);
}

TEST_F(ProgramServiceTest, InvalidPixelSettingsChangeNothing) {
  affonso::v1::UpdatePixelSettingsRequest patch;
  *patch.mutable_pixel() = Domains({"https://shop.example.com"});
  affonso::v1::PixelSettings settings;
  auto context = Context();
  EXPECT_THAT(stub_->UpdatePixelSettings(context.get(), patch, &settings),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(*context, "x-error-code"), "VALIDATION_ERROR");
  EXPECT_EQ(Trailer(*context, "x-error-field"), "allowed_domains");

  patch.clear_pixel();
  patch.mutable_pixel()->set_click_dedup_window_seconds(-5);
  context = Context();
  EXPECT_THAT(stub_->UpdatePixelSettings(context.get(), patch, &settings),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(*context, "x-error-field"), "click_dedup_window_seconds");
  EXPECT_EQ(store_.calls, 0);

  affonso::v1::GetPixelSettingsRequest get;
  get.set_program_id("grp_not_a_program");
  context = Context();
  EXPECT_THAT(stub_->GetPixelSettings(context.get(), get, &settings),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(ProgramServiceTest, CreatesAnswer201) {
  affonso::v1::CreateGroupRequest create;
  create.mutable_group()->set_name("VIP");
  affonso::v1::Group group;
  auto context = Context();
  ASSERT_OK(stub_->CreateGroup(context.get(), create, &group));
  EXPECT_EQ(testing::ServerMetadata(*context, "x-http-code"), "201");
  EXPECT_EQ(group.name(), "VIP");

  affonso::v1::CreateIncentiveRequest incentive;
  incentive.set_group_id(kGroup);
  *incentive.mutable_incentive() = Lead(5);
  incentive.mutable_incentive()->set_currency("gbp");
  affonso::v1::Incentive created;
  context = Context();
  ASSERT_OK(stub_->CreateIncentive(context.get(), incentive, &created));
  EXPECT_EQ(testing::ServerMetadata(*context, "x-http-code"), "201");
  EXPECT_EQ(store_.last_incentive.currency(), "GBP");
  EXPECT_EQ(store_.last_incentive.hold_period_days(), 30);
}

TEST_F(ProgramServiceTest, InvalidIncentiveNamesItsField) {
  affonso::v1::CreateIncentiveRequest request;
  request.set_group_id(kGroup);
  *request.mutable_incentive() = Lead(5);
  request.mutable_incentive()->set_is_percentage(true);
  affonso::v1::Incentive created;
  auto context = Context();
  EXPECT_THAT(stub_->CreateIncentive(context.get(), request, &created),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(*context, "x-error-field"), "is_percentage");
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(ProgramServiceTest, DeletesAnswerWithTheId) {
  affonso::v1::DeleteGroupRequest group;
  group.set_id(kGroup);
  affonso::v1::DeleteGroupResponse deleted;
  auto context = Context();
  ASSERT_OK(stub_->DeleteGroup(context.get(), group, &deleted));
  EXPECT_EQ(deleted.id(), kGroup);
  EXPECT_TRUE(deleted.deleted());
  EXPECT_EQ(deleted.message(), "group deleted");

  affonso::v1::DeleteIncentiveRequest incentive;
  incentive.set_group_id(kGroup);
  incentive.set_id(kIncentive);
  affonso::v1::DeleteIncentiveResponse removed;
  context = Context();
  ASSERT_OK(stub_->DeleteIncentive(context.get(), incentive, &removed));
  EXPECT_EQ(removed.id(), kIncentive);
  EXPECT_TRUE(removed.deleted());
  EXPECT_EQ(removed.message(), "incentive deleted");

  incentive.set_id("inc_other");
  context = Context();
  EXPECT_THAT(stub_->DeleteIncentive(context.get(), incentive, &removed),
              StatusIs(grpc::StatusCode::NOT_FOUND));
}

TEST_F(ProgramServiceTest, GroupReadsExpandIncentivesOnlyWhenAsked) {
  affonso::v1::ListGroupsRequest list;
  affonso::v1::ListGroupsResponse groups;
  auto context = Context();
  ASSERT_OK(stub_->ListGroups(context.get(), list, &groups));
  ASSERT_EQ(groups.data_size(), 1);
  EXPECT_EQ(groups.data(0).incentives_size(), 0);
  EXPECT_EQ(groups.data(0).expanded_size(), 0);

  list.add_expand("incentives");
  context = Context();
  ASSERT_OK(stub_->ListGroups(context.get(), list, &groups));
  ASSERT_EQ(groups.data(0).incentives_size(), 1);
  EXPECT_EQ(groups.data(0).incentives(0).id(), kIncentive);

  affonso::v1::GetGroupRequest get;
  get.set_id(kGroup);
  get.add_expand("multi_level_incentives");
  affonso::v1::Group group;
  context = Context();
  ASSERT_OK(stub_->GetGroup(context.get(), get, &group));
  EXPECT_EQ(group.incentives_size(), 0);
  EXPECT_EQ(std::vector<std::string>(group.expanded().begin(), group.expanded().end()),
            std::vector<std::string>{"multi_level_incentives"});

  get.add_expand("affiliates");
  const int calls = store_.calls;
  context = Context();
  EXPECT_THAT(stub_->GetGroup(context.get(), get, &group),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(*context, "x-error-field"), "expand");
  EXPECT_EQ(store_.calls, calls);
}

TEST_F(ProgramServiceTest, StoreErrorsPassThrough) {
  affonso::v1::UpdateGroupRequest request;
  request.set_id("grp_unknown");
  request.mutable_group()->set_name("x");
  affonso::v1::Group group;
  auto context = Context();
  EXPECT_THAT(stub_->UpdateGroup(context.get(), request, &group),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  request.set_id(kGroup);
  request.set_program_id("prg_other");
  context = Context();
  EXPECT_THAT(stub_->UpdateGroup(context.get(), request, &group),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(store_.calls, 2);
}

TEST_F(ProgramServiceTest, PaymentTermsReadNullUntilSetAndTheStoreGetsTheNormalisedBody) {
  affonso::v1::GetPaymentTermsRequest get;
  get.set_program_id(kProgram);
  affonso::v1::PaymentTermsResult result;
  auto context = Context();
  ASSERT_OK(stub_->GetPaymentTerms(context.get(), get, &result));
  EXPECT_FALSE(result.has_terms());
  EXPECT_EQ(terms_.last_program, kProgram);
  terms_.terms_set = true;
  context = Context();
  ASSERT_OK(stub_->GetPaymentTerms(context.get(), get, &result));
  EXPECT_EQ(result.terms().payment_threshold(), 10);

  affonso::v1::UpdatePaymentTermsRequest update;
  update.mutable_payment_terms()->set_payment_frequency(affonso::v1::PAYMENT_FREQUENCY_WEEKLY);
  update.mutable_payment_terms()->mutable_owner_country()->set_string_value("de");
  affonso::v1::PaymentTerms terms;
  context = Context();
  ASSERT_OK(stub_->UpdatePaymentTerms(context.get(), update, &terms));
  EXPECT_EQ(terms_.last_terms_update.owner_country().string_value(), "DE");
  EXPECT_FALSE(terms_.last_terms_update.has_owner_city()) << "absent stays absent";

  update.mutable_payment_terms()->set_payment_threshold(10.005);
  context = Context();
  EXPECT_THAT(stub_->UpdatePaymentTerms(context.get(), update, &terms),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(*context, "x-error-code"), "VALIDATION_ERROR");
  EXPECT_EQ(Trailer(*context, "x-error-field"), "payment_threshold");
  EXPECT_EQ(terms_.calls, 3) << "a refused body never reaches the store";
}

TEST_F(ProgramServiceTest, RestrictionsAndPortalAreValidatedBeforeTheStore) {
  affonso::v1::UpdateRestrictionsRequest restrictions;
  restrictions.mutable_restrictions()->mutable_additional_restrictions()->set_string_value(
      std::string(5001, 'x'));
  affonso::v1::Restrictions restricted;
  auto context = Context();
  EXPECT_THAT(stub_->UpdateRestrictions(context.get(), restrictions, &restricted),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(*context, "x-error-field"), "additional_restrictions");

  affonso::v1::UpdatePortalSettingsRequest portal;
  portal.mutable_portal()->mutable_primary_color()->set_string_value("red");
  affonso::v1::PortalSettings settings;
  context = Context();
  EXPECT_THAT(stub_->UpdatePortalSettings(context.get(), portal, &settings),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(*context, "x-error-field"), "primary_color");
  EXPECT_EQ(terms_.calls, 0);

  portal.mutable_portal()->mutable_primary_color()->set_string_value("#A1B2C3");
  context = Context();
  ASSERT_OK(stub_->UpdatePortalSettings(context.get(), portal, &settings));
  EXPECT_EQ(terms_.last_portal_update.primary_color().string_value(), "#a1b2c3");
  EXPECT_FALSE(terms_.last_portal_update.has_secondary_color());
}

}  // namespace
}  // namespace affonso::services

#include "storage/pg_program_store.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "storage/pg_api_key_store.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;
using affonso::v1::FraudRules;
using affonso::v1::FraudRulesUpdate;
using affonso::v1::Group;
using affonso::v1::GroupInput;
using affonso::v1::GroupUpdate;
using affonso::v1::Incentive;
using affonso::v1::IncentiveInput;
using affonso::v1::TrackingSettingsUpdate;

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& values) {
  return {values.begin(), values.end()};
}

// A normalised list config, as the service passes it on.
google::protobuf::Value ListConfig(const std::string& key, std::vector<std::string> items) {
  google::protobuf::Value config;
  auto* list = (*config.mutable_struct_value()->mutable_fields())[key].mutable_list_value();
  for (const std::string& item : items) list->add_values()->set_string_value(item);
  return config;
}

google::protobuf::Value Null() {
  google::protobuf::Value null;
  null.set_null_value(google::protobuf::NULL_VALUE);
  return null;
}

GroupInput NamedGroup(const std::string& name, const std::string& description = "") {
  GroupInput input;
  input.set_name(name);
  input.set_description(description);
  return input;
}

IncentiveInput LeadIncentive(double amount) {
  IncentiveInput input;
  input.set_name("Per lead");
  input.set_type(affonso::v1::INCENTIVE_TYPE_LEAD);
  input.set_amount(amount);
  input.set_currency("EUR");
  input.set_hold_period_days(14);
  return input;
}

class PgProgramStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create();
    ASSERT_OK(db);
    db_ = *std::move(db);
    store_ = std::make_unique<PgProgramStore>(&db_->pool());
    PgApiKeyStore teams(&db_->pool());
    auto a = teams.CreateTeam("team a");
    ASSERT_OK(a);
    a_ = *a;
    auto b = teams.CreateTeam("team b");
    ASSERT_OK(b);
    b_ = *b;
  }

  std::string Query(const std::string& sql) { return db_->QueryValue(sql); }

  // A live (or soft-deleted) affiliate of team A's default program.
  std::string AddAffiliate(const std::string& group_id, bool deleted = false) {
    const std::string id = NewId("aff");
    Query(absl::StrCat(
        "INSERT INTO affiliates (id, team_id, program_id, group_id, name, email, "
        "tracking_id, partnership_status, deleted_at) VALUES ('",
        id, "', '", a_.team_id, "', '", a_.program_id, "', ",
        group_id.empty() ? "NULL" : absl::StrCat("'", group_id, "'"), ", 'n', 'n@example.com', '",
        RandomBase62(10), "', 'approved', ", deleted ? "now()" : "NULL", ")"));
    return id;
  }

  std::string DefaultGroupOf(const std::string& program_id) {
    return Query(absl::StrCat("SELECT id FROM affiliate_groups WHERE program_id = '", program_id,
                              "' AND is_default"));
  }

  std::string DefaultCount(const std::string& program_id) {
    return Query(absl::StrCat("SELECT count(*) FROM affiliate_groups WHERE program_id = '",
                              program_id, "' AND is_default"));
  }

  Group MustCreateGroup(const std::string& name) {
    auto group = store_->CreateGroup(a_.team_id, "", NamedGroup(name));
    EXPECT_OK(group);
    return group.ok() ? *group : Group();
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<PgProgramStore> store_;
  TeamBootstrap a_, b_;
};

TEST_F(PgProgramStoreTest, FraudRulesAreCreatedWithDefaultsOnFirstRead) {
  // Programs may get their row when created; a missing one is still served.
  Query("DELETE FROM program_fraud_rules");
  auto rules = store_->GetFraudRules(a_.team_id, "");
  ASSERT_OK(rules);
  // Not part of the SDK's type: left unset (and so out of the JSON).
  EXPECT_FALSE(rules->has_program_id());
  EXPECT_EQ(Query("SELECT program_id FROM program_fraud_rules"), a_.program_id);
  EXPECT_EQ(rules->self_referral_mode(), affonso::v1::FRAUD_MODE_DETECT);
  EXPECT_EQ(rules->suspicious_email_mode(), affonso::v1::FRAUD_MODE_DETECT);
  EXPECT_EQ(rules->paid_traffic_mode(), affonso::v1::FRAUD_MODE_DETECT);
  EXPECT_EQ(rules->cross_program_ban_mode(), affonso::v1::FRAUD_MODE_DETECT);
  EXPECT_EQ(rules->duplicate_payout_mode(), affonso::v1::FRAUD_MODE_DETECT);
  EXPECT_EQ(rules->banned_referral_mode(), affonso::v1::FRAUD_MODE_DETECT);
  EXPECT_EQ(rules->blocked_country_mode(), affonso::v1::FRAUD_MODE_DETECT);
  EXPECT_FALSE(rules->has_banned_referral_config());  // null
  EXPECT_FALSE(rules->has_blocked_country_config());  // null
  EXPECT_EQ(Strings(rules->paid_traffic_config().click_params()),
            (std::vector<std::string>{"gclid", "fbclid", "msclkid", "ttclid"}));
  EXPECT_EQ(rules->paid_traffic_config().utm_mediums_size(), 10);
  EXPECT_EQ(rules->allowed_email_domains_size(), 0);  // none: left out of JSON
  EXPECT_EQ(Query("SELECT count(*) FROM program_fraud_rules"), "1");

  auto again = store_->GetFraudRules(a_.team_id, a_.program_id);
  ASSERT_OK(again);
  EXPECT_EQ(again->DebugString(), rules->DebugString());
  EXPECT_EQ(Query("SELECT count(*) FROM program_fraud_rules"), "1");
}

TEST_F(PgProgramStoreTest, ConcurrentFirstReadsAllSucceedWithOneRow) {
  Query("DELETE FROM program_fraud_rules");
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(8);
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = store_->GetFraudRules(a_.team_id, "").status(); });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& status : results) EXPECT_OK(status);
  EXPECT_EQ(Query("SELECT count(*) FROM program_fraud_rules"), "1");
}

TEST_F(PgProgramStoreTest, FraudRulesUpdateOnlyPresentFields) {
  // An update before any read creates the row too.
  Query("DELETE FROM program_fraud_rules");
  FraudRulesUpdate update;
  update.set_self_referral_mode(affonso::v1::FRAUD_MODE_BLOCK);
  auto rules = store_->UpdateFraudRules(a_.team_id, "", update);
  ASSERT_OK(rules);
  EXPECT_EQ(rules->self_referral_mode(), affonso::v1::FRAUD_MODE_BLOCK);
  EXPECT_EQ(rules->suspicious_email_mode(), affonso::v1::FRAUD_MODE_DETECT);
  EXPECT_EQ(rules->paid_traffic_config().utm_mediums_size(), 10);
  EXPECT_EQ(Query("SELECT self_referral_mode FROM program_fraud_rules WHERE program_id = '" +
                  a_.program_id + "'"),
            "block");

  const std::string updated_at =
      "SELECT updated_at FROM program_fraud_rules WHERE program_id = '" + a_.program_id + "'";
  const std::string before = Query(updated_at);
  FraudRulesUpdate paid;
  paid.set_paid_traffic_mode(affonso::v1::FRAUD_MODE_OFF);
  paid.mutable_paid_traffic_config()->add_click_params("gclid");
  rules = store_->UpdateFraudRules(a_.team_id, "", paid);
  ASSERT_OK(rules);
  EXPECT_EQ(rules->self_referral_mode(), affonso::v1::FRAUD_MODE_BLOCK);
  EXPECT_EQ(rules->paid_traffic_mode(), affonso::v1::FRAUD_MODE_OFF);
  EXPECT_EQ(Strings(rules->paid_traffic_config().click_params()),
            std::vector<std::string>{"gclid"});
  // The config replaces both lists: a list left out is emptied.
  EXPECT_EQ(rules->paid_traffic_config().utm_mediums_size(), 0);
  EXPECT_NE(Query(updated_at), before);
}

TEST_F(PgProgramStoreTest, AllowedDomainsAreReplacedKeptOrCleared) {
  FraudRulesUpdate set;
  set.mutable_allowed_email_domains()->add_values()->set_string_value("mailinator.com");
  set.mutable_allowed_email_domains()->add_values()->set_string_value("corp.example");
  auto rules = store_->UpdateFraudRules(a_.team_id, "", set);
  ASSERT_OK(rules);
  EXPECT_EQ(Strings(rules->allowed_email_domains()),
            (std::vector<std::string>{"mailinator.com", "corp.example"}));

  FraudRulesUpdate absent;
  absent.set_suspicious_email_mode(affonso::v1::FRAUD_MODE_BLOCK);
  rules = store_->UpdateFraudRules(a_.team_id, "", absent);
  ASSERT_OK(rules);
  EXPECT_EQ(rules->allowed_email_domains_size(), 2);

  FraudRulesUpdate clear;
  clear.mutable_allowed_email_domains();
  rules = store_->UpdateFraudRules(a_.team_id, "", clear);
  ASSERT_OK(rules);
  EXPECT_EQ(rules->allowed_email_domains_size(), 0);
  EXPECT_EQ(rules->suspicious_email_mode(), affonso::v1::FRAUD_MODE_BLOCK);
  EXPECT_EQ(Query("SELECT sum(cardinality(allowed_email_domains)) FROM program_fraud_rules"), "0");
}

TEST_F(PgProgramStoreTest, FraudRulesOfAnotherTeamAreNotFound) {
  FraudRulesUpdate update;
  update.set_self_referral_mode(affonso::v1::FRAUD_MODE_OFF);
  EXPECT_THAT(store_->GetFraudRules(b_.team_id, a_.program_id),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->UpdateFraudRules(b_.team_id, a_.program_id, update),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Query("SELECT count(*) FROM program_fraud_rules WHERE self_referral_mode = 'off'"),
            "0");
  // Each team's default program is its own.
  auto rules = store_->UpdateFraudRules(b_.team_id, "", update);
  ASSERT_OK(rules);
  EXPECT_EQ(Query("SELECT program_id FROM program_fraud_rules WHERE self_referral_mode = 'off'"),
            b_.program_id);
  auto of_a = store_->GetFraudRules(a_.team_id, "");
  ASSERT_OK(of_a);
  EXPECT_EQ(of_a->self_referral_mode(), affonso::v1::FRAUD_MODE_DETECT);
}

TEST_F(PgProgramStoreTest, NewModesAndConfigsAreReplacedKeptOrCleared) {
  FraudRulesUpdate set;
  set.set_cross_program_ban_mode(affonso::v1::FRAUD_MODE_BLOCK);
  set.set_duplicate_payout_mode(affonso::v1::FRAUD_MODE_OFF);
  set.set_banned_referral_mode(affonso::v1::FRAUD_MODE_BLOCK);
  set.set_blocked_country_mode(affonso::v1::FRAUD_MODE_OFF);
  *set.mutable_banned_referral_config() = ListConfig("domains", {"spam.example", "ads.example"});
  *set.mutable_blocked_country_config() = ListConfig("countries", {"KP", "RU"});
  auto rules = store_->UpdateFraudRules(a_.team_id, "", set);
  ASSERT_OK(rules);
  EXPECT_EQ(rules->cross_program_ban_mode(), affonso::v1::FRAUD_MODE_BLOCK);
  EXPECT_EQ(rules->duplicate_payout_mode(), affonso::v1::FRAUD_MODE_OFF);
  EXPECT_EQ(rules->banned_referral_mode(), affonso::v1::FRAUD_MODE_BLOCK);
  EXPECT_EQ(rules->blocked_country_mode(), affonso::v1::FRAUD_MODE_OFF);
  EXPECT_EQ(rules->self_referral_mode(), affonso::v1::FRAUD_MODE_DETECT);
  EXPECT_EQ(Strings(rules->banned_referral_config().domains()),
            (std::vector<std::string>{"spam.example", "ads.example"}));
  EXPECT_EQ(Strings(rules->blocked_country_config().countries()),
            (std::vector<std::string>{"KP", "RU"}));

  // Absent: kept.
  FraudRulesUpdate absent;
  absent.set_paid_traffic_mode(affonso::v1::FRAUD_MODE_BLOCK);
  rules = store_->UpdateFraudRules(a_.team_id, "", absent);
  ASSERT_OK(rules);
  EXPECT_EQ(rules->banned_referral_config().domains_size(), 2);
  EXPECT_EQ(rules->blocked_country_config().countries_size(), 2);
  EXPECT_EQ(rules->cross_program_ban_mode(), affonso::v1::FRAUD_MODE_BLOCK);

  // An empty list is a config (present, empty); null clears it.
  FraudRulesUpdate clear;
  *clear.mutable_banned_referral_config() = ListConfig("domains", {});
  *clear.mutable_blocked_country_config() = Null();
  rules = store_->UpdateFraudRules(a_.team_id, "", clear);
  ASSERT_OK(rules);
  EXPECT_TRUE(rules->has_banned_referral_config());
  EXPECT_EQ(rules->banned_referral_config().domains_size(), 0);
  EXPECT_FALSE(rules->has_blocked_country_config());
  EXPECT_EQ(
      Query("SELECT (blocked_countries IS NULL)::text || cardinality(banned_referral_domains) "
            "FROM program_fraud_rules WHERE program_id = '" +
            a_.program_id + "'"),
      "true0");
}

TEST_F(PgProgramStoreTest, TrackingSettingsReadRecreateAndUpdate) {
  auto settings = store_->GetTrackingSettings(a_.team_id, "");
  ASSERT_OK(settings);
  EXPECT_FALSE(settings->has_program_id());  // not part of the SDK's type
  EXPECT_TRUE(settings->email_tracking_enabled());
  EXPECT_TRUE(settings->name_tracking_enabled());
  EXPECT_EQ(settings->default_referral_parameter(), "via");
  EXPECT_EQ(Strings(settings->enabled_referral_parameters()), std::vector<std::string>{"via"});
  EXPECT_FALSE(settings->postbacks_enabled());
  EXPECT_FALSE(settings->append_affonso_id_enabled());
  EXPECT_FALSE(settings->tracking_template_enabled());
  EXPECT_FALSE(settings->has_tracking_template());  // null

  Query("DELETE FROM program_tracking_settings WHERE program_id = '" + a_.program_id + "'");
  settings = store_->GetTrackingSettings(a_.team_id, a_.program_id);
  ASSERT_OK(settings);
  EXPECT_EQ(settings->default_referral_parameter(), "via");

  TrackingSettingsUpdate update;
  update.set_email_tracking_enabled(false);
  update.set_default_referral_parameter("ref");
  settings = store_->UpdateTrackingSettings(a_.team_id, "", update);
  ASSERT_OK(settings);
  EXPECT_FALSE(settings->email_tracking_enabled());
  EXPECT_TRUE(settings->name_tracking_enabled());
  EXPECT_EQ(settings->default_referral_parameter(), "ref");
  // The signup path reads the same columns.
  EXPECT_EQ(Query("SELECT track_email::text FROM program_tracking_settings WHERE program_id = '" +
                  a_.program_id + "'"),
            "false");

  TrackingSettingsUpdate name_only;
  name_only.set_name_tracking_enabled(false);
  settings = store_->UpdateTrackingSettings(a_.team_id, "", name_only);
  ASSERT_OK(settings);
  EXPECT_FALSE(settings->email_tracking_enabled());
  EXPECT_FALSE(settings->name_tracking_enabled());
  EXPECT_EQ(settings->default_referral_parameter(), "ref");

  EXPECT_THAT(store_->GetTrackingSettings(b_.team_id, a_.program_id),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->UpdateTrackingSettings(b_.team_id, a_.program_id, update),
              StatusIs(absl::StatusCode::kNotFound));
  auto of_b = store_->GetTrackingSettings(b_.team_id, "");
  ASSERT_OK(of_b);
  EXPECT_TRUE(of_b->email_tracking_enabled());
}

TEST_F(PgProgramStoreTest, TrackingSdkFieldsRoundTrip) {
  TrackingSettingsUpdate update;
  for (const char* parameter : {"ref", "via", "aff"}) {
    update.mutable_enabled_referral_parameters()->add_values()->set_string_value(parameter);
  }
  update.set_postbacks_enabled(true);
  update.set_append_affonso_id_enabled(true);
  update.set_tracking_template_enabled(true);
  auto* entry = update.mutable_tracking_template()
                    ->mutable_list_value()
                    ->add_values()
                    ->mutable_struct_value()
                    ->mutable_fields();
  (*entry)["key"].set_string_value("utm_source");
  (*entry)["value"].set_string_value("it's \"quoted\"");
  (*entry)["type"].set_string_value("literal");
  auto settings = store_->UpdateTrackingSettings(a_.team_id, "", update);
  ASSERT_OK(settings);
  // The default parameter first, then the others in their order.
  EXPECT_EQ(Strings(settings->enabled_referral_parameters()),
            (std::vector<std::string>{"via", "ref", "aff"}));
  EXPECT_TRUE(settings->postbacks_enabled());
  EXPECT_TRUE(settings->append_affonso_id_enabled());
  EXPECT_TRUE(settings->tracking_template_enabled());
  ASSERT_EQ(settings->tracking_template().values_size(), 1);
  const auto& stored = settings->tracking_template().values(0).struct_value().fields();
  EXPECT_EQ(stored.at("key").string_value(), "utm_source");
  EXPECT_EQ(stored.at("value").string_value(), "it's \"quoted\"");
  EXPECT_EQ(stored.at("type").string_value(), "literal");

  // A new default is enabled too; absent fields are kept.
  TrackingSettingsUpdate new_default;
  new_default.set_default_referral_parameter("partner");
  settings = store_->UpdateTrackingSettings(a_.team_id, "", new_default);
  ASSERT_OK(settings);
  EXPECT_EQ(Strings(settings->enabled_referral_parameters()),
            (std::vector<std::string>{"partner", "ref", "via", "aff"}));
  EXPECT_EQ(settings->tracking_template().values_size(), 1);
  EXPECT_TRUE(settings->postbacks_enabled());

  // [] and null clear.
  TrackingSettingsUpdate clear;
  clear.mutable_enabled_referral_parameters();
  *clear.mutable_tracking_template() = Null();
  settings = store_->UpdateTrackingSettings(a_.team_id, "", clear);
  ASSERT_OK(settings);
  EXPECT_EQ(Strings(settings->enabled_referral_parameters()), std::vector<std::string>{"partner"});
  EXPECT_FALSE(settings->has_tracking_template());

  // An empty template is kept as [] (not null).
  TrackingSettingsUpdate empty;
  empty.mutable_tracking_template()->mutable_list_value();
  settings = store_->UpdateTrackingSettings(a_.team_id, "", empty);
  ASSERT_OK(settings);
  EXPECT_TRUE(settings->has_tracking_template());
  EXPECT_EQ(settings->tracking_template().values_size(), 0);
}

TEST_F(PgProgramStoreTest, ProgramSettingsReadAndPatch) {
  auto program = store_->GetProgram(a_.team_id, "");
  ASSERT_OK(program);
  EXPECT_EQ(program->id(), a_.program_id);
  EXPECT_FALSE(program->name().empty());
  EXPECT_FALSE(program->has_slug());
  EXPECT_FALSE(program->has_tagline());
  EXPECT_FALSE(program->has_category());
  EXPECT_FALSE(program->has_description());
  EXPECT_EQ(program->website_url(), "");
  EXPECT_FALSE(program->has_logo_url());
  EXPECT_EQ(program->access_mode(), affonso::v1::PROGRAM_ACCESS_MODE_PUBLIC);
  EXPECT_EQ(program->status(), "active");
  EXPECT_TRUE(program->affiliate_links_enabled());
  EXPECT_EQ(program->default_referral_parameter(), "via");
  EXPECT_FALSE(program->plan().has_tier());
  EXPECT_TRUE(program->plan().postbacks());
  EXPECT_FALSE(program->plan().has_groups_limit());
  EXPECT_GT(program->created_at().seconds(), 0);
  EXPECT_GT(program->updated_at().seconds(), 0);

  affonso::v1::ProgramSettingsUpdate patch;
  patch.set_name("Acme \"Partners\"");
  patch.mutable_tagline()->set_string_value("Earn 30%, forever");
  patch.mutable_description()->set_string_value("");  // "" is a value, not null
  patch.set_website_url("https://acme.example");
  patch.mutable_logo_url()->set_string_value("https://acme.example/logo.png");
  patch.set_access_mode(affonso::v1::PROGRAM_ACCESS_MODE_INVITE);
  patch.set_affiliate_links_enabled(false);
  program = store_->UpdateProgram(a_.team_id, "", patch);
  ASSERT_OK(program);
  EXPECT_EQ(program->name(), "Acme \"Partners\"");
  EXPECT_EQ(program->tagline(), "Earn 30%, forever");
  EXPECT_FALSE(program->has_category());
  ASSERT_TRUE(program->has_description());
  EXPECT_EQ(program->description(), "");
  EXPECT_EQ(program->website_url(), "https://acme.example");
  EXPECT_EQ(program->logo_url(), "https://acme.example/logo.png");
  EXPECT_EQ(program->access_mode(), affonso::v1::PROGRAM_ACCESS_MODE_INVITE);
  EXPECT_FALSE(program->affiliate_links_enabled());
  EXPECT_EQ(Query("SELECT access_mode FROM programs WHERE id = '" + a_.program_id + "'"), "invite");

  // Null clears; absent keeps; the default parameter is the tracking one.
  affonso::v1::ProgramSettingsUpdate clear;
  *clear.mutable_tagline() = Null();
  *clear.mutable_logo_url() = Null();
  TrackingSettingsUpdate tracking;
  tracking.set_default_referral_parameter("ref");
  ASSERT_OK(store_->UpdateTrackingSettings(a_.team_id, "", tracking));
  Query(
      "UPDATE programs SET plan_tier = 'growth', plan_groups_limit = 5, slug = 'acme' "
      "WHERE id = '" +
      a_.program_id + "'");
  program = store_->UpdateProgram(a_.team_id, a_.program_id, clear);
  ASSERT_OK(program);
  EXPECT_FALSE(program->has_tagline());
  EXPECT_FALSE(program->has_logo_url());
  EXPECT_EQ(program->name(), "Acme \"Partners\"");
  EXPECT_EQ(program->website_url(), "https://acme.example");
  EXPECT_EQ(program->default_referral_parameter(), "ref");
  EXPECT_EQ(program->plan().tier(), affonso::v1::PROGRAM_PLAN_TIER_GROWTH);
  EXPECT_EQ(program->plan().groups_limit(), 5);
  EXPECT_EQ(program->slug(), "acme");

  // Another team's program is not found, and untouched.
  EXPECT_THAT(store_->GetProgram(b_.team_id, a_.program_id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->UpdateProgram(b_.team_id, a_.program_id, patch),
              StatusIs(absl::StatusCode::kNotFound));
  auto of_b = store_->GetProgram(b_.team_id, "");
  ASSERT_OK(of_b);
  EXPECT_EQ(of_b->id(), b_.program_id);
  EXPECT_EQ(Query("SELECT count(*) FROM programs WHERE access_mode = 'invite'"), "1");
}

// Groups carry no affiliate count any more (the SDK's Group has none).
TEST_F(PgProgramStoreTest, ListGroupsPutsTheDefaultFirst) {
  Group vip = MustCreateGroup("VIP");
  EXPECT_FALSE(vip.is_default());
  EXPECT_EQ(vip.id().rfind("grp_", 0), 0u);
  Group later = MustCreateGroup("Later");
  AddAffiliate("");
  AddAffiliate("");
  AddAffiliate(a_.default_group_id);
  AddAffiliate(vip.id());
  AddAffiliate(vip.id(), /*deleted=*/true);
  ASSERT_OK(store_->CreateIncentive(a_.team_id, "", vip.id(), LeadIncentive(5)));

  auto groups = store_->ListGroups(a_.team_id, "");
  ASSERT_OK(groups);
  ASSERT_EQ(groups->data_size(), 3);
  EXPECT_EQ(groups->data(0).id(), a_.default_group_id);
  EXPECT_TRUE(groups->data(0).is_default());
  EXPECT_EQ(groups->data(0).incentives_size(), 0);
  EXPECT_EQ(groups->data(1).id(), vip.id());
  ASSERT_EQ(groups->data(1).incentives_size(), 1);
  EXPECT_EQ(groups->data(1).incentives(0).amount(), 5);
  EXPECT_EQ(groups->data(2).id(), later.id());

  auto of_b = store_->ListGroups(b_.team_id, "");
  ASSERT_OK(of_b);
  ASSERT_EQ(of_b->data_size(), 1);
  EXPECT_EQ(of_b->data(0).id(), b_.default_group_id);
  EXPECT_THAT(store_->ListGroups(b_.team_id, a_.program_id), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgProgramStoreTest, GetAndPartiallyUpdateAGroup) {
  Group vip = MustCreateGroup("VIP");
  auto got = store_->GetGroup(a_.team_id, a_.program_id, vip.id());
  ASSERT_OK(got);
  EXPECT_EQ(got->name(), "VIP");
  EXPECT_EQ(got->created_at().seconds(), vip.created_at().seconds());

  GroupUpdate update;
  update.set_description("Top partners");
  auto updated = store_->UpdateGroup(a_.team_id, "", vip.id(), update);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->name(), "VIP");
  EXPECT_EQ(updated->description(), "Top partners");
  GroupUpdate rename;
  rename.set_name("Gold");
  updated = store_->UpdateGroup(a_.team_id, "", vip.id(), rename);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->name(), "Gold");
  EXPECT_EQ(updated->description(), "Top partners");
  // false on a group that is not the default changes nothing.
  GroupUpdate not_default;
  not_default.set_is_default(false);
  updated = store_->UpdateGroup(a_.team_id, "", vip.id(), not_default);
  ASSERT_OK(updated);
  EXPECT_FALSE(updated->is_default());

  EXPECT_THAT(store_->GetGroup(a_.team_id, "", NewId("grp")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgProgramStoreTest, MovingTheDefaultLeavesExactlyOne) {
  Group vip = MustCreateGroup("VIP");
  AddAffiliate("");
  AddAffiliate(a_.default_group_id);
  GroupUpdate make_default;
  make_default.set_is_default(true);
  auto moved = store_->UpdateGroup(a_.team_id, "", vip.id(), make_default);
  ASSERT_OK(moved);
  EXPECT_TRUE(moved->is_default());
  EXPECT_EQ(DefaultGroupOf(a_.program_id), vip.id());
  EXPECT_EQ(DefaultCount(a_.program_id), "1");

  auto groups = store_->ListGroups(a_.team_id, "");
  ASSERT_OK(groups);
  EXPECT_EQ(groups->data(0).id(), vip.id());
  EXPECT_FALSE(groups->data(1).is_default());

  // Already the default: a no-op.
  ASSERT_OK(store_->UpdateGroup(a_.team_id, "", vip.id(), make_default));
  EXPECT_EQ(DefaultCount(a_.program_id), "1");

  GroupUpdate unset;
  unset.set_is_default(false);
  unset.set_name("renamed");
  absl::Status refused = store_->UpdateGroup(a_.team_id, "", vip.id(), unset).status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(refused, HasApiError("VALIDATION_ERROR", "is_default"));
  EXPECT_EQ(DefaultGroupOf(a_.program_id), vip.id());
  EXPECT_EQ(Query("SELECT name FROM affiliate_groups WHERE id = '" + vip.id() + "'"), "VIP");
}

TEST_F(PgProgramStoreTest, ConcurrentDefaultMovesNeverLeaveTwoOrNone) {
  std::vector<Group> groups;
  for (int i = 0; i < 6; ++i) groups.push_back(MustCreateGroup(absl::StrCat("g", i)));
  std::vector<absl::Status> results(groups.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < groups.size(); ++i) {
    threads.emplace_back([&, i] {
      GroupUpdate update;
      update.set_is_default(true);
      results[i] = store_->UpdateGroup(a_.team_id, "", groups[i].id(), update).status();
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& status : results) EXPECT_OK(status);
  EXPECT_EQ(DefaultCount(a_.program_id), "1");
  EXPECT_NE(DefaultGroupOf(a_.program_id), a_.default_group_id);
}

TEST_F(PgProgramStoreTest, TheDefaultGroupCannotBeDeleted) {
  absl::Status refused = store_->DeleteGroup(a_.team_id, "", a_.default_group_id);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ApiErrorField(refused), "id");
  EXPECT_EQ(DefaultGroupOf(a_.program_id), a_.default_group_id);
}

TEST_F(PgProgramStoreTest, DeletingAGroupMovesItsAffiliatesToTheDefault) {
  Group vip = MustCreateGroup("VIP");
  const std::string member = AddAffiliate(vip.id());
  const std::string gone = AddAffiliate(vip.id(), /*deleted=*/true);
  AddAffiliate("");
  auto incentive = store_->CreateIncentive(a_.team_id, "", vip.id(), LeadIncentive(3));
  ASSERT_OK(incentive);
  Query(absl::StrCat(
      "INSERT INTO commission_overrides (id, team_id, affiliate_id, incentive_id, "
      "amount) VALUES ('",
      NewId("ovr"), "', '", a_.team_id, "', '", member, "', '", incentive->id(), "', 9)"));

  ASSERT_OK(store_->DeleteGroup(a_.team_id, "", vip.id()));
  EXPECT_EQ(Query("SELECT count(*) FROM affiliate_groups WHERE id = '" + vip.id() + "'"), "0");
  EXPECT_EQ(Query("SELECT count(*) FROM affiliates WHERE group_id IS NOT NULL AND id IN ('" +
                  member + "', '" + gone + "')"),
            "0");
  EXPECT_EQ(Query("SELECT count(*) FROM incentives"), "0");
  EXPECT_EQ(Query("SELECT count(*) FROM commission_overrides"), "0");
  // No stored group: the default group's members (the live and the deleted one).
  EXPECT_EQ(Query("SELECT count(*) FROM affiliates WHERE group_id IS NULL"), "3");

  EXPECT_THAT(store_->DeleteGroup(a_.team_id, "", vip.id()), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgProgramStoreTest, IncentivesAreCreatedAndDeletedUnderTheirGroup) {
  Group vip = MustCreateGroup("VIP");
  auto incentive = store_->CreateIncentive(a_.team_id, "", vip.id(), LeadIncentive(12.5));
  ASSERT_OK(incentive);
  EXPECT_EQ(incentive->id().rfind("inc_", 0), 0u);
  EXPECT_EQ(incentive->group_id(), vip.id());
  EXPECT_EQ(incentive->name(), "Per lead");
  EXPECT_EQ(incentive->incentive_type(), affonso::v1::INCENTIVE_TYPE_LEAD);
  EXPECT_EQ(incentive->incentive_id(), incentive->id());
  EXPECT_EQ(incentive->amount(), 12.5);
  EXPECT_FALSE(incentive->is_percentage());
  EXPECT_EQ(incentive->currency(), "EUR");
  EXPECT_EQ(incentive->hold_period_days(), 14);
  EXPECT_EQ(Query("SELECT amount::text FROM incentives"), "12.50");

  IncentiveInput sale;
  sale.set_name("Share");
  sale.set_type(affonso::v1::INCENTIVE_TYPE_SALE);
  sale.set_amount(30);
  sale.set_is_percentage(true);
  auto share = store_->CreateIncentive(a_.team_id, "", vip.id(), sale);
  ASSERT_OK(share);
  EXPECT_EQ(share->currency(), "USD");
  EXPECT_EQ(share->hold_period_days(), 30);
  EXPECT_TRUE(share->is_percentage());

  auto group = store_->GetGroup(a_.team_id, "", vip.id());
  ASSERT_OK(group);
  ASSERT_EQ(group->incentives_size(), 2);
  EXPECT_EQ(group->incentives(0).id(), incentive->id());
  EXPECT_EQ(group->incentives(1).id(), share->id());

  // Under another group of the same program it is not found.
  EXPECT_THAT(store_->DeleteIncentive(a_.team_id, "", a_.default_group_id, incentive->id()),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(store_->DeleteIncentive(a_.team_id, "", vip.id(), incentive->id()));
  EXPECT_THAT(store_->DeleteIncentive(a_.team_id, "", vip.id(), incentive->id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Query("SELECT count(*) FROM incentives"), "1");
  EXPECT_THAT(store_->CreateIncentive(a_.team_id, "", NewId("grp"), sale),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgProgramStoreTest, AnotherTeamsGroupsAndIncentivesAreNotFound) {
  Group vip = MustCreateGroup("VIP");
  auto incentive = store_->CreateIncentive(a_.team_id, "", vip.id(), LeadIncentive(1));
  ASSERT_OK(incentive);
  GroupUpdate update;
  update.set_name("stolen");
  update.set_is_default(true);
  const auto kNotFound = absl::StatusCode::kNotFound;
  // Through B's own default program...
  EXPECT_THAT(store_->GetGroup(b_.team_id, "", vip.id()), StatusIs(kNotFound));
  EXPECT_THAT(store_->UpdateGroup(b_.team_id, "", vip.id(), update), StatusIs(kNotFound));
  EXPECT_THAT(store_->DeleteGroup(b_.team_id, "", vip.id()), StatusIs(kNotFound));
  EXPECT_THAT(store_->CreateIncentive(b_.team_id, "", vip.id(), LeadIncentive(1)),
              StatusIs(kNotFound));
  EXPECT_THAT(store_->DeleteIncentive(b_.team_id, "", vip.id(), incentive->id()),
              StatusIs(kNotFound));
  // ...and naming A's program.
  const std::string& program = a_.program_id;
  EXPECT_THAT(store_->CreateGroup(b_.team_id, program, NamedGroup("x")), StatusIs(kNotFound));
  EXPECT_THAT(store_->GetGroup(b_.team_id, program, vip.id()), StatusIs(kNotFound));
  EXPECT_THAT(store_->UpdateGroup(b_.team_id, program, vip.id(), update), StatusIs(kNotFound));
  EXPECT_THAT(store_->DeleteGroup(b_.team_id, program, vip.id()), StatusIs(kNotFound));
  EXPECT_THAT(store_->DeleteGroup(b_.team_id, program, a_.default_group_id), StatusIs(kNotFound));
  EXPECT_THAT(store_->CreateIncentive(b_.team_id, program, vip.id(), LeadIncentive(1)),
              StatusIs(kNotFound));
  EXPECT_THAT(store_->DeleteIncentive(b_.team_id, program, vip.id(), incentive->id()),
              StatusIs(kNotFound));

  EXPECT_EQ(Query("SELECT count(*) FROM affiliate_groups WHERE team_id = '" + a_.team_id + "'"),
            "2");
  EXPECT_EQ(Query("SELECT name FROM affiliate_groups WHERE id = '" + vip.id() + "'"), "VIP");
  EXPECT_EQ(DefaultGroupOf(a_.program_id), a_.default_group_id);
  EXPECT_EQ(Query("SELECT count(*) FROM incentives"), "1");
}

TEST_F(PgProgramStoreTest, ASecondProgramOfTheTeamIsAddressedById) {
  const std::string second = NewId("prg");
  const std::string second_group = NewId("grp");
  Query(absl::StrCat("INSERT INTO programs (id, team_id, name) VALUES ('", second, "', '",
                     a_.team_id, "', 'second')"));
  Query(
      absl::StrCat("INSERT INTO affiliate_groups (id, team_id, program_id, name, is_default) "
                   "VALUES ('",
                   second_group, "', '", a_.team_id, "', '", second, "', 'Default', true)"));
  auto groups = store_->ListGroups(a_.team_id, second);
  ASSERT_OK(groups);
  ASSERT_EQ(groups->data_size(), 1);
  EXPECT_EQ(groups->data(0).id(), second_group);
  // A group is only found under its own program.
  EXPECT_THAT(store_->GetGroup(a_.team_id, second, a_.default_group_id),
              StatusIs(absl::StatusCode::kNotFound));
  FraudRulesUpdate update;
  update.set_blocked_country_mode(affonso::v1::FRAUD_MODE_BLOCK);
  ASSERT_OK(store_->UpdateFraudRules(a_.team_id, second, update));
  EXPECT_EQ(
      Query("SELECT program_id FROM program_fraud_rules WHERE blocked_country_mode = 'block'"),
      second);
  auto rules = store_->GetFraudRules(a_.team_id, second);
  ASSERT_OK(rules);
  EXPECT_EQ(rules->blocked_country_mode(), affonso::v1::FRAUD_MODE_BLOCK);
  auto program = store_->GetProgram(a_.team_id, second);
  ASSERT_OK(program);
  EXPECT_EQ(program->id(), second);
  EXPECT_EQ(program->name(), "second");
}

}  // namespace
}  // namespace affonso::storage

namespace affonso::storage {
namespace {

TEST_F(PgProgramStoreTest, GroupsCarryTheSdksFields) {
  GroupInput input = NamedGroup("Partners", "");
  input.set_custom_website_url("https://partners.example.com");
  auto created = store_->CreateGroup(a_.team_id, "", input);
  ASSERT_OK(created);
  EXPECT_FALSE(created->has_description());  // "" is null
  EXPECT_EQ(created->custom_website_url(), "https://partners.example.com");
  EXPECT_FALSE(created->is_default());
  Group plain = MustCreateGroup("Plain");
  EXPECT_FALSE(plain.has_custom_website_url());

  GroupUpdate update;
  update.set_description("For partners");
  update.set_custom_website_url("");
  auto updated = store_->UpdateGroup(a_.team_id, "", created->id(), update);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->description(), "For partners");
  EXPECT_FALSE(updated->has_custom_website_url());
  update.Clear();
  update.set_custom_website_url("http://new.example.com");
  updated = store_->UpdateGroup(a_.team_id, "", created->id(), update);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->custom_website_url(), "http://new.example.com");
  EXPECT_EQ(updated->description(), "For partners");
  update.Clear();
  update.set_description("");
  updated = store_->UpdateGroup(a_.team_id, "", created->id(), update);
  ASSERT_OK(updated);
  EXPECT_FALSE(updated->has_description());
  EXPECT_EQ(updated->custom_website_url(), "http://new.example.com");
}

TEST_F(PgProgramStoreTest, CreatingADefaultGroupMovesTheFlag) {
  GroupInput input = NamedGroup("New default");
  input.set_is_default(true);
  auto created = store_->CreateGroup(a_.team_id, "", input);
  ASSERT_OK(created);
  EXPECT_TRUE(created->is_default());
  EXPECT_EQ(DefaultGroupOf(a_.program_id), created->id());
  EXPECT_EQ(DefaultCount(a_.program_id), "1");
}

TEST_F(PgProgramStoreTest, AProgramHasAtMostFiftyGroups) {
  // The default group is one of them.
  for (int i = 1; i < kMaxGroupsPerProgram; ++i) MustCreateGroup(absl::StrCat("g", i));
  auto refused = store_->CreateGroup(a_.team_id, "", NamedGroup("one too many"));
  EXPECT_THAT(refused, HasApiError("VALIDATION_ERROR", "name"));
  EXPECT_EQ(Query(absl::StrCat("SELECT count(*) FROM affiliate_groups WHERE program_id = '",
                               a_.program_id, "'")),
            "50");
  EXPECT_OK(store_->CreateGroup(b_.team_id, "", NamedGroup("team b is not full")));
}

TEST_F(PgProgramStoreTest, IncentivesRoundTripTheSdksTermsAndExactAmounts) {
  Group vip = MustCreateGroup("VIP");
  IncentiveInput input;
  input.set_name("Tiered share");
  input.set_type(affonso::v1::INCENTIVE_TYPE_SALE);
  input.set_amount(12.34);
  input.set_is_percentage(true);
  input.set_apply_to("specific_products");
  input.add_product_ids("prod_b");
  input.add_product_ids("prod_a");
  input.set_approval_type("manual");
  input.set_incentive_length("time_limited");
  input.set_length_value(12);
  input.set_variable_commission(true);
  (*input.mutable_variable_config()->mutable_struct_value()->mutable_fields())["after"]
      .set_number_value(1000);
  auto created = store_->CreateIncentive(a_.team_id, "", vip.id(), input);
  ASSERT_OK(created);
  EXPECT_EQ(created->amount(), 12.34);
  EXPECT_EQ(Query("SELECT amount::text FROM incentives"), "12.34");
  EXPECT_EQ(created->apply_to(), "specific_products");
  EXPECT_EQ(std::vector<std::string>(created->product_ids().begin(), created->product_ids().end()),
            (std::vector<std::string>{"prod_b", "prod_a"}));
  EXPECT_EQ(created->approval_type(), "manual");
  EXPECT_EQ(created->incentive_length(), "time_limited");
  EXPECT_EQ(created->length_value(), 12);
  EXPECT_TRUE(created->variable_commission());
  EXPECT_EQ(created->variable_config().struct_value().fields().at("after").number_value(), 1000);

  auto group = store_->GetGroup(a_.team_id, "", vip.id());
  ASSERT_OK(group);
  ASSERT_EQ(group->incentives_size(), 1);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(group->incentives(0), *created))
      << group->incentives(0).DebugString();

  // The defaults, as the service fills them in; lead commissions keep
  // reading type and amount only.
  auto lead = store_->CreateIncentive(a_.team_id, "", vip.id(), LeadIncentive(0.3));
  ASSERT_OK(lead);
  EXPECT_EQ(lead->amount(), 0.3);
  EXPECT_EQ(lead->apply_to(), "all_products");
  EXPECT_EQ(lead->approval_type(), "auto");
  EXPECT_EQ(lead->incentive_length(), "lifetime");
  EXPECT_FALSE(lead->has_length_value());
  EXPECT_FALSE(lead->has_variable_config());
  EXPECT_EQ(lead->product_ids_size(), 0);
}

TEST_F(PgProgramStoreTest, AGroupHasAtMostTenIncentives) {
  Group vip = MustCreateGroup("VIP");
  for (int i = 0; i < kMaxIncentivesPerGroup; ++i) {
    ASSERT_OK(store_->CreateIncentive(a_.team_id, "", vip.id(), LeadIncentive(i)));
  }
  auto refused = store_->CreateIncentive(a_.team_id, "", vip.id(), LeadIncentive(1));
  EXPECT_THAT(refused, HasApiError("VALIDATION_ERROR", "name"));
  EXPECT_OK(store_->CreateIncentive(a_.team_id, "", a_.default_group_id, LeadIncentive(1)));
  EXPECT_THAT(store_->CreateIncentive(b_.team_id, "", vip.id(), LeadIncentive(1)),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace affonso::storage

namespace affonso::storage {
namespace {

affonso::v1::PixelSettingsUpdate PixelDomains(std::vector<std::string> domains) {
  affonso::v1::PixelSettingsUpdate update;
  auto* list = update.mutable_allowed_domains();
  for (const std::string& domain : domains) list->add_values()->set_string_value(domain);
  return update;
}

TEST_F(PgProgramStoreTest, PixelSettingsDefaultUntilSetThenOnlyPresentFieldsChange) {
  ASSERT_OK_AND_ASSIGN(affonso::v1::PixelSettings settings,
                       store_->GetPixelSettings(a_.team_id, ""));
  EXPECT_EQ(settings.program_id(), a_.program_id);
  EXPECT_EQ(settings.allowed_domains_size(), 0);
  EXPECT_EQ(settings.click_dedup_window_seconds(), kDefaultClickDedupWindowSeconds);
  EXPECT_FALSE(settings.browser_external_user_id());
  // Reading writes nothing.
  EXPECT_EQ(Query("SELECT count(*) FROM program_pixel_settings"), "0");

  // The first update creates the row: the absent window keeps its default.
  ASSERT_OK_AND_ASSIGN(
      settings, store_->UpdatePixelSettings(a_.team_id, a_.program_id,
                                            PixelDomains({"shop.example.com", "*.example.org"})));
  EXPECT_EQ(Strings(settings.allowed_domains()),
            (std::vector<std::string>{"shop.example.com", "*.example.org"}));
  EXPECT_EQ(settings.click_dedup_window_seconds(), kDefaultClickDedupWindowSeconds);
  EXPECT_EQ(settings.program_id(), a_.program_id);

  affonso::v1::PixelSettingsUpdate window;
  window.set_click_dedup_window_seconds(0);
  ASSERT_OK_AND_ASSIGN(settings, store_->UpdatePixelSettings(a_.team_id, "", window));
  EXPECT_EQ(Strings(settings.allowed_domains()),
            (std::vector<std::string>{"shop.example.com", "*.example.org"}));
  EXPECT_EQ(settings.click_dedup_window_seconds(), 0);

  // [] clears the list (any site again); the window stays.
  ASSERT_OK_AND_ASSIGN(settings, store_->UpdatePixelSettings(a_.team_id, "", PixelDomains({})));
  EXPECT_EQ(settings.allowed_domains_size(), 0);
  EXPECT_EQ(settings.click_dedup_window_seconds(), 0);
  ASSERT_OK_AND_ASSIGN(settings, store_->GetPixelSettings(a_.team_id, a_.program_id));
  EXPECT_EQ(settings.allowed_domains_size(), 0);
  EXPECT_EQ(settings.click_dedup_window_seconds(), 0);
  EXPECT_FALSE(settings.browser_external_user_id());

  // The browser's external user id: on, then kept by an update without it.
  affonso::v1::PixelSettingsUpdate external;
  external.set_browser_external_user_id(true);
  ASSERT_OK_AND_ASSIGN(settings, store_->UpdatePixelSettings(a_.team_id, "", external));
  EXPECT_TRUE(settings.browser_external_user_id());
  EXPECT_EQ(settings.click_dedup_window_seconds(), 0);
  ASSERT_OK_AND_ASSIGN(settings, store_->UpdatePixelSettings(a_.team_id, "", window));
  EXPECT_TRUE(settings.browser_external_user_id());
  ASSERT_OK_AND_ASSIGN(settings, store_->GetPixelSettings(a_.team_id, ""));
  EXPECT_TRUE(settings.browser_external_user_id());
  external.set_browser_external_user_id(false);
  ASSERT_OK_AND_ASSIGN(settings, store_->UpdatePixelSettings(a_.team_id, "", external));
  EXPECT_FALSE(settings.browser_external_user_id());
  EXPECT_EQ(Query("SELECT team_id FROM program_pixel_settings"), a_.team_id);
}

TEST_F(PgProgramStoreTest, PixelSettingsOfAnotherTeamAreNotFoundAndUntouched) {
  ASSERT_OK(store_->UpdatePixelSettings(b_.team_id, "", PixelDomains({"b.example"})));
  EXPECT_THAT(store_->GetPixelSettings(a_.team_id, b_.program_id), HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->UpdatePixelSettings(a_.team_id, b_.program_id, PixelDomains({"a.example"})),
              HasApiError("NOT_FOUND"));
  ASSERT_OK_AND_ASSIGN(affonso::v1::PixelSettings settings,
                       store_->GetPixelSettings(b_.team_id, ""));
  EXPECT_EQ(Strings(settings.allowed_domains()), std::vector<std::string>{"b.example"});
  ASSERT_OK_AND_ASSIGN(settings, store_->GetPixelSettings(a_.team_id, ""));
  EXPECT_EQ(settings.allowed_domains_size(), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM program_pixel_settings"), "1");
}

TEST_F(PgProgramStoreTest, PixelSettingsAreCheckedByTheSchemaToo) {
  // The service validates first; the schema is the backstop.
  affonso::v1::PixelSettingsUpdate too_long;
  too_long.set_click_dedup_window_seconds(kMaxClickDedupWindowSeconds + 1);
  EXPECT_THAT(store_->UpdatePixelSettings(a_.team_id, "", too_long),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  std::vector<std::string> many;
  for (int i = 0; i <= kMaxAllowedPixelDomains; ++i) many.push_back(absl::StrCat("d", i, ".test"));
  EXPECT_THAT(store_->UpdatePixelSettings(a_.team_id, "", PixelDomains(many)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Query("SELECT count(*) FROM program_pixel_settings"), "0");
}

}  // namespace
}  // namespace affonso::storage

// The /v1/program/... REST endpoints end to end: real HTTP, the in-process
// gateway, ProgramService and PostgreSQL.
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
using google::protobuf::ListValue;
using google::protobuf::Struct;

class ProgramRestTest : public RestTest {
 protected:
  static const ListValue& List(const Struct& object, const std::string& key) {
    return object.fields().at(key).list_value();
  }
  static std::vector<std::string> Strings(const ListValue& list) {
    std::vector<std::string> out;
    for (const auto& value : list.values()) out.push_back(value.string_value());
    return out;
  }
  static const ListValue& DataList(const HttpResult& result) {
    return result.json.fields().at("data").list_value();
  }
  static std::string Text(const Struct& object, const std::string& key) {
    auto it = object.fields().find(key);
    return it == object.fields().end() ? "" : it->second.string_value();
  }
  // A nullable field that is empty: rendered null (or, by a gateway that
  // leaves unset fields with presence out, absent).
  static bool IsNull(const Struct& object, const std::string& key) {
    auto it = object.fields().find(key);
    return it == object.fields().end() ||
           it->second.kind_case() == google::protobuf::Value::kNullValue;
  }
  static bool Bool(const Struct& object, const std::string& key) {
    return object.fields().at(key).bool_value();
  }

  std::string DefaultGroupId(const storage::testing::Tenant& tenant) {
    return db_->QueryValue("SELECT id FROM affiliate_groups WHERE is_default AND program_id = '" +
                           tenant.program_id + "'");
  }
};

TEST_F(ProgramRestTest, FraudRulesReadAndPatchWithCamelCase) {
  HttpResult got = Call("GET", "/v1/program/fraud-rules");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_TRUE(got.json.fields().at("success").bool_value());
  EXPECT_EQ(Text(got.Data(), "program_id"), "");  // not part of the SDK's type
  EXPECT_EQ(got.DataString("self_referral_mode"), "detect");
  EXPECT_EQ(got.DataString("suspicious_email_mode"), "detect");
  EXPECT_EQ(got.DataString("paid_traffic_mode"), "detect");
  EXPECT_EQ(got.DataString("cross_program_ban_mode"), "detect");
  EXPECT_EQ(got.DataString("duplicate_payout_mode"), "detect");
  EXPECT_EQ(got.DataString("banned_referral_mode"), "detect");
  EXPECT_EQ(got.DataString("blocked_country_mode"), "detect");
  EXPECT_TRUE(IsNull(got.Data(), "banned_referral_config"));
  EXPECT_TRUE(IsNull(got.Data(), "blocked_country_config"));
  const Struct& config = got.Data().fields().at("paid_traffic_config").struct_value();
  EXPECT_EQ(Strings(List(config, "click_params")),
            (std::vector<std::string>{"gclid", "fbclid", "msclkid", "ttclid"}));
  // Our extension, shown only when the program has some.
  EXPECT_EQ(got.Data().fields().count("allowed_email_domains"), 0u);

  HttpResult patched = Call("PATCH", "/v1/program/fraud-rules", R"({"selfReferralMode":"block"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.DataString("self_referral_mode"), "block");
  EXPECT_EQ(patched.DataString("suspicious_email_mode"), "detect");

  HttpResult lists = Call("PATCH", "/v1/program/fraud-rules?program_id=" + a_.program_id,
                          R"({"paid_traffic_mode":"off",)"
                          R"("paidTrafficConfig":{"utmMediums":[" CPC "]},)"
                          R"("allowedEmailDomains":["Corp.Example"]})");
  ASSERT_EQ(lists.status, 200) << lists.body;
  EXPECT_EQ(lists.DataString("paid_traffic_mode"), "off");
  EXPECT_EQ(lists.DataString("self_referral_mode"), "block");
  const Struct& replaced = lists.Data().fields().at("paid_traffic_config").struct_value();
  EXPECT_EQ(List(replaced, "click_params").values_size(), 0);
  EXPECT_EQ(Strings(List(replaced, "utm_mediums")), std::vector<std::string>{"cpc"});
  EXPECT_EQ(Strings(List(lists.Data(), "allowed_email_domains")),
            std::vector<std::string>{"corp.example"});

  HttpResult cleared = Call("PATCH", "/v1/program/fraud-rules", R"({"allowedEmailDomains":[]})");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(cleared.Data().fields().count("allowed_email_domains"), 0u);
  EXPECT_EQ(List(cleared.Data().fields().at("paid_traffic_config").struct_value(), "utm_mediums")
                .values_size(),
            1);

  HttpResult again = Call("GET", "/v1/program/fraud-rules");
  EXPECT_EQ(again.DataString("self_referral_mode"), "block");
  EXPECT_EQ(again.DataString("paid_traffic_mode"), "off");
  // B's rules are untouched.
  EXPECT_EQ(Call("GET", "/v1/program/fraud-rules", "", &b_).DataString("self_referral_mode"),
            "detect");
}

TEST_F(ProgramRestTest, FraudRulesSdkModesAndConfigs) {
  // The SDK's FraudRulesUpdateParams, snake_case, upper-case modes too.
  HttpResult patched = Call("PATCH", "/v1/program/fraud-rules",
                            R"({"cross_program_ban_mode":"block","duplicate_payout_mode":"off",)"
                            R"("banned_referral_mode":"BLOCK","blocked_country_mode":"detect",)"
                            R"("banned_referral_config":{"domains":["*.Spam.Example","ads.test"]},)"
                            R"("blocked_country_config":{"countries":["kp","RU"]}})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.DataString("cross_program_ban_mode"), "block");
  EXPECT_EQ(patched.DataString("duplicate_payout_mode"), "off");
  EXPECT_EQ(patched.DataString("banned_referral_mode"), "block");
  EXPECT_EQ(patched.DataString("blocked_country_mode"), "detect");
  EXPECT_EQ(
      Strings(List(patched.Data().fields().at("banned_referral_config").struct_value(), "domains")),
      (std::vector<std::string>{"spam.example", "ads.test"}));
  EXPECT_EQ(Strings(List(patched.Data().fields().at("blocked_country_config").struct_value(),
                         "countries")),
            (std::vector<std::string>{"KP", "RU"}));
  // The SDK's key order.
  std::vector<std::string> keys;
  for (const char* key : {"self_referral_mode", "cross_program_ban_mode", "duplicate_payout_mode",
                          "suspicious_email_mode", "banned_referral_mode", "paid_traffic_mode",
                          "blocked_country_mode", "banned_referral_config",
                          "blocked_country_config", "paid_traffic_config"}) {
    keys.push_back(absl::StrCat("\"", key, "\""));
  }
  size_t at = 0;
  for (const std::string& key : keys) {
    size_t next = patched.body.find(key, at);
    EXPECT_NE(next, std::string::npos) << key;
    if (next != std::string::npos) at = next;
  }

  // null clears a config; absent keeps it.
  HttpResult cleared =
      Call("PATCH", "/v1/program/fraud-rules", R"({"banned_referral_config":null})");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_TRUE(IsNull(cleared.Data(), "banned_referral_config"));
  EXPECT_EQ(List(cleared.Data().fields().at("blocked_country_config").struct_value(), "countries")
                .values_size(),
            2);
  EXPECT_EQ(db_->QueryValue("SELECT (banned_referral_domains IS NULL)::text FROM "
                            "program_fraud_rules WHERE program_id = '" +
                            a_.program_id + "'"),
            "true");

  // Clear 400s for shapes and sizes.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"banned_referral_config":["spam.example"]})", "banned_referral_config"},
      {R"({"banned_referral_config":{"patterns":["spam.example"]}})", "banned_referral_config"},
      {R"({"banned_referral_config":{"domains":"spam.example"}})",
       "banned_referral_config.domains"},
      {R"({"banned_referral_config":{"domains":["not a domain"]}})",
       "banned_referral_config.domains"},
      {R"({"blocked_country_config":{"countries":["Russia"]}})",
       "blocked_country_config.countries"},
      {R"({"blocked_country_mode":"sometimes"})", "blocked_country_mode"},
  };
  for (const auto& [body, field] : bad) {
    HttpResult result = Call("PATCH", "/v1/program/fraud-rules", body);
    EXPECT_EQ(result.status, 400) << body << " " << result.body;
    EXPECT_EQ(result.ErrorCode(), "VALIDATION_ERROR") << body;
    EXPECT_EQ(result.ErrorField(), field) << body;
  }
  std::string many = R"({"banned_referral_config":{"domains":[)";
  for (int i = 0; i < 101; ++i) many += absl::StrCat(i ? "," : "", "\"d", i, ".example\"");
  many += "]}}";
  HttpResult too_many = Call("PATCH", "/v1/program/fraud-rules", many);
  EXPECT_EQ(too_many.status, 400) << too_many.body;
  EXPECT_EQ(too_many.ErrorField(), "banned_referral_config.domains");
  EXPECT_EQ(Call("GET", "/v1/program/fraud-rules").DataString("cross_program_ban_mode"), "block");
}

TEST_F(ProgramRestTest, FraudRulesErrorsUseTheEnvelope) {
  HttpResult bad_mode = Call("PATCH", "/v1/program/fraud-rules", R"({"selfReferralMode":"maybe"})");
  EXPECT_EQ(bad_mode.status, 400) << bad_mode.body;
  EXPECT_EQ(bad_mode.ErrorCode(), "VALIDATION_ERROR");
  EXPECT_FALSE(bad_mode.json.fields().at("success").bool_value());

  HttpResult bad_param = Call("PATCH", "/v1/program/fraud-rules",
                              R"({"paidTrafficConfig":{"clickParams":["utm_source"]}})");
  EXPECT_EQ(bad_param.status, 400) << bad_param.body;
  EXPECT_EQ(bad_param.ErrorField(), "paid_traffic_config.click_params");

  HttpResult not_strings =
      Call("PATCH", "/v1/program/fraud-rules", R"({"allowedEmailDomains":["ok.com", 7]})");
  EXPECT_EQ(not_strings.status, 400) << not_strings.body;
  EXPECT_EQ(not_strings.ErrorField(), "allowed_email_domains");

  HttpResult other_program = Call("GET", "/v1/program/fraud-rules?program_id=" + b_.program_id);
  EXPECT_EQ(other_program.status, 404) << other_program.body;
  EXPECT_EQ(other_program.ErrorCode(), "NOT_FOUND");
  HttpResult patch_other = Call("PATCH", "/v1/program/fraud-rules?program_id=" + b_.program_id,
                                R"({"selfReferralMode":"off"})");
  EXPECT_EQ(patch_other.status, 404) << patch_other.body;
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM program_fraud_rules WHERE self_referral_mode "
                            "= 'off'"),
            "0");
  HttpResult junk = Call("GET", "/v1/program/fraud-rules?program_id=nope");
  EXPECT_EQ(junk.status, 404) << junk.body;

  HttpResult no_key = Http(rest_->port(), "GET", "/v1/program/fraud-rules");
  EXPECT_EQ(no_key.status, 401);
  EXPECT_EQ(no_key.ErrorCode(), "UNAUTHORIZED");
  EXPECT_EQ(no_key.ErrorReason(), "MISSING_API_KEY");
}

TEST_F(ProgramRestTest, TrackingSettings) {
  HttpResult got = Call("GET", "/v1/program/tracking");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Text(got.Data(), "program_id"), "");  // not part of the SDK's type
  EXPECT_TRUE(Bool(got.Data(), "email_tracking_enabled"));
  EXPECT_TRUE(Bool(got.Data(), "name_tracking_enabled"));
  EXPECT_EQ(got.Data().fields().count("track_email"), 0u);  // the SDK 1.0.1 names only
  EXPECT_EQ(got.DataString("default_referral_parameter"), "via");
  EXPECT_EQ(Strings(List(got.Data(), "enabled_referral_parameters")),
            std::vector<std::string>{"via"});
  EXPECT_FALSE(Bool(got.Data(), "postbacks_enabled"));
  EXPECT_FALSE(Bool(got.Data(), "append_affonso_id_enabled"));
  EXPECT_FALSE(Bool(got.Data(), "tracking_template_enabled"));
  EXPECT_TRUE(IsNull(got.Data(), "tracking_template"));

  // The names before SDK 1.0.1 are still accepted.
  HttpResult patched = Call("PATCH", "/v1/program/tracking",
                            R"({"trackEmail":false,"defaultReferralParameter":"ref"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_FALSE(Bool(patched.Data(), "email_tracking_enabled"));
  EXPECT_TRUE(Bool(patched.Data(), "name_tracking_enabled"));
  EXPECT_EQ(patched.DataString("default_referral_parameter"), "ref");
  EXPECT_EQ(db_->QueryValue("SELECT track_email FROM program_tracking_settings WHERE "
                            "program_id = '" +
                            a_.program_id + "'"),
            "f");

  HttpResult bad = Call("PATCH", "/v1/program/tracking", R"({"defaultReferralParameter":"a b"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.ErrorCode(), "VALIDATION_ERROR");
  EXPECT_EQ(bad.ErrorField(), "default_referral_parameter");

  HttpResult other = Call("PATCH", "/v1/program/tracking?program_id=" + a_.program_id,
                          R"({"trackName":false})", &b_);
  EXPECT_EQ(other.status, 404) << other.body;
  EXPECT_TRUE(Bool(Call("GET", "/v1/program/tracking").Data(), "name_tracking_enabled"));
}

TEST_F(ProgramRestTest, TrackingSdkFields) {
  HttpResult patched =
      Call("PATCH", "/v1/program/tracking",
           R"({"email_tracking_enabled":true,"name_tracking_enabled":false,)"
           R"("enabled_referral_parameters":["ref","aff"],"postbacks_enabled":true,)"
           R"("append_affonso_id_enabled":true,"tracking_template_enabled":true,)"
           R"("tracking_template":[{"key":"utm_source","value":"partners","type":"literal"},)"
           R"({"key":"aff","value":"{tracking_id}","type":"macro"}]})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  const Struct& data = patched.Data();
  EXPECT_FALSE(Bool(data, "name_tracking_enabled"));
  EXPECT_EQ(Strings(List(data, "enabled_referral_parameters")),
            (std::vector<std::string>{"via", "ref", "aff"}));
  EXPECT_TRUE(Bool(data, "postbacks_enabled"));
  EXPECT_TRUE(Bool(data, "append_affonso_id_enabled"));
  EXPECT_TRUE(Bool(data, "tracking_template_enabled"));
  const ListValue& tmpl = List(data, "tracking_template");
  ASSERT_EQ(tmpl.values_size(), 2);
  EXPECT_EQ(Text(tmpl.values(1).struct_value(), "value"), "{tracking_id}");
  EXPECT_EQ(Text(tmpl.values(1).struct_value(), "type"), "macro");
  // The SDK's key order.
  EXPECT_LT(patched.body.find("\"default_referral_parameter\""),
            patched.body.find("\"enabled_referral_parameters\""));
  EXPECT_LT(patched.body.find("\"enabled_referral_parameters\""),
            patched.body.find("\"email_tracking_enabled\""));
  EXPECT_LT(patched.body.find("\"tracking_template_enabled\""),
            patched.body.find("\"tracking_template\":"));

  HttpResult cleared = Call("PATCH", "/v1/program/tracking", R"({"tracking_template":null})");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_TRUE(IsNull(cleared.Data(), "tracking_template"));
  EXPECT_TRUE(Bool(cleared.Data(), "tracking_template_enabled"));

  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"tracking_template":[{"key":"a","value":"{nope}","type":"macro"}]})",
       "tracking_template"},
      {R"({"tracking_template":{"key":"a"}})", "tracking_template"},
      {R"({"enabled_referral_parameters":["a b"]})", "enabled_referral_parameters"},
      {R"({"track_email":false,"email_tracking_enabled":true})", "track_email"},
  };
  for (const auto& [body, field] : bad) {
    HttpResult result = Call("PATCH", "/v1/program/tracking", body);
    EXPECT_EQ(result.status, 400) << body << " " << result.body;
    EXPECT_EQ(result.ErrorField(), field) << body;
  }
}

TEST_F(ProgramRestTest, ProgramSettingsReadAndPatch) {
  HttpResult got = Call("GET", "/v1/program");
  ASSERT_EQ(got.status, 200) << got.body;
  const Struct& data = got.Data();
  EXPECT_EQ(got.DataString("id"), a_.program_id);
  EXPECT_FALSE(got.DataString("name").empty());
  for (const char* key :
       {"id", "name", "website_url", "access_mode", "status", "affiliate_links_enabled",
        "default_referral_parameter", "plan", "created_at", "updated_at"}) {
    EXPECT_EQ(data.fields().count(key), 1u) << key;
  }
  for (const char* nullable : {"slug", "tagline", "category", "description", "logo_url"}) {
    EXPECT_TRUE(IsNull(data, nullable)) << nullable;
  }
  EXPECT_EQ(got.DataString("website_url"), "");
  EXPECT_EQ(got.DataString("access_mode"), "public");
  EXPECT_EQ(got.DataString("status"), "active");
  EXPECT_TRUE(Bool(data, "affiliate_links_enabled"));
  EXPECT_EQ(got.DataString("default_referral_parameter"), "via");
  const Struct& plan = data.fields().at("plan").struct_value();
  EXPECT_TRUE(IsNull(plan, "tier"));
  EXPECT_TRUE(Bool(plan, "postbacks"));
  EXPECT_TRUE(IsNull(plan, "groups_limit"));
  EXPECT_FALSE(got.DataString("created_at").empty());
  EXPECT_FALSE(got.DataString("updated_at").empty());

  // The SDK sends access_mode upper case; responses are lower case.
  HttpResult patched = Call("PATCH", "/v1/program",
                            R"({"name":"Acme Partners","tagline":"Earn 30%","category":"SaaS",)"
                            R"("description":"Our program","website_url":"https://acme.example",)"
                            R"("logo_url":"https://acme.example/logo.png","access_mode":"INVITE",)"
                            R"("affiliate_links_enabled":false})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.DataString("name"), "Acme Partners");
  EXPECT_EQ(patched.DataString("tagline"), "Earn 30%");
  EXPECT_EQ(patched.DataString("category"), "SaaS");
  EXPECT_EQ(patched.DataString("website_url"), "https://acme.example");
  EXPECT_EQ(patched.DataString("access_mode"), "invite");
  EXPECT_FALSE(Bool(patched.Data(), "affiliate_links_enabled"));

  HttpResult nulls = Call("PATCH", "/v1/program?program_id=" + a_.program_id,
                          R"({"tagline":null,"logo_url":null,"accessMode":"private"})");
  ASSERT_EQ(nulls.status, 200) << nulls.body;
  EXPECT_TRUE(IsNull(nulls.Data(), "tagline"));
  EXPECT_TRUE(IsNull(nulls.Data(), "logo_url"));
  EXPECT_EQ(db_->QueryValue("SELECT (tagline IS NULL AND logo_url IS NULL)::text FROM programs "
                            "WHERE id = '" +
                            a_.program_id + "'"),
            "true");
  EXPECT_EQ(nulls.DataString("category"), "SaaS");
  EXPECT_EQ(nulls.DataString("access_mode"), "private");

  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"name":""})", "name"},
      {R"({"tagline":42})", "tagline"},
      {R"({"website_url":"acme.example"})", "website_url"},
      {R"j({"logo_url":"javascript:alert(1)"})j", "logo_url"},
      {R"({"access_mode":"SECRET"})", "access_mode"},
      {absl::StrCat(R"({"description":")", std::string(5001, 'd'), "\"}"), "description"},
  };
  for (const auto& [body, field] : bad) {
    HttpResult result = Call("PATCH", "/v1/program", body);
    EXPECT_EQ(result.status, 400) << body.substr(0, 80) << " " << result.body;
    EXPECT_EQ(result.ErrorCode(), "VALIDATION_ERROR") << body.substr(0, 80);
    EXPECT_EQ(result.ErrorField(), field) << body.substr(0, 80);
  }

  // Another team's program is not found; B's own is untouched.
  EXPECT_EQ(Call("GET", "/v1/program?program_id=" + a_.program_id, "", &b_).status, 404);
  EXPECT_EQ(Call("PATCH", "/v1/program?program_id=" + a_.program_id, R"({"name":"x"})", &b_).status,
            404);
  EXPECT_EQ(Call("GET", "/v1/program", "", &b_).DataString("access_mode"), "public");
  EXPECT_EQ(db_->QueryValue("SELECT name FROM programs WHERE id = '" + a_.program_id + "'"),
            "Acme Partners");
}

TEST_F(ProgramRestTest, GroupsAndIncentivesFlow) {
  const std::string default_group = DefaultGroupId(a_);
  HttpResult list = Call("GET", "/v1/program/groups");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(DataList(list).values_size(), 1);
  const Struct& only = DataList(list).values(0).struct_value();
  EXPECT_EQ(Text(only, "id"), default_group);
  EXPECT_TRUE(only.fields().at("is_default").bool_value());
  // Issue 15: the SDK's Group: no affiliate_count, nullable description and
  // custom_website_url, incentives only when expanded.
  EXPECT_EQ(only.fields().count("affiliate_count"), 0u);
  EXPECT_EQ(only.fields().at("custom_website_url").kind_case(),
            google::protobuf::Value::kNullValue);
  EXPECT_EQ(only.fields().count("incentives"), 0u);
  EXPECT_EQ(only.fields().count("multi_level_incentives"), 0u);

  HttpResult created = Call("POST", "/v1/program/groups",
                            R"({"name":"VIP","description":"Top partners",)"
                            R"("custom_website_url":"https://vip.example.com"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string vip = created.DataString("id");
  EXPECT_EQ(vip.rfind("grp_", 0), 0u);
  EXPECT_FALSE(created.Data().fields().at("is_default").bool_value());
  EXPECT_FALSE(created.DataString("created_at").empty());
  EXPECT_EQ(created.DataString("custom_website_url"), "https://vip.example.com");

  HttpResult incentive = Call(
      "POST", "/v1/program/groups/" + vip + "/incentives",
      R"({"name":"Per lead","type":"lead","amount":12.5,"currency":"eur","holdPeriodDays":7})");
  ASSERT_EQ(incentive.status, 201) << incentive.body;
  const std::string incentive_id = incentive.DataString("id");
  EXPECT_EQ(incentive_id.rfind("inc_", 0), 0u);
  // The SDK's GroupIncentive names (issue 15): incentive_type, incentive_id.
  EXPECT_EQ(incentive.DataString("incentive_type"), "lead");
  EXPECT_EQ(incentive.DataString("incentive_id"), incentive_id);
  EXPECT_EQ(incentive.DataString("apply_to"), "all_products");
  EXPECT_EQ(incentive.DataString("incentive_length"), "lifetime");
  EXPECT_EQ(incentive.Data().fields().at("length_value").kind_case(),
            google::protobuf::Value::kNullValue);
  EXPECT_EQ(incentive.DataString("currency"), "EUR");
  // The group is in the path; the field is gRPC's only.
  EXPECT_FALSE(incentive.Data().fields().contains("group_id")) << incentive.body;
  EXPECT_EQ(incentive.Data().fields().at("amount").number_value(), 12.5);
  EXPECT_EQ(incentive.Data().fields().at("hold_period_days").number_value(), 7);

  HttpResult got = Call("GET", "/v1/program/groups/" + vip + "?expand=incentives");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.DataString("description"), "Top partners");
  ASSERT_EQ(List(got.Data(), "incentives").values_size(), 1);
  EXPECT_EQ(got.Data().fields().count("multi_level_incentives"), 0u);
  HttpResult both =
      Call("GET", "/v1/program/groups?expand=incentives&expand=multi_level_incentives");
  ASSERT_EQ(both.status, 200) << both.body;
  for (const auto& group : DataList(both).values()) {
    EXPECT_EQ(List(group.struct_value(), "multi_level_incentives").values_size(), 0);
    EXPECT_EQ(group.struct_value().fields().count("incentives"), 1u);
  }
  HttpResult bad_expand = Call("GET", "/v1/program/groups?expand=affiliates");
  EXPECT_EQ(bad_expand.status, 400) << bad_expand.body;
  EXPECT_EQ(bad_expand.ErrorField(), "expand");
  EXPECT_EQ(Text(List(got.Data(), "incentives").values(0).struct_value(), "id"), incentive_id);

  HttpResult made_default = Call("PATCH", "/v1/program/groups/" + vip, R"({"isDefault":true})");
  ASSERT_EQ(made_default.status, 200) << made_default.body;
  EXPECT_TRUE(made_default.Data().fields().at("is_default").bool_value());
  list = Call("GET", "/v1/program/groups");
  ASSERT_EQ(DataList(list).values_size(), 2);
  EXPECT_EQ(Text(DataList(list).values(0).struct_value(), "id"), vip);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM affiliate_groups WHERE is_default AND "
                            "program_id = '" +
                            a_.program_id + "'"),
            "1");

  HttpResult unset = Call("PATCH", "/v1/program/groups/" + vip, R"({"is_default":false})");
  EXPECT_EQ(unset.status, 400) << unset.body;
  EXPECT_EQ(unset.ErrorField(), "is_default");
  HttpResult delete_default = Call("DELETE", "/v1/program/groups/" + vip);
  EXPECT_EQ(delete_default.status, 400) << delete_default.body;
  EXPECT_EQ(delete_default.ErrorCode(), "VALIDATION_ERROR");
  EXPECT_EQ(delete_default.ErrorField(), "id");

  HttpResult back = Call("PATCH", "/v1/program/groups/" + default_group,
                         R"({"isDefault":true,"name":"Everyone"})");
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(back.DataString("name"), "Everyone");

  HttpResult removed = Call("DELETE", "/v1/program/groups/" + vip + "/incentives/" + incentive_id);
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(removed.json.fields().at("message").string_value(), "incentive deleted");
  EXPECT_EQ(Call("DELETE", "/v1/program/groups/" + vip + "/incentives/" + incentive_id).status,
            404);

  db_->QueryValue("UPDATE affiliates SET group_id = '" + vip + "' WHERE id = '" + a_.affiliate_id +
                  "'");
  HttpResult deleted = Call("DELETE", "/v1/program/groups/" + vip);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_TRUE(deleted.json.fields().at("success").bool_value());
  EXPECT_EQ(deleted.json.fields().at("message").string_value(), "group deleted");
  EXPECT_EQ(Call("GET", "/v1/program/groups/" + vip).status, 404);
  EXPECT_EQ(db_->QueryValue("SELECT coalesce(group_id, 'none') FROM affiliates WHERE id = '" +
                            a_.affiliate_id + "'"),
            "none");
}

TEST_F(ProgramRestTest, GroupAndIncentiveErrors) {
  const std::string default_group = DefaultGroupId(a_);
  HttpResult no_name = Call("POST", "/v1/program/groups", R"({"description":"x"})");
  EXPECT_EQ(no_name.status, 400) << no_name.body;
  EXPECT_EQ(no_name.ErrorField(), "name");

  HttpResult percentage_lead =
      Call("POST", "/v1/program/groups/" + default_group + "/incentives",
           R"({"name":"p","type":"lead","amount":10,"isPercentage":true})");
  EXPECT_EQ(percentage_lead.status, 400) << percentage_lead.body;
  EXPECT_EQ(percentage_lead.ErrorField(), "is_percentage");
  HttpResult no_type = Call("POST", "/v1/program/groups/" + default_group + "/incentives",
                            R"({"name":"p","amount":10})");
  EXPECT_EQ(no_type.status, 400) << no_type.body;
  EXPECT_EQ(no_type.ErrorField(), "type");
  HttpResult cents = Call("POST", "/v1/program/groups/" + default_group + "/incentives",
                          R"({"name":"p","type":"lead","amount":1.005})");
  EXPECT_EQ(cents.status, 400) << cents.body;
  EXPECT_EQ(cents.ErrorField(), "amount");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM incentives"), "0");

  // Another team's group is not found, whichever way it is addressed.
  EXPECT_EQ(Call("GET", "/v1/program/groups/" + default_group, "", &b_).status, 404);
  EXPECT_EQ(Call("PATCH", "/v1/program/groups/" + default_group, R"({"name":"x"})", &b_).status,
            404);
  EXPECT_EQ(Call("DELETE", "/v1/program/groups/" + default_group, "", &b_).status, 404);
  HttpResult foreign_incentive = Call("POST", "/v1/program/groups/" + default_group + "/incentives",
                                      R"({"name":"p","type":"lead","amount":1})", &b_);
  EXPECT_EQ(foreign_incentive.status, 404) << foreign_incentive.body;
  EXPECT_EQ(foreign_incentive.ErrorCode(), "NOT_FOUND");
  EXPECT_EQ(Call("GET", "/v1/program/groups?program_id=" + a_.program_id, "", &b_).status, 404);
  EXPECT_EQ(Call("GET", "/v1/program/groups/grp_doesnotexist").status, 404);
  EXPECT_EQ(db_->QueryValue("SELECT name FROM affiliate_groups WHERE id = '" + default_group + "'"),
            "Default");
}

// The same JSON object (a Struct's fields are a map: their encoding has no fixed order).
bool Same(const Struct& a, const Struct& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

bool DataIsNull(const HttpResult& result) {
  auto data = result.json.fields().find("data");
  return data != result.json.fields().end() &&
         data->second.kind_case() == google::protobuf::Value::kNullValue;
}

TEST_F(ProgramRestTest, PaymentTermsAreNullUntilPatchedAndTakeTheSdksUpperCase) {
  HttpResult unset = Call("GET", "/v1/program/payment-terms");
  ASSERT_EQ(unset.status, 200) << unset.body;
  EXPECT_TRUE(DataIsNull(unset)) << unset.body;

  HttpResult patched = Call("PATCH", "/v1/program/payment-terms",
                            R"({"commission_type":"FIXED","commission_rate":150.5,)"
                            R"("invoice_rule":"OWNER_PROVIDES","paymentThreshold":10.1,)"
                            R"("payment_frequency":"weekly","payment_methods":["paypal"],)"
                            R"("owner_country":"nl","owner_vat_rate":21})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.DataString("commission_type"), "fixed");
  EXPECT_EQ(patched.DataString("invoice_rule"), "owner_provides");
  EXPECT_EQ(patched.DataString("payment_frequency"), "weekly");
  EXPECT_EQ(patched.DataString("commission_duration"), "lifetime");
  EXPECT_EQ(patched.Data().fields().at("payment_threshold").number_value(), 10.1);
  EXPECT_EQ(patched.Data().fields().at("cookie_lifetime").number_value(), 30);
  EXPECT_EQ(patched.DataString("owner_country"), "NL");
  EXPECT_TRUE(IsNull(patched.Data(), "commissions_limit"));
  EXPECT_TRUE(IsNull(patched.Data(), "owner_city"));
  EXPECT_EQ(db_->QueryValue("SELECT payment_threshold::text FROM program_payment_terms"), "10.10");

  HttpResult got = Call("GET", "/v1/program/payment-terms");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_TRUE(Same(got.Data(), patched.Data()));

  // Refused bodies change nothing.
  for (const auto& [body, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"commission_type":"BITCOIN"})", "commission_type"},
           {R"({"payment_threshold":10.001})", "payment_threshold"},
           {R"({"payment_frequency":"daily"})", "payment_frequency"},
           {R"({"commission_type":"PERCENTAGE"})", "commission_rate"},
           {R"({"cookie_lifetime":0})", "cookie_lifetime"},
           {R"({"owner_vat_rate":"high"})", "owner_vat_rate"}}) {
    HttpResult refused = Call("PATCH", "/v1/program/payment-terms", body);
    EXPECT_EQ(refused.status, 400) << body << " " << refused.body;
    EXPECT_EQ(refused.ErrorCode(), "VALIDATION_ERROR") << body;
    EXPECT_EQ(refused.ErrorField(), field) << body;
  }
  HttpResult after = Call("GET", "/v1/program/payment-terms");
  EXPECT_TRUE(Same(after.Data(), patched.Data()));
}

TEST_F(ProgramRestTest, RestrictionsAndPortalSettings) {
  HttpResult unset = Call("GET", "/v1/program/restrictions");
  ASSERT_EQ(unset.status, 200) << unset.body;
  EXPECT_TRUE(DataIsNull(unset)) << unset.body;
  HttpResult restricted =
      Call("PATCH", "/v1/program/restrictions",
           R"({"brand_bidding":true,"additionalRestrictions":"No coupon sites"})");
  ASSERT_EQ(restricted.status, 200) << restricted.body;
  EXPECT_TRUE(Bool(restricted.Data(), "brand_bidding"));
  EXPECT_FALSE(Bool(restricted.Data(), "websites"));
  EXPECT_EQ(restricted.DataString("additional_restrictions"), "No coupon sites");
  HttpResult cleared =
      Call("PATCH", "/v1/program/restrictions", R"({"additional_restrictions":null})");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_TRUE(IsNull(cleared.Data(), "additional_restrictions"));
  EXPECT_TRUE(Bool(cleared.Data(), "brand_bidding"));

  HttpResult portal_unset = Call("GET", "/v1/program/portal");
  ASSERT_EQ(portal_unset.status, 200) << portal_unset.body;
  EXPECT_TRUE(DataIsNull(portal_unset)) << portal_unset.body;
  HttpResult portal = Call("PATCH", "/v1/program/portal",
                           R"({"primary_color":"#0A0B0C","support_email_status":true,)"
                           R"("support_email_value":"help@shop.example",)"
                           R"("custom_texts":{"dashboard.title":"Welcome"}})");
  ASSERT_EQ(portal.status, 200) << portal.body;
  EXPECT_EQ(portal.DataString("primary_color"), "#0a0b0c");
  EXPECT_TRUE(IsNull(portal.Data(), "secondary_color"));
  EXPECT_EQ(portal.DataString("support_email_value"), "help@shop.example");
  EXPECT_EQ(portal.Data()
                .fields()
                .at("custom_texts")
                .struct_value()
                .fields()
                .at("dashboard.title")
                .string_value(),
            "Welcome");
  HttpResult bad = Call("PATCH", "/v1/program/portal", R"({"secondary_color":"blue"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.ErrorField(), "secondary_color");
  HttpResult bad_email = Call("PATCH", "/v1/program/portal", R"({"support_email_value":"nobody"})");
  EXPECT_EQ(bad_email.ErrorField(), "support_email_value") << bad_email.body;
  EXPECT_TRUE(Same(Call("GET", "/v1/program/portal").Data(), portal.Data()));
}

TEST_F(ProgramRestTest, TheMarketplaceListsOnlyProgramsTheirTeamOptedIn) {
  HttpResult empty = Call("GET", "/v1/marketplace", "", &b_);
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(DataList(empty).values_size(), 0) << "public access_mode alone lists nothing";
  EXPECT_EQ(Call("GET", "/v1/marketplace/" + a_.program_id, "", &b_).status, 404);

  ASSERT_EQ(Call("PATCH", "/v1/program",
                 R"({"marketplace_listed":true,"category":"Software","tagline":"Earn 10%",)"
                 R"("website_url":"https://a.example"})")
                .status,
            200);
  ASSERT_EQ(Call("PATCH", "/v1/program/payment-terms",
                 R"({"payment_threshold":25,"payment_frequency":"monthly","cookie_lifetime":45})")
                .status,
            200);
  HttpResult listed = Call("GET", "/v1/marketplace?category=software", "", &b_);
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(DataList(listed).values_size(), 1) << listed.body;
  const Struct& program = DataList(listed).values(0).struct_value();
  EXPECT_EQ(Text(program, "id"), a_.program_id);
  EXPECT_EQ(Text(program, "tagline"), "Earn 10%");
  EXPECT_EQ(Text(program, "access_mode"), "public");
  const Struct& terms = program.fields().at("terms").struct_value();
  EXPECT_EQ(terms.fields().at("payment_threshold").number_value(), 25);
  EXPECT_EQ(terms.fields().at("cookie_lifetime_days").number_value(), 45);
  EXPECT_EQ(Text(terms, "payment_frequency"), "monthly");
  // Only the listing's fields: nothing else of A's team.
  for (const auto& [key, unused] : program.fields()) {
    EXPECT_TRUE(key == "id" || key == "name" || key == "description" || key == "tagline" ||
                key == "category" || key == "website_url" || key == "logo_url" ||
                key == "access_mode" || key == "currency" || key == "commission" || key == "terms")
        << key;
  }
  EXPECT_EQ(listed.body.find(a_.team_id), std::string::npos) << listed.body;
  EXPECT_EQ(
      listed.json.fields().at("pagination").struct_value().fields().at("total").number_value(), 1);
  HttpResult one = Call("GET", "/v1/marketplace/" + a_.program_id, "", &b_);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_TRUE(Same(one.Data(), program));
  EXPECT_EQ(DataList(Call("GET", "/v1/marketplace?category=games", "", &b_)).values_size(), 0);
  // B's own program is not listed: 404 for B too.
  EXPECT_EQ(Call("GET", "/v1/marketplace/" + b_.program_id, "", &b_).status, 404);
  EXPECT_EQ(Call("GET", "/v1/marketplace/prg_unknown", "", &b_).status, 404);

  ASSERT_EQ(Call("PATCH", "/v1/program", R"({"marketplace_listed":false})").status, 200);
  EXPECT_EQ(Call("GET", "/v1/marketplace/" + a_.program_id, "", &b_).status, 404);
}

}  // namespace
}  // namespace affonso::tests

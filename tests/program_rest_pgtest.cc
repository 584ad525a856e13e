// The /v1/program/... REST endpoints end to end: real HTTP, the in-process
// gateway, ProgramService and PostgreSQL.
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

  std::string DefaultGroupId(const storage::testing::Tenant& tenant) {
    return db_->QueryValue("SELECT id FROM affiliate_groups WHERE is_default AND program_id = '" +
                           tenant.program_id + "'");
  }
};

TEST_F(ProgramRestTest, FraudRulesReadAndPatchWithCamelCase) {
  HttpResult got = Call("GET", "/v1/program/fraud-rules");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_TRUE(got.json.fields().at("success").bool_value());
  EXPECT_EQ(got.DataString("program_id"), a_.program_id);
  EXPECT_EQ(got.DataString("self_referral_mode"), "detect");
  EXPECT_EQ(got.DataString("suspicious_email_mode"), "detect");
  EXPECT_EQ(got.DataString("paid_traffic_mode"), "detect");
  const Struct& config = got.Data().fields().at("paid_traffic_config").struct_value();
  EXPECT_EQ(Strings(List(config, "click_params")),
            (std::vector<std::string>{"gclid", "fbclid", "msclkid", "ttclid"}));
  EXPECT_EQ(List(got.Data(), "allowed_email_domains").values_size(), 0);

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
  EXPECT_EQ(List(cleared.Data(), "allowed_email_domains").values_size(), 0);
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
  EXPECT_EQ(no_key.ErrorCode(), "MISSING_API_KEY");
}

TEST_F(ProgramRestTest, TrackingSettings) {
  HttpResult got = Call("GET", "/v1/program/tracking");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.DataString("program_id"), a_.program_id);
  EXPECT_TRUE(got.Data().fields().at("track_email").bool_value());
  EXPECT_TRUE(got.Data().fields().at("track_name").bool_value());
  EXPECT_EQ(got.DataString("default_referral_parameter"), "via");

  HttpResult patched = Call("PATCH", "/v1/program/tracking",
                            R"({"trackEmail":false,"defaultReferralParameter":"ref"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_FALSE(patched.Data().fields().at("track_email").bool_value());
  EXPECT_TRUE(patched.Data().fields().at("track_name").bool_value());
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
  EXPECT_TRUE(Call("GET", "/v1/program/tracking").Data().fields().at("track_name").bool_value());
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
  EXPECT_EQ(incentive.DataString("group_id"), vip);
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

}  // namespace
}  // namespace affonso::tests

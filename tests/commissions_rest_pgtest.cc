// Commission overrides and the commissions API over REST end to end: real
// HTTP, the in-process gateway, the real services and PostgreSQL.
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
using storage::testing::Tenant;

class CommissionsRestTest : public RestTest {
 protected:
  // Incentives are configured through ProgramService (another issue's code);
  // here they are plain rows in the tenant's default group.
  std::string InsertIncentive(const Tenant& tenant, const std::string& type,
                              const std::string& name) {
    const std::string id = NewId("inc");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO incentives (id, team_id, program_id, group_id, name, type, amount) "
        "SELECT '",
        id, "', team_id, program_id, id, '", name, "', '", type,
        "', 5 "
        "FROM affiliate_groups WHERE program_id = '",
        tenant.program_id, "' AND is_default"));
    return id;
  }

  // Commissions are created by the signup path; these rows stand in for them.
  std::string InsertCommission(const Tenant& tenant, const std::string& status, int age_seconds) {
    const std::string referral = NewId("ref");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO referrals (id, team_id, program_id, affiliate_id, source, status) VALUES ('",
        referral, "', '", tenant.team_id, "', '", tenant.program_id, "', '", tenant.affiliate_id,
        "', 'direct', 'lead')"));
    const std::string id = NewId("com");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO commissions (id, team_id, program_id, referral_id, affiliate_id, "
        "commission_amount, commission_currency, status, hold_period_days, earning_type, "
        "created_at) VALUES ('",
        id, "', '", tenant.team_id, "', '", tenant.program_id, "', '", referral, "', '",
        tenant.affiliate_id, "', 12.50, 'USD', '", status, "', 30, 'lead', now() - interval '",
        age_seconds, " seconds')"));
    return id;
  }

  // The overrides of an affiliate object. The gateway prints proto field names
  // (commission_overrides); API.md names them commissionOverrides (the
  // field's json_name): either is accepted until that is settled.
  static const google::protobuf::ListValue* Overrides(const google::protobuf::Struct& affiliate) {
    for (const char* key : {"commissionOverrides", "commission_overrides"}) {
      auto it = affiliate.fields().find(key);
      if (it != affiliate.fields().end()) return &it->second.list_value();
    }
    return nullptr;
  }

  static const google::protobuf::ListValue& DataList(const HttpResult& result) {
    return result.json.fields().at("data").list_value();
  }
};

TEST_F(CommissionsRestTest, CommissionOverrideLifecycle) {
  const std::string lead = InsertIncentive(a_, "lead", "Signup bonus");
  const std::string path = "/v1/affiliates/" + a_.affiliate_id + "/commission-overrides";

  HttpResult created = Call(
      "POST", path, R"({"incentive_id":")" + lead + R"(","amount":7.5,"is_percentage":false})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.DataString("id");
  EXPECT_EQ(id.rfind("ovr_", 0), 0u) << id;
  EXPECT_EQ(created.DataString("incentive_id"), lead);
  EXPECT_EQ(created.DataString("incentive_name"), "Signup bonus");
  EXPECT_EQ(created.DataString("incentive_type"), "lead");
  EXPECT_EQ(created.Data().fields().at("amount").number_value(), 7.5);
  EXPECT_FALSE(created.Data().fields().at("is_percentage").bool_value());
  // Not in the SDK's CommissionOverride: kept for gRPC callers only.
  EXPECT_FALSE(created.Data().fields().contains("created_at")) << created.body;
  // The incentive's terms, as the SDK's CommissionOverride declares them.
  const auto& terms = created.Data().fields();
  EXPECT_EQ(terms.at("apply_to").string_value(), "all_products");
  EXPECT_EQ(terms.at("product_ids").list_value().values_size(), 0);
  EXPECT_EQ(terms.at("approval_type").string_value(), "auto");
  EXPECT_EQ(terms.at("hold_period_days").number_value(), 30);
  EXPECT_EQ(terms.at("incentive_length").string_value(), "lifetime");
  EXPECT_EQ(terms.at("length_value").kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_FALSE(terms.at("variable_commission").bool_value());
  EXPECT_EQ(terms.at("variable_config").kind_case(), google::protobuf::Value::kNullValue);

  // camelCase input, same incentive: one override per affiliate and incentive.
  HttpResult duplicate = Call("POST", path, R"({"incentiveId":")" + lead + R"(","amount":9})");
  EXPECT_EQ(duplicate.status, 409) << duplicate.body;
  EXPECT_EQ(duplicate.ErrorCode(), "DUPLICATE_ERROR");
  EXPECT_EQ(duplicate.ErrorField(), "incentive_id");

  HttpResult plain = Call("GET", "/v1/affiliates/" + a_.affiliate_id);
  ASSERT_EQ(plain.status, 200) << plain.body;
  const google::protobuf::ListValue* none = Overrides(plain.Data());
  EXPECT_TRUE(none == nullptr || none->values_size() == 0) << plain.body;

  HttpResult expanded =
      Call("GET", "/v1/affiliates/" + a_.affiliate_id + "?expand=commissionOverrides");
  ASSERT_EQ(expanded.status, 200) << expanded.body;
  const google::protobuf::ListValue* overrides = Overrides(expanded.Data());
  ASSERT_NE(overrides, nullptr) << expanded.body;
  ASSERT_EQ(overrides->values_size(), 1) << expanded.body;
  const auto& first = overrides->values(0).struct_value().fields();
  EXPECT_EQ(first.at("id").string_value(), id);
  EXPECT_EQ(first.at("amount").number_value(), 7.5);

  HttpResult listed = Call("GET", "/v1/affiliates?expand=commissionOverrides");
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(DataList(listed).values_size(), 1) << listed.body;
  const google::protobuf::ListValue* in_list = Overrides(DataList(listed).values(0).struct_value());
  ASSERT_NE(in_list, nullptr) << listed.body;
  EXPECT_EQ(in_list->values_size(), 1) << listed.body;

  // Another team sees none of it.
  EXPECT_EQ(Call("DELETE", path + "/" + id, "", &b_).status, 404);
  HttpResult foreign = Call("POST", path, R"({"incentive_id":")" + lead + R"(","amount":1})", &b_);
  EXPECT_EQ(foreign.status, 404) << foreign.body;
  EXPECT_EQ(foreign.ErrorCode(), "NOT_FOUND");

  HttpResult deleted = Call("DELETE", path + "/" + id);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  // Issue 15: deletes answer the SDK's DeleteResponse.
  EXPECT_TRUE(deleted.json.fields().at("success").bool_value());
  EXPECT_EQ(deleted.json.fields().at("message").string_value(), "commission override deleted");
  EXPECT_EQ(Call("DELETE", path + "/" + id).status, 404);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM commission_overrides"), "0");
}

TEST_F(CommissionsRestTest, CommissionOverrideValidation) {
  const std::string lead = InsertIncentive(a_, "lead", "Signup bonus");
  const std::string sale = InsertIncentive(a_, "sale", "Revenue share");
  const std::string path = "/v1/affiliates/" + a_.affiliate_id + "/commission-overrides";

  HttpResult percentage_lead =
      Call("POST", path, R"({"incentive_id":")" + lead + R"(","amount":10,"is_percentage":true})");
  EXPECT_EQ(percentage_lead.status, 400) << percentage_lead.body;
  EXPECT_EQ(percentage_lead.ErrorCode(), "VALIDATION_ERROR");
  EXPECT_EQ(percentage_lead.ErrorField(), "is_percentage");

  EXPECT_EQ(Call("POST", path, R"({"amount":1})").ErrorField(), "incentive_id");
  EXPECT_EQ(Call("POST", path, R"({"incentive_id":")" + lead + R"(","amount":1.234})").ErrorField(),
            "amount");
  EXPECT_EQ(Call("POST", path, R"({"incentive_id":")" + lead + R"(","amount":-1})").ErrorField(),
            "amount");
  HttpResult unknown = Call("POST", path, R"({"incentive_id":"inc_nope","amount":1})");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(Call("POST", "/v1/affiliates/aff_nope/commission-overrides",
                 R"({"incentive_id":")" + lead + R"(","amount":1})")
                .status,
            404);

  HttpResult share =
      Call("POST", path, R"({"incentive_id":")" + sale + R"(","amount":25,"is_percentage":true})");
  ASSERT_EQ(share.status, 201) << share.body;
  EXPECT_EQ(share.DataString("incentive_type"), "sale");
  EXPECT_TRUE(share.Data().fields().at("is_percentage").bool_value());
}

TEST_F(CommissionsRestTest, CommissionsListAndGet) {
  const std::string oldest = InsertCommission(a_, "paid", 30);
  const std::string middle = InsertCommission(a_, "pending", 20);
  const std::string newest = InsertCommission(a_, "pending", 10);
  const std::string other_team = InsertCommission(b_, "pending", 0);

  HttpResult page = Call("GET", "/v1/commissions?limit=2");
  ASSERT_EQ(page.status, 200) << page.body;
  ASSERT_EQ(DataList(page).values_size(), 2);
  EXPECT_EQ(DataList(page).values(0).struct_value().fields().at("id").string_value(), newest);
  EXPECT_EQ(DataList(page).values(1).struct_value().fields().at("id").string_value(), middle);
  const auto& pagination = page.json.fields().at("pagination").struct_value().fields();
  EXPECT_EQ(pagination.at("total").number_value(), 3);
  EXPECT_EQ(pagination.at("total_pages").number_value(), 2);
  EXPECT_TRUE(pagination.at("has_next_page").bool_value());

  HttpResult paid = Call("GET", "/v1/commissions?status=paid&affiliate_id=" + a_.affiliate_id);
  ASSERT_EQ(paid.status, 200) << paid.body;
  ASSERT_EQ(DataList(paid).values_size(), 1);
  EXPECT_EQ(DataList(paid).values(0).struct_value().fields().at("id").string_value(), oldest);

  HttpResult got = Call("GET", "/v1/commissions/" + newest);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.DataString("affiliate_id"), a_.affiliate_id);
  EXPECT_EQ(got.DataString("program_id"), a_.program_id);
  EXPECT_EQ(got.Data().fields().at("commission_amount").number_value(), 12.5);
  EXPECT_EQ(got.DataString("commission_currency"), "USD");
  EXPECT_EQ(got.DataString("status"), "pending");
  EXPECT_EQ(got.DataString("earning_type"), "lead");
  EXPECT_EQ(got.Data().fields().at("hold_period_days").number_value(), 30);
  EXPECT_FALSE(got.DataString("created_at").empty());

  EXPECT_EQ(Call("GET", "/v1/commissions/" + other_team).status, 404);
  EXPECT_EQ(Call("GET", "/v1/commissions/" + newest, "", &b_).status, 404);
  HttpResult b_list = Call("GET", "/v1/commissions", "", &b_);
  ASSERT_EQ(b_list.status, 200) << b_list.body;
  EXPECT_EQ(DataList(b_list).values_size(), 1);

  HttpResult too_many = Call("GET", "/v1/commissions?limit=500");
  EXPECT_EQ(too_many.status, 400);
  EXPECT_EQ(too_many.ErrorField(), "limit");
  HttpResult bad_status = Call("GET", "/v1/commissions?status=bogus");
  EXPECT_EQ(bad_status.status, 400) << bad_status.body;
  EXPECT_EQ(bad_status.ErrorCode(), "VALIDATION_ERROR");
}

// The SDK's commissions.create / update / retrieve(expand) over REST. (The
// delete answer, {success, message}, is the gateway's string response_body;
// the store and service tests cover the delete itself.)
TEST_F(CommissionsRestTest, CreateIsIdempotentPerPaymentIntentAndUpdatesFollowTheLifecycle) {
  HttpResult referral = Call(
      "POST", "/v1/referrals",
      absl::StrCat(R"({"affiliate_id":")", a_.affiliate_id, R"(","email":"buyer@example.com"})"));
  ASSERT_EQ(referral.status, 201) << referral.body;
  const std::string body =
      absl::StrCat(R"({"referral_id":")", referral.DataString("id"),
                   R"(","sale_amount":49.99,"commission_amount":9.99,"sale_amount_currency":"eur",)"
                   R"("payment_intent_id":"pi_rest","sales_status":"complete"})");
  HttpResult created = Call("POST", "/v1/commissions", body);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.DataString("id");
  EXPECT_EQ(created.Data().fields().at("sale_amount").number_value(), 49.99);
  EXPECT_EQ(created.Data().fields().at("commission_amount").number_value(), 9.99);
  EXPECT_EQ(created.DataString("commission_currency"), "EUR");
  EXPECT_EQ(created.DataString("status"), "pending");
  EXPECT_EQ(created.DataString("sales_status"), "complete");
  EXPECT_EQ(created.DataString("payment_intent_id"), "pi_rest");
  EXPECT_EQ(created.DataString("earning_type"), "sale");
  EXPECT_EQ(created.Data().fields().count("affiliate_program"), 0u);

  HttpResult repeated = Call("POST", "/v1/commissions", body);
  ASSERT_EQ(repeated.status, 200) << repeated.body;
  EXPECT_EQ(repeated.DataString("id"), id);

  HttpResult approved = Call("PUT", "/v1/commissions/" + id, R"({"status":"ready_for_payment"})");
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(approved.DataString("status"), "ready_for_payment");
  HttpResult backwards = Call("PUT", "/v1/commissions/" + id, R"({"status":"pending"})");
  EXPECT_EQ(backwards.status, 400) << backwards.body;
  EXPECT_EQ(backwards.ErrorCode(), "VALIDATION_ERROR");
  EXPECT_EQ(backwards.ErrorField(), "status");
  HttpResult fractional = Call("PUT", "/v1/commissions/" + id, R"({"commission_amount":1.005})");
  EXPECT_EQ(fractional.status, 400) << fractional.body;
  EXPECT_EQ(fractional.ErrorField(), "commission_amount");

  HttpResult expanded =
      Call("GET", "/v1/commissions/" + id + "?expand=affiliate,affiliate_program,referral");
  ASSERT_EQ(expanded.status, 200) << expanded.body;
  const auto& fields = expanded.Data().fields();
  EXPECT_EQ(fields.at("affiliate").struct_value().fields().at("id").string_value(),
            a_.affiliate_id);
  EXPECT_EQ(fields.at("affiliate_program").struct_value().fields().at("id").string_value(),
            a_.program_id);
  EXPECT_EQ(fields.at("referral").struct_value().fields().at("id").string_value(),
            referral.DataString("id"));

  HttpResult filtered = Call("GET",
                             "/v1/commissions?sales_status=complete&sort=created_at:asc"
                             "&dateFrom=2020-01-01&dateTo=2999-12-31");
  ASSERT_EQ(filtered.status, 200) << filtered.body;
  ASSERT_EQ(DataList(filtered).values_size(), 1);
  EXPECT_EQ(Call("GET", "/v1/commissions?dateFrom=soon").ErrorField(), "dateFrom");

  // The referral's stats and affiliate, on request only.
  const std::string referral_path = "/v1/referrals/" + referral.DataString("id");
  HttpResult plain = Call("GET", referral_path);
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(plain.Data().fields().count("stats"), 0u);
  EXPECT_EQ(plain.Data().fields().count("affiliate"), 0u);
  HttpResult with_stats = Call("GET", referral_path + "?expand=affiliate&include=stats");
  ASSERT_EQ(with_stats.status, 200) << with_stats.body;
  const auto& stats = with_stats.Data().fields().at("stats").struct_value().fields();
  EXPECT_EQ(stats.at("total_revenue").number_value(), 49.99);
  EXPECT_EQ(stats.at("total_commission").number_value(), 9.99);
  EXPECT_EQ(stats.at("total_orders").number_value(), 1);
  EXPECT_FALSE(stats.at("last_order_at").string_value().empty());
  EXPECT_EQ(
      with_stats.Data().fields().at("affiliate").struct_value().fields().at("id").string_value(),
      a_.affiliate_id);

  // Events of the transaction, in the outbox with the change.
  EXPECT_EQ(
      db_->QueryValue(absl::StrCat("SELECT string_agg(type, ',' ORDER BY type) FROM "
                                   "outbox_events WHERE payload->'data'->>'transactionId' = '",
                                   id, "'")),
      "transaction.approved,transaction.created,transaction.updated");
}

}  // namespace
}  // namespace affonso::tests

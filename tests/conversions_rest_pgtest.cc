// POST /v1/conversions and its refund end to end: real HTTP, the in-process
// gateway, the real services and PostgreSQL; and the same over gRPC.
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "google/protobuf/util/message_differencer.h"
#include "proto/affonso/v1/conversions.grpc.pb.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

using google::protobuf::Value;
using storage::testing::Tenant;

class ConversionsRestTest : public RestTest {
 protected:
  std::string InsertSaleIncentive(const Tenant& tenant, const std::string& amount) {
    const std::string id = NewId("inc");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO incentives (id, team_id, program_id, group_id, name, type, amount, "
        "is_percentage, hold_period_days) SELECT '",
        id, "', team_id, program_id, id, 'revenue share', 'sale', ", amount,
        ", true, 14 FROM affiliate_groups WHERE program_id = '", tenant.program_id,
        "' AND is_default"));
    return id;
  }
};

TEST_F(ConversionsRestTest, CreateReplayRefundAndTheShape) {
  const std::string incentive = InsertSaleIncentive(a_, "10");
  // A click nobody signed up from: the conversion converts it first.
  const std::string click = storage::testing::InsertClick(*db_, a_);
  const std::string body = absl::StrCat(
      R"({"clickId":")", click,
      R"(","sale_amount":49.99,"sale_amount_currency":"eur","external_event_id":"inv-1",)"
      R"("product_ids":["prod_1"],"interval":"monthly","is_subscription":true,)"
      R"("metadata":{"plan":"pro"}})");
  HttpResult created = Call("POST", "/v1/conversions", body);
  ASSERT_EQ(created.status, 201) << created.body;
  const auto& data = created.Data().fields();
  const std::string id = created.DataString("id");
  EXPECT_EQ(id.rfind("com_", 0), 0u) << id;
  EXPECT_EQ(created.DataString("referral_id"), click);  // the click's referral keeps its id
  EXPECT_EQ(created.DataString("affiliate_id"), a_.affiliate_id);
  EXPECT_EQ(created.DataString("program_id"), a_.program_id);
  EXPECT_EQ(data.at("sale_amount").number_value(), 49.99);
  EXPECT_EQ(created.DataString("sale_amount_currency"), "EUR");
  EXPECT_EQ(data.at("commission_amount").number_value(), 5.0);  // 4.999 -> 5.00
  EXPECT_EQ(created.DataString("commission_currency"), "EUR");
  EXPECT_EQ(created.DataString("status"), "pending");
  EXPECT_EQ(created.DataString("sales_status"), "complete");
  EXPECT_EQ(data.at("hold_period_days").number_value(), 14);
  EXPECT_EQ(data.at("payment_intent_id").kind_case(), Value::kNullValue);
  EXPECT_EQ(data.at("invoice_id").kind_case(), Value::kNullValue);
  EXPECT_EQ(created.DataString("earning_id"), incentive);
  EXPECT_EQ(created.DataString("earning_type"), "sale");
  EXPECT_EQ(created.DataString("external_event_id"), "inv-1");
  EXPECT_EQ(created.DataString("calculation_mode"), "auto");
  EXPECT_EQ(created.DataString("matched_incentive_id"), incentive);
  EXPECT_FALSE(data.at("replayed").bool_value());
  EXPECT_EQ(data.at("source_event_id").kind_case(), Value::kNullValue);
  EXPECT_FALSE(created.DataString("created_at").empty());
  EXPECT_FALSE(created.DataString("updated_at").empty());
  EXPECT_EQ(data.size(), 22u) << created.body;  // Commission's 17 and the 5 of Conversion
  EXPECT_EQ(db_->QueryValue("SELECT status FROM referrals WHERE id = '" + click + "'"), "active");

  HttpResult again = Call("POST", "/v1/conversions", body);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_TRUE(again.Data().fields().at("replayed").bool_value());
  google::protobuf::Struct first = created.Data();
  google::protobuf::Struct second = again.Data();
  first.mutable_fields()->erase("replayed");
  second.mutable_fields()->erase("replayed");
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(first, second)) << again.body;
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM commissions WHERE earning_type = 'sale'"), "1");

  // Another team: its own key space, and our referral is not its.
  HttpResult foreign = Call("POST", "/v1/conversions",
                            absl::StrCat(R"({"referral_id":")", click,
                                         R"(","sale_amount":10,"external_event_id":"inv-9"})"),
                            &b_);
  EXPECT_EQ(foreign.status, 404) << foreign.body;
  EXPECT_EQ(foreign.ErrorCode(), "NOT_FOUND");
  HttpResult foreign_refund = Call("POST", "/v1/conversions/" + id + "/refund", "{}", &b_);
  EXPECT_EQ(foreign_refund.status, 404) << foreign_refund.body;

  // Validation names the field.
  HttpResult no_key = Call("POST", "/v1/conversions",
                           absl::StrCat(R"({"referral_id":")", click, R"(","sale_amount":10})"));
  EXPECT_EQ(no_key.status, 400);
  EXPECT_EQ(no_key.ErrorField(), "external_event_id");
  HttpResult cents = Call("POST", "/v1/conversions",
                          absl::StrCat(R"({"referral_id":")", click,
                                       R"(","sale_amount":1.005,"external_event_id":"x"})"));
  EXPECT_EQ(cents.status, 400);
  EXPECT_EQ(cents.ErrorField(), "sale_amount");

  HttpResult partial = Call("POST", "/v1/conversions/" + id + "/refund",
                            R"({"amount":20,"currency":"EUR","external_event_id":"re-1"})");
  ASSERT_EQ(partial.status, 200) << partial.body;
  EXPECT_EQ(partial.DataString("sales_status"), "partial_refunded");
  // 5.00 of 49.99 scaled to 29.99: 2.99969... -> 3.00.
  EXPECT_EQ(partial.Data().fields().at("commission_amount").number_value(), 3.0);
  HttpResult repeat = Call("POST", "/v1/conversions/" + id + "/refund",
                           R"({"amount":20,"external_event_id":"re-1"})");
  ASSERT_EQ(repeat.status, 200) << repeat.body;
  EXPECT_EQ(repeat.Data().fields().at("commission_amount").number_value(), 3.0);
  HttpResult over = Call("POST", "/v1/conversions/" + id + "/refund", R"({"amount":30})");
  EXPECT_EQ(over.status, 400) << over.body;
  EXPECT_EQ(over.ErrorField(), "amount");
  HttpResult rest = Call("POST", "/v1/conversions/" + id + "/refund", R"({"reason":"churn"})");
  ASSERT_EQ(rest.status, 200) << rest.body;
  EXPECT_EQ(rest.DataString("status"), "refunded");
  EXPECT_EQ(rest.DataString("sales_status"), "refunded");
  EXPECT_EQ(rest.Data().fields().at("commission_amount").number_value(), 0);
}

// A commission edited by PUT is what later refunds scale from; once refunded,
// its amounts move only by refunds.
TEST_F(ConversionsRestTest, RefundsScaleTheEditedCommissionAndFixItsAmounts) {
  InsertSaleIncentive(a_, "10");
  const std::string click = storage::testing::InsertClick(*db_, a_);
  HttpResult created = Call("POST", "/v1/conversions",
                            absl::StrCat(R"({"click_id":")", click,
                                         R"(","sale_amount":100,"external_event_id":"edit-1"})"));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.DataString("id");
  HttpResult edited = Call("PUT", "/v1/commissions/" + id, R"({"commission_amount":20})");
  ASSERT_EQ(edited.status, 200) << edited.body;
  HttpResult refunded = Call("POST", "/v1/conversions/" + id + "/refund", R"({"amount":25})");
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  EXPECT_EQ(refunded.Data().fields().at("commission_amount").number_value(), 15.0);  // 20 * 75%
  HttpResult refused = Call("PUT", "/v1/commissions/" + id, R"({"commission_amount":30})");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.ErrorCode(), "VALIDATION_ERROR");
  EXPECT_EQ(db_->QueryValue("SELECT commission_amount FROM commissions WHERE id = '" + id + "'"),
            "15.00");
}

TEST_F(ConversionsRestTest, OverGrpc) {
  InsertSaleIncentive(a_, "50");
  const std::string referral = NewId("ref");
  db_->QueryValue(
      absl::StrCat("INSERT INTO referrals (id, team_id, program_id, affiliate_id, source, status, "
                   "external_user_id) VALUES ('",
                   referral, "', '", a_.team_id, "', '", a_.program_id, "', '", a_.affiliate_id,
                   "', 'direct', 'lead', 'user-7')"));
  auto stub = affonso::v1::ConversionService::NewStub(server_->InProcessChannel());
  affonso::v1::CreateConversionRequest request;
  request.set_external_user_id("user-7");
  request.set_sale_amount(10);
  request.set_external_event_id("grpc-1");
  affonso::v1::Conversion first, second;
  {
    auto context = As(a_);
    ASSERT_TRUE(stub->CreateConversion(context.get(), request, &first).ok());
    EXPECT_EQ(Header(*context, "x-http-code"), "201");
  }
  EXPECT_EQ(first.referral_id(), referral);
  EXPECT_EQ(first.commission_amount(), 5);
  EXPECT_FALSE(first.replayed());
  {
    auto context = As(a_);
    ASSERT_TRUE(stub->CreateConversion(context.get(), request, &second).ok());
    EXPECT_EQ(Header(*context, "x-http-code"), "200");
  }
  EXPECT_TRUE(second.replayed());
  EXPECT_EQ(second.id(), first.id());
  affonso::v1::RefundConversionRequest refund;
  refund.set_id(first.id());
  affonso::v1::Conversion refunded;
  {
    auto context = As(b_);
    grpc::Status status = stub->RefundConversion(context.get(), refund, &refunded);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {
    auto context = As(a_);
    ASSERT_TRUE(stub->RefundConversion(context.get(), refund, &refunded).ok());
  }
  EXPECT_EQ(refunded.sales_status(), affonso::v1::SALES_STATUS_REFUNDED);
}

}  // namespace
}  // namespace affonso::tests

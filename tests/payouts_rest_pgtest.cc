// The commission lifecycle and payouts end to end, over the real server and the REST gateway in
// the SDK's shapes: the server's own hold-period scheduler approves a commission, a manual one
// is approved by PUT, the payout job groups them, and PUT /v1/payouts/{id} moves the payout and
// its commissions.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/payout_terms.h"
#include "storage/pg_payout_store.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

class PayoutsRestTest : public RestTest {
 protected:
  void Configure(services::ServerConfig& config) override {
    config.run_lifecycle_jobs = true;
    config.hold_period_interval = absl::Milliseconds(50);
  }

  const Struct& Data(const HttpResult& result) {
    return result.json.fields().at("data").struct_value();
  }

  std::string Referral() {
    HttpResult referral =
        Call("POST", "/v1/referrals",
             absl::StrCat(R"({"affiliate_id":")", a_.affiliate_id, R"(","email":")",
                          absl::ToUnixNanos(absl::Now()), R"(@buyer.example"})"));
    EXPECT_EQ(referral.status, 201) << referral.body;
    return referral.DataString("id");
  }

  std::string CommissionStatus(const std::string& id) {
    HttpResult got = Call("GET", "/v1/commissions/" + id);
    EXPECT_EQ(got.status, 200) << got.body;
    return got.DataString("status");
  }

  int Events(const std::string& type, const std::string& id) {
    return std::stoi(db_->QueryValue("SELECT count(*) FROM outbox_events WHERE type = '" + type +
                                     "' AND payload->'data'->>'transactionId' = '" + id + "'"));
  }
};

TEST_F(PayoutsRestTest, FromHoldPeriodToPaidPayout) {
  // Held for no time: the server's scheduler approves it.
  HttpResult held = Call("POST", "/v1/commissions",
                         absl::StrCat(R"({"referral_id":")", Referral(),
                                      R"(","sale_amount":200,"commission_amount":40.25,)"
                                      R"("hold_period_days":0})"));
  ASSERT_EQ(held.status, 201) << held.body;
  const std::string auto_id = held.DataString("id");
  // Waits for a manual approval.
  HttpResult manual = Call("POST", "/v1/commissions",
                           absl::StrCat(R"({"referral_id":")", Referral(),
                                        R"(","sale_amount":100,"commission_amount":19.80,)"
                                        R"("status":"pending_manual_approval"})"));
  ASSERT_EQ(manual.status, 201) << manual.body;
  const std::string manual_id = manual.DataString("id");
  // Held for ten days: stays pending.
  HttpResult long_hold = Call("POST", "/v1/commissions",
                              absl::StrCat(R"({"referral_id":")", Referral(),
                                           R"(","sale_amount":100,"commission_amount":500,)"
                                           R"("hold_period_days":10})"));
  ASSERT_EQ(long_hold.status, 201) << long_hold.body;

  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (CommissionStatus(auto_id) != "ready_for_payment" && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(CommissionStatus(auto_id), "ready_for_payment");
  EXPECT_EQ(Events("transaction.approved", auto_id), 1);
  absl::SleepFor(absl::Milliseconds(200));  // more scheduler rounds change nothing
  EXPECT_EQ(CommissionStatus(manual_id), "pending_manual_approval");
  EXPECT_EQ(CommissionStatus(long_hold.DataString("id")), "pending");
  HttpResult approved =
      Call("PUT", "/v1/commissions/" + manual_id, R"({"status":"ready_for_payment"})");
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(Events("transaction.approved", manual_id), 1);

  // The payout job, as `ctl payouts generate TEAM --ready_before=now` runs it.
  storage::PgPayoutStore store(&db_->pool());
  storage::PayoutGeneration generation;
  generation.team_id = a_.team_id;
  generation.ready_before = absl::Now() + absl::Seconds(1);
  generation.threshold = storage::DefaultPayoutTerms().threshold;
  ASSERT_OK_AND_ASSIGN(storage::PayoutGenerationResult result, store.GeneratePayouts(generation));
  ASSERT_EQ(result.payout_ids.size(), 1u);
  const std::string payout_id = result.payout_ids[0];
  EXPECT_EQ(CommissionStatus(auto_id), "processing_payout");
  EXPECT_EQ(CommissionStatus(manual_id), "processing_payout");

  HttpResult list = Call("GET", "/v1/payouts?affiliateId=" + a_.affiliate_id + "&status=pending");
  ASSERT_EQ(list.status, 200) << list.body;
  const auto& rows = list.json.fields().at("data").list_value();
  ASSERT_EQ(rows.values_size(), 1) << list.body;
  const auto& payout = rows.values(0).struct_value().fields();
  EXPECT_EQ(payout.at("id").string_value(), payout_id);
  EXPECT_EQ(payout.at("amount").number_value(), 60.05);
  EXPECT_EQ(payout.at("invoice_number").number_value(), 1);
  EXPECT_EQ(payout.at("status").string_value(), "pending");
  EXPECT_TRUE(payout.at("managed_payout").has_bool_value());
  EXPECT_FALSE(payout.at("managed_payout").bool_value());
  EXPECT_TRUE(payout.at("payment_method").has_null_value()) << "the affiliate has none";
  EXPECT_TRUE(payout.at("payment_reference").has_null_value());
  EXPECT_TRUE(payout.at("processed_at").has_null_value());
  EXPECT_FALSE(payout.at("affiliate").struct_value().fields().at("email").string_value().empty());
  EXPECT_EQ(payout.count("currency"), 0u) << "not in the SDK's type";
  const auto& pagination = list.json.fields().at("pagination").struct_value().fields();
  EXPECT_EQ(pagination.at("total").number_value(), 1);

  HttpResult detail = Call("GET", "/v1/payouts/" + payout_id);
  ASSERT_EQ(detail.status, 200) << detail.body;
  const auto& lines = Data(detail).fields().at("transactions").list_value();
  ASSERT_EQ(lines.values_size(), 2) << detail.body;
  double sum = 0;
  for (const Value& line : lines.values()) {
    const auto& fields = line.struct_value().fields();
    sum += fields.at("amount").number_value();
    const auto& commission = fields.at("commission").struct_value().fields();
    EXPECT_TRUE(commission.at("id").string_value() == auto_id ||
                commission.at("id").string_value() == manual_id);
    EXPECT_EQ(commission.at("commission_amount").number_value(),
              fields.at("amount").number_value());
    EXPECT_FALSE(commission.at("created_at").string_value().empty());
  }
  EXPECT_NEAR(sum, 60.05, 1e-9);

  // A commission being paid out moves only with its payout.
  HttpResult direct = Call("PUT", "/v1/commissions/" + auto_id, R"({"status":"paid"})");
  EXPECT_EQ(direct.status, 400) << direct.body;
  EXPECT_NE(direct.body.find(R"("field":"status")"), std::string::npos) << direct.body;

  // Refusals: an unknown status, no status, another team's key, a final payout.
  HttpResult bogus = Call("PUT", "/v1/payouts/" + payout_id, R"({"status":"paid"})");
  EXPECT_EQ(bogus.status, 400) << bogus.body;
  HttpResult missing = Call("PUT", "/v1/payouts/" + payout_id, R"({"paymentReference":"x"})");
  EXPECT_EQ(missing.status, 400) << missing.body;
  EXPECT_NE(missing.body.find(R"("field":"status")"), std::string::npos) << missing.body;
  EXPECT_EQ(Call("GET", "/v1/payouts/" + payout_id, "", &b_).status, 404);
  EXPECT_EQ(Call("PUT", "/v1/payouts/" + payout_id, R"({"status":"completed"})", &b_).status, 404);

  HttpResult processing =
      Call("PUT", "/v1/payouts/" + payout_id, R"({"status":"processing","paymentMethod":"wire"})");
  ASSERT_EQ(processing.status, 200) << processing.body;
  EXPECT_EQ(processing.DataString("payment_method"), "wire");
  HttpResult completed = Call("PUT", "/v1/payouts/" + payout_id,
                              R"({"status":"completed","paymentReference":"TX-42"})");
  ASSERT_EQ(completed.status, 200) << completed.body;
  EXPECT_EQ(completed.DataString("status"), "completed");
  EXPECT_EQ(completed.DataString("payment_reference"), "TX-42");
  EXPECT_FALSE(completed.DataString("processed_at").empty());
  EXPECT_EQ(CommissionStatus(auto_id), "paid");
  EXPECT_EQ(CommissionStatus(manual_id), "paid");
  EXPECT_EQ(Events("transaction.paid", auto_id), 1);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM outbox_events WHERE type = 'payout.paid' AND "
                            "payload->'data'->>'payoutId' = '" +
                            payout_id + "'"),
            "1");
  HttpResult again = Call("PUT", "/v1/payouts/" + payout_id, R"({"status":"failed"})");
  EXPECT_EQ(again.status, 400) << again.body;
  EXPECT_NE(again.body.find(R"("code":"VALIDATION_ERROR")"), std::string::npos) << again.body;
  EXPECT_NE(again.body.find(R"("field":"status")"), std::string::npos) << again.body;
  EXPECT_EQ(CommissionStatus(auto_id), "paid");
}

}  // namespace
}  // namespace affonso::tests

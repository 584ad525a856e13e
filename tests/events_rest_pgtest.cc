// POST /v1/events and the sources end to end: real HTTP, the in-process
// gateway, the real services and PostgreSQL.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

using google::protobuf::Value;
using storage::testing::Tenant;

class EventsRestTest : public RestTest {
 protected:
  void InsertSaleIncentive(const Tenant& tenant, const std::string& amount) {
    db_->QueryValue(absl::StrCat(
        "INSERT INTO incentives (id, team_id, program_id, group_id, name, type, amount, "
        "is_percentage, hold_period_days) SELECT '",
        NewId("inc"), "', team_id, program_id, id, 'revenue share', 'sale', ", amount,
        ", true, 14 FROM affiliate_groups WHERE program_id = '", tenant.program_id,
        "' AND is_default"));
  }

  // A referral (a converted click) of `tenant`.
  std::string Referral(const Tenant& tenant, const std::string& user) {
    const std::string click = storage::testing::InsertClick(*db_, tenant);
    HttpResult signup =
        Call("POST", "/v1/signups",
             absl::StrCat(R"({"click_id":")", click, R"(","external_user_id":")", user, R"("})"),
             &tenant);
    EXPECT_EQ(signup.status, 201) << signup.body;
    return click;
  }

  std::string Count(const std::string& sql) { return db_->QueryValue(sql); }
};

TEST_F(EventsRestTest, ConversionEventTakesTheConversionPathAndReplays) {
  InsertSaleIncentive(a_, "10");
  const std::string referral = Referral(a_, "user-1");
  const std::string body = absl::StrCat(R"({"event_name":"Paid","referralId":")", referral,
                                        R"(","sale_amount":80,"external_event_id":"inv-7"})");
  HttpResult created = Call("POST", "/v1/events", body);
  ASSERT_EQ(created.status, 201) << created.body;
  const auto& data = created.Data().fields();
  EXPECT_EQ(created.DataString("id").rfind("com_", 0), 0u) << created.body;
  EXPECT_EQ(created.DataString("referral_id"), referral);
  EXPECT_EQ(data.at("commission_amount").number_value(), 8.0);
  EXPECT_EQ(created.DataString("calculation_mode"), "auto");
  EXPECT_EQ(created.DataString("external_event_id"), "inv-7");
  EXPECT_FALSE(data.at("replayed").bool_value());
  const std::string event_id = created.DataString("source_event_id");
  EXPECT_EQ(event_id.rfind("evt_", 0), 0u) << created.body;
  EXPECT_EQ(data.size(), 22u) << created.body;  // exactly a Conversion
  EXPECT_EQ(data.count("action"), 0u);

  HttpResult again = Call("POST", "/v1/events", body);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_TRUE(again.Data().fields().at("replayed").bool_value());
  EXPECT_EQ(again.DataString("id"), created.DataString("id"));
  EXPECT_EQ(again.DataString("source_event_id"), event_id);
  EXPECT_EQ(Count("SELECT count(*) FROM commissions WHERE earning_type = 'sale'"), "1");
  EXPECT_EQ(Count("SELECT count(*) FROM source_events"), "1");
  EXPECT_EQ(
      Count(absl::StrCat("SELECT transaction_id FROM source_events WHERE id = '", event_id, "'")),
      created.DataString("id"));

  // Another team cannot name our referral.
  HttpResult foreign = Call("POST", "/v1/events",
                            absl::StrCat(R"({"event_name":"Paid","referral_id":")", referral,
                                         R"(","event_type":"milestone"})"),
                            &b_);
  EXPECT_EQ(foreign.status, 404) << foreign.body;
  EXPECT_EQ(foreign.ErrorCode(), "NOT_FOUND");
  EXPECT_EQ(
      Count(absl::StrCat("SELECT count(*) FROM source_events WHERE team_id = '", b_.team_id, "'")),
      "0");
}

TEST_F(EventsRestTest, LeadMilestoneAndUnknownEventsInTheS2SEventShape) {
  const std::string click = storage::testing::InsertClick(*db_, a_);
  HttpResult lead =
      Call("POST", "/v1/events",
           absl::StrCat(R"({"event_name":"Signed up","event_type":"lead","click_id":")", click,
                        R"(","external_user_id":"u-9","external_event_id":"lead-1"})"));
  ASSERT_EQ(lead.status, 201) << lead.body;
  const auto& data = lead.Data().fields();
  EXPECT_EQ(data.size(), 9u) << lead.body;
  EXPECT_EQ(lead.DataString("referral_id"), click);
  EXPECT_EQ(data.at("transaction_id").kind_case(), Value::kNullValue);
  EXPECT_EQ(lead.DataString("event_name"), "Signed up");
  EXPECT_EQ(lead.DataString("event_type"), "lead");
  EXPECT_EQ(lead.DataString("external_event_id"), "lead-1");
  EXPECT_EQ(lead.DataString("action"), "lead_created");
  EXPECT_EQ(lead.DataString("referral_status"), "lead");
  EXPECT_FALSE(data.at("replayed").bool_value());
  EXPECT_EQ(lead.DataString("source_event_id").rfind("evt_", 0), 0u);
  EXPECT_EQ(Count(absl::StrCat("SELECT status FROM referrals WHERE id = '", click, "'")), "lead");

  HttpResult repeat =
      Call("POST", "/v1/events",
           absl::StrCat(R"({"event_name":"Signed up","event_type":"lead","click_id":")", click,
                        R"(","external_event_id":"lead-1"})"));
  ASSERT_EQ(repeat.status, 200) << repeat.body;
  EXPECT_TRUE(repeat.Data().fields().at("replayed").bool_value());
  EXPECT_EQ(repeat.DataString("action"), "lead_created");
  EXPECT_EQ(repeat.DataString("source_event_id"), lead.DataString("source_event_id"));

  HttpResult trial =
      Call("POST", "/v1/events",
           absl::StrCat(R"({"event_name":"Trial","event_type":"trial","referral_id":")", click,
                        R"("})"));
  ASSERT_EQ(trial.status, 201) << trial.body;
  EXPECT_EQ(trial.DataString("action"), "trial_started");
  EXPECT_EQ(trial.DataString("referral_status"), "trialing");
  EXPECT_EQ(trial.Data().fields().at("external_event_id").kind_case(), Value::kNullValue);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM outbox_events WHERE type = 'referral.updated'"
                               " AND payload::text LIKE '%",
                               click, "%'")),
            "1");

  HttpResult milestone =
      Call("POST", "/v1/events",
           absl::StrCat(R"({"event_name":"Onboarded","event_type":"milestone","referral_id":")",
                        click, R"("})"));
  ASSERT_EQ(milestone.status, 201) << milestone.body;
  EXPECT_EQ(milestone.DataString("action"), "recorded");
  EXPECT_EQ(milestone.DataString("referral_status"), "trialing");

  HttpResult unknown =
      Call("POST", "/v1/events",
           absl::StrCat(R"({"event_name":"Webinar","event_type":"webinar","referral_id":")", click,
                        R"(","metadata":{"room":"a"}})"));
  ASSERT_EQ(unknown.status, 201) << unknown.body;
  EXPECT_EQ(unknown.DataString("event_type"), "webinar");
  EXPECT_EQ(unknown.DataString("action"), "recorded");
  EXPECT_EQ(
      Count(absl::StrCat("SELECT payload->'metadata'->>'room' FROM source_events WHERE id = '",
                         unknown.DataString("source_event_id"), "'")),
      "a");
}

TEST_F(EventsRestTest, SegmentOrderCompletedAndTheCustomSource) {
  InsertSaleIncentive(a_, "10");
  const std::string referral = Referral(a_, "user-2");
  const std::string track = absl::StrCat(
      R"({"type":"track","event":"Order Completed","messageId":"seg-1","userId":"user-2",)"
      R"("properties":{"revenue":120,"currency":"usd","products":[{"product_id":"p1"}]}})");
  HttpResult order = Call("POST", "/v1/sources/segment/events", track);
  ASSERT_EQ(order.status, 201) << order.body;
  EXPECT_EQ(order.DataString("referral_id"), referral);
  EXPECT_EQ(order.Data().fields().at("sale_amount").number_value(), 120);
  EXPECT_EQ(order.DataString("sale_amount_currency"), "USD");
  EXPECT_EQ(order.DataString("external_event_id"), "segment:seg-1");
  EXPECT_EQ(order.DataString("source_event_id").rfind("evt_", 0), 0u);
  HttpResult again = Call("POST", "/v1/sources/segment/events", track);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_TRUE(again.Data().fields().at("replayed").bool_value());

  // The same track call through the segment_webhook source is its own event.
  HttpResult webhook = Call("POST", "/v1/sources/segment_webhook/events", track);
  ASSERT_EQ(webhook.status, 201) << webhook.body;
  EXPECT_EQ(webhook.DataString("external_event_id"), "segment_webhook:seg-1");

  HttpResult custom = Call("POST", "/v1/sources/custom/events",
                           absl::StrCat(R"({"event_name":"Activated","referralId":")", referral,
                                        R"(","external_event_id":"c-1","anything":{"x":1}})"));
  ASSERT_EQ(custom.status, 201) << custom.body;
  EXPECT_EQ(custom.DataString("event_type"), "milestone");
  EXPECT_EQ(custom.DataString("action"), "recorded");
  EXPECT_EQ(custom.DataString("referral_status"), "active");
  EXPECT_EQ(Count("SELECT count(*) FROM source_events WHERE source = 'custom' AND "
                  "payload->'anything'->>'x' = '1'"),
            "1");

  HttpResult unknown_source = Call("POST", "/v1/sources/zapier/events", "{}");
  EXPECT_EQ(unknown_source.status, 404) << unknown_source.body;
  EXPECT_EQ(unknown_source.ErrorCode(), "NOT_FOUND");
  HttpResult identify = Call("POST", "/v1/sources/segment/events",
                             R"({"type":"identify","event":"x","messageId":"m"})");
  EXPECT_EQ(identify.status, 400) << identify.body;
  EXPECT_EQ(identify.ErrorField(), "type");
  HttpResult large =
      Call("POST", "/v1/events",
           absl::StrCat(R"({"event_name":"Big","referral_id":")", referral,
                        R"(","metadata":{"x":")", std::string(40 * 1024, 'a'), R"("}})"));
  EXPECT_EQ(large.status, 400) << large.body.substr(0, 200);
}

TEST_F(EventsRestTest, RacingDuplicateSalesMakeOneEventAndOneCommission) {
  InsertSaleIncentive(a_, "10");
  const std::string referral = Referral(a_, "user-3");
  const std::string track =
      absl::StrCat(R"({"type":"track","event":"Order Completed","messageId":"race-1",)"
                   R"("properties":{"total":50,"referral_id":")",
                   referral, R"("}})");
  constexpr int kRacers = 32;
  std::vector<HttpResult> results(kRacers);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      results[i] = Call("POST", "/v1/sources/segment/events", track);
    });
  }
  go = true;
  for (std::thread& thread : threads) thread.join();
  for (const HttpResult& result : results) {
    ASSERT_TRUE(result.status == 200 || result.status == 201) << result.status << result.body;
    EXPECT_EQ(result.DataString("id"), results[0].DataString("id"));
    EXPECT_EQ(result.DataString("source_event_id"), results[0].DataString("source_event_id"));
  }
  EXPECT_EQ(Count("SELECT count(*) FROM source_events WHERE external_event_id = 'race-1'"), "1");
  EXPECT_EQ(Count("SELECT count(*) FROM commissions WHERE external_event_id = 'segment:race-1'"),
            "1");
}

}  // namespace
}  // namespace affonso::tests

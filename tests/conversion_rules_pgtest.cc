// What a signup does beyond the conversion, through the real server: fraud
// checks in every mode, lead commissions (override over incentive), the
// outbox events, and the invariants when calls race.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/testing/status_matchers.h"
#include "proto/affonso/v1/referrals.grpc.pb.h"
#include "proto/affonso/v1/signups.grpc.pb.h"
#include "tests/server_harness.h"

namespace affonso::tests {
namespace {

using affonso::v1::RecordSignupRequest;
using affonso::v1::RecordSignupResponse;
using affonso::v1::SignupService;

class ConversionRulesTest : public ServerTest {
 protected:
  // A click of tenant A's affiliate with the given traffic parameters.
  std::string Click(const std::string& gclid = "", const std::string& utm_medium = "") {
    std::string id = NewId("clk");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO clicks (id, team_id, program_id, affiliate_id, tracking_id, gclid, "
        "utm_medium, ip, referrer) VALUES ('",
        id, "', '", a_.team_id, "', '", a_.program_id, "', '", a_.affiliate_id, "', '",
        a_.tracking_id, "', NULLIF('", gclid, "', ''), NULLIF('", utm_medium,
        "', ''), '203.0.113.7', 'https://blog.example/post')"));
    return id;
  }
  void Rules(const std::string& self, const std::string& suspicious, const std::string& paid,
             const std::string& allowed = "{}") {
    db_->QueryValue(absl::StrCat(
        "INSERT INTO program_fraud_rules (program_id, self_referral_mode, suspicious_email_mode, "
        "paid_traffic_mode, allowed_email_domains) VALUES ('",
        a_.program_id, "', '", self, "', '", suspicious, "', '", paid, "', '", allowed,
        "') ON CONFLICT (program_id) DO UPDATE "
        "SET self_referral_mode = EXCLUDED.self_referral_mode, suspicious_email_mode = "
        "EXCLUDED.suspicious_email_mode, paid_traffic_mode = EXCLUDED.paid_traffic_mode, "
        "allowed_email_domains = EXCLUDED.allowed_email_domains"));
  }
  // A lead incentive on A's default group; returns its id.
  std::string LeadIncentive(const std::string& amount, int hold_days = 30) {
    std::string id = NewId("inc");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO incentives (id, team_id, program_id, group_id, name, type, amount, "
        "hold_period_days) SELECT '",
        id, "', team_id, program_id, id, 'Per lead', 'lead', ", amount, ", ", hold_days,
        " FROM affiliate_groups WHERE program_id = '", a_.program_id, "' AND is_default"));
    return id;
  }
  RecordSignupResponse Signup(const std::string& click, const std::string& email,
                              const std::string& external_user_id = "") {
    RecordSignupRequest request;
    request.set_click_id(click);
    request.set_email(email);
    request.set_external_user_id(external_user_id);
    RecordSignupResponse response;
    auto context = As(a_);
    grpc::Status status =
        SignupService::NewStub(channel_)->RecordSignup(context.get(), request, &response);
    EXPECT_OK(status);
    return response;
  }
  affonso::v1::Referral Direct(
      const std::string& email,
      affonso::v1::ReferralStatus status = affonso::v1::REFERRAL_STATUS_UNSPECIFIED,
      const std::string& click = "") {
    affonso::v1::CreateReferralRequest request;
    request.set_affiliate_id(a_.affiliate_id);
    request.set_email(email);
    request.set_status(status);
    request.set_click_id(click);
    affonso::v1::Referral referral;
    auto context = As(a_);
    grpc::Status result = affonso::v1::ReferralService::NewStub(channel_)->CreateReferral(
        context.get(), request, &referral);
    EXPECT_OK(result);
    return referral;
  }
  std::string Count(const std::string& sql) { return db_->QueryValue(sql); }
  std::string Flags(const std::string& referral) {
    return Count("SELECT fraud_flags::text FROM referrals WHERE id = '" + referral + "'");
  }
  std::string Events(const std::string& type) {
    return Count("SELECT count(*) FROM outbox_events WHERE type = '" + type + "'");
  }
};

TEST_F(ConversionRulesTest, CleanLeadWithoutIncentiveEmitsOnlyReferralLead) {
  RecordSignupResponse response = Signup(Click(), "lead@example.com");
  EXPECT_TRUE(response.created());
  EXPECT_EQ(response.referral().status(), affonso::v1::REFERRAL_STATUS_LEAD);
  EXPECT_EQ(response.referral().fraud_flags_size(), 0);
  EXPECT_EQ(Events("referral.lead"), "1");
  EXPECT_EQ(Events("transaction.created"), "0");
  EXPECT_EQ(Count("SELECT count(*) FROM commissions"), "0");
}

TEST_F(ConversionRulesTest, ReferralLeadPayloadHasTheDocumentedFields) {
  const std::string click = Click();
  Signup(click, "lead@example.com", "user-9");
  EXPECT_EQ(
      Count("SELECT payload->'data'->>'referralId' || '|' || (payload->'data'->>'affiliateId') "
            "|| '|' || (payload->'data'->>'affiliateProgramId') || '|' || "
            "(payload->'data'->>'trackingId') || '|' || (payload->'data'->>'status') || '|' "
            "|| (payload->'data'->>'email') || '|' || (payload->'data'->>'externalUserId') "
            "|| '|' || (payload->'data'->>'ip') || '|' || (payload->'data'->>'referrer') || "
            "'|' || (payload->>'type') || '|' || (payload->>'id' = id)::text FROM outbox_events"),
      absl::StrCat(click, "|", a_.affiliate_id, "|", a_.program_id, "|", a_.tracking_id,
                   "|LEAD|lead@example.com|user-9|203.0.113.7|https://blog.example/post|"
                   "referral.lead|true"));
  EXPECT_EQ(
      Count("SELECT (payload->'data' ? 'customerId')::text || (payload->>'createdAt' ~ "
            "'^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$')::text FROM outbox_events"),
      "truetrue");
}

TEST_F(ConversionRulesTest, SelfReferralInEachMode) {
  // The fixture's affiliate signs up with its own address (Gmail-style
  // variations are unit-tested with the checks themselves).
  Rules("off", "off", "off");
  RecordSignupResponse off = Signup(Click(), "Alice@affiliate.test");
  EXPECT_EQ(off.referral().status(), affonso::v1::REFERRAL_STATUS_LEAD);
  EXPECT_EQ(off.referral().fraud_flags_size(), 0);

  Rules("detect", "off", "off");
  RecordSignupResponse detect = Signup(Click(), "alice@affiliate.test");
  EXPECT_EQ(detect.referral().status(), affonso::v1::REFERRAL_STATUS_LEAD);
  ASSERT_EQ(detect.referral().fraud_flags_size(), 1);
  EXPECT_EQ(detect.referral().fraud_flags(0).check(), affonso::v1::FRAUD_CHECK_SELF_REFERRAL);
  EXPECT_EQ(detect.referral().fraud_flags(0).mode(), affonso::v1::FRAUD_MODE_DETECT);

  Rules("block", "off", "off");
  RecordSignupResponse block = Signup(Click(), "alice@affiliate.test");
  EXPECT_TRUE(block.created());  // still 201
  EXPECT_EQ(block.referral().status(), affonso::v1::REFERRAL_STATUS_REJECTED);
  EXPECT_EQ(block.referral().fraud_flags(0).mode(), affonso::v1::FRAUD_MODE_BLOCK);
  EXPECT_EQ(Events("referral.lead"), "2");  // the two not rejected
}

TEST_F(ConversionRulesTest, DisposableEmailAndAllowList) {
  Rules("off", "detect", "off");
  RecordSignupResponse flagged = Signup(Click(), "x@mailinator.com");
  ASSERT_EQ(flagged.referral().fraud_flags_size(), 1);
  EXPECT_EQ(flagged.referral().fraud_flags(0).check(), affonso::v1::FRAUD_CHECK_SUSPICIOUS_EMAIL);
  Rules("off", "block", "off", "{mailinator.com}");
  RecordSignupResponse allowed = Signup(Click(), "y@mailinator.com");
  EXPECT_EQ(allowed.referral().status(), affonso::v1::REFERRAL_STATUS_LEAD);
  EXPECT_EQ(allowed.referral().fraud_flags_size(), 0);
}

TEST_F(ConversionRulesTest, PaidTrafficFromClickIdsOrUtmMedium) {
  Rules("off", "off", "detect");
  EXPECT_EQ(Signup(Click("g-1"), "a@example.com").referral().fraud_flags(0).check(),
            affonso::v1::FRAUD_CHECK_PAID_TRAFFIC);
  EXPECT_EQ(Signup(Click("", "CPC"), "b@example.com").referral().fraud_flags_size(), 1);
  EXPECT_EQ(Signup(Click("", "newsletter"), "c@example.com").referral().fraud_flags_size(), 0);
}

TEST_F(ConversionRulesTest, BlockedSignupCreatesNothingButTheRejectedReferral) {
  LeadIncentive("5.00");
  Rules("block", "off", "detect");
  RecordSignupResponse response = Signup(Click("g-2"), "alice@affiliate.test");
  EXPECT_EQ(response.referral().status(), affonso::v1::REFERRAL_STATUS_REJECTED);
  // Every enabled check is evaluated and recorded, even after one blocks.
  EXPECT_EQ(
      Flags(response.referral().id()),
      R"([{"mode": "block", "check": "self_referral"}, {"mode": "detect", "check": "paid_traffic"}])");
  EXPECT_EQ(Count("SELECT count(*) FROM commissions"), "0");
  EXPECT_EQ(Count("SELECT count(*) FROM outbox_events"), "0");
  // A repeat answers the same rejected referral, still without events.
  RecordSignupResponse again = Signup(response.referral().id(), "alice@affiliate.test");
  EXPECT_FALSE(again.created());
  EXPECT_EQ(again.referral().status(), affonso::v1::REFERRAL_STATUS_REJECTED);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox_events"), "0");
}

TEST_F(ConversionRulesTest, LeadIncentivePaysACommissionAndAnnouncesIt) {
  LeadIncentive("5.00", 14);
  const std::string click = Click();
  Signup(click, "lead@example.com");
  EXPECT_EQ(Count("SELECT referral_id || '|' || affiliate_id || '|' || commission_amount || '|' || "
                  "commission_currency || '|' || status || '|' || hold_period_days || '|' || "
                  "earning_type FROM commissions"),
            absl::StrCat(click, "|", a_.affiliate_id, "|5.00|USD|pending|14|lead"));
  EXPECT_EQ(Events("transaction.created"), "1");
  EXPECT_EQ(Count("SELECT (payload->'data'->>'transactionId' = c.id)::text || '|' || "
                  "(payload->'data'->>'commissionAmount') || '|' || "
                  "(payload->'data'->>'status') || '|' || (payload->'data'->>'type') "
                  "FROM outbox_events e JOIN commissions c ON true "
                  "WHERE e.type = 'transaction.created'"),
            "true|5.00|PENDING|COMMISSION");
}

TEST_F(ConversionRulesTest, OverrideAmountWinsOverTheIncentive) {
  const std::string incentive = LeadIncentive("5.00");
  db_->QueryValue(absl::StrCat(
      "INSERT INTO commission_overrides (id, team_id, affiliate_id, "
      "incentive_id, amount) VALUES ('",
      NewId("ovr"), "', '", a_.team_id, "', '", a_.affiliate_id, "', '", incentive, "', 7.50)"));
  Signup(Click(), "lead@example.com");
  EXPECT_EQ(Count("SELECT commission_amount FROM commissions"), "7.50");
}

TEST_F(ConversionRulesTest, ASaleIncentiveAloneCreatesNoCommission) {
  db_->QueryValue(absl::StrCat(
      "INSERT INTO incentives (id, team_id, program_id, group_id, name, type, amount, "
      "is_percentage) SELECT 'inc_sale1', team_id, program_id, id, 'Sale', 'sale', 20, true "
      "FROM affiliate_groups WHERE program_id = '",
      a_.program_id, "' AND is_default"));
  Signup(Click(), "lead@example.com");
  EXPECT_EQ(Count("SELECT count(*) FROM commissions"), "0");
}

TEST_F(ConversionRulesTest, RacingCallsMakeOneReferralOneCommissionAndOneOfEachEvent) {
  LeadIncentive("3.00");
  const std::string click = Click();
  constexpr int kCallers = 48;
  std::atomic<int> ready{0};
  std::atomic<int> created{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      auto stub = SignupService::NewStub(grpc::CreateChannel(
          "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
      RecordSignupRequest request;
      request.set_click_id(click);
      request.set_email(absl::StrCat("caller", i, "@example.com"));
      RecordSignupResponse response;
      auto context = As(a_);
      ++ready;
      while (ready.load() < kCallers) std::this_thread::yield();
      if (stub->RecordSignup(context.get(), request, &response).ok() && response.created()) {
        ++created;
      }
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM referrals"), "1");
  EXPECT_EQ(Count("SELECT count(*) FROM commissions"), "1");
  EXPECT_EQ(Events("referral.lead"), "1");
  EXPECT_EQ(Events("transaction.created"), "1");
}

TEST_F(ConversionRulesTest, TheDatabaseRefusesASecondLeadCommissionOrEvent) {
  LeadIncentive("1.00");
  const std::string click = Click();
  Signup(click, "lead@example.com");
  EXPECT_THROW(db_->QueryValue(absl::StrCat(
                   "INSERT INTO commissions (id, team_id, program_id, referral_id, affiliate_id, "
                   "commission_amount, commission_currency, earning_type) VALUES ('com_dup', '",
                   a_.team_id, "', '", a_.program_id, "', '", click, "', '", a_.affiliate_id,
                   "', 1, 'USD', 'lead')")),
               std::exception);
  EXPECT_THROW(db_->QueryValue("INSERT INTO outbox_events (id, team_id, type, payload) SELECT "
                               "'evt_dup', team_id, type, payload FROM outbox_events WHERE type = "
                               "'referral.lead'"),
               std::exception);
}

TEST_F(ConversionRulesTest, DirectReferralsPassTheSameRules) {
  LeadIncentive("2.50");
  Rules("block", "off", "detect");
  affonso::v1::Referral blocked = Direct("alice@affiliate.test");
  EXPECT_EQ(blocked.status(), affonso::v1::REFERRAL_STATUS_REJECTED);
  EXPECT_FALSE(blocked.has_converted_at());
  EXPECT_EQ(Count("SELECT count(*) FROM commissions"), "0");
  EXPECT_EQ(Count("SELECT count(*) FROM outbox_events"), "0");

  // Paid traffic from the named click is detected, the lead goes through.
  affonso::v1::Referral lead =
      Direct("new@example.com", affonso::v1::REFERRAL_STATUS_UNSPECIFIED, Click("g-9"));
  EXPECT_EQ(lead.status(), affonso::v1::REFERRAL_STATUS_LEAD);
  ASSERT_EQ(lead.fraud_flags_size(), 1);
  EXPECT_EQ(lead.fraud_flags(0).check(), affonso::v1::FRAUD_CHECK_PAID_TRAFFIC);
  EXPECT_EQ(Count("SELECT referral_id || '|' || commission_amount FROM commissions"),
            lead.id() + "|2.50");
  EXPECT_EQ(Events("referral.lead"), "1");
  EXPECT_EQ(Events("transaction.created"), "1");
  EXPECT_EQ(Count("SELECT payload->'data'->>'ip' FROM outbox_events WHERE type = 'referral.lead'"),
            "203.0.113.7");
}

TEST_F(ConversionRulesTest, DirectCustomerEarnsTheLeadCommissionButIsNoNewLead) {
  LeadIncentive("1.00");
  affonso::v1::Referral customer =
      Direct("paying@example.com", affonso::v1::REFERRAL_STATUS_CUSTOMER);
  EXPECT_EQ(customer.status(), affonso::v1::REFERRAL_STATUS_CUSTOMER);
  EXPECT_EQ(Count("SELECT count(*) FROM commissions"), "1");
  EXPECT_EQ(Events("referral.lead"), "0");
  EXPECT_EQ(Events("transaction.created"), "1");
}

}  // namespace
}  // namespace affonso::tests

// What a signup does beyond the conversion, through the real server: fraud
// checks in every mode, lead commissions (override over incentive), the
// outbox events, and the invariants when calls race.
#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/testing/status_matchers.h"
#include "proto/affonso/v1/clicks.grpc.pb.h"
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
  // A click of tenant A's affiliate with `columns` set to the SQL `values`.
  std::string ClickWith(const std::string& columns, const std::string& values) {
    std::string id = NewId("clk");
    db_->QueryValue(
        absl::StrCat("INSERT INTO clicks (id, team_id, program_id, affiliate_id, tracking_id, ",
                     columns, ") VALUES ('", id, "', '", a_.team_id, "', '", a_.program_id, "', '",
                     a_.affiliate_id, "', '", a_.tracking_id, "', ", values, ")"));
    return id;
  }
  // `set` is an UPDATE's SET list for A's rules: every check off but those it turns on.
  void OnlyRules(const std::string& set) {
    const std::string where = " WHERE program_id = '" + a_.program_id + "'";
    db_->QueryValue(
        "UPDATE program_fraud_rules SET self_referral_mode = 'off', suspicious_email_mode = 'off', "
        "paid_traffic_mode = 'off', cross_program_ban_mode = 'off', duplicate_payout_mode = 'off', "
        "banned_referral_mode = 'off', blocked_country_mode = 'off'" +
        where);
    db_->QueryValue("UPDATE program_fraud_rules SET " + set + where);
  }
  // Signs a fresh click from `click` up in each mode of `mode_column` (off,
  // detect, block; `config` is more of the SET list), every other check off:
  // the subject must make `check` fire.
  void ExpectEachMode(const std::string& mode_column, const std::string& config,
                      affonso::v1::FraudCheck check, const std::function<std::string()>& click,
                      const std::string& email, const std::string& external_user_id = "") {
    OnlyRules(mode_column + " = 'off'" + config);
    RecordSignupResponse off = Signup(click(), email, external_user_id);
    EXPECT_EQ(off.referral().status(), affonso::v1::REFERRAL_STATUS_LEAD);
    EXPECT_EQ(off.referral().fraud_flags_size(), 0);

    OnlyRules(mode_column + " = 'detect'" + config);
    RecordSignupResponse detect = Signup(click(), email, external_user_id);
    EXPECT_TRUE(detect.created());
    EXPECT_EQ(detect.referral().status(), affonso::v1::REFERRAL_STATUS_LEAD);
    ASSERT_EQ(detect.referral().fraud_flags_size(), 1);
    EXPECT_EQ(detect.referral().fraud_flags(0).check(), check);
    EXPECT_EQ(detect.referral().fraud_flags(0).mode(), affonso::v1::FRAUD_MODE_DETECT);

    const std::string leads_before = Events("referral.lead");
    OnlyRules(mode_column + " = 'block'" + config);
    RecordSignupResponse block = Signup(click(), email, external_user_id);
    EXPECT_TRUE(block.created());  // still 201
    EXPECT_EQ(block.referral().status(), affonso::v1::REFERRAL_STATUS_REJECTED);
    ASSERT_EQ(block.referral().fraud_flags_size(), 1);
    EXPECT_EQ(block.referral().fraud_flags(0).check(), check);
    EXPECT_EQ(block.referral().fraud_flags(0).mode(), affonso::v1::FRAUD_MODE_BLOCK);
    EXPECT_EQ(Events("referral.lead"), leads_before);  // no event for the rejected one
    EXPECT_EQ(Count("SELECT count(*) FROM commissions WHERE referral_id = '" +
                    block.referral().id() + "'"),
              "0");
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

TEST_F(ConversionRulesTest, UtmMediumWithACommaIsOneMedium) {
  // One paid medium spelled with a comma: neither half of it is paid.
  OnlyRules("paid_traffic_mode = 'detect', paid_utm_mediums = ARRAY['cpc,display']");
  EXPECT_EQ(Signup(Click("", "cpc"), "a@example.com").referral().fraud_flags_size(), 0);
  EXPECT_EQ(Signup(Click("", "display"), "b@example.com").referral().fraud_flags_size(), 0);
  EXPECT_EQ(Signup(Click("", "cpc,display"), "c@example.com").referral().fraud_flags_size(), 1);
}

TEST_F(ConversionRulesTest, CrossProgramBanInEachMode) {
  // The fixture's affiliate (alice@affiliate.test) was rejected by another
  // program of the team.
  const std::string other = NewId("prg");
  db_->QueryValue(absl::StrCat("INSERT INTO programs (id, team_id, name) VALUES ('", other, "', '",
                               a_.team_id, "', 'other')"));
  OnlyRules("cross_program_ban_mode = 'block'");
  EXPECT_EQ(Signup(Click(), "before@example.com").referral().fraud_flags_size(), 0);
  db_->QueryValue(
      absl::StrCat("INSERT INTO affiliates (id, team_id, program_id, name, email, tracking_id, "
                   "partnership_status) VALUES ('",
                   NewId("aff"), "', '", a_.team_id, "', '", other,
                   "', 'Alice', 'Alice@Affiliate.test', 'alice-other', 'rejected')"));
  ExpectEachMode(
      "cross_program_ban_mode", "", affonso::v1::FRAUD_CHECK_CROSS_PROGRAM_BAN,
      [&] { return Click(); }, "lead@example.com");
}

TEST_F(ConversionRulesTest, DuplicatePayoutInEachMode) {
  // The customer earned the affiliate a lead commission once already.
  LeadIncentive("5.00");
  OnlyRules("duplicate_payout_mode = 'block'");
  RecordSignupResponse first = Signup(Click(), "customer@example.com", "user-7");
  EXPECT_EQ(first.referral().fraud_flags_size(), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM commissions"), "1");
  ExpectEachMode(
      "duplicate_payout_mode", "", affonso::v1::FRAUD_CHECK_DUPLICATE_PAYOUT,
      [&] { return Click(); }, "Customer@Example.com");
  // Off and detect were paid (detect lets the lead through); block was not.
  EXPECT_EQ(Count("SELECT count(*) FROM commissions"), "3");
  // The external id alone identifies the customer too.
  OnlyRules("duplicate_payout_mode = 'detect'");
  RecordSignupResponse by_id = Signup(Click(), "other@example.com", "user-7");
  ASSERT_EQ(by_id.referral().fraud_flags_size(), 1);
  EXPECT_EQ(by_id.referral().fraud_flags(0).check(), affonso::v1::FRAUD_CHECK_DUPLICATE_PAYOUT);
  EXPECT_EQ(Signup(Click(), "new@example.com", "user-8").referral().fraud_flags_size(), 0);
}

TEST_F(ConversionRulesTest, BannedReferralInEachMode) {
  const std::string config = ", banned_referral_domains = '{spam.example}'";
  ExpectEachMode(
      "banned_referral_mode", config, affonso::v1::FRAUD_CHECK_BANNED_REFERRAL,
      [&] { return ClickWith("referrer", "'https://www.Spam.Example/landing?a=1'"); },
      "lead@example.com");
  OnlyRules("banned_referral_mode = 'block'" + config);
  EXPECT_EQ(Signup(Click(), "clean@example.com").referral().status(),  // blog.example
            affonso::v1::REFERRAL_STATUS_LEAD);
  OnlyRules("banned_referral_mode = 'block', banned_referral_domains = NULL");
  EXPECT_EQ(Signup(ClickWith("referrer", "'https://spam.example/'"), "n@example.com")
                .referral()
                .fraud_flags_size(),
            0);
}

TEST_F(ConversionRulesTest, BlockedCountryInEachModeFromTheClickRequest) {
  // The country arrives on POST /v1/clicks (gRPC TrackClick here).
  const auto tracked_click = [&](const std::string& country) {
    affonso::v1::TrackClickRequest request;
    request.set_program_id(a_.program_id);
    request.set_tracking_id(a_.tracking_id);
    request.set_country(country);
    affonso::v1::Click click;
    auto context = As(a_);
    EXPECT_OK(
        affonso::v1::ClickService::NewStub(channel_)->TrackClick(context.get(), request, &click));
    return click.id();
  };
  const std::string config = ", blocked_countries = '{KP,RU}'";
  ExpectEachMode(
      "blocked_country_mode", config, affonso::v1::FRAUD_CHECK_BLOCKED_COUNTRY,
      [&] { return tracked_click("kp"); }, "lead@example.com");
  EXPECT_EQ(Count("SELECT count(*) FROM clicks WHERE country = 'KP'"), "3");
  OnlyRules("blocked_country_mode = 'block'" + config);
  EXPECT_EQ(Signup(tracked_click("DE"), "de@example.com").referral().fraud_flags_size(), 0);
  EXPECT_EQ(Signup(tracked_click(""), "unknown@example.com").referral().fraud_flags_size(), 0);
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

TEST_F(ConversionRulesTest, DirectReferralsPassTheNewChecksToo) {
  const std::string other = NewId("prg");
  db_->QueryValue(absl::StrCat("INSERT INTO programs (id, team_id, name) VALUES ('", other, "', '",
                               a_.team_id, "', 'other')"));
  db_->QueryValue(
      absl::StrCat("INSERT INTO affiliates (id, team_id, program_id, name, email, tracking_id, "
                   "partnership_status) VALUES ('",
                   NewId("aff"), "', '", a_.team_id, "', '", other,
                   "', 'Alice', 'alice@affiliate.test', 'alice-other', 'rejected')"));
  OnlyRules(
      "cross_program_ban_mode = 'detect', banned_referral_mode = 'block', "
      "banned_referral_domains = '{spam.example}'");
  affonso::v1::Referral referral =
      Direct("direct@example.com", affonso::v1::REFERRAL_STATUS_UNSPECIFIED,
             ClickWith("referrer", "'https://spam.example/'"));
  EXPECT_EQ(referral.status(), affonso::v1::REFERRAL_STATUS_REJECTED);
  EXPECT_EQ(Flags(referral.id()), R"([{"mode": "detect", "check": "cross_program_ban"}, )"
                                  R"({"mode": "block", "check": "banned_referral"}])");
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

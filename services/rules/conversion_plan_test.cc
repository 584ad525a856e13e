#include "services/rules/conversion_plan.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/rules/disposable_domains.h"

namespace affonso::services {
namespace {

using storage::ConversionFacts;
using storage::ConversionPlan;
using storage::LeadIncentive;

const DisposableDomains& TestList() {
  static const auto* list = new DisposableDomains(DisposableDomains::FromText("mailinator.com\n"));
  return *list;
}

LeadIncentive Incentive() {
  LeadIncentive incentive;
  incentive.incentive_id = "inc_1";
  incentive.amount = "12345678901234.56";  // exact text: more digits than a double holds
  incentive.currency = "EUR";
  incentive.hold_period_days = 14;
  return incentive;
}

ConversionFacts Signup() {
  ConversionFacts facts;
  facts.subject.lead_email = "lead@example.com";
  facts.subject.affiliate_email = "affiliate@example.com";
  facts.incentive = Incentive();
  return facts;
}

std::vector<std::pair<int, int>> FlagsOf(const ConversionPlan& plan) {
  std::vector<std::pair<int, int>> flags;
  for (const auto& flag : plan.fraud_flags) flags.emplace_back(flag.check(), flag.mode());
  return flags;
}

void ExpectSameCommission(const ConversionPlan& plan, const LeadIncentive& incentive) {
  ASSERT_TRUE(plan.commission.has_value());
  EXPECT_EQ(plan.commission->incentive_id, incentive.incentive_id);
  EXPECT_EQ(plan.commission->amount, incentive.amount);
  EXPECT_EQ(plan.commission->currency, incentive.currency);
  EXPECT_EQ(plan.commission->hold_period_days, incentive.hold_period_days);
}

TEST(PlanConversionTest, CleanSignupIsALeadWithItsEventAndCommission) {
  const ConversionPlan plan = PlanConversion(Signup(), TestList());
  EXPECT_EQ(plan.status, affonso::v1::REFERRAL_STATUS_LEAD);
  EXPECT_FALSE(plan.rejected());
  EXPECT_TRUE(plan.fraud_flags.empty());
  EXPECT_TRUE(plan.lead_event);
  ExpectSameCommission(plan, Incentive());
}

TEST(PlanConversionTest, NoIncentiveNoCommission) {
  ConversionFacts facts = Signup();
  facts.incentive.reset();
  const ConversionPlan plan = PlanConversion(facts, TestList());
  EXPECT_EQ(plan.status, affonso::v1::REFERRAL_STATUS_LEAD);
  EXPECT_TRUE(plan.lead_event);
  EXPECT_FALSE(plan.commission.has_value());
}

TEST(PlanConversionTest, DetectedFraudIsFlaggedAndStillPaid) {
  ConversionFacts facts = Signup();
  facts.subject.lead_email = "Affiliate+x@Example.com";  // self-referral, detect by default
  const ConversionPlan plan = PlanConversion(facts, TestList());
  EXPECT_EQ(FlagsOf(plan),
            (std::vector<std::pair<int, int>>{
                {affonso::v1::FRAUD_CHECK_SELF_REFERRAL, affonso::v1::FRAUD_MODE_DETECT}}));
  EXPECT_EQ(plan.status, affonso::v1::REFERRAL_STATUS_LEAD);
  EXPECT_TRUE(plan.lead_event);
  ExpectSameCommission(plan, Incentive());
}

TEST(PlanConversionTest, BlockedFraudIsRejectedWithNothingElse) {
  ConversionFacts facts = Signup();
  facts.rules.suspicious_email = affonso::v1::FRAUD_MODE_BLOCK;
  facts.subject.lead_email = "lead@mailinator.com";
  facts.subject.gclid = "Cj0";  // paid traffic too, detect: still recorded after the block
  const ConversionPlan plan = PlanConversion(facts, TestList());
  EXPECT_EQ(plan.status, affonso::v1::REFERRAL_STATUS_REJECTED);
  EXPECT_TRUE(plan.rejected());
  EXPECT_EQ(FlagsOf(plan),
            (std::vector<std::pair<int, int>>{
                {affonso::v1::FRAUD_CHECK_SUSPICIOUS_EMAIL, affonso::v1::FRAUD_MODE_BLOCK},
                {affonso::v1::FRAUD_CHECK_PAID_TRAFFIC, affonso::v1::FRAUD_MODE_DETECT}}));
  EXPECT_FALSE(plan.lead_event);
  EXPECT_FALSE(plan.commission.has_value());
}

TEST(PlanConversionTest, DisposableListIsTheOneGiven) {
  ConversionFacts facts = Signup();
  facts.rules.suspicious_email = affonso::v1::FRAUD_MODE_BLOCK;
  facts.subject.lead_email = "lead@mailinator.com";
  const DisposableDomains none = DisposableDomains::FromText("");
  EXPECT_FALSE(PlanConversion(facts, none).rejected());
  EXPECT_TRUE(ConversionPlanner(&TestList()).Plan(facts).rejected());
  EXPECT_FALSE(ConversionPlanner(&none).Plan(facts).rejected());
}

TEST(PlanConversionTest, DirectReferralKeepsItsStatusAndAnnouncesOnlyLeads) {
  ConversionFacts facts = Signup();
  facts.requested_status = affonso::v1::REFERRAL_STATUS_CUSTOMER;
  ConversionPlan plan = PlanConversion(facts, TestList());
  EXPECT_EQ(plan.status, affonso::v1::REFERRAL_STATUS_CUSTOMER);
  EXPECT_FALSE(plan.lead_event);
  ExpectSameCommission(plan, Incentive());  // the lead incentive pays whatever the status

  facts.requested_status = affonso::v1::REFERRAL_STATUS_REJECTED;  // asked for, not blocked
  plan = PlanConversion(facts, TestList());
  EXPECT_EQ(plan.status, affonso::v1::REFERRAL_STATUS_REJECTED);
  EXPECT_TRUE(plan.fraud_flags.empty());
  EXPECT_FALSE(plan.lead_event);
  ExpectSameCommission(plan, Incentive());
}

// storage's AcceptAllPolicy (for tests of storage alone) must be this rule with the checks off.
TEST(PlanConversionTest, AcceptAllPolicyIsThePlanWithEveryCheckOff) {
  const storage::AcceptAllPolicy accept_all;
  for (auto status :
       {affonso::v1::REFERRAL_STATUS_LEAD, affonso::v1::REFERRAL_STATUS_TRIALING,
        affonso::v1::REFERRAL_STATUS_CUSTOMER, affonso::v1::REFERRAL_STATUS_REJECTED}) {
    for (bool paid : {false, true}) {
      ConversionFacts facts = Signup();
      facts.subject.lead_email = facts.subject.affiliate_email;  // would fire if on
      facts.subject.affiliate_rejected_elsewhere = true;         // these too
      facts.subject.customer_already_paid = true;
      facts.subject.referrer = "https://spam.example/";
      facts.rules.banned_referral_domains = {"spam.example"};
      facts.subject.country = "KP";
      facts.rules.blocked_countries = {"KP"};
      facts.requested_status = status;
      if (!paid) facts.incentive.reset();
      facts.rules.self_referral = affonso::v1::FRAUD_MODE_OFF;
      facts.rules.cross_program_ban = affonso::v1::FRAUD_MODE_OFF;
      facts.rules.duplicate_payout = affonso::v1::FRAUD_MODE_OFF;
      facts.rules.suspicious_email = affonso::v1::FRAUD_MODE_OFF;
      facts.rules.banned_referral = affonso::v1::FRAUD_MODE_OFF;
      facts.rules.paid_traffic = affonso::v1::FRAUD_MODE_OFF;
      facts.rules.blocked_country = affonso::v1::FRAUD_MODE_OFF;
      const ConversionPlan want = PlanConversion(facts, TestList());
      const ConversionPlan got = accept_all.Plan(facts);
      EXPECT_EQ(got.status, want.status) << status;
      EXPECT_EQ(FlagsOf(got), FlagsOf(want)) << status;
      EXPECT_EQ(got.lead_event, want.lead_event) << status;
      EXPECT_EQ(got.commission.has_value(), want.commission.has_value()) << status;
      if (paid) ExpectSameCommission(got, *want.commission);
    }
  }
}

}  // namespace
}  // namespace affonso::services

#include "services/rules/fraud_checks.h"

#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/rules/disposable_domains.h"

namespace affonso::services {
namespace {

using affonso::v1::FraudCheck;
using affonso::v1::FraudMode;

constexpr FraudMode kOff = affonso::v1::FRAUD_MODE_OFF;
constexpr FraudMode kDetect = affonso::v1::FRAUD_MODE_DETECT;
constexpr FraudMode kBlock = affonso::v1::FRAUD_MODE_BLOCK;
constexpr FraudCheck kSelfReferral = affonso::v1::FRAUD_CHECK_SELF_REFERRAL;
constexpr FraudCheck kSuspiciousEmail = affonso::v1::FRAUD_CHECK_SUSPICIOUS_EMAIL;
constexpr FraudCheck kPaidTraffic = affonso::v1::FRAUD_CHECK_PAID_TRAFFIC;
constexpr FraudCheck kCrossProgramBan = affonso::v1::FRAUD_CHECK_CROSS_PROGRAM_BAN;
constexpr FraudCheck kDuplicatePayout = affonso::v1::FRAUD_CHECK_DUPLICATE_PAYOUT;
constexpr FraudCheck kBannedReferral = affonso::v1::FRAUD_CHECK_BANNED_REFERRAL;
constexpr FraudCheck kBlockedCountry = affonso::v1::FRAUD_CHECK_BLOCKED_COUNTRY;

// The verdict's proto flags as comparable values, with readable failure messages.
struct Flag {
  FraudCheck check;
  FraudMode mode;
  bool operator==(const Flag& other) const { return check == other.check && mode == other.mode; }
};
void PrintTo(const Flag& flag, std::ostream* os) {
  *os << affonso::v1::FraudCheck_Name(flag.check) << "/" << affonso::v1::FraudMode_Name(flag.mode);
}
using Flags = std::vector<Flag>;

struct Verdict {
  Flags flags;
  bool rejected;
};

const DisposableDomains& TestList() {
  static const auto* list = new DisposableDomains(
      DisposableDomains::FromText("mailinator.com\nyopmail.com\ntrash.example.org\n"));
  return *list;
}

FraudRules AllModes(FraudMode mode) {
  FraudRules rules;
  rules.self_referral = mode;
  rules.suspicious_email = mode;
  rules.paid_traffic = mode;
  rules.cross_program_ban = mode;
  rules.duplicate_payout = mode;
  rules.banned_referral = mode;
  rules.blocked_country = mode;
  rules.paid_utm_mediums = {"cpc", "ppc", "paid"};
  rules.banned_referral_domains = {"spam.example", "ads.test"};
  rules.blocked_countries = {"KP", "RU"};
  return rules;
}

FraudSubject Clean() {
  FraudSubject subject;
  subject.lead_email = "lead@example.com";
  subject.lead_external_user_id = "user_lead";
  subject.affiliate_email = "affiliate@example.com";
  subject.affiliate_external_user_id = "user_affiliate";
  subject.utm_medium = "email";
  subject.referrer = "https://blog.example/post";
  subject.country = "DE";
  return subject;
}

FraudSubject SelfReferral() {
  FraudSubject subject = Clean();
  subject.lead_email = "affiliate@example.com";
  return subject;
}

FraudSubject Disposable() {
  FraudSubject subject = Clean();
  subject.lead_email = "someone@mailinator.com";
  return subject;
}

FraudSubject Paid() {
  FraudSubject subject = Clean();
  subject.gclid = "Cj0KCQ";
  return subject;
}

FraudSubject RejectedElsewhere() {
  FraudSubject subject = Clean();
  subject.affiliate_rejected_elsewhere = true;
  return subject;
}

FraudSubject AlreadyPaid() {
  FraudSubject subject = Clean();
  subject.customer_already_paid = true;
  return subject;
}

FraudSubject BannedReferrer() {
  FraudSubject subject = Clean();
  subject.referrer = "https://www.spam.example/landing?x=1";
  return subject;
}

FraudSubject BlockedCountry() {
  FraudSubject subject = Clean();
  subject.country = "kp";
  return subject;
}

Verdict Evaluate(const FraudRules& rules, const FraudSubject& subject,
                 const DisposableDomains& disposable = TestList()) {
  const FraudVerdict verdict = EvaluateFraud(rules, subject, disposable);
  Verdict typed{{}, verdict.rejected};
  for (const affonso::v1::FraudFlag& flag : verdict.flags) {
    typed.flags.push_back({flag.check(), flag.mode()});
  }
  return typed;
}

// ---------------------------------------------------------------- modes

struct ModeCase {
  const char* name;
  FraudCheck check;
  FraudSubject (*subject)();
};

class EveryCheckTest : public ::testing::TestWithParam<ModeCase> {};

TEST_P(EveryCheckTest, OffNeverFlagsEvenWhenItWouldFire) {
  Verdict verdict = Evaluate(AllModes(kOff), GetParam().subject());
  EXPECT_TRUE(verdict.flags.empty());
  EXPECT_FALSE(verdict.rejected);
}

TEST_P(EveryCheckTest, DetectFlagsWithoutRejecting) {
  Verdict verdict = Evaluate(AllModes(kDetect), GetParam().subject());
  EXPECT_EQ(verdict.flags, (Flags{{GetParam().check, kDetect}}));
  EXPECT_FALSE(verdict.rejected);
}

TEST_P(EveryCheckTest, BlockFlagsAndRejects) {
  Verdict verdict = Evaluate(AllModes(kBlock), GetParam().subject());
  EXPECT_EQ(verdict.flags, (Flags{{GetParam().check, kBlock}}));
  EXPECT_TRUE(verdict.rejected);
}

TEST_P(EveryCheckTest, OnlyItsOwnModeMatters) {
  // This check off, the others blocking: nothing fires.
  FraudRules rules = AllModes(kBlock);
  switch (GetParam().check) {
    case kSelfReferral:
      rules.self_referral = kOff;
      break;
    case kSuspiciousEmail:
      rules.suspicious_email = kOff;
      break;
    case kPaidTraffic:
      rules.paid_traffic = kOff;
      break;
    case kCrossProgramBan:
      rules.cross_program_ban = kOff;
      break;
    case kDuplicatePayout:
      rules.duplicate_payout = kOff;
      break;
    case kBannedReferral:
      rules.banned_referral = kOff;
      break;
    case kBlockedCountry:
      rules.blocked_country = kOff;
      break;
    default:
      FAIL() << "no such check";
  }
  Verdict verdict = Evaluate(rules, GetParam().subject());
  EXPECT_TRUE(verdict.flags.empty());
  EXPECT_FALSE(verdict.rejected);
}

INSTANTIATE_TEST_SUITE_P(
    Checks, EveryCheckTest,
    ::testing::Values(ModeCase{"SelfReferral", kSelfReferral, &SelfReferral},
                      ModeCase{"SuspiciousEmail", kSuspiciousEmail, &Disposable},
                      ModeCase{"PaidTraffic", kPaidTraffic, &Paid},
                      ModeCase{"CrossProgramBan", kCrossProgramBan, &RejectedElsewhere},
                      ModeCase{"DuplicatePayout", kDuplicatePayout, &AlreadyPaid},
                      ModeCase{"BannedReferral", kBannedReferral, &BannedReferrer},
                      ModeCase{"BlockedCountry", kBlockedCountry, &BlockedCountry}),
    [](const ::testing::TestParamInfo<ModeCase>& info) { return std::string(info.param.name); });

TEST(EvaluateFraudTest, CleanSubjectPassesEveryCheck) {
  Verdict verdict = Evaluate(AllModes(kBlock), Clean());
  EXPECT_TRUE(verdict.flags.empty());
  EXPECT_FALSE(verdict.rejected);
}

TEST(EvaluateFraudTest, DefaultRulesDetectEverything) {
  FraudRules defaults;
  EXPECT_EQ(defaults.self_referral, kDetect);
  EXPECT_EQ(defaults.suspicious_email, kDetect);
  EXPECT_EQ(defaults.paid_traffic, kDetect);
  EXPECT_EQ(defaults.cross_program_ban, kDetect);
  EXPECT_EQ(defaults.duplicate_payout, kDetect);
  EXPECT_EQ(defaults.banned_referral, kDetect);
  EXPECT_EQ(defaults.blocked_country, kDetect);
  EXPECT_TRUE(defaults.banned_referral_domains.empty());
  EXPECT_TRUE(defaults.blocked_countries.empty());
  EXPECT_EQ(defaults.paid_click_params,
            (std::vector<std::string>{"gclid", "fbclid", "msclkid", "ttclid"}));
  Verdict verdict = Evaluate(defaults, Paid());
  EXPECT_EQ(verdict.flags, (Flags{{kPaidTraffic, kDetect}}));
  EXPECT_FALSE(verdict.rejected);
}

TEST(EvaluateFraudTest, AllThreeFireWithMixedModesInCheckOrder) {
  FraudSubject subject = Clean();
  subject.lead_email = "Some.One+x@mailinator.com";
  subject.affiliate_email = "SOME.ONE@mailinator.com";
  subject.fbclid = "IwAR";
  FraudRules rules = AllModes(kDetect);
  rules.self_referral = kDetect;
  rules.suspicious_email = kBlock;
  rules.paid_traffic = kDetect;
  Verdict verdict = Evaluate(rules, subject);
  EXPECT_EQ(verdict.flags,
            (Flags{{kSelfReferral, kDetect}, {kSuspiciousEmail, kBlock}, {kPaidTraffic, kDetect}}));
  EXPECT_TRUE(verdict.rejected);
}

TEST(EvaluateFraudTest, AllSevenFireInTheSdksOrder) {
  FraudSubject subject = Clean();
  subject.lead_email = "x@mailinator.com";
  subject.affiliate_email = "x@mailinator.com";
  subject.gclid = "g";
  subject.referrer = "spam.example";
  subject.country = "RU";
  subject.affiliate_rejected_elsewhere = true;
  subject.customer_already_paid = true;
  FraudRules rules = AllModes(kDetect);
  rules.blocked_country = kBlock;
  Verdict verdict = Evaluate(rules, subject);
  EXPECT_EQ(verdict.flags, (Flags{{kSelfReferral, kDetect},
                                  {kCrossProgramBan, kDetect},
                                  {kDuplicatePayout, kDetect},
                                  {kSuspiciousEmail, kDetect},
                                  {kBannedReferral, kDetect},
                                  {kPaidTraffic, kDetect},
                                  {kBlockedCountry, kBlock}}));
  EXPECT_TRUE(verdict.rejected);
}

TEST(EvaluateFraudTest, ChecksAfterABlockAreStillRecorded) {
  FraudSubject subject = SelfReferral();
  subject.lead_email = "x@yopmail.com";
  subject.affiliate_email = "x@yopmail.com";
  subject.ttclid = "tt";
  FraudRules rules = AllModes(kBlock);
  rules.suspicious_email = kOff;
  rules.paid_traffic = kDetect;
  Verdict verdict = Evaluate(rules, subject);
  EXPECT_EQ(verdict.flags, (Flags{{kSelfReferral, kBlock}, {kPaidTraffic, kDetect}}));
  EXPECT_TRUE(verdict.rejected);
}

TEST(EvaluateFraudTest, DetectOnlyFlagsNeverReject) {
  FraudSubject subject = Disposable();
  subject.affiliate_email = subject.lead_email;
  subject.msclkid = "ms";
  Verdict verdict = Evaluate(AllModes(kDetect), subject);
  EXPECT_EQ(verdict.flags.size(), 3u);
  EXPECT_FALSE(verdict.rejected);
}

// ---------------------------------------------------------------- banned referral

TEST(ReferrerHostTest, TheHostOfAUrlOrABareHost) {
  EXPECT_EQ(ReferrerHost("https://Spam.Example/x?y#z"), "spam.example");
  EXPECT_EQ(ReferrerHost("http://user:pw@spam.example:8080/"), "spam.example");
  EXPECT_EQ(ReferrerHost("//spam.example/path"), "spam.example");
  EXPECT_EQ(ReferrerHost("spam.example/path//more"), "spam.example");
  EXPECT_EQ(ReferrerHost("  spam.example.  "), "spam.example");
  EXPECT_EQ(ReferrerHost("android-app://com.spam.example"), "com.spam.example");
  EXPECT_EQ(ReferrerHost("https://spam.example\\@good.example/"), "spam.example");
  EXPECT_EQ(ReferrerHost("https://[2001:db8::1]/"), "");
  EXPECT_EQ(ReferrerHost(""), "");
}

TEST(BannedReferralTest, TheDomainAndItsSubdomainsMatch) {
  FraudRules rules = AllModes(kBlock);
  for (const char* referrer : {"https://spam.example/", "https://www.spam.example/a",
                               "http://deep.sub.ads.test", "SPAM.EXAMPLE"}) {
    FraudSubject subject = Clean();
    subject.referrer = referrer;
    EXPECT_EQ(Evaluate(rules, subject).flags, (Flags{{kBannedReferral, kBlock}})) << referrer;
  }
}

TEST(BannedReferralTest, LookAlikesParentsAndOtherPartsOfTheUrlDoNotMatch) {
  FraudRules rules = AllModes(kBlock);
  for (const char* referrer :
       {"https://notspam.example/", "https://example/", "https://good.example/?r=spam.example",
        "https://good.example/spam.example", "https://spam.example.good.example/", "", "  "}) {
    FraudSubject subject = Clean();
    subject.referrer = referrer;
    EXPECT_TRUE(Evaluate(rules, subject).flags.empty()) << referrer;
  }
}

TEST(BannedReferralTest, NoConfigBansNothing) {
  FraudRules rules = AllModes(kBlock);
  rules.banned_referral_domains.clear();
  EXPECT_TRUE(Evaluate(rules, BannedReferrer()).flags.empty());
}

// ---------------------------------------------------------------- blocked country

TEST(BlockedCountryTest, ListedCountriesInAnyCase) {
  FraudRules rules = AllModes(kDetect);
  for (const char* country : {"KP", "kp", " ru "}) {
    FraudSubject subject = Clean();
    subject.country = country;
    EXPECT_EQ(Evaluate(rules, subject).flags, (Flags{{kBlockedCountry, kDetect}})) << country;
  }
}

TEST(BlockedCountryTest, OtherOrUnknownCountriesPass) {
  FraudRules rules = AllModes(kBlock);
  for (const char* country : {"DE", "", "K", "KPX"}) {
    FraudSubject subject = Clean();
    subject.country = country;
    EXPECT_TRUE(Evaluate(rules, subject).flags.empty()) << country;
  }
  rules.blocked_countries.clear();
  EXPECT_TRUE(Evaluate(rules, BlockedCountry()).flags.empty());
}

// ---------------------------------------------------------------- facts from storage

TEST(StoredFactsTest, CrossProgramBanAndDuplicatePayoutJudgeTheirFactsOnly) {
  // These two checks take storage's word; nothing else about the subject
  // makes them fire.
  FraudRules rules = AllModes(kBlock);
  EXPECT_EQ(Evaluate(rules, RejectedElsewhere()).flags, (Flags{{kCrossProgramBan, kBlock}}));
  EXPECT_EQ(Evaluate(rules, AlreadyPaid()).flags, (Flags{{kDuplicatePayout, kBlock}}));
  FraudSubject both = RejectedElsewhere();
  both.customer_already_paid = true;
  EXPECT_EQ(Evaluate(rules, both).flags,
            (Flags{{kCrossProgramBan, kBlock}, {kDuplicatePayout, kBlock}}));
}

// ---------------------------------------------------------------- self-referral

TEST(SelfReferralTest, NormalizedEmailsMatch) {
  FraudRules rules = AllModes(kDetect);
  FraudSubject subject = Clean();
  subject.lead_email = "  J.Doe+promo@GoogleMail.com ";
  subject.affiliate_email = "jdoe@gmail.com";
  EXPECT_EQ(Evaluate(rules, subject).flags, (Flags{{kSelfReferral, kDetect}}));
}

TEST(SelfReferralTest, ExternalUserIdsMatchExactly) {
  FraudRules rules = AllModes(kDetect);
  FraudSubject subject = Clean();
  subject.lead_external_user_id = "user_affiliate";
  EXPECT_EQ(Evaluate(rules, subject).flags, (Flags{{kSelfReferral, kDetect}}));
  subject.lead_external_user_id = "USER_AFFILIATE";  // ids are opaque: case matters
  EXPECT_TRUE(Evaluate(rules, subject).flags.empty());
}

TEST(SelfReferralTest, EmptyEmailsAndIdsNeverMatch) {
  FraudRules rules = AllModes(kBlock);
  FraudSubject subject;  // everything empty
  EXPECT_TRUE(Evaluate(rules, subject).flags.empty());
  subject.lead_email = "   ";
  subject.affiliate_email = "";
  EXPECT_TRUE(Evaluate(rules, subject).flags.empty());
  subject.lead_email = "";
  subject.affiliate_email = "a@example.com";
  subject.lead_external_user_id = "";
  subject.affiliate_external_user_id = "";
  EXPECT_TRUE(Evaluate(rules, subject).flags.empty());
  subject.lead_external_user_id = "u1";  // one side only
  EXPECT_TRUE(Evaluate(rules, subject).flags.empty());
}

TEST(SelfReferralTest, DifferentPeopleDoNotMatch) {
  FraudRules rules = AllModes(kBlock);
  FraudSubject subject = Clean();
  subject.lead_email = "j.doe@example.com";  // dots count outside Gmail
  subject.affiliate_email = "jdoe@example.com";
  EXPECT_TRUE(Evaluate(rules, subject).flags.empty());
  subject.lead_email = "+a@example.com";  // a bare '+' local part is not a tag
  subject.affiliate_email = "+b@example.com";
  EXPECT_TRUE(Evaluate(rules, subject).flags.empty());
}

// ---------------------------------------------------------------- NormalizeEmail

TEST(NormalizeEmailTest, GmailDotsTagsDomainCaseAndWhitespace) {
  EXPECT_EQ(NormalizeEmail("john.doe@gmail.com"), "johndoe@gmail.com");
  EXPECT_EQ(NormalizeEmail("j.o.h.n.d.o.e@gmail.com"), "johndoe@gmail.com");
  EXPECT_EQ(NormalizeEmail("johndoe+newsletter@gmail.com"), "johndoe@gmail.com");
  EXPECT_EQ(NormalizeEmail("john.doe+a+b@gmail.com"), "johndoe@gmail.com");
  EXPECT_EQ(NormalizeEmail("john.doe@googlemail.com"), "johndoe@gmail.com");
  EXPECT_EQ(NormalizeEmail("John.Doe@GMail.COM"), "johndoe@gmail.com");
  EXPECT_EQ(NormalizeEmail("JohnDoe@GoogleMail.Com"), "johndoe@gmail.com");
  EXPECT_EQ(NormalizeEmail(" \t john.doe+x@gmail.com \n"), "johndoe@gmail.com");
}

TEST(NormalizeEmailTest, TagsRemovedOnEveryDomainButDotsKept) {
  EXPECT_EQ(NormalizeEmail("Ada.Lovelace+Promo@Example.COM"), "ada.lovelace@example.com");
  EXPECT_EQ(NormalizeEmail("ada+a+b@fastmail.com"), "ada@fastmail.com");
  EXPECT_EQ(NormalizeEmail("ada@sub.example.com"), "ada@sub.example.com");
  // Only gmail.com and googlemail.com fold: a subdomain is someone else's.
  EXPECT_EQ(NormalizeEmail("a.b@mail.gmail.com"), "a.b@mail.gmail.com");
  EXPECT_EQ(NormalizeEmail("a.b@gmail.co"), "a.b@gmail.co");
}

TEST(NormalizeEmailTest, OddInputsAreOnlyTrimmedAndLowerCased) {
  EXPECT_EQ(NormalizeEmail(""), "");
  EXPECT_EQ(NormalizeEmail("   "), "");
  EXPECT_EQ(NormalizeEmail(" Not-An-Email "), "not-an-email");
  EXPECT_EQ(NormalizeEmail("+tag@example.com"), "+tag@example.com");
  EXPECT_EQ(NormalizeEmail("ada+@example.com"), "ada@example.com");
}

// ---------------------------------------------------------------- suspicious email

TEST(SuspiciousEmailTest, DomainAndParentDomainsOfTheListMatch) {
  FraudRules rules = AllModes(kDetect);
  FraudSubject subject = Clean();
  for (const char* email : {"a@mailinator.com", "a@inbox.mailinator.com", "A@MAILINATOR.COM",
                            " a+tag@Yopmail.com ", "a@x.trash.example.org"}) {
    subject.lead_email = email;
    EXPECT_EQ(Evaluate(rules, subject).flags, (Flags{{kSuspiciousEmail, kDetect}})) << email;
  }
}

TEST(SuspiciousEmailTest, OtherDomainsDoNotMatch) {
  FraudRules rules = AllModes(kBlock);
  FraudSubject subject = Clean();
  for (const char* email : {"a@example.org", "a@notmailinator.com", "a@mailinator.com.evil.org",
                            "a@gmail.com", "mailinator.com", "", "a@org", "a@com"}) {
    subject.lead_email = email;
    EXPECT_TRUE(Evaluate(rules, subject).flags.empty()) << email;
  }
}

TEST(SuspiciousEmailTest, OnlyTheLeadEmailCounts) {
  FraudRules rules = AllModes(kBlock);
  FraudSubject subject = Clean();
  subject.affiliate_email = "affiliate@mailinator.com";
  EXPECT_TRUE(Evaluate(rules, subject).flags.empty());
}

TEST(SuspiciousEmailTest, AllowListExactDomain) {
  FraudRules rules = AllModes(kBlock);
  rules.allowed_email_domains = {"mailinator.com"};
  FraudSubject subject = Clean();
  subject.lead_email = "qa@mailinator.com";
  EXPECT_TRUE(Evaluate(rules, subject).flags.empty());
  subject.lead_email = "qa@yopmail.com";  // allowing one does not allow the others
  EXPECT_EQ(Evaluate(rules, subject).flags, (Flags{{kSuspiciousEmail, kBlock}}));
}

TEST(SuspiciousEmailTest, AllowListCoversSubdomains) {
  FraudRules rules = AllModes(kBlock);
  rules.allowed_email_domains = {"mailinator.com"};
  FraudSubject subject = Clean();
  subject.lead_email = "qa@team.mailinator.com";
  EXPECT_TRUE(Evaluate(rules, subject).flags.empty());
}

TEST(SuspiciousEmailTest, AllowedSubdomainDoesNotAllowItsParent) {
  FraudRules rules = AllModes(kBlock);
  rules.allowed_email_domains = {"qa.mailinator.com"};
  FraudSubject subject = Clean();
  subject.lead_email = "x@qa.mailinator.com";
  EXPECT_TRUE(Evaluate(rules, subject).flags.empty());
  subject.lead_email = "x@mailinator.com";
  EXPECT_EQ(Evaluate(rules, subject).flags, (Flags{{kSuspiciousEmail, kBlock}}));
  subject.lead_email = "x@other.mailinator.com";
  EXPECT_EQ(Evaluate(rules, subject).flags, (Flags{{kSuspiciousEmail, kBlock}}));
}

TEST(SuspiciousEmailTest, AllowingABareTldAllowsNothing) {
  FraudRules rules = AllModes(kBlock);
  rules.allowed_email_domains = {"com"};
  FraudSubject subject = Clean();
  subject.lead_email = "x@mailinator.com";
  EXPECT_EQ(Evaluate(rules, subject).flags, (Flags{{kSuspiciousEmail, kBlock}}));
}

TEST(SuspiciousEmailTest, ListedTldNeverMatches) {
  DisposableDomains with_tld = DisposableDomains::FromText("com\n");
  FraudSubject subject = Clean();
  subject.lead_email = "x@anything.com";
  EXPECT_TRUE(Evaluate(AllModes(kBlock), subject, with_tld).flags.empty());
}

TEST(SuspiciousEmailTest, BuiltinListFlagsMailinator) {
  FraudSubject subject = Clean();
  subject.lead_email = "someone@mailinator.com";
  Verdict verdict = Evaluate(AllModes(kBlock), subject, DisposableDomains::Builtin());
  EXPECT_EQ(verdict.flags, (Flags{{kSuspiciousEmail, kBlock}}));
  subject.lead_email = "someone@gmail.com";
  EXPECT_TRUE(Evaluate(AllModes(kBlock), subject, DisposableDomains::Builtin()).flags.empty());
}

// ---------------------------------------------------------------- paid traffic

TEST(PaidTrafficTest, EachClickIdFires) {
  FraudRules rules = AllModes(kDetect);
  for (std::string FraudSubject::*param : {&FraudSubject::gclid, &FraudSubject::fbclid,
                                           &FraudSubject::msclkid, &FraudSubject::ttclid}) {
    FraudSubject subject = Clean();
    subject.*param = "abc";
    EXPECT_EQ(Evaluate(rules, subject).flags, (Flags{{kPaidTraffic, kDetect}}));
  }
}

TEST(PaidTrafficTest, OnlyTheConfiguredClickIdsCount) {
  FraudRules rules = AllModes(kDetect);
  rules.paid_click_params = {"gclid", "not_a_param"};  // unknown names ignored
  FraudSubject subject = Clean();
  subject.fbclid = "IwAR";
  subject.msclkid = "ms";
  subject.ttclid = "tt";
  EXPECT_TRUE(Evaluate(rules, subject).flags.empty());
  subject.gclid = "g";
  EXPECT_EQ(Evaluate(rules, subject).flags.size(), 1u);

  rules.paid_click_params.clear();
  EXPECT_TRUE(Evaluate(rules, subject).flags.empty());
}

TEST(PaidTrafficTest, UtmMediumIsCaseInsensitive) {
  FraudRules rules = AllModes(kBlock);
  FraudSubject subject = Clean();
  for (const char* medium : {"cpc", "CPC", "Ppc", "PAID", " paid "}) {
    subject.utm_medium = medium;
    Verdict verdict = Evaluate(rules, subject);
    EXPECT_EQ(verdict.flags, (Flags{{kPaidTraffic, kBlock}})) << medium;
    EXPECT_TRUE(verdict.rejected);
  }
}

TEST(PaidTrafficTest, OtherOrMissingMediumsDoNotFire) {
  FraudRules rules = AllModes(kBlock);
  FraudSubject subject = Clean();
  for (const char* medium : {"", "email", "organic", "cpcx", "paid social"}) {
    subject.utm_medium = medium;
    EXPECT_TRUE(Evaluate(rules, subject).flags.empty()) << medium;
  }
  rules.paid_utm_mediums = {""};  // an empty entry must not match a missing medium
  subject.utm_medium = "";
  EXPECT_TRUE(Evaluate(rules, subject).flags.empty());
}

}  // namespace
}  // namespace affonso::services

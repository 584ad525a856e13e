#include "storage/pg_signup_store.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "common/ids.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::StatusIs;
using affonso::v1::RecordSignupRequest;

RecordSignupRequest Signup(const std::string& click_id, const std::string& email,
                           const std::string& name = "") {
  RecordSignupRequest request;
  request.set_click_id(click_id);
  request.set_email(email);
  request.set_name(name);
  request.set_external_user_id("user-1");
  return request;
}

class PgSignupStoreTest : public testing::TwoTenantTest {
 protected:
  PgSignupStoreTest() : TwoTenantTest(/*pool_size=*/16) {}
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgSignupStore>(&db_->pool(), &accept_all_);
  }
  AcceptAllPolicy accept_all_;
  std::unique_ptr<PgSignupStore> store_;
};

TEST_F(PgSignupStoreTest, ConvertsOnceThenReturnsTheSameReferral) {
  std::string click = testing::InsertClick(*db_, a_);
  auto first = store_->ConvertClick(a_.team_id, Signup(click, "lead@example.com", "Lee"));
  ASSERT_OK(first);
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->referral.id(), click);
  EXPECT_EQ(first->referral.affiliate_id(), a_.affiliate_id);
  EXPECT_EQ(first->referral.program_id(), a_.program_id);
  EXPECT_EQ(first->referral.email(), "lead@example.com");
  EXPECT_EQ(first->referral.name(), "Lee");
  EXPECT_EQ(first->referral.external_user_id(), "user-1");
  EXPECT_EQ(first->referral.status(), affonso::v1::REFERRAL_STATUS_LEAD);
  EXPECT_FALSE(first->referral.has_converted_at());
  EXPECT_GT(first->referral.created_at().seconds(), 0);

  auto again = store_->ConvertClick(a_.team_id, Signup(click, "other@example.com"));
  ASSERT_OK(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->referral.SerializeAsString(), first->referral.SerializeAsString());
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals"), "1");
}

TEST_F(PgSignupStoreTest, AnotherTeamsClickIsNotFoundAndUntouched) {
  std::string click = testing::InsertClick(*db_, a_);
  auto result = store_->ConvertClick(b_.team_id, Signup(click, "x@example.com"));
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ConvertClick(a_.team_id, Signup("clk_missing", "x@example.com")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals"), "0");
  // Converted by its owner, it is still invisible to the other team.
  ASSERT_OK(store_->ConvertClick(a_.team_id, Signup(click, "x@example.com")));
  EXPECT_THAT(store_->ConvertClick(b_.team_id, Signup(click, "x@example.com")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgSignupStoreTest, ClickAlreadyUsedByADirectReferralReturnsThatReferral) {
  std::string click = testing::InsertClick(*db_, a_);
  db_->QueryValue(
      "INSERT INTO referrals (id, team_id, program_id, affiliate_id, click_id, source, "
      "email, status) VALUES ('ref_direct1', '" +
      a_.team_id + "', '" + a_.program_id + "', '" + a_.affiliate_id + "', '" + click +
      "', 'direct', 'd@example.com', 'lead')");
  auto result = store_->ConvertClick(a_.team_id, Signup(click, "x@example.com"));
  ASSERT_OK(result);
  EXPECT_FALSE(result->created);
  EXPECT_EQ(result->referral.id(), "ref_direct1");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals"), "1");
}

// A deleted referral (DELETE /v1/referrals) keeps its click used: a signup on
// it is NOT_FOUND, never the deleted referral and never a second one.
TEST_F(PgSignupStoreTest, ClickOfADeletedReferralIsNotConvertedAgain) {
  std::string click = testing::InsertClick(*db_, a_);
  ASSERT_OK(store_->ConvertClick(a_.team_id, Signup(click, "gone@example.com")));
  db_->QueryValue("UPDATE referrals SET deleted_at = now() WHERE id = '" + click + "'");
  auto again = store_->ConvertClick(a_.team_id, Signup(click, "gone@example.com"));
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals"), "1");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM outbox_events WHERE type = 'referral.lead'"),
            "1");
}

TEST_F(PgSignupStoreTest, TrackingSettingsDropEmailAndName) {
  testing::SetTracking(*db_, a_, /*track_email=*/false, /*track_name=*/false);
  auto result = store_->ConvertClick(a_.team_id,
                                     Signup(testing::InsertClick(*db_, a_), "e@example.com", "N"));
  ASSERT_OK(result);
  EXPECT_EQ(result->referral.email(), "");
  EXPECT_EQ(result->referral.name(), "");
  EXPECT_EQ(result->referral.external_user_id(), "user-1");
  testing::SetTracking(*db_, a_, /*track_email=*/true, /*track_name=*/false);
  result = store_->ConvertClick(a_.team_id,
                                Signup(testing::InsertClick(*db_, a_), "e@example.com", "N"));
  ASSERT_OK(result);
  EXPECT_EQ(result->referral.email(), "e@example.com");
  EXPECT_EQ(result->referral.name(), "");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals WHERE name IS NOT NULL"), "0");
}

TEST_F(PgSignupStoreTest, RacingConversionsCreateExactlyOneReferral) {
  std::string click = testing::InsertClick(*db_, a_);
  constexpr int kCallers = 32;
  std::vector<absl::StatusOr<Conversion>> results(kCallers, absl::UnknownError("not run"));
  std::atomic<bool> go{false};
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      results[i] = store_->ConvertClick(
          a_.team_id, Signup(click, "caller" + std::to_string(i) + "@example.com"));
    });
  }
  go = true;
  for (auto& caller : callers) caller.join();
  int created = 0;
  std::string winner_email;
  for (const auto& result : results) {
    ASSERT_OK(result);
    if (result->created) {
      ++created;
      winner_email = result->referral.email();
    }
  }
  EXPECT_EQ(created, 1);
  for (const auto& result : results) EXPECT_EQ(result->referral.email(), winner_email);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals"), "1");
  EXPECT_EQ(db_->QueryValue("SELECT email FROM referrals"), winner_email);
}

// One batch at a time, so concurrent callers pile into shared batches that mix
// fresh clicks, a click many callers repeat, another team's click asked for by
// both teams, and clicks that do not exist.
TEST_F(PgSignupStoreTest, BatchedConversionsAnswerEachCallerRight) {
  PgSignupStore batching(&db_->pool(), &accept_all_,
                         PgSignupStore::Options{/*workers=*/1, /*max_batch=*/64});
  std::vector<std::string> fresh;
  for (int i = 0; i < 20; ++i) fresh.push_back(testing::InsertClick(*db_, a_));
  const std::string shared = testing::InsertClick(*db_, a_);
  const std::string b_click = testing::InsertClick(*db_, b_);

  struct Call {
    std::string team;
    std::string click;
    absl::StatusOr<Conversion> result = absl::UnknownError("not run");
  };
  std::vector<Call> calls;
  for (const auto& click : fresh) calls.push_back({a_.team_id, click});
  for (int i = 0; i < 15; ++i) calls.push_back({a_.team_id, shared});
  for (int i = 0; i < 5; ++i) calls.push_back({a_.team_id, b_click});  // not A's
  calls.push_back({b_.team_id, b_click});
  for (int i = 0; i < 5; ++i) calls.push_back({a_.team_id, "clk_missing" + std::to_string(i)});

  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < calls.size(); ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      calls[i].result = batching.ConvertClick(
          calls[i].team, Signup(calls[i].click, "c" + std::to_string(i) + "@example.com"));
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();

  int shared_created = 0;
  std::string shared_email;
  for (const Call& call : calls) {
    if (call.click.rfind("clk_missing", 0) == 0 ||
        (call.click == b_click && call.team == a_.team_id)) {
      EXPECT_THAT(call.result, StatusIs(absl::StatusCode::kNotFound)) << call.click;
      continue;
    }
    ASSERT_OK(call.result) << call.click << ": " << call.result.status();
    EXPECT_EQ(call.result->referral.id(), call.click);
    if (call.click == shared) {
      shared_created += call.result->created;
      if (shared_email.empty()) shared_email = call.result->referral.email();
      EXPECT_EQ(call.result->referral.email(), shared_email);
    } else {
      EXPECT_TRUE(call.result->created) << call.click;
    }
  }
  EXPECT_EQ(shared_created, 1);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals"), "22");
  EXPECT_EQ(db_->QueryValue("SELECT team_id FROM referrals WHERE id = '" + b_click + "'"),
            b_.team_id);
}

TEST_F(PgSignupStoreTest, ValuesNeedingQuotesSurviveTheArrays) {
  std::string click = testing::InsertClick(*db_, a_);
  RecordSignupRequest request = Signup(click, "o'brien+x@example.com", "Zoë \"Q\", {a} \\ NULL");
  request.set_external_user_id("NULL");
  auto result = store_->ConvertClick(a_.team_id, request);
  ASSERT_OK(result);
  EXPECT_EQ(result->referral.name(), "Zoë \"Q\", {a} \\ NULL");
  EXPECT_EQ(result->referral.email(), "o'brien+x@example.com");
  EXPECT_EQ(result->referral.external_user_id(), "NULL");
}

// The facts a signup's plan is made from, as the store read them.
class RecordingPolicy final : public ConversionPolicy {
 public:
  ConversionPlan Plan(const ConversionFacts& facts) const override {
    absl::MutexLock lock(&mu_);
    seen_.push_back(facts);
    return AcceptAllPolicy().Plan(facts);
  }
  ConversionFacts Last() const {
    absl::MutexLock lock(&mu_);
    return seen_.empty() ? ConversionFacts() : seen_.back();
  }
  // customer_already_paid of the lead's plan: "true", "false" or "none".
  std::string PaidFactFor(const std::string& email) const {
    absl::MutexLock lock(&mu_);
    for (const ConversionFacts& facts : seen_) {
      if (facts.subject.lead_email == email) {
        return facts.subject.customer_already_paid ? "true" : "false";
      }
    }
    return "none";
  }

 private:
  mutable absl::Mutex mu_;
  mutable std::vector<ConversionFacts> seen_ ABSL_GUARDED_BY(mu_);
};

class SignupFactsTest : public testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgSignupStore>(&db_->pool(), &policy_);
  }
  // `set` is an UPDATE's SET list for A's (or `program`'s) rules row.
  void Rules(const std::string& set, const std::string& program = "") {
    db_->QueryValue(absl::StrCat("UPDATE program_fraud_rules SET ", set, " WHERE program_id = '",
                                 program.empty() ? a_.program_id : program, "'"));
  }
  // Signs up a fresh click of A's affiliate; returns the facts it was planned on.
  ConversionFacts FactsOf(const std::string& email, const std::string& external_user_id = "",
                          const std::string& click_columns = "", const std::string& values = "") {
    const std::string click = NewId("clk");
    db_->QueryValue(
        absl::StrCat("INSERT INTO clicks (id, team_id, program_id, affiliate_id, tracking_id",
                     click_columns, ") VALUES ('", click, "', '", a_.team_id, "', '", a_.program_id,
                     "', '", a_.affiliate_id, "', '", a_.tracking_id, "'", values, ")"));
    RecordSignupRequest request;
    request.set_click_id(click);
    request.set_email(email);
    request.set_external_user_id(external_user_id);
    EXPECT_OK(store_->ConvertClick(a_.team_id, request));
    return policy_.Last();
  }
  // Another program of `tenant`'s team; returns its id.
  std::string OtherProgram(const testing::Tenant& tenant) {
    const std::string id = NewId("prg");
    db_->QueryValue(absl::StrCat("INSERT INTO programs (id, team_id, name) VALUES ('", id, "', '",
                                 tenant.team_id, "', 'other')"));
    return id;
  }
  std::string AddAffiliate(const std::string& team, const std::string& program,
                           const std::string& email, const std::string& status,
                           bool deleted = false) {
    const std::string id = NewId("aff");
    db_->QueryValue(
        absl::StrCat("INSERT INTO affiliates (id, team_id, program_id, name, email, tracking_id, "
                     "partnership_status, deleted_at) VALUES ('",
                     id, "', '", team, "', '", program, "', 'Al', '", email, "', '", NewId("t"),
                     "', '", status, "', ", deleted ? "now()" : "NULL", ")"));
    return id;
  }
  // A referral of `affiliate` in `program` (of a click since purged: direct
  // ones may not share an email), with a lead commission in
  // `commission_status` (none when empty).
  // The referral's id; its commission's is `*commission` when given.
  std::string PaidReferral(const std::string& program, const std::string& affiliate,
                           const std::string& email, const std::string& external_user_id,
                           const std::string& commission_status,
                           std::string* commission = nullptr) {
    const std::string referral = NewId("ref");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO referrals (id, team_id, program_id, affiliate_id, source, email, "
        "external_user_id, status) VALUES ('",
        referral, "', '", a_.team_id, "', '", program, "', '", affiliate, "', 'click', NULLIF('",
        email, "', ''), NULLIF('", external_user_id, "', ''), 'lead')"));
    if (commission_status.empty()) return referral;
    const std::string commission_id = NewId("com");
    if (commission != nullptr) *commission = commission_id;
    db_->QueryValue(
        absl::StrCat("INSERT INTO commissions (id, team_id, program_id, referral_id, affiliate_id, "
                     "commission_amount, commission_currency, earning_type, status) VALUES ('",
                     commission_id, "', '", a_.team_id, "', '", program, "', '", referral, "', '",
                     affiliate, "', 5, 'USD', 'lead', '", commission_status, "')"));
    return referral;
  }

  RecordingPolicy policy_;
  std::unique_ptr<PgSignupStore> store_;
};

TEST_F(SignupFactsTest, TheClicksReferrerAndCountryAndTheRulesLists) {
  Rules(
      "banned_referral_mode = 'block', blocked_country_mode = 'off', "
      "banned_referral_domains = '{spam.example,ads.example}', blocked_countries = '{KP}'");
  ConversionFacts facts =
      FactsOf("lead@example.com", "", ", referrer, country", ", 'https://spam.example/x', 'KP'");
  EXPECT_EQ(facts.subject.referrer, "https://spam.example/x");
  EXPECT_EQ(facts.subject.country, "KP");
  EXPECT_EQ(facts.rules.banned_referral, affonso::v1::FRAUD_MODE_BLOCK);
  EXPECT_EQ(facts.rules.blocked_country, affonso::v1::FRAUD_MODE_OFF);
  EXPECT_EQ(facts.rules.cross_program_ban, affonso::v1::FRAUD_MODE_DETECT);
  EXPECT_EQ(facts.rules.duplicate_payout, affonso::v1::FRAUD_MODE_DETECT);
  EXPECT_EQ(facts.rules.banned_referral_domains,
            (std::vector<std::string>{"spam.example", "ads.example"}));
  EXPECT_EQ(facts.rules.blocked_countries, std::vector<std::string>{"KP"});

  // A null config reads as no list.
  Rules("banned_referral_domains = NULL, blocked_countries = NULL");
  facts = FactsOf("lead2@example.com");
  EXPECT_TRUE(facts.rules.banned_referral_domains.empty());
  EXPECT_TRUE(facts.rules.blocked_countries.empty());
  EXPECT_EQ(facts.subject.referrer, "");
  EXPECT_EQ(facts.subject.country, "");
}

TEST_F(SignupFactsTest, ListElementsHoldingCommasStayWhole) {
  // Read as text[] itself: a value with a comma (or quotes) is one element,
  // not two (array_to_string + split made "cpc,display" two paid mediums).
  Rules(
      "paid_utm_mediums = ARRAY['cpc,display', 'say \"hi\"'], "
      "paid_click_params = ARRAY['gclid'], allowed_email_domains = ARRAY['a.example']");
  ConversionFacts facts = FactsOf("lead@example.com", "", ", utm_medium", ", 'cpc'");
  EXPECT_EQ(facts.rules.paid_utm_mediums, (std::vector<std::string>{"cpc,display", "say \"hi\""}));
  EXPECT_EQ(facts.rules.paid_click_params, std::vector<std::string>{"gclid"});
  EXPECT_EQ(facts.rules.allowed_email_domains, std::vector<std::string>{"a.example"});
  EXPECT_EQ(facts.subject.utm_medium, "cpc");
}

TEST_F(SignupFactsTest, AffiliateRejectedInAnotherProgramOfTheTeam) {
  EXPECT_FALSE(FactsOf("l1@example.com").subject.affiliate_rejected_elsewhere);

  // Elsewhere, but approved; or rejected in another team; or rejected but
  // deleted: none counts.
  const std::string other = OtherProgram(a_);
  AddAffiliate(a_.team_id, other, "ALICE@affiliate.test", "approved");
  AddAffiliate(b_.team_id, OtherProgram(b_), "alice@affiliate.test", "rejected");
  AddAffiliate(a_.team_id, other, "alice@affiliate.test", "rejected", /*deleted=*/true);
  EXPECT_FALSE(FactsOf("l2@example.com").subject.affiliate_rejected_elsewhere);
  // Another email rejected in the other program does not count either.
  AddAffiliate(a_.team_id, other, "bob@affiliate.test", "rejected");
  EXPECT_FALSE(FactsOf("l3@example.com").subject.affiliate_rejected_elsewhere);

  const std::string third = OtherProgram(a_);
  AddAffiliate(a_.team_id, third, "Alice@Affiliate.test", "rejected");
  EXPECT_TRUE(FactsOf("l4@example.com").subject.affiliate_rejected_elsewhere);

  // Off: not even looked up.
  Rules("cross_program_ban_mode = 'off'");
  EXPECT_FALSE(FactsOf("l5@example.com").subject.affiliate_rejected_elsewhere);
}

TEST_F(SignupFactsTest, CustomerWhoAlreadyEarnedACommissionInTheProgram) {
  EXPECT_FALSE(FactsOf("paid@example.com", "user-paid").subject.customer_already_paid);

  // A referral without a commission, a declined commission, and a commission
  // in another program: none counts.
  PaidReferral(a_.program_id, a_.affiliate_id, "paid@example.com", "", "");
  PaidReferral(a_.program_id, a_.affiliate_id, "paid@example.com", "", "declined");
  const std::string other = OtherProgram(a_);
  const std::string other_affiliate =
      AddAffiliate(a_.team_id, other, "carol@affiliate.test", "approved");
  PaidReferral(other, other_affiliate, "paid@example.com", "user-paid", "pending");
  EXPECT_FALSE(FactsOf("paid@example.com", "user-paid").subject.customer_already_paid);

  // The same email (any case) or the same external id, with a commission.
  PaidReferral(a_.program_id, a_.affiliate_id, "Paid@Example.com", "", "pending");
  EXPECT_TRUE(FactsOf("paid@example.com").subject.customer_already_paid);
  EXPECT_FALSE(FactsOf("someone-else@example.com").subject.customer_already_paid);
  PaidReferral(a_.program_id, a_.affiliate_id, "", "user-42", "paid");
  EXPECT_TRUE(FactsOf("new@example.com", "user-42").subject.customer_already_paid);
  EXPECT_FALSE(FactsOf("", "user-43").subject.customer_already_paid);

  Rules("duplicate_payout_mode = 'off'");
  EXPECT_FALSE(FactsOf("paid@example.com", "user-42").subject.customer_already_paid);
}

// The check reads the referrals' has_paid_commission flag (migration 025),
// which a trigger keeps whatever writes the commissions: declining,
// un-declining, deleting, or moving one to another referral.
TEST_F(SignupFactsTest, ThePaidFlagFollowsEveryChangeOfTheCommissions) {
  auto paid = [&] { return FactsOf("flag@example.com").subject.customer_already_paid; };
  auto flag = [&](const std::string& referral) {
    return db_->QueryValue(
        absl::StrCat("SELECT has_paid_commission FROM referrals WHERE id = '", referral, "'"));
  };
  std::string commission;
  const std::string referral =
      PaidReferral(a_.program_id, a_.affiliate_id, "flag@example.com", "", "pending", &commission);
  EXPECT_EQ(flag(referral), "t");
  EXPECT_TRUE(paid());
  auto set = [&](const std::string& assignment) {
    db_->QueryValue(absl::StrCat("UPDATE commissions SET ", assignment, " WHERE id = '", commission,
                                 "' RETURNING 1"));
  };
  set("status = 'ready_for_payment'");
  EXPECT_TRUE(paid());
  set("status = 'declined'");
  EXPECT_EQ(flag(referral), "f");
  EXPECT_FALSE(paid());
  set("status = 'pending'");
  EXPECT_TRUE(paid());

  // A second commission holds the flag while the first is declined.
  const std::string unpaid =
      PaidReferral(a_.program_id, a_.affiliate_id, "other@example.com", "", "");
  db_->QueryValue(
      absl::StrCat("INSERT INTO commissions (id, team_id, program_id, referral_id, affiliate_id, "
                   "commission_amount, commission_currency, earning_type, status) VALUES ('",
                   NewId("com"), "', '", a_.team_id, "', '", a_.program_id, "', '", referral,
                   "', '", a_.affiliate_id, "', 7, 'USD', 'sale', 'paid') RETURNING 1"));
  set("status = 'declined'");
  EXPECT_EQ(flag(referral), "t");

  // Moved to another referral: the flag moves with it... and back.
  db_->QueryValue(absl::StrCat("UPDATE commissions SET status = 'pending', referral_id = '", unpaid,
                               "' WHERE id = '", commission, "' RETURNING 1"));
  EXPECT_EQ(flag(unpaid), "t");
  EXPECT_EQ(flag(referral), "t");  // the sale still holds it
  db_->QueryValue(
      absl::StrCat("DELETE FROM commissions WHERE referral_id = '", referral, "' RETURNING 1"));
  EXPECT_EQ(flag(referral), "f");
  EXPECT_FALSE(paid());
  db_->QueryValue(
      absl::StrCat("DELETE FROM commissions WHERE id = '", commission, "' RETURNING 1"));
  EXPECT_EQ(flag(unpaid), "f");
}

TEST_F(SignupFactsTest, EachCallerOfABatchIsJudgedOnItsOwnLead) {
  PaidReferral(a_.program_id, a_.affiliate_id, "paid@example.com", "", "pending");
  // Two signups in one batch statement: only the paid customer's fact is set.
  std::vector<std::string> clicks = {testing::InsertClick(*db_, a_),
                                     testing::InsertClick(*db_, a_)};
  std::vector<RecordSignupRequest> requests = {Signup(clicks[0], "paid@example.com"),
                                               Signup(clicks[1], "fresh@example.com")};
  requests[0].set_external_user_id("");
  requests[1].set_external_user_id("");
  std::vector<absl::StatusOr<Conversion>> results(2, absl::UnknownError("not run"));
  absl::BlockingCounter done(2);
  for (int i = 0; i < 2; ++i) {
    store_->ConvertClickAsync(a_.team_id, &requests[i], [&, i](absl::StatusOr<Conversion> result) {
      results[i] = std::move(result);
      done.DecrementCount();
    });
  }
  done.Wait();
  ASSERT_OK(results[0]);
  ASSERT_OK(results[1]);
  EXPECT_EQ(policy_.PaidFactFor("paid@example.com"), "true");
  EXPECT_EQ(policy_.PaidFactFor("fresh@example.com"), "false");
}

}  // namespace
}  // namespace affonso::storage

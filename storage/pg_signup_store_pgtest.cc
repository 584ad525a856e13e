#include "storage/pg_signup_store.h"

#include <atomic>
#include <thread>
#include <vector>

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
                         PgSignupStore::Options{/*max_batch=*/64, /*workers=*/1});
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

}  // namespace
}  // namespace affonso::storage

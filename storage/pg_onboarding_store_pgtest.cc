#include "storage/pg_onboarding_store.h"

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::HasApiError;
using affonso::v1::OnboardingForm;
using google::protobuf::Value;

OnboardingQuestionInput Question(const std::string& id, const std::string& type, bool required,
                                 std::vector<std::string> options, int order) {
  OnboardingQuestionInput question;
  question.id = id;
  question.question = "Question " + type;
  question.type = type;
  question.is_required = required;
  question.options = std::move(options);
  question.order = order;
  return question;
}

OnboardingFormChange NewForm() {
  OnboardingFormChange change;
  change.name = "Partner onboarding";
  change.questions = std::vector<OnboardingQuestionInput>{
      Question("", "text_input", true, {}, 2),
      Question("", "single_choice", true, {"Blog", "YouTube"}, 1),
      Question("", "multiple_choice", false, {"EU", "US"}, 3),
  };
  return change;
}

Value Text(const std::string& text) {
  Value value;
  value.set_string_value(text);
  return value;
}

// A check that sets `answers` and completes when asked, as the service's
// plan would once it accepted them.
OnboardingAnswerCheck Set(std::map<std::string, Value> answers, bool complete = false) {
  return [answers,
          complete](const StoredOnboardingResponses&) -> absl::StatusOr<OnboardingAnswerChanges> {
    OnboardingAnswerChanges changes;
    changes.set = answers;
    changes.complete = complete;
    return changes;
  };
}

class PgOnboardingStoreTest : public testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgOnboardingStore>(&db_->pool());
  }

  std::string Count(const std::string& table) {
    return db_->QueryValue("SELECT count(*) FROM " + table);
  }

  std::unique_ptr<PgOnboardingStore> store_;
};

TEST_F(PgOnboardingStoreTest, CreatesReadsAndRefusesASecondForm) {
  EXPECT_THAT(store_->GetForm(a_.team_id, "").status(), HasApiError("NOT_FOUND"));
  ASSERT_OK_AND_ASSIGN(OnboardingForm form, store_->CreateForm(a_.team_id, "", NewForm()));
  EXPECT_EQ(form.name(), "Partner onboarding");
  EXPECT_FALSE(form.has_description());
  ASSERT_EQ(form.questions_size(), 3);
  // By order: the choice question (order 1) first.
  EXPECT_EQ(form.questions(0).type(), "single_choice");
  EXPECT_EQ(form.questions(1).type(), "text_input");
  EXPECT_EQ(form.questions(0).options_size(), 2);
  EXPECT_EQ(form.questions(2).order(), 3);
  ASSERT_OK_AND_ASSIGN(OnboardingForm read, store_->GetForm(a_.team_id, a_.program_id));
  EXPECT_EQ(read.DebugString(), form.DebugString());
  EXPECT_THAT(store_->CreateForm(a_.team_id, "", NewForm()).status(),
              HasApiError("DUPLICATE_ERROR"));
  // Another team: its own default program has none; A's program is not found.
  EXPECT_THAT(store_->GetForm(b_.team_id, "").status(), HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->GetForm(b_.team_id, a_.program_id).status(), HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->CreateForm(b_.team_id, a_.program_id, NewForm()).status(),
              HasApiError("NOT_FOUND"));
  EXPECT_EQ(Count("onboarding_forms"), "1");
}

TEST_F(PgOnboardingStoreTest, RacingCreatesMakeOneForm) {
  std::vector<std::thread> threads;
  std::atomic<int> created{0}, duplicates{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      auto form = store_->CreateForm(a_.team_id, "", NewForm());
      if (form.ok()) {
        ++created;
      } else if (form.status().code() == absl::StatusCode::kAlreadyExists) {
        ++duplicates;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(duplicates.load(), 5);
  EXPECT_EQ(Count("onboarding_questions"), "3");
}

TEST_F(PgOnboardingStoreTest, ReplacingQuestionsKeepsIdsAndDropsWhatNoLongerFits) {
  ASSERT_OK_AND_ASSIGN(OnboardingForm form, store_->CreateForm(a_.team_id, "", NewForm()));
  const std::string choice = form.questions(0).id();
  const std::string text = form.questions(1).id();
  const std::string multi = form.questions(2).id();
  Value regions;
  regions.mutable_list_value()->add_values()->set_string_value("US");
  ASSERT_OK(store_->SubmitResponses(
      a_.team_id, a_.affiliate_id,
      Set({{choice, Text("YouTube")}, {text, Text("my channel")}, {multi, regions}})));
  EXPECT_EQ(Count("onboarding_answers"), "3");

  OnboardingFormChange change;
  change.description = "Tell us about you";
  change.questions = std::vector<OnboardingQuestionInput>{
      // Kept, but YouTube is no longer an option: its answer goes.
      Question(choice, "single_choice", true, {"Blog", "Podcast"}, 1),
      // Kept with its answer, now a textarea.
      Question(text, "textarea", false, {}, 2),
      // New; `multi` is dropped with its answer.
      Question("", "text_input", false, {}, 0),
  };
  ASSERT_OK_AND_ASSIGN(OnboardingForm updated, store_->UpdateForm(a_.team_id, "", change));
  EXPECT_EQ(updated.id(), form.id());
  EXPECT_EQ(updated.name(), "Partner onboarding");
  EXPECT_EQ(updated.description(), "Tell us about you");
  ASSERT_EQ(updated.questions_size(), 3);
  EXPECT_EQ(updated.questions(0).order(), 0);
  EXPECT_NE(updated.questions(0).id(), multi);
  EXPECT_EQ(updated.questions(1).id(), choice);
  EXPECT_EQ(updated.questions(2).id(), text);
  EXPECT_EQ(updated.questions(2).type(), "textarea");
  EXPECT_EQ(db_->QueryValue("SELECT string_agg(question_id, ',') FROM onboarding_answers"), text);

  // An id that is not one of the form's questions (another team's, or gone).
  change.questions =
      std::vector<OnboardingQuestionInput>{Question(multi, "text_input", false, {}, 0)};
  EXPECT_THAT(store_->UpdateForm(a_.team_id, "", change).status(),
              HasApiError("VALIDATION_ERROR", "questions[0].id"));
  EXPECT_THAT(store_->UpdateForm(b_.team_id, a_.program_id, change).status(),
              HasApiError("NOT_FOUND"));
  // A description given as "" clears it.
  OnboardingFormChange clear;
  clear.description = "";
  ASSERT_OK_AND_ASSIGN(OnboardingForm cleared, store_->UpdateForm(a_.team_id, "", clear));
  EXPECT_FALSE(cleared.has_description());
  EXPECT_EQ(cleared.questions_size(), 3);
}

TEST_F(PgOnboardingStoreTest, SubmittingMergesAndCompletingMarksTheAffiliate) {
  ASSERT_OK_AND_ASSIGN(OnboardingForm form, store_->CreateForm(a_.team_id, "", NewForm()));
  const std::string choice = form.questions(0).id();
  const std::string text = form.questions(1).id();
  ASSERT_OK_AND_ASSIGN(auto responses, store_->GetResponses(a_.team_id, a_.affiliate_id));
  EXPECT_EQ(responses.form_id(), form.id());
  EXPECT_FALSE(responses.has_completed_at());
  ASSERT_EQ(responses.questions_size(), 3);
  EXPECT_FALSE(responses.questions(0).has_answer());

  ASSERT_OK(store_->SubmitResponses(a_.team_id, a_.affiliate_id, Set({{choice, Text("Blog")}})));
  // A refused check changes nothing.
  EXPECT_THAT(store_
                  ->SubmitResponses(a_.team_id, a_.affiliate_id,
                                    [](const StoredOnboardingResponses& stored)
                                        -> absl::StatusOr<OnboardingAnswerChanges> {
                                      EXPECT_EQ(stored.answers.size(), 1u);
                                      EXPECT_FALSE(stored.completed);
                                      return ValidationError("responses", "no");
                                    })
                  .status(),
              HasApiError("VALIDATION_ERROR", "responses"));
  ASSERT_OK_AND_ASSIGN(responses, store_->SubmitResponses(a_.team_id, a_.affiliate_id,
                                                          Set({{text, Text("hi")}}, true)));
  EXPECT_TRUE(responses.has_completed_at());
  EXPECT_EQ(responses.questions(0).answer().string_value(), "Blog");  // merged, kept
  EXPECT_EQ(responses.questions(1).answer().string_value(), "hi");
  EXPECT_EQ(db_->QueryValue("SELECT onboarding_completed FROM affiliates WHERE id = '" +
                            a_.affiliate_id + "'"),
            "t");
  // onboardingCompleted is in every affiliate event's data: completing writes
  // one affiliate.updated, with the affiliate as it now is, from A's team.
  const std::string updated = "FROM outbox_events WHERE type = 'affiliate.updated'";
  EXPECT_EQ(db_->QueryValue("SELECT count(*) " + updated), "1");
  EXPECT_EQ(db_->QueryValue("SELECT team_id || '|' || (payload->>'id' = id)::text || '|' || "
                            "(payload->>'type') || '|' || (payload->'data'->>'affiliateId') || "
                            "'|' || (payload->'data'->>'onboardingCompleted') || '|' || "
                            "(payload->'data'->>'affiliateProgramId') " +
                            updated),
            absl::StrCat(a_.team_id, "|true|affiliate.updated|", a_.affiliate_id, "|true|",
                         a_.program_id));
  const std::string completed_at =
      db_->QueryValue("SELECT completed_at FROM onboarding_completions");
  ASSERT_OK(
      store_->SubmitResponses(a_.team_id, a_.affiliate_id, Set({{text, Text("again")}}, true)));
  EXPECT_EQ(db_->QueryValue("SELECT completed_at FROM onboarding_completions"), completed_at);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) " + updated), "1") << "already onboarded: no event";

  // Another team's affiliate is not found, and neither is A's from B.
  EXPECT_THAT(store_->GetResponses(b_.team_id, a_.affiliate_id).status(), HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->SubmitResponses(b_.team_id, a_.affiliate_id, Set({})).status(),
              HasApiError("NOT_FOUND"));
  // B's own affiliate, whose program has no form.
  EXPECT_THAT(store_->GetResponses(b_.team_id, b_.affiliate_id).status(), HasApiError("NOT_FOUND"));
}

TEST_F(PgOnboardingStoreTest, ListsOnlyCompletedResponsesAndDeletesWithTheForm) {
  ASSERT_OK_AND_ASSIGN(OnboardingForm form, store_->CreateForm(a_.team_id, "", NewForm()));
  const std::string other = "aff_" + std::string(22, 'x');
  db_->QueryValue(
      absl::StrCat("INSERT INTO affiliates (id, team_id, program_id, name, email, tracking_id, "
                   "partnership_status) VALUES ('",
                   other, "', '", a_.team_id, "', '", a_.program_id,
                   "', 'Bob', 'bob@x.test', 'bob', 'approved')"));
  ASSERT_OK(store_->SubmitResponses(a_.team_id, a_.affiliate_id,
                                    Set({{form.questions(0).id(), Text("Blog")}}, true)));
  ASSERT_OK(
      store_->SubmitResponses(a_.team_id, other, Set({{form.questions(0).id(), Text("YouTube")}})));
  ASSERT_OK_AND_ASSIGN(auto listed,
                       store_->ListCompletedResponses(a_.team_id, {a_.affiliate_id, other}));
  ASSERT_EQ(listed.size(), 1u);
  const affonso::v1::OnboardingResponses& responses = listed.at(a_.affiliate_id);
  EXPECT_EQ(responses.form_name(), "Partner onboarding");
  EXPECT_TRUE(responses.has_completed_at());
  ASSERT_EQ(responses.questions_size(), 3);
  EXPECT_EQ(responses.questions(0).answer().string_value(), "Blog");
  EXPECT_FALSE(responses.questions(1).has_answer());
  ASSERT_OK_AND_ASSIGN(auto from_b, store_->ListCompletedResponses(b_.team_id, {a_.affiliate_id}));
  EXPECT_TRUE(from_b.empty());

  EXPECT_THAT(store_->DeleteForm(b_.team_id, a_.program_id).status(), HasApiError("NOT_FOUND"));
  ASSERT_OK_AND_ASSIGN(std::string deleted, store_->DeleteForm(a_.team_id, ""));
  EXPECT_EQ(deleted, form.id());
  for (const char* table : {"onboarding_forms", "onboarding_questions", "onboarding_answers",
                            "onboarding_completions"}) {
    EXPECT_EQ(Count(table), "0") << table;
  }
  EXPECT_THAT(store_->DeleteForm(a_.team_id, "").status(), HasApiError("NOT_FOUND"));
  ASSERT_OK_AND_ASSIGN(listed, store_->ListCompletedResponses(a_.team_id, {a_.affiliate_id}));
  EXPECT_TRUE(listed.empty());
}

}  // namespace
}  // namespace affonso::storage

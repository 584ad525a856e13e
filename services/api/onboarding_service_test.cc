#include "services/api/onboarding_service.h"

#include <string>

#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::HasApiError;
using affonso::v1::OnboardingFormInput;
using affonso::v1::OnboardingQuestionInput;
using affonso::v1::SubmitOnboardingResponsesRequest;
using google::protobuf::Value;

OnboardingQuestionInput Question(const std::string& type, std::vector<std::string> options = {},
                                 int order = 0) {
  OnboardingQuestionInput question;
  question.set_question("Where do you promote us?");
  question.set_type(type);
  for (const std::string& option : options) question.add_options(option);
  question.set_order(order);
  return question;
}

OnboardingFormInput Form() {
  OnboardingFormInput form;
  form.set_name("Partner onboarding");
  *form.add_questions() = Question("single_choice", {"Blog", "YouTube"}, 1);
  *form.add_questions() = Question("text_input", {}, 2);
  return form;
}

TEST(ParseOnboardingFormInputTest, AcceptsAValidCreate) {
  OnboardingFormInput form = Form();
  form.set_description("");
  auto change = ParseOnboardingFormInput(form, /*create=*/true);
  ASSERT_OK(change);
  EXPECT_EQ(*change->name, "Partner onboarding");
  EXPECT_EQ(*change->description, "");
  ASSERT_EQ(change->questions->size(), 2u);
  EXPECT_EQ((*change->questions)[0].options, (std::vector<std::string>{"Blog", "YouTube"}));
  EXPECT_EQ((*change->questions)[1].order, 2);
}

TEST(ParseOnboardingFormInputTest, NamesTheFieldAtFault) {
  struct Case {
    std::string what;
    std::function<void(OnboardingFormInput&)> edit;
    std::string field;
    bool create = true;
  };
  const Case cases[] = {
      {"no name", [](OnboardingFormInput& f) { f.clear_name(); }, "name"},
      {"blank name", [](OnboardingFormInput& f) { f.set_name("  "); }, "name"},
      {"long name", [](OnboardingFormInput& f) { f.set_name(std::string(256, 'n')); }, "name"},
      {"long description",
       [](OnboardingFormInput& f) { f.set_description(std::string(1001, 'd')); }, "description"},
      {"no questions", [](OnboardingFormInput& f) { f.clear_questions(); }, "questions"},
      {"26 questions",
       [](OnboardingFormInput& f) {
         for (int i = 0; i < 24; ++i) *f.add_questions() = Question("textarea");
       },
       "questions"},
      {"unknown type", [](OnboardingFormInput& f) { f.mutable_questions(1)->set_type("rating"); },
       "questions[1].type"},
      {"choice without options",
       [](OnboardingFormInput& f) { f.mutable_questions(0)->clear_options(); },
       "questions[0].options"},
      {"duplicate option",
       [](OnboardingFormInput& f) { f.mutable_questions(0)->add_options("Blog"); },
       "questions[0].options"},
      {"blank option", [](OnboardingFormInput& f) { f.mutable_questions(0)->add_options(" "); },
       "questions[0].options"},
      {"long option",
       [](OnboardingFormInput& f) { f.mutable_questions(0)->add_options(std::string(201, 'o')); },
       "questions[0].options"},
      {"21 options",
       [](OnboardingFormInput& f) {
         for (int i = 0; i < 19; ++i) f.mutable_questions(0)->add_options("o" + std::to_string(i));
       },
       "questions[0].options"},
      {"text with options",
       [](OnboardingFormInput& f) { f.mutable_questions(1)->add_options("x"); },
       "questions[1].options"},
      {"no order", [](OnboardingFormInput& f) { f.mutable_questions(1)->clear_order(); },
       "questions[1].order"},
      {"negative order", [](OnboardingFormInput& f) { f.mutable_questions(1)->set_order(-1); },
       "questions[1].order"},
      {"huge order", [](OnboardingFormInput& f) { f.mutable_questions(1)->set_order(10001); },
       "questions[1].order"},
      {"blank question", [](OnboardingFormInput& f) { f.mutable_questions(1)->set_question(""); },
       "questions[1].question"},
      {"long question",
       [](OnboardingFormInput& f) { f.mutable_questions(1)->set_question(std::string(501, 'q')); },
       "questions[1].question"},
      {"an id on create",
       [](OnboardingFormInput& f) { f.mutable_questions(1)->set_id("obq_abcdefghijklmnopqrstuv"); },
       "questions[1].id"},
      {"a malformed id on update",
       [](OnboardingFormInput& f) { f.mutable_questions(1)->set_id("q1"); }, "questions[1].id",
       false},
      {"the same id twice",
       [](OnboardingFormInput& f) {
         f.mutable_questions(0)->set_id("obq_abcdefghijklmnopqrstuv");
         f.mutable_questions(1)->set_id("obq_abcdefghijklmnopqrstuv");
       },
       "questions[1].id", false},
      {"over 24 KiB in all",
       [](OnboardingFormInput& f) {
         f.clear_questions();
         for (int i = 0; i < 25; ++i) {
           *f.add_questions() = Question("textarea");
           // 500 three-byte characters: 1.5 KB each.
           std::string text;
           for (int c = 0; c < 500; ++c) text += "\xE2\x82\xAC";
           f.mutable_questions(i)->set_question(text);
         }
       },
       "questions"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    OnboardingFormInput form = Form();
    c.edit(form);
    EXPECT_THAT(ParseOnboardingFormInput(form, c.create).status(),
                HasApiError("VALIDATION_ERROR", c.field));
  }
}

TEST(ParseOnboardingFormInputTest, AnUpdateChangesOnlyWhatItGives) {
  OnboardingFormInput update;
  update.set_description("now described");
  auto change = ParseOnboardingFormInput(update, /*create=*/false);
  ASSERT_OK(change);
  EXPECT_FALSE(change->name.has_value());
  EXPECT_EQ(*change->description, "now described");
  EXPECT_FALSE(change->questions.has_value());
}

storage::StoredOnboardingResponses Stored() {
  storage::StoredOnboardingResponses stored;
  auto add = [&](const std::string& id, const std::string& type, bool required,
                 std::vector<std::string> options) {
    affonso::v1::OnboardingFormQuestion* question = stored.form.add_questions();
    question->set_id(id);
    question->set_question("Q " + id);
    question->set_type(type);
    question->set_is_required(required);
    for (const std::string& option : options) question->add_options(option);
  };
  add("obq_single", "single_choice", true, {"Blog", "YouTube"});
  add("obq_multi", "multiple_choice", false, {"EU", "US", "APAC"});
  add("obq_text", "text_input", true, {});
  add("obq_area", "textarea", false, {});
  return stored;
}

Value Text(const std::string& text) {
  Value value;
  value.set_string_value(text);
  return value;
}

Value List(std::vector<std::string> items) {
  Value value;
  value.mutable_list_value();
  for (const std::string& item : items)
    value.mutable_list_value()->add_values()->set_string_value(item);
  return value;
}

void Answer(SubmitOnboardingResponsesRequest& request, const std::string& question,
            const Value& answer) {
  auto* response = request.add_responses();
  response->set_question_id(question);
  *response->mutable_answer() = answer;
}

TEST(PlanOnboardingAnswersTest, ChecksEachAnswerAgainstItsQuestion) {
  struct Case {
    std::string what;
    std::string question;
    Value answer;
  };
  Value number;
  number.set_number_value(3);
  const Case cases[] = {
      {"single choice not an option", "obq_single", Text("TikTok")},
      {"single choice as a list", "obq_single", List({"Blog"})},
      {"multiple choice as a string", "obq_multi", Text("EU")},
      {"multiple choice not an option", "obq_multi", List({"EU", "LATAM"})},
      {"multiple choice twice the same", "obq_multi", List({"EU", "EU"})},
      {"text as a number", "obq_text", number},
      {"text over 500 characters", "obq_text", Text(std::string(501, 't'))},
      {"textarea over 5000 characters", "obq_area", Text(std::string(5001, 't'))},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    SubmitOnboardingResponsesRequest request;
    Answer(request, "obq_area", Text("fine"));
    Answer(request, c.question, c.answer);
    EXPECT_THAT(PlanOnboardingAnswers(request, Stored()).status(),
                HasApiError("VALIDATION_ERROR", "responses[1].answer"));
  }
  SubmitOnboardingResponsesRequest unknown;
  Answer(unknown, "obq_elsewhere", Text("x"));
  EXPECT_THAT(PlanOnboardingAnswers(unknown, Stored()).status(),
              HasApiError("VALIDATION_ERROR", "responses[0].question_id"));
}

TEST(PlanOnboardingAnswersTest, MergesSetsAndClears) {
  storage::StoredOnboardingResponses stored = Stored();
  stored.answers["obq_text"] = Text("my blog");
  stored.answers["obq_area"] = Text("long story");
  SubmitOnboardingResponsesRequest request;
  Answer(request, "obq_multi", List({"US", "EU"}));
  Answer(request, "obq_area", Text(""));
  auto changes = PlanOnboardingAnswers(request, stored);
  ASSERT_OK(changes);
  EXPECT_EQ(changes->set.size(), 1u);
  EXPECT_EQ(changes->set.at("obq_multi").list_value().values_size(), 2);
  EXPECT_EQ(changes->cleared, std::vector<std::string>{"obq_area"});
  EXPECT_FALSE(changes->complete);
}

TEST(PlanOnboardingAnswersTest, CompletingNeedsEveryRequiredAnswer) {
  storage::StoredOnboardingResponses stored = Stored();
  stored.answers["obq_text"] = Text("my blog");
  SubmitOnboardingResponsesRequest request;
  request.set_mark_complete(true);
  auto refused = PlanOnboardingAnswers(request, stored);
  EXPECT_THAT(refused.status(), HasApiError("VALIDATION_ERROR", "responses"));
  EXPECT_NE(refused.status().message().find("obq_single"), absl::string_view::npos)
      << refused.status();
  Answer(request, "obq_single", Text("Blog"));
  auto changes = PlanOnboardingAnswers(request, stored);
  ASSERT_OK(changes);
  EXPECT_TRUE(changes->complete);
  // Once complete, a required answer cannot be cleared.
  stored.completed = true;
  SubmitOnboardingResponsesRequest clear;
  Answer(clear, "obq_text", Value());
  EXPECT_THAT(PlanOnboardingAnswers(clear, stored).status(),
              HasApiError("VALIDATION_ERROR", "responses"));
}

TEST(PlanOnboardingAnswersTest, BoundsTheAnswersInAll) {
  storage::StoredOnboardingResponses stored = Stored();
  for (int i = 0; i < 7; ++i) {
    auto* question = stored.form.add_questions();
    question->set_id("obq_area" + std::to_string(i));
    question->set_type("textarea");
    stored.answers[question->id()] = Text(std::string(5000, 'a'));
  }
  SubmitOnboardingResponsesRequest request;
  Answer(request, "obq_area", Text(std::string(5000, 'a')));
  EXPECT_THAT(PlanOnboardingAnswers(request, stored).status(),
              HasApiError("VALIDATION_ERROR", "responses"));
}

TEST(ValidateSubmitOnboardingResponsesTest, EachQuestionOnceAndNamed) {
  SubmitOnboardingResponsesRequest request;
  Answer(request, "obq_text", Text("a"));
  Answer(request, "obq_text", Text("b"));
  EXPECT_THAT(ValidateSubmitOnboardingResponses(request),
              HasApiError("VALIDATION_ERROR", "responses[1].question_id"));
  SubmitOnboardingResponsesRequest unnamed;
  Answer(unnamed, "", Text("a"));
  EXPECT_THAT(ValidateSubmitOnboardingResponses(unnamed),
              HasApiError("VALIDATION_ERROR", "responses[0].question_id"));
  SubmitOnboardingResponsesRequest many;
  for (int i = 0; i < 26; ++i) Answer(many, "obq_" + std::to_string(i), Text("a"));
  EXPECT_THAT(ValidateSubmitOnboardingResponses(many),
              HasApiError("VALIDATION_ERROR", "responses"));
}

}  // namespace
}  // namespace affonso::services

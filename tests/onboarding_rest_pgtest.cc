// Onboarding over REST end to end: the program's form (onboarding-form.ts) and
// an affiliate's answers (affiliates.ts retrieve/submitOnboardingResponses and
// expand=onboardingResponses), as the SDK calls them.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

const Value& At(const Struct& object, const std::string& key) {
  static const Value* missing = new Value();
  auto found = object.fields().find(key);
  return found == object.fields().end() ? *missing : found->second;
}

// data.questions[i].<key>
const Value& Question(const HttpResult& result, int i, const std::string& key) {
  const Value& questions = At(result.Data(), "questions");
  static const Value* missing = new Value();
  if (i >= questions.list_value().values_size()) return *missing;
  return At(questions.list_value().values(i).struct_value(), key);
}

constexpr char kForm[] =
    R"({"name":"Partner onboarding","questions":[)"
    R"({"question":"Your site","type":"text_input","order":2},)"
    R"({"question":"Where do you promote us?","type":"single_choice","is_required":true,)"
    R"("options":["Blog","YouTube"],"order":1},)"
    R"({"question":"Regions","type":"multiple_choice","options":["EU","US"],"order":3}]})";

using OnboardingRestTest = RestTest;

TEST_F(OnboardingRestTest, TheFormIsCreatedOnceChangedAndDeleted) {
  HttpResult none = Call("GET", "/v1/onboarding-form");
  EXPECT_EQ(none.status, 404) << none.body;
  EXPECT_EQ(none.ErrorCode(), "NOT_FOUND");
  EXPECT_EQ(Call("PATCH", "/v1/onboarding-form", R"({"name":"x"})").status, 404);
  EXPECT_EQ(Call("DELETE", "/v1/onboarding-form").status, 404);

  HttpResult created = Call("POST", "/v1/onboarding-form", kForm);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_TRUE(absl::StartsWith(created.DataString("id"), "obf_")) << created.body;
  EXPECT_EQ(At(created.Data(), "description").kind_case(), Value::kNullValue);
  // By order: the choice question first.
  EXPECT_EQ(Question(created, 0, "type").string_value(), "single_choice");
  EXPECT_EQ(Question(created, 1, "options").list_value().values_size(), 0);
  EXPECT_FALSE(Question(created, 1, "is_required").bool_value());
  const std::string choice = Question(created, 0, "id").string_value();
  const std::string text = Question(created, 1, "id").string_value();
  const std::string regions = Question(created, 2, "id").string_value();
  EXPECT_TRUE(absl::StartsWith(choice, "obq_")) << created.body;

  HttpResult again = Call("POST", "/v1/onboarding-form", kForm);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.ErrorCode(), "DUPLICATE_ERROR");

  // Replace the list: keep the choice question (renamed), drop the others, add one.
  HttpResult patched =
      Call("PATCH", "/v1/onboarding-form",
           absl::StrCat(R"({"description":"About you","questions":[{"id":")", choice,
                        R"(","question":"Main channel?","type":"single_choice","is_required":true,)"
                        R"("options":["Blog","YouTube","Podcast"],"order":5},)"
                        R"({"question":"Audience size","type":"text_input","order":9}]})"));
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.DataString("name"), "Partner onboarding");
  EXPECT_EQ(patched.DataString("description"), "About you");
  ASSERT_EQ(At(patched.Data(), "questions").list_value().values_size(), 2) << patched.body;
  EXPECT_EQ(Question(patched, 0, "id").string_value(), choice);
  EXPECT_EQ(Question(patched, 0, "question").string_value(), "Main channel?");
  EXPECT_EQ(Question(patched, 0, "options").list_value().values_size(), 3);
  const std::string added = Question(patched, 1, "id").string_value();
  EXPECT_NE(added, text);
  EXPECT_NE(added, regions);

  // A dropped question's id no longer names one of the form's; nothing changes.
  HttpResult stale = Call("PATCH", "/v1/onboarding-form",
                          absl::StrCat(R"({"name":"Renamed","questions":[{"id":")", text,
                                       R"(","question":"x","type":"textarea","order":1}]})"));
  EXPECT_EQ(stale.status, 400) << stale.body;
  EXPECT_EQ(stale.ErrorField(), "questions[0].id");
  HttpResult read = Call("GET", "/v1/onboarding-form");
  EXPECT_EQ(read.DataString("name"), "Partner onboarding");
  EXPECT_EQ(At(read.Data(), "questions").list_value().values_size(), 2);

  HttpResult deleted = Call("DELETE", "/v1/onboarding-form");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.body, R"({"success":true,"message":"onboarding form deleted"})");
  EXPECT_EQ(Call("GET", "/v1/onboarding-form").status, 404);
  EXPECT_EQ(Call("POST", "/v1/onboarding-form", kForm).status, 201);
}

TEST_F(OnboardingRestTest, AnswersMergeAndCompletingMarksTheAffiliate) {
  const std::string affiliate = "/v1/affiliates/" + a_.affiliate_id;
  const std::string responses = affiliate + "/onboarding-responses";
  EXPECT_EQ(Call("GET", responses).status, 404);  // no form yet
  HttpResult form = Call("POST", "/v1/onboarding-form", kForm);
  ASSERT_EQ(form.status, 201) << form.body;
  const std::string choice = Question(form, 0, "id").string_value();
  const std::string text = Question(form, 1, "id").string_value();
  const std::string regions = Question(form, 2, "id").string_value();

  HttpResult expanded = Call("GET", affiliate + "?expand=onboardingResponses");
  ASSERT_EQ(expanded.status, 200) << expanded.body;
  EXPECT_EQ(At(expanded.Data(), "onboardingResponses").kind_case(), Value::kNullValue);

  HttpResult partial = Call("POST", responses,
                            absl::StrCat(R"({"responses":[{"question_id":")", text,
                                         R"(","answer":"blog.example"},{"question_id":")", regions,
                                         R"(","answer":["US","EU"]}]})"));
  ASSERT_EQ(partial.status, 200) << partial.body;
  EXPECT_EQ(partial.DataString("form_id"), form.DataString("id"));
  EXPECT_EQ(At(partial.Data(), "completed_at").kind_case(), Value::kNullValue);
  EXPECT_EQ(Question(partial, 0, "answer").kind_case(), Value::kNullValue);
  EXPECT_EQ(Question(partial, 1, "answer").string_value(), "blog.example");
  EXPECT_EQ(Question(partial, 2, "answer").list_value().values_size(), 2);

  // The required question is unanswered: refused, nothing changed.
  HttpResult refused = Call("POST", responses, R"({"responses":[],"mark_complete":true})");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.ErrorField(), "responses");
  EXPECT_TRUE(absl::StrContains(refused.body, choice)) << refused.body;
  EXPECT_FALSE(At(Call("GET", affiliate).Data(), "onboarding_completed").bool_value());

  HttpResult completed = Call("POST", responses,
                              absl::StrCat(R"({"responses":[{"question_id":")", choice,
                                           R"(","answer":"YouTube"},{"question_id":")", regions,
                                           R"(","answer":[]}],"mark_complete":true})"));
  ASSERT_EQ(completed.status, 200) << completed.body;
  EXPECT_EQ(At(completed.Data(), "completed_at").kind_case(), Value::kStringValue);
  EXPECT_EQ(Question(completed, 0, "answer").string_value(), "YouTube");
  EXPECT_EQ(Question(completed, 1, "answer").string_value(), "blog.example");  // merged
  EXPECT_EQ(Question(completed, 2, "answer").kind_case(), Value::kNullValue);  // cleared
  HttpResult after = Call("GET", affiliate + "?expand=onboardingResponses");
  EXPECT_TRUE(At(after.Data(), "onboarding_completed").bool_value()) << after.body;
  const Struct& expansion = At(after.Data(), "onboardingResponses").struct_value();
  EXPECT_EQ(At(expansion, "form_name").string_value(), "Partner onboarding");
  EXPECT_EQ(At(expansion, "completed_at").string_value(),
            At(completed.Data(), "completed_at").string_value());
  EXPECT_EQ(At(expansion, "form_id").kind_case(), Value::KIND_NOT_SET);  // not the SDK's field

  HttpResult list = Call("GET", "/v1/affiliates?expand=onboardingResponses&limit=25");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_TRUE(absl::StrContains(list.body, "\"form_name\":\"Partner onboarding\"")) << list.body;
  HttpResult too_many = Call("GET", "/v1/affiliates?expand=onboardingResponses&limit=26");
  EXPECT_EQ(too_many.status, 400) << too_many.body;
  EXPECT_EQ(too_many.ErrorField(), "limit");

  // The chosen option goes from the form: its answer goes, the completion stays.
  HttpResult patched =
      Call("PATCH", "/v1/onboarding-form",
           absl::StrCat(R"({"questions":[{"id":")", choice,
                        R"(","question":"Where?","type":"single_choice","is_required":true,)"
                        R"("options":["Blog"],"order":1},{"id":")",
                        text, R"(","question":"Your site","type":"textarea","order":2}]})"));
  ASSERT_EQ(patched.status, 200) << patched.body;
  HttpResult now = Call("GET", responses);
  ASSERT_EQ(now.status, 200) << now.body;
  EXPECT_EQ(At(now.Data(), "completed_at").string_value(),
            At(completed.Data(), "completed_at").string_value());
  EXPECT_EQ(Question(now, 0, "answer").kind_case(), Value::kNullValue);
  EXPECT_EQ(Question(now, 1, "answer").string_value(), "blog.example");
  EXPECT_EQ(At(now.Data(), "questions").list_value().values_size(), 2);
}

}  // namespace
}  // namespace affonso::tests

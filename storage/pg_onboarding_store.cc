#include "storage/pg_onboarding_store.h"

#include <cstdint>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "storage/affiliate_event_sql.h"
#include "storage/joined_statement.h"
#include "storage/pg_values.h"
#include "storage/program_scope_sql.h"
#include "storage/query_one.h"

namespace affonso::storage {
namespace {

using affonso::v1::AffiliateOnboardingResponses;
using affonso::v1::AnsweredOnboardingQuestion;
using affonso::v1::OnboardingForm;
using affonso::v1::OnboardingFormQuestion;
using affonso::v1::OnboardingResponses;
using google::protobuf::Value;

// The select lists, under the names their readers read; `f` is the forms
// table, `q` the questions table.
#define AFFONSO_FORM_COLUMNS                          \
  "f.id, f.name, f.description, " AFFONSO_SQL_MICROS( \
      "f.created_at") " AS created_at, " AFFONSO_SQL_MICROS("f.updated_at") " AS updated_at"
#define AFFONSO_QUESTION_COLUMNS \
  "q.form_id, q.id, q.question, q.type, q.is_required, q.options, q.sort_order"
#define AFFONSO_QUESTION_ORDER "q.sort_order, q.position, q.id"

// The team's program (kWithProgram): $1 team, $2 the program id or NULL for
// the default.
constexpr JoinedStatement kProgram{"onboarding_program", kWithProgram, "SELECT id FROM prog"};

// The program's form: $1 team, $2 program (resolved).
constexpr Statement kSelectForm{"onboarding_form_select",
                                "SELECT " AFFONSO_FORM_COLUMNS
                                " FROM onboarding_forms f WHERE f.team_id = $1 "
                                "AND f.program_id = $2"};
// The same, locked against a racing update, delete or submission.
constexpr Statement kLockForm{"onboarding_form_lock",
                              "SELECT " AFFONSO_FORM_COLUMNS
                              " FROM onboarding_forms f WHERE f.team_id = $1 "
                              "AND f.program_id = $2 FOR UPDATE"};
// A submission reads the form under a share lock: submissions run side by
// side, a form update waits for them (and they for it).
constexpr Statement kShareForm{"onboarding_form_share",
                               "SELECT " AFFONSO_FORM_COLUMNS
                               " FROM onboarding_forms f WHERE f.team_id = $1 "
                               "AND f.program_id = $2 FOR SHARE"};

// $1 team, $2 form.
constexpr Statement kSelectQuestions{"onboarding_questions_select",
                                     "SELECT " AFFONSO_QUESTION_COLUMNS
                                     " FROM onboarding_questions q WHERE q.team_id = $1 "
                                     "AND q.form_id = $2 ORDER BY " AFFONSO_QUESTION_ORDER};

// $1 team, $2 form ids joined by commas (ids have none).
constexpr Statement kQuestionsOfForms{
    "onboarding_questions_of_forms",
    "SELECT " AFFONSO_QUESTION_COLUMNS
    " FROM onboarding_questions q WHERE q.team_id = $1 "
    "AND q.form_id = ANY (string_to_array($2, ',')) ORDER BY q.form_id, " AFFONSO_QUESTION_ORDER};

// The unique index onboarding_forms_one_per_program decides between racing
// creates: the loser inserts nothing. $1 team, $2 id, $3 program, $4 name,
// $5 description.
constexpr Statement kInsertForm{
    "onboarding_form_insert",
    "INSERT INTO onboarding_forms AS f (team_id, id, program_id, name, description) "
    "VALUES ($1, $2, $3, $4, $5::text) ON CONFLICT (team_id, program_id) DO NOTHING "
    "RETURNING " AFFONSO_FORM_COLUMNS};

// $1 team, $2 form, $3 name (NULL = unchanged), $4 description given?, $5
// description (NULL = none).
constexpr Statement kUpdateForm{
    "onboarding_form_update",
    "UPDATE onboarding_forms AS f SET name = COALESCE($3::text, f.name), "
    "  description = CASE WHEN $4::boolean THEN $5::text ELSE f.description END, "
    "  updated_at = now() "
    "WHERE f.team_id = $1 AND f.id = $2 RETURNING " AFFONSO_FORM_COLUMNS};

// Cascades to the questions, their answers and the completions.
constexpr Statement kDeleteForm{"onboarding_form_delete",
                                "DELETE FROM onboarding_forms WHERE team_id = $1 AND id = $2"};

// $1 team, $2 id, $3 form, $4 position, $5 question, $6 type, $7 required,
// $8 options (a JSON array), $9 order.
constexpr Statement kInsertQuestion{
    "onboarding_question_insert",
    "INSERT INTO onboarding_questions (team_id, id, form_id, position, question, type, "
    "  is_required, options, sort_order) "
    "VALUES ($1, $2, $3, $4::int, $5, $6, $7::boolean, "
    "  ARRAY(SELECT jsonb_array_elements_text($8::jsonb)), $9::int)"};

constexpr Statement kUpdateQuestion{
    "onboarding_question_update",
    "UPDATE onboarding_questions SET position = $4::int, question = $5, type = $6, "
    "  is_required = $7::boolean, options = ARRAY(SELECT jsonb_array_elements_text($8::jsonb)), "
    "  sort_order = $9::int "
    "WHERE team_id = $1 AND id = $2 AND form_id = $3"};

// The questions a replacement list leaves out, with their answers (the
// cascade). $1 team, $2 form, $3 the kept ids joined by commas.
constexpr Statement kDeleteDroppedQuestions{
    "onboarding_questions_drop",
    "DELETE FROM onboarding_questions WHERE team_id = $1 AND form_id = $2 "
    "AND NOT (id = ANY (string_to_array($3, ',')))"};

// Answers a changed question no longer admits: another kind of answer, an
// option it no longer offers, a text over its type's limit. $1 team, $2
// form, $3 the text_input limit, $4 the textarea limit (characters).
constexpr Statement kDeleteUnfitAnswers{
    "onboarding_answers_unfit",
    "DELETE FROM onboarding_answers a USING onboarding_questions q "
    "WHERE q.team_id = $1 AND q.form_id = $2 AND a.team_id = q.team_id AND a.question_id = q.id "
    "AND NOT CASE q.type "
    "  WHEN 'single_choice' THEN jsonb_typeof(a.answer) = 'string' "
    "    AND (a.answer #>> '{}') = ANY (q.options) "
    "  WHEN 'multiple_choice' THEN jsonb_typeof(a.answer) = 'array' "
    "    AND a.answer <@ to_jsonb(q.options) "
    "  WHEN 'text_input' THEN jsonb_typeof(a.answer) = 'string' "
    "    AND char_length(a.answer #>> '{}') <= $3::int "
    "  ELSE jsonb_typeof(a.answer) = 'string' AND char_length(a.answer #>> '{}') <= $4::int "
    "END"};

// The live affiliate's program: $1 affiliate, $2 team. The locking form keeps
// one affiliate's submissions in line (their required-question checks see
// each other's answers) without blocking the foreign-key checks of its
// clicks and referrals (FOR KEY SHARE).
constexpr Statement kAffiliateProgram{
    "onboarding_affiliate",
    "SELECT a.program_id FROM affiliates a WHERE a.id = $1 AND a.team_id = $2 "
    "AND a.deleted_at IS NULL"};
constexpr Statement kLockAffiliate{"onboarding_affiliate_lock",
                                   "SELECT a.program_id FROM affiliates a WHERE a.id = $1 "
                                   "AND a.team_id = $2 AND a.deleted_at IS NULL "
                                   "FOR NO KEY UPDATE OF a"};

// The affiliate's answers to the form's current questions. $1 team, $2
// affiliate, $3 form.
constexpr Statement kSelectAnswers{
    "onboarding_answers_select",
    "SELECT a.question_id, a.answer::text AS answer FROM onboarding_answers a "
    "JOIN onboarding_questions q ON q.team_id = a.team_id AND q.id = a.question_id "
    "WHERE a.team_id = $1 AND a.affiliate_id = $2 AND q.form_id = $3"};

// $1 team, $2 affiliate ids joined by commas.
constexpr Statement kAnswersOfAffiliates{
    "onboarding_answers_of_affiliates",
    "SELECT a.affiliate_id, a.question_id, a.answer::text AS answer FROM onboarding_answers a "
    "WHERE a.team_id = $1 AND a.affiliate_id = ANY (string_to_array($2, ','))"};

// $1 team, $2 affiliate, $3 form.
constexpr Statement kSelectCompletion{
    "onboarding_completion_select",
    "SELECT " AFFONSO_SQL_MICROS("c.completed_at") " AS completed_at FROM "
                                                   "onboarding_completions c "
                                                   "WHERE c.team_id = $1 AND c.affiliate_id = $2 "
                                                   "AND c.form_id = $3"};

// Each affiliate's completion of its own program's current form, with the
// form. $1 team, $2 affiliate ids joined by commas.
constexpr Statement kCompletionsOfAffiliates{
    "onboarding_completions_of_affiliates",
    "SELECT c.affiliate_id, " AFFONSO_SQL_MICROS(
        "c.completed_at") " AS completed_at, " AFFONSO_FORM_COLUMNS
                          " FROM onboarding_completions c "
                          "JOIN affiliates af ON af.id = c.affiliate_id AND af.team_id = c.team_id "
                          "JOIN onboarding_forms f ON f.team_id = c.team_id AND f.id = c.form_id "
                          "  AND f.program_id = af.program_id "
                          "WHERE c.team_id = $1 AND c.affiliate_id = ANY (string_to_array($2, "
                          "','))"};

// $1 team, $2 affiliate, $3 question, $4 the answer (JSON).
constexpr Statement kUpsertAnswer{
    "onboarding_answer_upsert",
    "INSERT INTO onboarding_answers (team_id, affiliate_id, question_id, answer) "
    "VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (team_id, affiliate_id, question_id) "
    "DO UPDATE SET answer = EXCLUDED.answer, updated_at = now()"};

constexpr Statement kDeleteAnswer{
    "onboarding_answer_delete",
    "DELETE FROM onboarding_answers WHERE team_id = $1 AND affiliate_id = $2 "
    "AND question_id = $3"};

// The first completion stays. $1 team, $2 affiliate, $3 form.
constexpr Statement kComplete{
    "onboarding_complete",
    "INSERT INTO onboarding_completions (team_id, affiliate_id, form_id) VALUES ($1, $2, $3) "
    "ON CONFLICT (team_id, affiliate_id, form_id) DO NOTHING"};

// The affiliate's onboarding_completed is in every affiliate.* event's data,
// so turning it on writes affiliate.updated ($3 its event id) in the same
// statement; an affiliate already marked is not updated and gets no event.
// $1 affiliate, $2 team.
constexpr Statement kMarkAffiliateOnboarded{
    "onboarding_affiliate_completed",
    "WITH upd AS ( "
    "  UPDATE affiliates AS a SET onboarding_completed = true, updated_at = now() "
    "  WHERE a.id = $1 AND a.team_id = $2 AND NOT a.onboarding_completed "
    "  RETURNING " AFFONSO_AFFILIATE_COLUMNS ", " AFFONSO_AFFILIATE_EVENT_COLUMNS "), "
    "ev AS ( "
    "  INSERT INTO outbox_events (id, team_id, type, payload) "
    "  SELECT $3::text, upd.owner_team, 'affiliate.updated', "
    AFFONSO_AFFILIATE_EVENT_PAYLOAD("$3::text", "'affiliate.updated'", "upd") " FROM upd "
    "  RETURNING id) "
    "SELECT id FROM upd"};

#undef AFFONSO_QUESTION_ORDER
#undef AFFONSO_QUESTION_COLUMNS
#undef AFFONSO_FORM_COLUMNS

OnboardingForm ReadForm(const pqxx::row& row) {
  OnboardingForm form;
  form.set_id(ReadText(row["id"]));
  form.set_name(ReadText(row["name"]));
  if (!row["description"].is_null()) form.set_description(ReadText(row["description"]));
  ReadTimestamp(row["created_at"], form.mutable_created_at());
  ReadTimestamp(row["updated_at"], form.mutable_updated_at());
  return form;
}

void ReadQuestion(const pqxx::row& row, OnboardingFormQuestion* question) {
  question->set_id(ReadText(row["id"]));
  question->set_question(ReadText(row["question"]));
  question->set_type(ReadText(row["type"]));
  question->set_is_required(row["is_required"].as<bool>());
  ReadTextArray(row["options"], question->mutable_options());
  question->set_order(row["sort_order"].as<int>());
}

// The form with its questions, or NOT_FOUND for `statement`'s empty answer
// (kSelectForm, kLockForm, kShareForm).
absl::StatusOr<OnboardingForm> FormOf(Tx& tx, const Statement& statement, const std::string& team,
                                      const std::string& program) {
  AFFONSO_ASSIGN_OR_RETURN(OnboardingForm form,
                           QueryOne(tx, statement, ReadForm, "onboarding form", team, program));
  for (const pqxx::row& row : tx.Exec(kSelectQuestions, team, form.id())) {
    ReadQuestion(row, form.add_questions());
  }
  return form;
}

absl::StatusOr<std::string> ResolveProgram(Tx& tx, const std::string& team,
                                           const std::string& program) {
  return QueryOne(
      tx, kProgram, [](const pqxx::row& row) { return ReadText(row["id"]); }, "program", team,
      NullIfEmpty(program));
}

std::string OptionsJson(const std::vector<std::string>& options) {
  google::protobuf::RepeatedPtrField<std::string> values(options.begin(), options.end());
  return JsonTextArray(values);
}

// Writes `questions` as the form's list: kept ids updated in place, new ones
// inserted, the rest deleted (with their answers), then the kept questions'
// answers that no longer fit them deleted.
absl::Status ReplaceQuestions(Tx& tx, const std::string& team, const OnboardingForm& form,
                              const std::vector<OnboardingQuestionInput>& questions) {
  std::set<std::string> current;
  for (const OnboardingFormQuestion& question : form.questions()) current.insert(question.id());
  std::vector<std::string> kept;
  for (size_t i = 0; i < questions.size(); ++i) {
    const OnboardingQuestionInput& question = questions[i];
    if (question.id.empty()) continue;
    if (!current.count(question.id)) {
      return ValidationError(absl::StrCat("questions[", i, "].id"),
                             "id is not a question of this form (leave it out for a new one)");
    }
    kept.push_back(question.id);
  }
  tx.Exec(kDeleteDroppedQuestions, team, form.id(), absl::StrJoin(kept, ","));
  for (size_t i = 0; i < questions.size(); ++i) {
    const OnboardingQuestionInput& question = questions[i];
    const std::string options = OptionsJson(question.options);
    const int position = static_cast<int>(i);
    if (question.id.empty()) {
      tx.Exec(kInsertQuestion, team, NewId("obq"), form.id(), position, question.question,
              question.type, question.is_required, options, question.order);
    } else {
      tx.Exec(kUpdateQuestion, team, question.id, form.id(), position, question.question,
              question.type, question.is_required, options, question.order);
    }
  }
  tx.Exec(kDeleteUnfitAnswers, team, form.id(), static_cast<int>(kMaxTextInputAnswerLength),
          static_cast<int>(kMaxTextareaAnswerLength));
  return absl::OkStatus();
}

// question id -> answer, as stored.
absl::StatusOr<std::map<std::string, Value>> AnswersOf(Tx& tx, const std::string& team,
                                                       const std::string& affiliate,
                                                       const std::string& form) {
  std::map<std::string, Value> answers;
  for (const pqxx::row& row : tx.Exec(kSelectAnswers, team, affiliate, form)) {
    AFFONSO_RETURN_IF_ERROR(ReadJsonValue(row["answer"], &answers[ReadText(row["question_id"])]));
  }
  return answers;
}

// The form's questions with the affiliate's answers (null when none).
template <typename Responses>
void FillQuestions(const OnboardingForm& form, const std::map<std::string, Value>& answers,
                   Responses* out) {
  for (const OnboardingFormQuestion& question : form.questions()) {
    AnsweredOnboardingQuestion* answered = out->add_questions();
    answered->set_id(question.id());
    answered->set_question(question.question());
    answered->set_type(question.type());
    answered->set_is_required(question.is_required());
    *answered->mutable_options() = question.options();
    answered->set_order(question.order());
    auto answer = answers.find(question.id());
    if (answer != answers.end()) *answered->mutable_answer() = answer->second;
  }
}

AffiliateOnboardingResponses ResponsesOf(const OnboardingForm& form,
                                         const std::map<std::string, Value>& answers,
                                         const pqxx::result& completion) {
  AffiliateOnboardingResponses responses;
  responses.set_form_id(form.id());
  responses.set_form_name(form.name());
  if (form.has_description()) responses.set_form_description(form.description());
  if (!completion.empty()) {
    ReadTimestamp(completion[0]["completed_at"], responses.mutable_completed_at());
  }
  FillQuestions(form, answers, &responses);
  return responses;
}

absl::StatusOr<AffiliateOnboardingResponses> ReadResponses(Tx& tx, const std::string& team,
                                                           const std::string& affiliate,
                                                           const OnboardingForm& form) {
  AFFONSO_ASSIGN_OR_RETURN(auto answers, AnswersOf(tx, team, affiliate, form.id()));
  return ResponsesOf(form, answers, tx.Exec(kSelectCompletion, team, affiliate, form.id()));
}

}  // namespace

absl::StatusOr<OnboardingForm> PgOnboardingStore::GetForm(absl::string_view team_id,
                                                          absl::string_view program_id) {
  const std::string team(team_id), program(program_id);
  return pool_->InTransaction("get_onboarding_form", [&](Tx& tx) -> absl::StatusOr<OnboardingForm> {
    AFFONSO_ASSIGN_OR_RETURN(const std::string resolved, ResolveProgram(tx, team, program));
    return FormOf(tx, kSelectForm, team, resolved);
  });
}

absl::StatusOr<OnboardingForm> PgOnboardingStore::CreateForm(absl::string_view team_id,
                                                             absl::string_view program_id,
                                                             const OnboardingFormChange& change) {
  if (!change.name.has_value() || !change.questions.has_value()) {
    return absl::InvalidArgumentError("onboarding form create without name or questions");
  }
  const std::string team(team_id), program(program_id);
  const std::string description = change.description.value_or("");
  return pool_->InTransaction(
      "create_onboarding_form", [&](Tx& tx) -> absl::StatusOr<OnboardingForm> {
        AFFONSO_ASSIGN_OR_RETURN(const std::string resolved, ResolveProgram(tx, team, program));
        const pqxx::result rows = tx.Exec(kInsertForm, team, NewId("obf"), resolved, *change.name,
                                          NullIfEmpty(description));
        if (rows.empty()) {
          return DuplicateError("",
                                "the program already has an onboarding form; change it with "
                                "PATCH /v1/onboarding-form");
        }
        const OnboardingForm created = ReadForm(rows[0]);
        AFFONSO_RETURN_IF_ERROR(ReplaceQuestions(tx, team, created, *change.questions));
        return FormOf(tx, kSelectForm, team, resolved);
      });
}

absl::StatusOr<OnboardingForm> PgOnboardingStore::UpdateForm(absl::string_view team_id,
                                                             absl::string_view program_id,
                                                             const OnboardingFormChange& change) {
  const std::string team(team_id), program(program_id);
  return pool_->InTransaction(
      "update_onboarding_form", [&](Tx& tx) -> absl::StatusOr<OnboardingForm> {
        AFFONSO_ASSIGN_OR_RETURN(const std::string resolved, ResolveProgram(tx, team, program));
        AFFONSO_ASSIGN_OR_RETURN(const OnboardingForm form, FormOf(tx, kLockForm, team, resolved));
        if (change.questions.has_value()) {
          AFFONSO_RETURN_IF_ERROR(ReplaceQuestions(tx, team, form, *change.questions));
        }
        const std::string description = change.description.value_or("");
        tx.Exec(kUpdateForm, team, form.id(),
                change.name.has_value() ? change.name->c_str() : nullptr,
                change.description.has_value(), NullIfEmpty(description));
        return FormOf(tx, kSelectForm, team, resolved);
      });
}

absl::StatusOr<std::string> PgOnboardingStore::DeleteForm(absl::string_view team_id,
                                                          absl::string_view program_id) {
  const std::string team(team_id), program(program_id);
  return pool_->InTransaction("delete_onboarding_form", [&](Tx& tx) -> absl::StatusOr<std::string> {
    AFFONSO_ASSIGN_OR_RETURN(const std::string resolved, ResolveProgram(tx, team, program));
    AFFONSO_ASSIGN_OR_RETURN(const OnboardingForm form,
                             QueryOne(tx, kLockForm, ReadForm, "onboarding form", team, resolved));
    tx.Exec(kDeleteForm, team, form.id());
    return form.id();
  });
}

absl::StatusOr<AffiliateOnboardingResponses> PgOnboardingStore::GetResponses(
    absl::string_view team_id, absl::string_view affiliate_id) {
  const std::string team(team_id), affiliate(affiliate_id);
  return pool_->InTransaction(
      "get_onboarding_responses", [&](Tx& tx) -> absl::StatusOr<AffiliateOnboardingResponses> {
        AFFONSO_ASSIGN_OR_RETURN(
            const std::string program,
            QueryOne(
                tx, kAffiliateProgram,
                [](const pqxx::row& row) { return ReadText(row["program_id"]); }, "affiliate",
                affiliate, team));
        AFFONSO_ASSIGN_OR_RETURN(const OnboardingForm form, FormOf(tx, kSelectForm, team, program));
        return ReadResponses(tx, team, affiliate, form);
      });
}

absl::StatusOr<AffiliateOnboardingResponses> PgOnboardingStore::SubmitResponses(
    absl::string_view team_id, absl::string_view affiliate_id, const OnboardingAnswerCheck& check) {
  const std::string team(team_id), affiliate(affiliate_id);
  return pool_->InTransaction(
      "submit_onboarding_responses", [&](Tx& tx) -> absl::StatusOr<AffiliateOnboardingResponses> {
        AFFONSO_ASSIGN_OR_RETURN(
            const std::string program,
            QueryOne(
                tx, kLockAffiliate,
                [](const pqxx::row& row) { return ReadText(row["program_id"]); }, "affiliate",
                affiliate, team));
        StoredOnboardingResponses stored;
        AFFONSO_ASSIGN_OR_RETURN(stored.form, FormOf(tx, kShareForm, team, program));
        AFFONSO_ASSIGN_OR_RETURN(stored.answers, AnswersOf(tx, team, affiliate, stored.form.id()));
        stored.completed = !tx.Exec(kSelectCompletion, team, affiliate, stored.form.id()).empty();
        AFFONSO_ASSIGN_OR_RETURN(const OnboardingAnswerChanges changes, check(stored));
        for (const auto& [question, answer] : changes.set) {
          tx.Exec(kUpsertAnswer, team, affiliate, question, ValueToJson(answer));
        }
        for (const std::string& question : changes.cleared) {
          tx.Exec(kDeleteAnswer, team, affiliate, question);
        }
        if (changes.complete) {
          tx.Exec(kComplete, team, affiliate, stored.form.id());
          tx.Exec(kMarkAffiliateOnboarded, affiliate, team, NewId("evt"));
        }
        return ReadResponses(tx, team, affiliate, stored.form);
      });
}

absl::StatusOr<std::map<std::string, OnboardingResponses>>
PgOnboardingStore::ListCompletedResponses(absl::string_view team_id,
                                          const std::vector<std::string>& affiliate_ids) {
  using ResponsesByAffiliate = std::map<std::string, OnboardingResponses>;
  if (affiliate_ids.empty()) return ResponsesByAffiliate();
  const std::string team(team_id);
  const std::string ids = absl::StrJoin(affiliate_ids, ",");
  return pool_->InTransaction(
      "list_onboarding_responses", [&](Tx& tx) -> absl::StatusOr<ResponsesByAffiliate> {
        ResponsesByAffiliate out;
        const pqxx::result completions = tx.Exec(kCompletionsOfAffiliates, team, ids);
        if (completions.empty()) return out;
        std::map<std::string, OnboardingForm> forms;  // by id
        for (const pqxx::row& row : completions) {
          OnboardingForm form = ReadForm(row);
          const std::string id = form.id();
          forms.emplace(id, std::move(form));
        }
        std::vector<std::string> form_ids;
        for (const auto& [id, unused] : forms) form_ids.push_back(id);
        for (const pqxx::row& row :
             tx.Exec(kQuestionsOfForms, team, absl::StrJoin(form_ids, ","))) {
          auto form = forms.find(ReadText(row["form_id"]));
          if (form != forms.end()) ReadQuestion(row, form->second.add_questions());
        }
        std::map<std::string, std::map<std::string, Value>> answers;  // by affiliate
        for (const pqxx::row& row : tx.Exec(kAnswersOfAffiliates, team, ids)) {
          AFFONSO_RETURN_IF_ERROR(
              ReadJsonValue(row["answer"],
                            &answers[ReadText(row["affiliate_id"])][ReadText(row["question_id"])]));
        }
        for (const pqxx::row& row : completions) {
          const std::string affiliate = ReadText(row["affiliate_id"]);
          const OnboardingForm& form = forms.at(ReadText(row["id"]));
          OnboardingResponses& responses = out[affiliate];
          responses.set_form_name(form.name());
          if (form.has_description()) responses.set_form_description(form.description());
          ReadTimestamp(row["completed_at"], responses.mutable_completed_at());
          FillQuestions(form, answers[affiliate], &responses);
        }
        return out;
      });
}

}  // namespace affonso::storage

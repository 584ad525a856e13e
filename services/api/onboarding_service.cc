#include "services/api/onboarding_service.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/status_macros.h"
#include "services/api/program_service.h"
#include "services/call/validation.h"

namespace affonso::services {
namespace {

using affonso::v1::OnboardingFormQuestion;
using google::protobuf::Value;

constexpr absl::string_view kQuestionTypes[] = {"single_choice", "multiple_choice", "text_input",
                                                "textarea"};

bool IsChoice(absl::string_view type) {
  return type == "single_choice" || type == "multiple_choice";
}

std::string Indexed(absl::string_view list, int index, absl::string_view field) {
  return absl::StrCat(list, "[", index, "].", field);
}

absl::StatusOr<storage::OnboardingQuestionInput> ParseQuestion(
    const affonso::v1::OnboardingQuestionInput& input, int index, bool create) {
  storage::OnboardingQuestionInput question;
  const std::string id_field = Indexed("questions", index, "id");
  if (!input.id().empty()) {
    if (create) {
      return ValidationError(id_field, "a new form's questions get new ids: leave id out");
    }
    if (!LooksLikeId(input.id(), "obq")) {
      return ValidationError(id_field, "id is not a question of this form");
    }
  }
  const std::string text_field = Indexed("questions", index, "question");
  AFFONSO_RETURN_IF_ERROR(RequireNonEmpty(text_field, input.question()));
  AFFONSO_RETURN_IF_ERROR(
      CheckMaxLength(text_field, input.question(), storage::kMaxOnboardingQuestionLength));
  bool known = false;
  for (absl::string_view type : kQuestionTypes) known |= input.type() == type;
  if (!known) {
    return ValidationError(Indexed("questions", index, "type"),
                           "type must be single_choice, multiple_choice, text_input or textarea");
  }
  const std::string order_field = Indexed("questions", index, "order");
  if (!input.has_order())
    return ValidationError(order_field, absl::StrCat(order_field, " is required"));
  if (input.order() < 0 || input.order() > storage::kMaxOnboardingQuestionOrder) {
    return ValidationError(
        order_field, absl::StrCat("order must be 0 to ", storage::kMaxOnboardingQuestionOrder));
  }
  const std::string options_field = Indexed("questions", index, "options");
  if (IsChoice(input.type())) {
    if (input.options().empty() || input.options_size() > storage::kMaxOnboardingOptions) {
      return ValidationError(options_field,
                             absl::StrCat("a ", input.type(), " question has 1 to ",
                                          storage::kMaxOnboardingOptions, " options"));
    }
    std::set<std::string> seen;
    for (const std::string& option : input.options()) {
      AFFONSO_RETURN_IF_ERROR(RequireNonEmpty(options_field, option));
      AFFONSO_RETURN_IF_ERROR(
          CheckMaxLength(options_field, option, storage::kMaxOnboardingOptionLength));
      if (!seen.insert(option).second) {
        return ValidationError(options_field,
                               absl::StrCat("option \"", option, "\" is given twice"));
      }
    }
  } else if (!input.options().empty()) {
    return ValidationError(options_field,
                           absl::StrCat("a ", input.type(), " question has no options"));
  }
  question.id = input.id();
  question.question = input.question();
  question.type = input.type();
  question.is_required = input.is_required();
  question.options.assign(input.options().begin(), input.options().end());
  question.order = input.order();
  return question;
}

// "", [] and null (or no answer at all) clear an answer.
bool IsClear(const Value& answer) {
  switch (answer.kind_case()) {
    case Value::KIND_NOT_SET:
    case Value::kNullValue:
      return true;
    case Value::kStringValue:
      return answer.string_value().empty();
    case Value::kListValue:
      return answer.list_value().values().empty();
    default:
      return false;
  }
}

bool HasOption(const OnboardingFormQuestion& question, const std::string& value) {
  for (const std::string& option : question.options()) {
    if (option == value) return true;
  }
  return false;
}

// An answer that is not clear, checked against its question.
absl::Status CheckAnswer(const OnboardingFormQuestion& question, const Value& answer,
                         const std::string& field) {
  const std::string& type = question.type();
  if (type == "multiple_choice") {
    if (answer.kind_case() != Value::kListValue) {
      return ValidationError(field,
                             "a multiple_choice answer is an array of the question's options");
    }
    std::set<std::string> seen;
    for (const Value& item : answer.list_value().values()) {
      if (item.kind_case() != Value::kStringValue || !HasOption(question, item.string_value())) {
        return ValidationError(field, "each choice must be one of the question's options");
      }
      if (!seen.insert(item.string_value()).second) {
        return ValidationError(field,
                               absl::StrCat("choice \"", item.string_value(), "\" is given twice"));
      }
    }
    return absl::OkStatus();
  }
  if (answer.kind_case() != Value::kStringValue) {
    return ValidationError(field, absl::StrCat("a ", type, " answer is a string"));
  }
  if (type == "single_choice") {
    if (!HasOption(question, answer.string_value())) {
      return ValidationError(field, "the answer must be one of the question's options");
    }
    return absl::OkStatus();
  }
  return CheckMaxLength(
      field, answer.string_value(),
      type == "textarea" ? storage::kMaxTextareaAnswerLength : storage::kMaxTextInputAnswerLength);
}

}  // namespace

absl::StatusOr<storage::OnboardingFormChange> ParseOnboardingFormInput(
    const affonso::v1::OnboardingFormInput& input, bool create) {
  storage::OnboardingFormChange change;
  if (create || input.has_name()) {
    AFFONSO_RETURN_IF_ERROR(RequireNonEmpty("name", input.name()));
    AFFONSO_RETURN_IF_ERROR(
        CheckMaxLength("name", input.name(), storage::kMaxOnboardingFormNameLength));
    change.name = input.name();
  }
  if (input.has_description()) {
    AFFONSO_RETURN_IF_ERROR(CheckMaxLength("description", input.description(),
                                           storage::kMaxOnboardingFormDescriptionLength));
    change.description = input.description();
  }
  if (input.questions().empty()) {
    if (create) return ValidationError("questions", "questions is required (1 or more)");
    return change;
  }
  if (input.questions_size() > storage::kMaxOnboardingQuestions) {
    return ValidationError(
        "questions",
        absl::StrCat("a form has at most ", storage::kMaxOnboardingQuestions, " questions"));
  }
  size_t bytes = 0;
  std::set<std::string> ids;
  std::vector<storage::OnboardingQuestionInput> questions;
  for (int i = 0; i < input.questions_size(); ++i) {
    AFFONSO_ASSIGN_OR_RETURN(storage::OnboardingQuestionInput question,
                             ParseQuestion(input.questions(i), i, create));
    if (!question.id.empty() && !ids.insert(question.id).second) {
      return ValidationError(Indexed("questions", i, "id"), "the same question is given twice");
    }
    bytes += input.questions(i).ByteSizeLong();
    questions.push_back(std::move(question));
  }
  if (bytes > storage::kMaxOnboardingQuestionsBytes) {
    return ValidationError(
        "questions", absl::StrCat("the questions are at most ",
                                  storage::kMaxOnboardingQuestionsBytes / 1024, " KiB in all"));
  }
  change.questions = std::move(questions);
  return change;
}

absl::Status ValidateSubmitOnboardingResponses(
    const affonso::v1::SubmitOnboardingResponsesRequest& request) {
  if (request.responses_size() > storage::kMaxOnboardingQuestions) {
    return ValidationError("responses", absl::StrCat("at most ", storage::kMaxOnboardingQuestions,
                                                     " responses (one per question)"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < request.responses_size(); ++i) {
    const std::string field = Indexed("responses", i, "question_id");
    const std::string& question = request.responses(i).question_id();
    AFFONSO_RETURN_IF_ERROR(RequireNonEmpty(field, question));
    if (!seen.insert(question).second) {
      return ValidationError(field, "the same question is answered twice");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<storage::OnboardingAnswerChanges> PlanOnboardingAnswers(
    const affonso::v1::SubmitOnboardingResponsesRequest& request,
    const storage::StoredOnboardingResponses& stored) {
  std::map<std::string, const OnboardingFormQuestion*> questions;
  for (const OnboardingFormQuestion& question : stored.form.questions()) {
    questions[question.id()] = &question;
  }
  storage::OnboardingAnswerChanges changes;
  std::map<std::string, Value> merged = stored.answers;
  for (int i = 0; i < request.responses_size(); ++i) {
    const affonso::v1::OnboardingAnswerInput& response = request.responses(i);
    auto question = questions.find(response.question_id());
    if (question == questions.end()) {
      return ValidationError(Indexed("responses", i, "question_id"),
                             "question_id is not a question of the onboarding form");
    }
    if (IsClear(response.answer())) {
      changes.cleared.push_back(response.question_id());
      merged.erase(response.question_id());
      continue;
    }
    AFFONSO_RETURN_IF_ERROR(
        CheckAnswer(*question->second, response.answer(), Indexed("responses", i, "answer")));
    changes.set[response.question_id()] = response.answer();
    merged[response.question_id()] = response.answer();
  }
  size_t bytes = 0;
  for (const auto& [id, answer] : merged) bytes += id.size() + answer.ByteSizeLong();
  if (bytes > storage::kMaxOnboardingAnswersBytes) {
    return ValidationError("responses",
                           absl::StrCat("an affiliate's answers are at most ",
                                        storage::kMaxOnboardingAnswersBytes / 1024, " KiB in all"));
  }
  if (request.mark_complete() || stored.completed) {
    for (const OnboardingFormQuestion& question : stored.form.questions()) {
      if (question.is_required() && !merged.count(question.id())) {
        return ValidationError("responses",
                               absl::StrCat("required question ", question.id(), " (\"",
                                            question.question(), "\") is not answered"));
      }
    }
  }
  changes.complete = request.mark_complete();
  return changes;
}

grpc::Status OnboardingServiceImpl::GetOnboardingForm(
    grpc::ServerContext* context, const affonso::v1::GetOnboardingFormRequest* request,
    affonso::v1::OnboardingForm* response) {
  return runner_.Run(
      context, "GetOnboardingForm", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(*response, store_->GetForm(caller.team_id, program));
        return absl::OkStatus();
      });
}

grpc::Status OnboardingServiceImpl::CreateOnboardingForm(
    grpc::ServerContext* context, const affonso::v1::CreateOnboardingFormRequest* request,
    affonso::v1::OnboardingForm* response) {
  return runner_.Run(
      context, "CreateOnboardingForm", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(storage::OnboardingFormChange change,
                                 ParseOnboardingFormInput(request->form(), /*create=*/true));
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(*response, store_->CreateForm(caller.team_id, program, change));
        RpcRunner::SetHttpCode(context, 201);
        return absl::OkStatus();
      });
}

grpc::Status OnboardingServiceImpl::UpdateOnboardingForm(
    grpc::ServerContext* context, const affonso::v1::UpdateOnboardingFormRequest* request,
    affonso::v1::OnboardingForm* response) {
  return runner_.Run(
      context, "UpdateOnboardingForm", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(storage::OnboardingFormChange change,
                                 ParseOnboardingFormInput(request->form(), /*create=*/false));
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(*response, store_->UpdateForm(caller.team_id, program, change));
        return absl::OkStatus();
      });
}

grpc::Status OnboardingServiceImpl::DeleteOnboardingForm(
    grpc::ServerContext* context, const affonso::v1::DeleteOnboardingFormRequest* request,
    affonso::v1::DeleteOnboardingFormResponse* response) {
  return runner_.Run(
      context, "DeleteOnboardingForm", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_ASSIGN_OR_RETURN(std::string program,
                                 ProgramIdParam(request->has_program_id(), request->program_id()));
        AFFONSO_ASSIGN_OR_RETURN(std::string id, store_->DeleteForm(caller.team_id, program));
        response->set_id(id);
        response->set_deleted(true);
        response->set_message("onboarding form deleted");
        return absl::OkStatus();
      });
}

grpc::Status OnboardingServiceImpl::GetOnboardingResponses(
    grpc::ServerContext* context, const affonso::v1::GetOnboardingResponsesRequest* request,
    affonso::v1::AffiliateOnboardingResponses* response) {
  return runner_.Run(
      context, "GetOnboardingResponses", *request, [&](const Caller& caller) -> absl::Status {
        if (!LooksLikeId(request->affiliate_id(), "aff")) return NotFoundError("affiliate");
        AFFONSO_ASSIGN_OR_RETURN(*response,
                                 store_->GetResponses(caller.team_id, request->affiliate_id()));
        return absl::OkStatus();
      });
}

grpc::Status OnboardingServiceImpl::SubmitOnboardingResponses(
    grpc::ServerContext* context, const affonso::v1::SubmitOnboardingResponsesRequest* request,
    affonso::v1::AffiliateOnboardingResponses* response) {
  return runner_.Run(
      context, "SubmitOnboardingResponses", *request, [&](const Caller& caller) -> absl::Status {
        AFFONSO_RETURN_IF_ERROR(ValidateSubmitOnboardingResponses(*request));
        if (!LooksLikeId(request->affiliate_id(), "aff")) return NotFoundError("affiliate");
        AFFONSO_ASSIGN_OR_RETURN(
            *response,
            store_->SubmitResponses(caller.team_id, request->affiliate_id(),
                                    [request](const storage::StoredOnboardingResponses& stored) {
                                      return PlanOnboardingAnswers(*request, stored);
                                    }));
        return absl::OkStatus();
      });
}

}  // namespace affonso::services

#ifndef AFFONSO_STORAGE_ONBOARDING_STORE_H_
#define AFFONSO_STORAGE_ONBOARDING_STORE_H_

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"
#include "proto/affonso/v1/affiliates.pb.h"
#include "proto/affonso/v1/onboarding.pb.h"

namespace affonso::storage {

// The limits of a form and of an affiliate's answers (docs/BEHAVIOUR.md
// "Onboarding"). The byte limits are of the protobuf encoding, which is what a
// response costs: an affiliate's expand=onboardingResponses (the form's
// questions with the affiliate's answers) is then at most about 62 KiB, so a
// page of kMaxOnboardingExpandedPageLimit affiliates with every expansion
// stays well inside the 4 MiB gRPC message limit.
inline constexpr int kMaxOnboardingQuestions = 25;
inline constexpr int kMaxOnboardingOptions = 20;
inline constexpr size_t kMaxOnboardingFormNameLength = 255;
inline constexpr size_t kMaxOnboardingFormDescriptionLength = 1000;
inline constexpr size_t kMaxOnboardingQuestionLength = 500;
inline constexpr size_t kMaxOnboardingOptionLength = 200;
inline constexpr int kMaxOnboardingQuestionOrder = 10000;
inline constexpr size_t kMaxOnboardingQuestionsBytes = 24 * 1024;
inline constexpr size_t kMaxTextInputAnswerLength = 500;
inline constexpr size_t kMaxTextareaAnswerLength = 5000;
inline constexpr size_t kMaxOnboardingAnswersBytes = 32 * 1024;
inline constexpr int kMaxOnboardingExpandedPageLimit = 25;

// One question of a create or update, validated and normalised by the caller
// (type one of the four, options only for the choice types).
struct OnboardingQuestionInput {
  std::string id;  // "" = a new question; else one of the form's current ids
  std::string question;
  std::string type;
  bool is_required = false;
  std::vector<std::string> options;
  int order = 0;
};

// A create (name and questions set) or an update (nullopt = unchanged).
struct OnboardingFormChange {
  std::optional<std::string> name;
  std::optional<std::string> description;  // "" = none (NULL)
  std::optional<std::vector<OnboardingQuestionInput>> questions;
};

// What a submission is checked against, read inside its transaction with the
// form locked: the form, the affiliate's answers to its current questions (a
// string Value, or a list of strings for multiple_choice) and whether the
// affiliate has completed it.
struct StoredOnboardingResponses {
  affonso::v1::OnboardingForm form;
  std::map<std::string, google::protobuf::Value> answers;  // by question id
  bool completed = false;
};

// What a submission changes: answers set (replacing any stored one) and
// cleared, and whether it completes the form (completed_at, kept when
// already set, and the affiliate's onboarding_completed = true).
struct OnboardingAnswerChanges {
  std::map<std::string, google::protobuf::Value> set;
  std::vector<std::string> cleared;
  bool complete = false;
};

// Decides a submission from what is stored; an error aborts it unchanged.
// Called inside the store's transaction (maybe more than once, if the
// transaction is retried): pure, quick, no I/O.
using OnboardingAnswerCheck =
    std::function<absl::StatusOr<OnboardingAnswerChanges>(const StoredOnboardingResponses&)>;

// A program's onboarding form and its affiliates' answers, scoped to
// `team_id`: another team's program or affiliate is NOT_FOUND. `program_id` ""
// is the team's default program; NOT_FOUND("program") when the team has no
// such program, NOT_FOUND("onboarding form") when the program has no form.
// An affiliate answers the form of its own program; a deleted affiliate is
// NOT_FOUND("affiliate").
class OnboardingStore {
 public:
  virtual ~OnboardingStore() = default;

  virtual absl::StatusOr<affonso::v1::OnboardingForm> GetForm(absl::string_view team_id,
                                                              absl::string_view program_id) = 0;

  // DUPLICATE_ERROR when the program has a form (also between racing
  // creates: the unique index decides). `change` has name and questions.
  virtual absl::StatusOr<affonso::v1::OnboardingForm> CreateForm(
      absl::string_view team_id, absl::string_view program_id,
      const OnboardingFormChange& change) = 0;

  // Present questions replace the list: VALIDATION_ERROR on questions[i].id
  // for an id that is not one of the form's current questions; the dropped
  // questions' answers are deleted, and so are the kept questions' answers
  // that no longer fit them (a new type, a removed option, a shorter limit).
  virtual absl::StatusOr<affonso::v1::OnboardingForm> UpdateForm(
      absl::string_view team_id, absl::string_view program_id,
      const OnboardingFormChange& change) = 0;

  // Answers the deleted form's id.
  virtual absl::StatusOr<std::string> DeleteForm(absl::string_view team_id,
                                                 absl::string_view program_id) = 0;

  virtual absl::StatusOr<affonso::v1::AffiliateOnboardingResponses> GetResponses(
      absl::string_view team_id, absl::string_view affiliate_id) = 0;

  // Reads the form (locked against changes) and the answers, applies what
  // `check` decides, and answers the responses as they are then.
  virtual absl::StatusOr<affonso::v1::AffiliateOnboardingResponses> SubmitResponses(
      absl::string_view team_id, absl::string_view affiliate_id,
      const OnboardingAnswerCheck& check) = 0;

  // expand=onboardingResponses for a page of affiliates, in three queries:
  // the responses of each affiliate that has completed its program's form,
  // keyed by affiliate id; the others have no entry.
  virtual absl::StatusOr<std::map<std::string, affonso::v1::OnboardingResponses>>
  ListCompletedResponses(absl::string_view team_id,
                         const std::vector<std::string>& affiliate_ids) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_ONBOARDING_STORE_H_

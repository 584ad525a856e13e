#ifndef AFFONSO_SERVICES_API_ONBOARDING_SERVICE_H_
#define AFFONSO_SERVICES_API_ONBOARDING_SERVICE_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/affonso/v1/onboarding.grpc.pb.h"
#include "services/call/authenticator.h"
#include "services/call/rpc_runner.h"
#include "storage/onboarding_store.h"

namespace affonso::services {

// Validates a form's create (`create`: name and questions required, no
// question ids) or update (absent = unchanged) and normalises it (type as
// given, options kept in their order). Each failure is a VALIDATION_ERROR
// naming the field as the REST body writes it (`questions[2].options`).
absl::StatusOr<storage::OnboardingFormChange> ParseOnboardingFormInput(
    const affonso::v1::OnboardingFormInput& input, bool create);

// A submission's checks that need no form: each entry names a question, at
// most once, and there are at most kMaxOnboardingQuestions of them.
absl::Status ValidateSubmitOnboardingResponses(
    const affonso::v1::SubmitOnboardingResponsesRequest& request);

// Decides a submission against the form and the stored answers
// (storage::OnboardingAnswerCheck): each answer must fit its question's type
// (`responses[i].answer`), the merged answers must fit
// kMaxOnboardingAnswersBytes, and, when the submission completes the form or
// it was completed before, every required question must be answered
// (VALIDATION_ERROR on `responses` naming the question).
absl::StatusOr<storage::OnboardingAnswerChanges> PlanOnboardingAnswers(
    const affonso::v1::SubmitOnboardingResponsesRequest& request,
    const storage::StoredOnboardingResponses& stored);

class OnboardingServiceImpl final : public affonso::v1::OnboardingService::Service {
 public:
  OnboardingServiceImpl(RpcRunner runner, storage::OnboardingStore* store)
      : runner_(std::move(runner)), store_(store) {}

  grpc::Status GetOnboardingForm(grpc::ServerContext* context,
                                 const affonso::v1::GetOnboardingFormRequest* request,
                                 affonso::v1::OnboardingForm* response) override;
  grpc::Status CreateOnboardingForm(grpc::ServerContext* context,
                                    const affonso::v1::CreateOnboardingFormRequest* request,
                                    affonso::v1::OnboardingForm* response) override;
  grpc::Status UpdateOnboardingForm(grpc::ServerContext* context,
                                    const affonso::v1::UpdateOnboardingFormRequest* request,
                                    affonso::v1::OnboardingForm* response) override;
  grpc::Status DeleteOnboardingForm(grpc::ServerContext* context,
                                    const affonso::v1::DeleteOnboardingFormRequest* request,
                                    affonso::v1::DeleteOnboardingFormResponse* response) override;
  grpc::Status GetOnboardingResponses(grpc::ServerContext* context,
                                      const affonso::v1::GetOnboardingResponsesRequest* request,
                                      affonso::v1::AffiliateOnboardingResponses* response) override;
  grpc::Status SubmitOnboardingResponses(
      grpc::ServerContext* context, const affonso::v1::SubmitOnboardingResponsesRequest* request,
      affonso::v1::AffiliateOnboardingResponses* response) override;

 private:
  RpcRunner runner_;
  storage::OnboardingStore* store_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_API_ONBOARDING_SERVICE_H_

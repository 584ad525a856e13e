#include "services/call/admission.h"

#include "common/api_error.h"
#include "common/status_macros.h"

namespace affonso::services {
namespace {

// Which one a proxy or a client library means is anyone's guess.
absl::Status CheckOneAuthorization(const AdmissionRequest& request) {
  if (request.authorization_count <= 1) return absl::OkStatus();
  return WithApiCode(
      absl::UnauthenticatedError("more than one authorization header: send exactly one"),
      api_code::kInvalidApiKey);
}

absl::Status Keep(absl::StatusOr<Caller> caller, AdmissionState* state) {
  if (!caller.ok()) return caller.status();
  state->caller = *std::move(caller);
  return absl::OkStatus();
}

}  // namespace

absl::Status AuthenticationStage::Admit(const AdmissionRequest& request,
                                        AdmissionState* state) const {
  AFFONSO_RETURN_IF_ERROR(CheckOneAuthorization(request));
  return Keep(authenticator_->AuthenticateFrom(request.authorization, request.client_address),
              state);
}

std::optional<absl::Status> AuthenticationStage::AdmitWithoutWaiting(
    const AdmissionRequest& request, AdmissionState* state) const {
  AFFONSO_RETURN_IF_ERROR(CheckOneAuthorization(request));
  std::optional<absl::StatusOr<Caller>> caller =
      authenticator_->AuthenticateWithoutWaiting(request.authorization, request.client_address);
  if (!caller) return std::nullopt;
  return Keep(*std::move(caller), state);
}

absl::Status Admission::Admit(const AdmissionRequest& request, AdmissionState* state,
                              size_t first) const {
  for (size_t i = first; i < stages_.size(); ++i) {
    AFFONSO_RETURN_IF_ERROR(stages_[i]->Admit(request, state));
  }
  return absl::OkStatus();
}

size_t Admission::AdmitWithoutWaiting(const AdmissionRequest& request, AdmissionState* state,
                                      absl::Status* status) const {
  *status = absl::OkStatus();
  for (size_t i = 0; i < stages_.size(); ++i) {
    std::optional<absl::Status> decided = stages_[i]->AdmitWithoutWaiting(request, state);
    if (!decided) return i;
    if (!decided->ok()) {
      *status = *std::move(decided);
      return stages_.size();
    }
  }
  return stages_.size();
}

}  // namespace affonso::services

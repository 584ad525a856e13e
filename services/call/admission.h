#ifndef AFFONSO_SERVICES_CALL_ADMISSION_H_
#define AFFONSO_SERVICES_CALL_ADMISSION_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "services/call/authenticator.h"

namespace affonso::services {

// Response metadata collected while a call is admitted (the rate limiter's
// X-RateLimit-*); the call's scope sends them as initial metadata.
using ResponseHeaders = std::vector<std::pair<std::string, std::string>>;

// Where RpcRunner finds the method a call is for: MethodNameInterceptorFactory
// (permissions.h) puts it in the call's client metadata. A pseudo-header
// name, which no client can send (and the interceptor replaces any).
inline constexpr char kMethodKey[] = ":affonso-method";

// What admission reads of a call, copied from its metadata on gRPC's thread.
struct AdmissionRequest {
  std::string authorization;    // "" when absent
  int authorization_count = 0;  // authorization headers sent
  std::string client_address;   // an IP address, "" when unknown
  std::string method;           // "/affonso.v1.Service/Method" (kMethodKey), "" when unknown
};

// A call as the stages so far have admitted it.
struct AdmissionState {
  Caller caller;            // set by authentication, the first stage
  ResponseHeaders headers;  // added to the response when the call is admitted
};

// One ordered step of admission, as userver's server middlewares and Envoy's
// filters: authentication, then rate limiting, then permissions. A stage runs only when every
// stage before it admitted the call.
class AdmissionStage {
 public:
  virtual ~AdmissionStage() = default;
  // OK admits the call; anything else refuses it with that answer. May wait
  // (a query): the synchronous handlers' threads and the admission executor
  // run it.
  virtual absl::Status Admit(const AdmissionRequest& request, AdmissionState* state) const = 0;
  // The same when the stage can decide without waiting; nullopt, with nothing
  // done, when it cannot. Never waits: it runs on gRPC's callback threads.
  virtual std::optional<absl::Status> AdmitWithoutWaiting(const AdmissionRequest& request,
                                                          AdmissionState* state) const {
    return std::nullopt;
  }
};

// Who is calling: exactly one authorization header, which `authenticator`
// accepts. Decides without waiting when the authenticator can.
class AuthenticationStage final : public AdmissionStage {
 public:
  explicit AuthenticationStage(const Authenticator* authenticator)
      : authenticator_(authenticator) {}

  absl::Status Admit(const AdmissionRequest& request, AdmissionState* state) const override;
  std::optional<absl::Status> AdmitWithoutWaiting(const AdmissionRequest& request,
                                                  AdmissionState* state) const override;

 private:
  const Authenticator* authenticator_;
};

// The stages of a server, in order: a call is admitted when each admits it,
// and the first refusal is its answer.
class Admission {
 public:
  explicit Admission(std::vector<const AdmissionStage*> stages) : stages_(std::move(stages)) {}

  size_t size() const { return stages_.size(); }
  // Runs the stages from `first` on, waiting as they need.
  absl::Status Admit(const AdmissionRequest& request, AdmissionState* state,
                     size_t first = 0) const;
  // Runs the stages from the first on as long as each decides without
  // waiting, and returns the index of the first one left for Admit: size()
  // when admission is decided, and then `*status` is the answer.
  size_t AdmitWithoutWaiting(const AdmissionRequest& request, AdmissionState* state,
                             absl::Status* status) const;

 private:
  const std::vector<const AdmissionStage*> stages_;
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_CALL_ADMISSION_H_

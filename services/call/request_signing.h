#ifndef AFFONSO_SERVICES_CALL_REQUEST_SIGNING_H_
#define AFFONSO_SERVICES_CALL_REQUEST_SIGNING_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace affonso::services {

// What a request that moves money or records events may carry (API.md):
// X-Affonso-Timestamp (unix seconds) and X-Affonso-Signature (hex
// HMAC-SHA256 of "<timestamp>.<raw body>"), and the raw body they sign (the
// request's raw_body field, which the REST gateway fills). The gateway
// forwards the two headers as the metadata x-affonso-timestamp and
// x-affonso-signature (common/wire_metadata.h).
struct SignedRequest {
  std::string timestamp;  // "" = not sent
  std::string signature;  // "" = not sent
  std::string body;
};

// Whether a signed-capable request may act on a program. Called by the
// service once it knows the program the request is for (attribution), before
// it writes anything.
class RequestVerifier {
 public:
  virtual ~RequestVerifier() = default;
  // OK when the program has no signing secret (for `source`, else the
  // program's own; source "" = the program's own), or when `request` is
  // signed with a current secret within the allowed clock skew.
  // UNAUTHENTICATED otherwise, with the reason in x-error-code
  // (docs/MONEY.md), compared in constant time.
  virtual absl::Status Verify(absl::string_view team_id, absl::string_view program_id,
                              absl::string_view source, const SignedRequest& request) = 0;
};

// For servers and tests without signing secrets: every request may act.
class NoSigningSecrets final : public RequestVerifier {
 public:
  absl::Status Verify(absl::string_view, absl::string_view, absl::string_view,
                      const SignedRequest&) override {
    return absl::OkStatus();
  }
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_CALL_REQUEST_SIGNING_H_

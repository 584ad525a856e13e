#ifndef AFFONSO_COMMON_ERROR_ENVELOPE_H_
#define AFFONSO_COMMON_ERROR_ENVELOPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace affonso {

// The API's error body:
//   {"success":false,"error":{"code":"...","message":"..."}}
// with "field":"..." appended inside "error" when `field` is not empty. An
// authentication or permission reason (MISSING_API_KEY, ...,
// INSUFFICIENT_PERMISSIONS) goes out as the code the SDK maps on
// (UNAUTHORIZED / FORBIDDEN) with "details":[{"reason":"<the reason>"}].
// Sent as kErrorEnvelopeContentType.
std::string ErrorEnvelope(absl::string_view code, absl::string_view message,
                          absl::string_view field = {});

inline constexpr char kErrorEnvelopeContentType[] = "application/json";

// ErrorEnvelope without a field: how an HTTP server serving the API words the
// refusals it makes itself (gateway::HttpServerOptions::error_format, which
// the REST gateway and the ops port set), so they read like the API's own.
std::string RefusalEnvelope(absl::string_view code, absl::string_view message);

}  // namespace affonso

#endif  // AFFONSO_COMMON_ERROR_ENVELOPE_H_

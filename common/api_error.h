#ifndef AFFONSO_COMMON_API_ERROR_H_
#define AFFONSO_COMMON_API_ERROR_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace affonso {

// The public error codes of API.md. A status carries its code and the input
// field at fault as payloads, so every layer above (gRPC metadata, the REST
// envelope) renders the same answer without re-deriving it from the gRPC code.
namespace api_code {
inline constexpr absl::string_view kValidation = "VALIDATION_ERROR";
// 401 and 403 go out as the codes the SDK maps on, their reason in
// error.details[0].reason (AuthErrorReason): the statuses carry the reason.
inline constexpr absl::string_view kUnauthorized = "UNAUTHORIZED";
inline constexpr absl::string_view kForbidden = "FORBIDDEN";
inline constexpr absl::string_view kMissingApiKey = "MISSING_API_KEY";
inline constexpr absl::string_view kInvalidApiKeyFormat = "INVALID_API_KEY_FORMAT";
inline constexpr absl::string_view kInvalidApiKey = "INVALID_API_KEY";
inline constexpr absl::string_view kApiKeyDisabled = "API_KEY_DISABLED";
inline constexpr absl::string_view kApiKeyExpired = "API_KEY_EXPIRED";
inline constexpr absl::string_view kInsufficientPermissions = "INSUFFICIENT_PERMISSIONS";
// A public (pixel) call from a page whose Origin / Referer host is not on
// the program's allowed domains: 403 FORBIDDEN.
inline constexpr absl::string_view kOriginNotAllowed = "ORIGIN_NOT_ALLOWED";
// A signed route of a program with a signing secret (docs/MONEY.md
// "Request signing"): no X-Affonso-Timestamp / X-Affonso-Signature, a
// timestamp that is no integer or too far from now, an HMAC that matches no
// valid secret. All 401 UNAUTHORIZED.
inline constexpr absl::string_view kMissingSignature = "MISSING_SIGNATURE";
inline constexpr absl::string_view kStaleSignature = "STALE_SIGNATURE";
inline constexpr absl::string_view kInvalidSignature = "INVALID_SIGNATURE";
// A partner token (POST /v1/portal/me, POST /v1/embed/me; docs/BEHAVIOUR.md
// "Partner access") that grants nothing: none given, not one we signed
// (malformed or altered), a token of the other kind, past its expiry, or
// revoked (or its affiliate deleted or rejected). All 401 UNAUTHORIZED.
inline constexpr absl::string_view kMissingToken = "MISSING_TOKEN";
inline constexpr absl::string_view kInvalidToken = "INVALID_TOKEN";
inline constexpr absl::string_view kWrongTokenPurpose = "WRONG_TOKEN_PURPOSE";
inline constexpr absl::string_view kTokenExpired = "TOKEN_EXPIRED";
inline constexpr absl::string_view kTokenRevoked = "TOKEN_REVOKED";
inline constexpr absl::string_view kNotFound = "NOT_FOUND";
inline constexpr absl::string_view kDuplicate = "DUPLICATE_ERROR";
inline constexpr absl::string_view kRateLimit = "RATE_LIMIT_EXCEEDED";
inline constexpr absl::string_view kInternal = "INTERNAL_ERROR";
inline constexpr absl::string_view kUnavailable = "SERVICE_UNAVAILABLE";
inline constexpr absl::string_view kNotImplemented = "NOT_IMPLEMENTED";
inline constexpr absl::string_view kDeadlineExceeded = "GATEWAY_TIMEOUT";
}  // namespace api_code

// 400 VALIDATION_ERROR naming `field`.
absl::Status ValidationError(absl::string_view field, absl::string_view message);
// 404 NOT_FOUND; `what` is the kind of object ("click", "referral").
absl::Status NotFoundError(absl::string_view what);
// 409 DUPLICATE_ERROR naming `field`.
absl::Status DuplicateError(absl::string_view field, absl::string_view message);
absl::Status MissingApiKeyError();
// The Authorization header cannot hold a key of ours (scheme, characters,
// prefix or length), so no lookup was made.
absl::Status InvalidApiKeyFormatError();
absl::Status InvalidApiKeyError();
// 403: the key is valid but lacks `permission`.
absl::Status InsufficientPermissionsError(absl::string_view permission);
// 403: a public call from a site the program does not allow.
absl::Status OriginNotAllowedError(absl::string_view host);

// Attaches an explicit API code (and optionally a field) to any status.
absl::Status WithApiCode(absl::Status status, absl::string_view code, absl::string_view field = {});

// Response metadata (headers) an error must be answered with, such as a 429's
// Retry-After: carried by the status to the layer that writes the response.
absl::Status WithResponseMetadata(absl::Status status, absl::string_view key,
                                  absl::string_view value);
std::vector<std::pair<std::string, std::string>> ResponseMetadata(const absl::Status& status);

// The API code of `status`: its explicit payload, else derived from the
// canonical code (INVALID_ARGUMENT -> VALIDATION_ERROR, ...).
std::string ApiErrorCode(const absl::Status& status);
// The input field at fault, or "" when none is.
std::string ApiErrorField(const absl::Status& status);

// The code the public envelope shows for an API code: UNAUTHORIZED or
// FORBIDDEN for the authentication and permission reasons above (which
// then travel as the reason), else the code itself.
absl::string_view PublicErrorCode(absl::string_view code);
// The reason behind an UNAUTHORIZED or FORBIDDEN code, or "" for any other.
absl::string_view AuthErrorReason(absl::string_view code);

// Whether a failure with `code` is the server's own (logged as a warning,
// counted as failed), not the caller's request being turned down (rate
// limiting included).
bool IsServerFault(absl::StatusCode code);

}  // namespace affonso

#endif  // AFFONSO_COMMON_API_ERROR_H_

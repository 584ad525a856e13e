#include "common/api_error.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace affonso {
namespace {

constexpr absl::string_view kCodeUrl = "type.affonso.dev/api-code";
constexpr absl::string_view kFieldUrl = "type.affonso.dev/api-field";
constexpr absl::string_view kMetadataUrlPrefix = "type.affonso.dev/metadata/";

std::string Payload(const absl::Status& status, absl::string_view url) {
  absl::optional<absl::Cord> payload = status.GetPayload(url);
  return payload ? std::string(*payload) : std::string();
}

}  // namespace

absl::Status WithApiCode(absl::Status status, absl::string_view code, absl::string_view field) {
  status.SetPayload(kCodeUrl, absl::Cord(code));
  if (!field.empty()) status.SetPayload(kFieldUrl, absl::Cord(field));
  return status;
}

absl::Status WithResponseMetadata(absl::Status status, absl::string_view key,
                                  absl::string_view value) {
  status.SetPayload(absl::StrCat(kMetadataUrlPrefix, key), absl::Cord(value));
  return status;
}

std::vector<std::pair<std::string, std::string>> ResponseMetadata(const absl::Status& status) {
  std::vector<std::pair<std::string, std::string>> metadata;
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& value) {
    if (absl::StartsWith(url, kMetadataUrlPrefix)) {
      metadata.emplace_back(std::string(url.substr(kMetadataUrlPrefix.size())), std::string(value));
    }
  });
  return metadata;
}

absl::Status ValidationError(absl::string_view field, absl::string_view message) {
  return WithApiCode(absl::InvalidArgumentError(message), api_code::kValidation, field);
}

absl::Status NotFoundError(absl::string_view what) {
  return WithApiCode(absl::NotFoundError(absl::StrCat(what, " not found")), api_code::kNotFound);
}

absl::Status DuplicateError(absl::string_view field, absl::string_view message) {
  return WithApiCode(absl::AlreadyExistsError(message), api_code::kDuplicate, field);
}

absl::Status MissingApiKeyError() {
  return WithApiCode(
      absl::UnauthenticatedError("missing API key: send Authorization: Bearer <key>"),
      api_code::kMissingApiKey);
}

absl::Status InvalidApiKeyFormatError() {
  return WithApiCode(
      absl::UnauthenticatedError(
          "malformed API key: send Authorization: Bearer sk_live_... (or sk_test_...)"),
      api_code::kInvalidApiKeyFormat);
}

absl::Status InsufficientPermissionsError(absl::string_view permission) {
  return WithApiCode(
      absl::PermissionDeniedError(absl::StrCat("this API key lacks the permission ", permission)),
      api_code::kInsufficientPermissions);
}

absl::Status OriginNotAllowedError(absl::string_view host) {
  return WithApiCode(
      absl::PermissionDeniedError(absl::StrCat(host.empty() ? "this site" : host,
                                               " is not on the program's allowed domains")),
      api_code::kOriginNotAllowed);
}

absl::Status InvalidApiKeyError() {
  return WithApiCode(absl::UnauthenticatedError("invalid API key"), api_code::kInvalidApiKey);
}

std::string ApiErrorCode(const absl::Status& status) {
  std::string explicit_code = Payload(status, kCodeUrl);
  if (!explicit_code.empty()) return explicit_code;
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return "";
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:  // HTTP 400, as the gateway maps it
      return std::string(api_code::kValidation);
    case absl::StatusCode::kUnauthenticated:
      return std::string(api_code::kInvalidApiKey);
    case absl::StatusCode::kPermissionDenied:
      return std::string(api_code::kInsufficientPermissions);
    case absl::StatusCode::kNotFound:
      return std::string(api_code::kNotFound);
    case absl::StatusCode::kAlreadyExists:
      return std::string(api_code::kDuplicate);
    // Only the rate limiter says RATE_LIMIT_EXCEEDED (explicitly): anything
    // else exhausted (a message over a size limit, a full pool) is not the
    // caller's budget, and retrying later may help.
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
      return std::string(api_code::kUnavailable);
    case absl::StatusCode::kDeadlineExceeded:
      return std::string(api_code::kDeadlineExceeded);
    case absl::StatusCode::kUnimplemented:
      return std::string(api_code::kNotImplemented);
    default:
      return std::string(api_code::kInternal);
  }
}

std::string ApiErrorField(const absl::Status& status) { return Payload(status, kFieldUrl); }

absl::string_view AuthErrorReason(absl::string_view code) {
  for (absl::string_view reason :
       {api_code::kMissingApiKey, api_code::kInvalidApiKeyFormat, api_code::kInvalidApiKey,
        api_code::kApiKeyDisabled, api_code::kApiKeyExpired, api_code::kInsufficientPermissions,
        api_code::kOriginNotAllowed, api_code::kMissingSignature, api_code::kStaleSignature,
        api_code::kInvalidSignature, api_code::kMissingToken, api_code::kInvalidToken,
        api_code::kWrongTokenPurpose, api_code::kTokenExpired, api_code::kTokenRevoked}) {
    if (code == reason) return reason;
  }
  return {};
}

absl::string_view PublicErrorCode(absl::string_view code) {
  const absl::string_view reason = AuthErrorReason(code);
  if (reason.empty()) return code;
  return reason == api_code::kInsufficientPermissions || reason == api_code::kOriginNotAllowed
             ? api_code::kForbidden
             : api_code::kUnauthorized;
}

bool IsServerFault(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

}  // namespace affonso

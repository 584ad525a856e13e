#include "common/error_envelope.h"

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/json_escape.h"

namespace affonso {

std::string ErrorEnvelope(absl::string_view code, absl::string_view message,
                          absl::string_view field) {
  std::string out =
      absl::StrCat(R"({"success":false,"error":{"code":)", JsonEscape(PublicErrorCode(code)),
                   R"(,"message":)", JsonEscape(message));
  if (!field.empty()) absl::StrAppend(&out, R"(,"field":)", JsonEscape(field));
  const absl::string_view reason = AuthErrorReason(code);
  if (!reason.empty()) absl::StrAppend(&out, R"(,"details":[{"reason":)", JsonEscape(reason), "}]");
  out.append("}}");
  return out;
}

std::string RefusalEnvelope(absl::string_view code, absl::string_view message) {
  return ErrorEnvelope(code, message);
}

}  // namespace affonso

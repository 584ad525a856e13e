#include "gateway/transcoder/error_response.h"

#include "common/error_envelope.h"

namespace affonso::gateway {

HttpResponse ErrorResponse(int status, absl::string_view code, absl::string_view message,
                           absl::string_view field) {
  HttpResponse response;
  response.status = status;
  response.content_type = kErrorEnvelopeContentType;
  response.body = ErrorEnvelope(code, message, field);
  return response;
}

}  // namespace affonso::gateway

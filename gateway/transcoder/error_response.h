#ifndef AFFONSO_GATEWAY_TRANSCODER_ERROR_RESPONSE_H_
#define AFFONSO_GATEWAY_TRANSCODER_ERROR_RESPONSE_H_

#include "absl/strings/string_view.h"
#include "gateway/http/http_message.h"

namespace affonso::gateway {

// An HTTP error in the API's envelope (common/error_envelope.h): what the REST
// gateway and the ops port answer themselves. `field` is the input at fault,
// when one is.
HttpResponse ErrorResponse(int status, absl::string_view code, absl::string_view message,
                           absl::string_view field = {});

}  // namespace affonso::gateway

#endif  // AFFONSO_GATEWAY_TRANSCODER_ERROR_RESPONSE_H_

#ifndef AFFONSO_COMMON_REQUEST_ID_H_
#define AFFONSO_COMMON_REQUEST_ID_H_

#include <string>

#include "absl/strings/string_view.h"

namespace affonso {

inline constexpr size_t kMaxRequestIdLength = 128;

// Whether a client's request id may be used as it is: it is echoed into logs,
// headers and gRPC metadata, so it must be 1 to kMaxRequestIdLength printable
// ASCII characters without spaces (0x21-0x7E).
bool IsUsableRequestId(absl::string_view id);

// The request's id: the client's `offered` one (X-Request-Id, x-request-id)
// when usable, else a new "req_..." id (common/ids.h NewId). The REST gateway
// and the services apply the same rule, so an id the gateway forwards is the
// one the service logs.
std::string RequestIdFor(absl::string_view offered);

}  // namespace affonso

#endif  // AFFONSO_COMMON_REQUEST_ID_H_

#ifndef AFFONSO_SERVICES_CALL_AUTHENTICATOR_H_
#define AFFONSO_SERVICES_CALL_AUTHENTICATOR_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace affonso::services {

// Who is calling: every query a service runs is scoped to `team_id`.
struct Caller {
  std::string team_id;
  std::string api_key_id;
  // The key's own rate limits; 0 takes the server's defaults.
  int rate_limit_per_minute = 0;
  int rate_limit_per_second = 0;
  // Set by the layers that admit the call (the rate limiter's X-RateLimit-*);
  // RpcRunner sends them as response metadata.
  std::vector<std::pair<std::string, std::string>> response_metadata;
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // `authorization` is the raw header / metadata value ("" when absent).
  // UNAUTHENTICATED with MISSING_API_KEY or INVALID_API_KEY on failure.
  virtual absl::StatusOr<Caller> Authenticate(absl::string_view authorization) const = 0;
  // The same for a call from `client_address` (an IP address, "" when
  // unknown), which authenticators that limit failed attempts per address
  // use; others ignore it.
  virtual absl::StatusOr<Caller> AuthenticateFrom(absl::string_view authorization,
                                                  absl::string_view client_address) const {
    return Authenticate(authorization);
  }
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_CALL_AUTHENTICATOR_H_

#ifndef AFFONSO_SERVICES_CALL_AUTHENTICATOR_H_
#define AFFONSO_SERVICES_CALL_AUTHENTICATOR_H_

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
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
  // The key's permissions (docs/CONTRACT.md); null: every permission, which
  // a key created without a list has. Shared, as the caller is copied per call.
  std::shared_ptr<const std::vector<std::string>> permissions;

  bool HasPermission(absl::string_view permission) const {
    return permissions == nullptr ||
           std::find(permissions->begin(), permissions->end(), permission) != permissions->end();
  }
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
  // What AuthenticateFrom would answer, when it can tell from memory alone (a
  // cached key, a refusal it remembers), with the same side effects; nullopt
  // when answering might wait (a lookup), and then nothing happened. Never
  // waits: callback-API handlers run it on gRPC's thread (RpcRunner::BeginAsync).
  virtual std::optional<absl::StatusOr<Caller>> AuthenticateWithoutWaiting(
      absl::string_view authorization, absl::string_view client_address) const {
    return std::nullopt;
  }
};

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_CALL_AUTHENTICATOR_H_

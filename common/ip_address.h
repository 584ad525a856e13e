#ifndef AFFONSO_COMMON_IP_ADDRESS_H_
#define AFFONSO_COMMON_IP_ADDRESS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace affonso {

// Whether `text` is an IPv4 or IPv6 address literal (no port, no brackets,
// no zone id).
bool IsIpLiteral(absl::string_view text);

// What a per-client budget counts a client address by: an IPv6 address by
// its /64 (one subscriber's prefix, so rotating addresses within it buys no
// fresh budget), an IPv4-mapped IPv6 address as its IPv4 form (the same
// client), IPv4 and anything else as it is.
std::string ClientBudgetKey(absl::string_view address);

}  // namespace affonso

#endif  // AFFONSO_COMMON_IP_ADDRESS_H_

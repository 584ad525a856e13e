#ifndef AFFONSO_SERVICES_OUTBOUND_URL_H_
#define AFFONSO_SERVICES_OUTBOUND_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace affonso::services {

// Where a webhook goes. `scheme` is lower-case "http" or "https"; `host` is
// lower-case, an IPv6 literal WITHOUT its brackets (as getaddrinfo wants it);
// `path_and_query` starts with "/" ("/" when the URL has no path) and never
// holds the fragment.
struct OutboundTarget {
  std::string scheme, host;
  int port;
  std::string path_and_query;
};

// http/https only, host required, no userinfo; default ports 80/443.
// INVALID_ARGUMENT otherwise (also for whitespace or control characters, and
// hosts with characters a DNS name cannot have, so that what we check is what
// the HTTP client connects to).
absl::StatusOr<OutboundTarget> ParseOutboundUrl(absl::string_view url);

// True for loopback, private (RFC 1918, fc00::/7), link-local (169.254/16,
// fe80::/10), unspecified/0.0.0.0/8, multicast and broadcast (all of
// 240.0.0.0/4), IPv4-mapped and NAT64 (64:ff9b::/96) IPv6 of those, and CGNAT
// 100.64/10; also the deprecated IPv4-compatible ::/96 and site-local
// fec0::/10. Anything that is not a numeric IP is true: callers fail closed.
bool IsPrivateAddress(const std::string& numeric_ip);

// Resolves the host (getaddrinfo), and returns the first address to connect
// to (numeric, IPv6 without brackets), refusing (PERMISSION_DENIED
// "destination resolves to a private address") when ANY resolved address is
// private unless allow_private; UNAVAILABLE when resolution fails. Connect to
// the returned address (e.g. CURLOPT_RESOLVE), not to the name again: a second
// lookup could answer differently (DNS rebinding).
absl::StatusOr<std::string> ResolveOutbound(const OutboundTarget& target, bool allow_private);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_OUTBOUND_URL_H_

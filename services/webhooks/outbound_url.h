#ifndef AFFONSO_SERVICES_WEBHOOKS_OUTBOUND_URL_H_
#define AFFONSO_SERVICES_WEBHOOKS_OUTBOUND_URL_H_

// The one rule for webhook destinations. An endpoint's URL is checked with
// CheckOutboundUrl when it is created or updated, and with ParseOutboundUrl
// and ResolveOutbound each time a delivery is sent: one parser and one
// address classification, so that an endpoint accepted at creation is never
// refused at send for a reason creation could have seen (and the reverse).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace affonso::services {

inline constexpr size_t kMaxOutboundUrlLength = 2048;

// Where a webhook goes. `scheme` is lower-case "http" or "https"; `host` is
// lower-case, an IPv6 literal WITHOUT its brackets (as getaddrinfo wants it);
// `path_and_query` starts with "/" ("/" when the URL has no path).
struct OutboundTarget {
  std::string scheme, host;
  int port;
  std::string path_and_query;
};

// http/https only, at most kMaxOutboundUrlLength characters, host required,
// no userinfo, no fragment (it would never reach the receiver); default ports
// 80/443. INVALID_ARGUMENT naming the field "url" otherwise, also for
// whitespace or control characters, and hosts with characters or empty labels
// a DNS name cannot have ("_", "a..b"), so that what we check is what the HTTP
// client connects to.
absl::StatusOr<OutboundTarget> ParseOutboundUrl(absl::string_view url);

// This host's own addresses, read with `lister` (getifaddrs for Host()) at
// most once per `ttl`: a webhook must not reach a service bound to one of our
// public addresses either. Thread-safe.
class LocalAddresses {
 public:
  // Numeric addresses (IPv6 without brackets or zone).
  using Lister = std::function<absl::StatusOr<std::vector<std::string>>()>;

  LocalAddresses(
      Lister lister, absl::Duration ttl,
      std::function<absl::Time()> now = [] { return absl::Now(); });

  // getifaddrs, cached for 5 s.
  static LocalAddresses& Host();

  // True when `numeric_ip` (or, for an IPv4-mapped IPv6 address, its IPv4
  // address) is bound here. When the list cannot be read, the last one read
  // is used; when none ever could be, every address is "local" (fail closed).
  bool Contains(const std::string& numeric_ip);

  // The addresses as 16-byte IPv6 (IPv4 as ::ffff:a.b.c.d); null when none
  // could ever be read.
  using Keys = absl::flat_hash_set<std::string>;
  std::shared_ptr<const Keys> Snapshot();

 private:
  const Lister lister_;
  const absl::Duration ttl_;
  const std::function<absl::Time()> now_;
  absl::Mutex mu_;
  std::shared_ptr<const Keys> keys_ ABSL_GUARDED_BY(mu_);  // null: never read
  absl::Time read_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// True for every address a webhook must not reach, from the IANA IPv4 and
// IPv6 special-purpose registries that are not globally reachable (docs/BEHAVIOUR.md,
// "Webhooks", lists them) and this host's own addresses (`local`; Host() for
// the one-argument form). IPv4-mapped (::ffff:0:0/96) and NAT64
// (64:ff9b::/96) addresses are judged by the IPv4 address they reach.
// Anything that is not a numeric IP is true: callers fail closed.
bool IsPrivateAddress(const std::string& numeric_ip);
bool IsPrivateAddress(const std::string& numeric_ip, LocalAddresses& local);

// True when `host` (an OutboundTarget's) is refused without any lookup: a
// localhost name (RFC 6761) or an IP literal, in any spelling the resolver
// reads ("127.1", "2130706433", "0x7f.1"), that IsPrivateAddress refuses.
// Other names are judged by ResolveOutbound on what they resolve to.
bool IsPrivateHostLiteral(absl::string_view host);

// The check when an endpoint is created or updated: ParseOutboundUrl, then,
// unless allow_private, INVALID_ARGUMENT (field "url") when
// IsPrivateHostLiteral(host). Names are not resolved here (their DNS may
// change before any delivery): ResolveOutbound judges them at send.
absl::StatusOr<OutboundTarget> CheckOutboundUrl(absl::string_view url, bool allow_private);

// Resolves the host (getaddrinfo), and returns the first address to connect
// to (numeric, IPv6 without brackets), refusing (PERMISSION_DENIED
// "destination resolves to a private address") when the host is a private
// literal or ANY resolved address is private, unless allow_private;
// UNAVAILABLE when resolution fails. Connect to the returned address (e.g.
// CURLOPT_CONNECT_TO), not to the name again: a second lookup could answer
// differently (DNS rebinding).
absl::StatusOr<std::string> ResolveOutbound(const OutboundTarget& target, bool allow_private);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_WEBHOOKS_OUTBOUND_URL_H_

#include "services/webhooks/outbound_url.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/status_macros.h"

namespace affonso::services {
namespace {

constexpr absl::string_view kField = "url";
constexpr size_t kMaxHostLength = 253;
constexpr absl::Duration kLocalAddressesTtl = absl::Seconds(5);

absl::Status UrlError(absl::string_view message) {
  return ValidationError(kField, absl::StrCat("url ", message));
}

// Characters of a DNS name or IPv4 literal. Anything else (percent-escapes,
// IDN bytes, backslashes, "_" which no resolver has to accept) could be read
// differently by the HTTP client than by us.
bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}

// IANA IPv4 special-purpose registry entries that are not globally reachable,
// and multicast. `network` in host byte order.
struct Range4 {
  uint32_t network;
  int bits;
};
constexpr Range4 kSpecial4[] = {
    {0x00000000, 8},   // 0/8 "this network", unspecified
    {0x0A000000, 8},   // 10/8 private
    {0x64400000, 10},  // 100.64/10 shared address space (CGNAT)
    {0x7F000000, 8},   // 127/8 loopback
    {0xA9FE0000, 16},  // 169.254/16 link-local (cloud metadata)
    {0xAC100000, 12},  // 172.16/12 private
    {0xC0000000, 24},  // 192.0.0/24 IETF protocol assignments
    {0xC0000200, 24},  // 192.0.2/24 TEST-NET-1
    {0xC0586300, 24},  // 192.88.99/24 6to4 relay anycast (deprecated)
    {0xC0A80000, 16},  // 192.168/16 private
    {0xC6120000, 15},  // 198.18/15 benchmarking
    {0xC6336400, 24},  // 198.51.100/24 TEST-NET-2
    {0xCB007100, 24},  // 203.0.113/24 TEST-NET-3
    {0xE0000000, 4},   // 224/4 multicast
    {0xF0000000, 4},   // 240/4 reserved, with 255.255.255.255 broadcast
};

bool InRange4(uint32_t ip, const Range4& range) {
  const uint32_t mask = range.bits == 0 ? 0 : ~uint32_t{0} << (32 - range.bits);
  return (ip & mask) == range.network;
}

// The IPv6 counterpart; IPv4-mapped and NAT64 are judged by their IPv4
// address instead (see IsPrivate6).
struct Range6 {
  const char* prefix;
  int bits;
};
constexpr Range6 kSpecial6[] = {
    {"::", 96},            // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
    {"::ffff:0:0:0", 96},  // SIIT IPv4-translated addresses
    {"64:ff9b:1::", 48},   // local-use NAT64
    {"100::", 64},         // discard-only
    {"2001::", 23},        // IETF protocol assignments (Teredo, benchmarking 2001:2::/48, ...)
    {"2001:db8::", 32},    // documentation
    {"2002::", 16},        // 6to4: refused outright (its relays are deprecated, RFC 7526)
    {"3fff::", 20},        // documentation
    {"5f00::", 16},        // segment routing SIDs
    {"fc00::", 7},         // unique local
    {"fe80::", 10},        // link-local
    {"fec0::", 10},        // site-local (deprecated)
    {"ff00::", 8},         // multicast
};

struct ParsedRange6 {
  in6_addr prefix;
  int bits;
};

const std::vector<ParsedRange6>& Special6() {
  static const auto* ranges = [] {
    auto* parsed = new std::vector<ParsedRange6>();
    for (const Range6& range : kSpecial6) {
      ParsedRange6 entry{{}, range.bits};
      inet_pton(AF_INET6, range.prefix, &entry.prefix);  // constants above: always valid
      parsed->push_back(entry);
    }
    return parsed;
  }();
  return *ranges;
}

bool InRange6(const in6_addr& address, const ParsedRange6& range) {
  const int whole = range.bits / 8;
  if (memcmp(address.s6_addr, range.prefix.s6_addr, whole) != 0) return false;
  const int rest = range.bits % 8;
  if (rest == 0) return true;
  const unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (address.s6_addr[whole] & mask) == (range.prefix.s6_addr[whole] & mask);
}

// LocalAddresses keys: the 16 bytes of the IPv6 address, IPv4 as ::ffff:a.b.c.d.
std::string Key6(const in6_addr& address) {
  return std::string(reinterpret_cast<const char*>(address.s6_addr), 16);
}

std::string Key4(uint32_t ip) {  // host byte order
  in6_addr mapped = {};
  mapped.s6_addr[10] = mapped.s6_addr[11] = 0xff;
  mapped.s6_addr[12] = ip >> 24;
  mapped.s6_addr[13] = (ip >> 16) & 0xff;
  mapped.s6_addr[14] = (ip >> 8) & 0xff;
  mapped.s6_addr[15] = ip & 0xff;
  return Key6(mapped);
}

using LocalKeys = absl::flat_hash_set<std::string>;

// `local` null: our own addresses are unknown, so every address may be one.
bool IsLocal(const LocalKeys* local, const std::string& key) {
  return local == nullptr || local->contains(key);
}

bool IsPrivate4(uint32_t ip, const LocalKeys* local) {  // host byte order
  for (const Range4& range : kSpecial4) {
    if (InRange4(ip, range)) return true;
  }
  return IsLocal(local, Key4(ip));
}

uint32_t Embedded4(const unsigned char* bytes) {
  return (uint32_t{bytes[12]} << 24) | (uint32_t{bytes[13]} << 16) | (uint32_t{bytes[14]} << 8) |
         uint32_t{bytes[15]};
}

bool IsPrivate6(const in6_addr& address, const LocalKeys* local) {
  const unsigned char* b = address.s6_addr;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr unsigned char kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  // IPv4-mapped (::ffff:a.b.c.d) and well-known NAT64 (64:ff9b::a.b.c.d)
  // reach the embedded IPv4 address.
  if (memcmp(b, kMapped, 12) == 0 || memcmp(b, kNat64, 12) == 0) {
    return IsPrivate4(Embedded4(b), local);
  }
  for (const ParsedRange6& range : Special6()) {
    if (InRange6(address, range)) return true;
  }
  return IsLocal(local, Key6(address));
}

std::string NumericHost(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text,
              sizeof(text));
  } else if (address->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text,
              sizeof(text));
  }
  return text;
}

// Strict numeric forms only (what getifaddrs and getaddrinfo hand back).
std::optional<std::string> KeyOf(const std::string& numeric_ip) {
  in_addr v4;
  if (inet_pton(AF_INET, numeric_ip.c_str(), &v4) == 1) return Key4(ntohl(v4.s_addr));
  in6_addr v6;
  if (inet_pton(AF_INET6, numeric_ip.c_str(), &v6) == 1) return Key6(v6);
  return std::nullopt;
}

absl::StatusOr<std::vector<std::string>> InterfaceAddresses() {
  ifaddrs* found = nullptr;
  if (getifaddrs(&found) != 0) {
    return absl::UnavailableError(absl::StrCat("getifaddrs: ", strerror(errno)));
  }
  std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> owned(found, &freeifaddrs);
  std::vector<std::string> addresses;
  for (const ifaddrs* entry = found; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr) continue;
    std::string address = NumericHost(entry->ifa_addr);
    if (!address.empty()) addresses.push_back(std::move(address));
  }
  return addresses;
}

}  // namespace

LocalAddresses::LocalAddresses(Lister lister, absl::Duration ttl, std::function<absl::Time()> now)
    : lister_(std::move(lister)), ttl_(ttl), now_(std::move(now)) {}

LocalAddresses& LocalAddresses::Host() {
  static auto* host = new LocalAddresses(InterfaceAddresses, kLocalAddressesTtl);
  return *host;
}

std::shared_ptr<const LocalAddresses::Keys> LocalAddresses::Snapshot() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = now_();
  if (now - read_at_ < ttl_) return keys_;
  // Read under the lock: one reader per expiry, the others wait for its list.
  read_at_ = now;
  absl::StatusOr<std::vector<std::string>> listed = lister_();
  if (!listed.ok()) return keys_;  // the last list, or null; read again after the ttl
  auto keys = std::make_shared<Keys>();
  for (const std::string& address : *listed) {
    if (std::optional<std::string> key = KeyOf(address)) keys->insert(*std::move(key));
  }
  keys_ = std::move(keys);
  return keys_;
}

bool LocalAddresses::Contains(const std::string& numeric_ip) {
  std::optional<std::string> key = KeyOf(numeric_ip);
  if (!key) return false;
  std::shared_ptr<const Keys> keys = Snapshot();
  return IsLocal(keys.get(), *key);
}

absl::StatusOr<OutboundTarget> ParseOutboundUrl(absl::string_view url) {
  if (url.empty()) return UrlError("is required");
  if (url.size() > kMaxOutboundUrlLength) {
    return UrlError(absl::StrCat("must be at most ", kMaxOutboundUrlLength, " characters"));
  }
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      return UrlError("must be ASCII without spaces or control characters (percent-encode them)");
    }
  }
  // Never sent to the receiver: a URL with one is a mistake.
  if (url.find('#') != absl::string_view::npos) return UrlError("must not contain a fragment");
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) return UrlError("must be an absolute http(s) URL");
  OutboundTarget target;
  target.scheme = absl::AsciiStrToLower(url.substr(0, scheme_end));
  if (target.scheme == "http") {
    target.port = 80;
  } else if (target.scheme == "https") {
    target.port = 443;
  } else {
    return UrlError("scheme must be http or https");
  }

  absl::string_view rest = url.substr(scheme_end + 3);
  const size_t authority_end = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, authority_end);
  absl::string_view path =
      authority_end == absl::string_view::npos ? absl::string_view() : rest.substr(authority_end);
  if (authority.find('@') != absl::string_view::npos) {
    return UrlError("must not contain credentials (user@host)");
  }

  absl::string_view host;
  absl::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return UrlError("has an unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    in6_addr ignored;
    // inet_pton also refuses zone ids ("fe80::1%eth0"), which name a local
    // interface and have no place in a webhook URL.
    if (inet_pton(AF_INET6, std::string(host).c_str(), &ignored) != 1) {
      return UrlError("has an invalid IPv6 literal");
    }
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return UrlError("has unexpected characters after the IPv6 literal");
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != absl::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    for (char c : host) {
      if (!IsHostChar(c)) return UrlError("host has characters a DNS name cannot have");
    }
    // Empty labels; one trailing dot (the root) is allowed.
    if (absl::StartsWith(host, ".") || absl::StrContains(host, "..")) {
      return UrlError("host has an empty label");
    }
  }
  if (host.empty()) return UrlError("must have a host");
  if (host.size() > kMaxHostLength) return UrlError("host is too long");
  target.host = absl::AsciiStrToLower(host);

  // "host:" is refused too, although RFC 3986 reads it as the default port:
  // creation always refused it, so no stored endpoint has one.
  if (has_port) {
    int port = 0;
    const bool digits_only = port_text.find_first_not_of("0123456789") == absl::string_view::npos;
    if (!digits_only || port_text.size() > 5 || !absl::SimpleAtoi(port_text, &port) || port < 1 ||
        port > 65535) {
      return UrlError("port must be a number from 1 to 65535");
    }
    target.port = port;
  }

  if (path.empty()) {
    target.path_and_query = "/";
  } else if (path.front() == '?') {
    target.path_and_query = absl::StrCat("/", path);
  } else {
    target.path_and_query = std::string(path);
  }
  return target;
}

bool IsPrivateAddress(const std::string& numeric_ip, LocalAddresses& local) {
  in_addr v4;
  if (inet_pton(AF_INET, numeric_ip.c_str(), &v4) == 1) {
    return IsPrivate4(ntohl(v4.s_addr), local.Snapshot().get());
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, numeric_ip.c_str(), &v6) == 1) {
    return IsPrivate6(v6, local.Snapshot().get());
  }
  return true;  // not an address we understand: do not connect to it
}

bool IsPrivateAddress(const std::string& numeric_ip) {
  return IsPrivateAddress(numeric_ip, LocalAddresses::Host());
}

bool IsPrivateHostLiteral(absl::string_view host) {
  std::string name = absl::AsciiStrToLower(host);
  if (absl::EndsWith(name, ".")) name.pop_back();
  if (name == "localhost" || absl::EndsWith(name, ".localhost")) return true;
  in6_addr v6;
  if (inet_pton(AF_INET6, name.c_str(), &v6) == 1) {
    return IsPrivate6(v6, LocalAddresses::Host().Snapshot().get());
  }
  // inet_aton, like the resolver, also reads the short and numeric forms
  // ("127.1", "2130706433", "0x7f.1") an HTTP client would connect to.
  in_addr v4;
  if (inet_aton(name.c_str(), &v4) != 0) {
    return IsPrivate4(ntohl(v4.s_addr), LocalAddresses::Host().Snapshot().get());
  }
  return false;
}

absl::StatusOr<OutboundTarget> CheckOutboundUrl(absl::string_view url, bool allow_private) {
  AFFONSO_ASSIGN_OR_RETURN(OutboundTarget target, ParseOutboundUrl(url));
  if (!allow_private && IsPrivateHostLiteral(target.host)) {
    return UrlError(
        "must not point to a private, loopback, link-local or other special-use "
        "address");
  }
  return target;
}

absl::StatusOr<std::string> ResolveOutbound(const OutboundTarget& target, bool allow_private) {
  const absl::Status denied =
      absl::PermissionDeniedError("destination resolves to a private address");
  // The refusal creation makes, before any lookup: "*.localhost" is loopback
  // (RFC 6761) whatever a resolver answers for it.
  if (!allow_private && IsPrivateHostLiteral(target.host)) return denied;

  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int rc =
      getaddrinfo(target.host.c_str(), absl::StrCat(target.port).c_str(), &hints, &found);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot resolve ", target.host, ": ", gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, &freeaddrinfo);

  std::vector<std::string> addresses;
  for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    std::string address = NumericHost(entry->ai_addr);
    if (!address.empty()) addresses.push_back(std::move(address));
  }
  if (addresses.empty()) {
    return absl::UnavailableError(absl::StrCat("no usable address for ", target.host));
  }
  // One private answer refuses the name: whoever controls its DNS can make
  // the private address come first next time.
  if (!allow_private) {
    for (const std::string& address : addresses) {
      if (IsPrivateAddress(address)) return denied;
    }
  }
  return addresses.front();
}

}  // namespace affonso::services

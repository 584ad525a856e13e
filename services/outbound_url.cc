#include "services/outbound_url.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"

namespace affonso::services {
namespace {

constexpr absl::string_view kField = "url";
constexpr size_t kMaxHostLength = 253;

absl::Status UrlError(absl::string_view message) { return ValidationError(kField, message); }

// Characters of a DNS name or IPv4 literal. Anything else (percent-escapes,
// IDN bytes, backslashes) could be read differently by the HTTP client than
// by us.
bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool InRange4(uint32_t ip, uint32_t network, int prefix_bits) {
  const uint32_t mask = prefix_bits == 0 ? 0 : ~uint32_t{0} << (32 - prefix_bits);
  return (ip & mask) == network;
}

// `ip` in host byte order.
bool IsPrivate4(uint32_t ip) {
  return InRange4(ip, 0x00000000, 8) ||    // 0.0.0.0/8 "this network", unspecified
         InRange4(ip, 0x0A000000, 8) ||    // 10/8
         InRange4(ip, 0x64400000, 10) ||   // 100.64/10 CGNAT
         InRange4(ip, 0x7F000000, 8) ||    // 127/8 loopback
         InRange4(ip, 0xA9FE0000, 16) ||   // 169.254/16 link-local (cloud metadata)
         InRange4(ip, 0xAC100000, 12) ||   // 172.16/12
         InRange4(ip, 0xC0A80000, 16) ||   // 192.168/16
         InRange4(ip, 0xE0000000, 4) ||    // 224/4 multicast
         InRange4(ip, 0xF0000000, 4);      // 240/4 reserved, 255.255.255.255 broadcast
}

uint32_t Embedded4(const unsigned char* bytes) {
  return (uint32_t{bytes[12]} << 24) | (uint32_t{bytes[13]} << 16) | (uint32_t{bytes[14]} << 8) |
         uint32_t{bytes[15]};
}

bool IsPrivate6(const in6_addr& address) {
  const unsigned char* b = address.s6_addr;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr unsigned char kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  static constexpr unsigned char kZeros[12] = {};
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the
  // embedded IPv4 address.
  if (memcmp(b, kMapped, 12) == 0 || memcmp(b, kNat64, 12) == 0) {
    return IsPrivate4(Embedded4(b));
  }
  // ::/96: unspecified, loopback, and the deprecated IPv4-compatible form.
  if (memcmp(b, kZeros, 12) == 0) return true;
  if ((b[0] & 0xfe) == 0xfc) return true;                   // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;   // fe80::/10 link-local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;   // fec0::/10 site-local
  if (b[0] == 0xff) return true;                            // ff00::/8 multicast
  return false;
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

}  // namespace

absl::StatusOr<OutboundTarget> ParseOutboundUrl(absl::string_view url) {
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      return UrlError("must be ASCII without spaces or control characters (percent-encode them)");
    }
  }
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
  const size_t authority_end = rest.find_first_of("/?#");
  absl::string_view authority = rest.substr(0, authority_end);
  absl::string_view path = authority_end == absl::string_view::npos
                               ? absl::string_view()
                               : rest.substr(authority_end);
  if (authority.find('@') != absl::string_view::npos) {
    return UrlError("must not contain credentials (user@host)");
  }

  absl::string_view host;
  absl::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return UrlError("unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    in6_addr ignored;
    // inet_pton also refuses zone ids ("fe80::1%eth0"), which name a local
    // interface and have no place in a webhook URL.
    if (inet_pton(AF_INET6, std::string(host).c_str(), &ignored) != 1) {
      return UrlError("invalid IPv6 literal");
    }
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return UrlError("unexpected characters after the IPv6 literal");
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
  }
  if (host.empty()) return UrlError("host is required");
  if (host.size() > kMaxHostLength) return UrlError("host is too long");
  target.host = absl::AsciiStrToLower(host);

  // "host:" with nothing after is the default port (RFC 3986 3.2.3).
  if (has_port && !port_text.empty()) {
    int port = 0;
    const bool digits_only = port_text.find_first_not_of("0123456789") == absl::string_view::npos;
    if (!digits_only || port_text.size() > 5 || !absl::SimpleAtoi(port_text, &port) ||
        port < 1 || port > 65535) {
      return UrlError("port must be a number from 1 to 65535");
    }
    target.port = port;
  }

  // The fragment never leaves the client.
  path = path.substr(0, path.find('#'));
  if (path.empty()) {
    target.path_and_query = "/";
  } else if (path.front() == '?') {
    target.path_and_query = absl::StrCat("/", path);
  } else {
    target.path_and_query = std::string(path);
  }
  return target;
}

bool IsPrivateAddress(const std::string& numeric_ip) {
  in_addr v4;
  if (inet_pton(AF_INET, numeric_ip.c_str(), &v4) == 1) return IsPrivate4(ntohl(v4.s_addr));
  in6_addr v6;
  if (inet_pton(AF_INET6, numeric_ip.c_str(), &v6) == 1) return IsPrivate6(v6);
  return true;  // not an address we understand: do not connect to it
}

absl::StatusOr<std::string> ResolveOutbound(const OutboundTarget& target, bool allow_private) {
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(target.host.c_str(), absl::StrCat(target.port).c_str(), &hints, &found);
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
      if (IsPrivateAddress(address)) {
        return absl::PermissionDeniedError("destination resolves to a private address");
      }
    }
  }
  return addresses.front();
}

}  // namespace affonso::services

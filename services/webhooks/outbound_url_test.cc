#include "services/webhooks/outbound_url.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::StatusIs;

TEST(ParseOutboundUrlTest, HttpsWithDefaultPortAndPath) {
  auto target = ParseOutboundUrl("https://hooks.example.com/affonso/events?x=1");
  ASSERT_OK(target);
  EXPECT_EQ(target->scheme, "https");
  EXPECT_EQ(target->host, "hooks.example.com");
  EXPECT_EQ(target->port, 443);
  EXPECT_EQ(target->path_and_query, "/affonso/events?x=1");
}

TEST(ParseOutboundUrlTest, HttpDefaultPortAndEmptyPath) {
  auto target = ParseOutboundUrl("http://example.com");
  ASSERT_OK(target);
  EXPECT_EQ(target->scheme, "http");
  EXPECT_EQ(target->port, 80);
  EXPECT_EQ(target->path_and_query, "/");
}

TEST(ParseOutboundUrlTest, SchemeAndHostAreCaseInsensitive) {
  auto target = ParseOutboundUrl("HTTPS://Hooks.Example.COM/Path");
  ASSERT_OK(target);
  EXPECT_EQ(target->scheme, "https");
  EXPECT_EQ(target->host, "hooks.example.com");
  EXPECT_EQ(target->path_and_query, "/Path");  // the path is case-sensitive
}

TEST(ParseOutboundUrlTest, ExplicitPorts) {
  auto target = ParseOutboundUrl("http://127.0.0.1:8081/hook");
  ASSERT_OK(target);
  EXPECT_EQ(target->host, "127.0.0.1");
  EXPECT_EQ(target->port, 8081);
  EXPECT_EQ(target->path_and_query, "/hook");

  target = ParseOutboundUrl("https://example.com:65535");
  ASSERT_OK(target);
  EXPECT_EQ(target->port, 65535);
}

TEST(ParseOutboundUrlTest, QueryWithoutPath) {
  auto target = ParseOutboundUrl("https://example.com?a=b");
  ASSERT_OK(target);
  EXPECT_EQ(target->host, "example.com");
  EXPECT_EQ(target->path_and_query, "/?a=b");
}

// A fragment never reaches the receiver: creation always refused it, and the
// sender reads URLs with the same parser.
TEST(ParseOutboundUrlTest, RejectsFragments) {
  for (const char* bad : {"https://example.com?a=b#frag", "https://example.com/p#frag?not=query",
                          "https://example.com/#", "https://example.com#x"}) {
    auto target = ParseOutboundUrl(bad);
    EXPECT_THAT(target, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_EQ(ApiErrorField(target.status()), "url") << bad;
  }
}

TEST(ParseOutboundUrlTest, LengthLimit) {
  const std::string prefix = "https://example.com/";
  EXPECT_OK(ParseOutboundUrl(prefix + std::string(kMaxOutboundUrlLength - prefix.size(), 'a')));
  EXPECT_THAT(ParseOutboundUrl(prefix + std::string(kMaxOutboundUrlLength + 1 - prefix.size(), 'a'))
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseOutboundUrlTest, TrailingDotIsTheRoot) {
  auto target = ParseOutboundUrl("https://hooks.example.com./in");
  ASSERT_OK(target);
  EXPECT_EQ(target->host, "hooks.example.com.");
}

TEST(ParseOutboundUrlTest, Ipv6LiteralsInBrackets) {
  auto target = ParseOutboundUrl("http://[::1]:9000/hook");
  ASSERT_OK(target);
  EXPECT_EQ(target->host, "::1");
  EXPECT_EQ(target->port, 9000);
  EXPECT_EQ(target->path_and_query, "/hook");

  target = ParseOutboundUrl("https://[2606:4700:4700::1111]");
  ASSERT_OK(target);
  EXPECT_EQ(target->host, "2606:4700:4700::1111");
  EXPECT_EQ(target->port, 443);

  for (const char* bad : {"http://[::1/x", "http://[not-ipv6]/", "http://[fe80::1%25eth0]/",
                          "http://[::1]x/", "http://::1/", "http://[]/"}) {
    EXPECT_THAT(ParseOutboundUrl(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(ParseOutboundUrlTest, RejectsOtherSchemes) {
  for (const char* bad :
       {"ftp://example.com/", "file:///etc/passwd", "gopher://example.com", "javascript:alert(1)",
        "example.com/hook", "//example.com/hook", "https:/example.com", ""}) {
    auto target = ParseOutboundUrl(bad);
    EXPECT_THAT(target, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_EQ(ApiErrorField(target.status()), "url") << bad;
  }
}

TEST(ParseOutboundUrlTest, RejectsUserinfo) {
  for (const char* bad : {"https://user:pass@example.com/", "https://user@example.com/",
                          "https://example.com@10.0.0.1/", "http://@example.com/"}) {
    EXPECT_THAT(ParseOutboundUrl(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(ParseOutboundUrlTest, RejectsMissingHost) {
  for (const char* bad :
       {"https://", "https:///path", "http://:8080/", "https://?q", "http://#x"}) {
    EXPECT_THAT(ParseOutboundUrl(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(ParseOutboundUrlTest, RejectsBadPorts) {
  for (const char* bad :
       {"http://example.com:0/", "http://example.com:65536/", "http://example.com:-1/",
        "http://example.com:80a/", "http://example.com:+80/", "http://example.com:0000080000/",
        "http://example.com:80:81/",
        // RFC 3986 reads an empty port as the default one; creation
        // always refused it, and there is one rule now.
        "https://example.com:/x", "http://[::1]:/"}) {
    EXPECT_THAT(ParseOutboundUrl(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(ParseOutboundUrlTest, RejectsOddHostsAndCharacters) {
  for (const char* bad : {"http://exa mple.com/", "http://example.com/a b", "http://ex%61mple.com/",
                          "http://example.com\\@evil.com/", "http://exa\xc3\xa9mple.com/",
                          "http://example.com/\r\nX-Injected: 1", "http://example.com\t/",
                          // "_" was accepted here but refused at creation: one rule now.
                          "http://exa_mple.com/", "http://_dmarc.example.com/",
                          "http://.example.com/", "http://example..com/", "http://./"}) {
    EXPECT_THAT(ParseOutboundUrl(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(ParseOutboundUrl("http://" + std::string(254, 'a') + "/"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(IsPrivateAddressTest, Ipv4Ranges) {
  for (const char* ip : {"127.0.0.1", "127.255.255.254",     // loopback
                         "10.0.0.1", "10.255.255.255",       // RFC 1918
                         "172.16.0.1", "172.31.255.255",     //
                         "192.168.0.1", "192.168.255.255",   //
                         "169.254.169.254", "169.254.0.1",   // link-local, cloud metadata
                         "0.0.0.0", "0.1.2.3",               // unspecified / this network
                         "100.64.0.1", "100.127.255.255",    // CGNAT
                         "224.0.0.1", "239.255.255.255",     // multicast
                         "255.255.255.255", "240.0.0.1"}) {  // broadcast, reserved
    EXPECT_TRUE(IsPrivateAddress(ip)) << ip;
  }
}

TEST(IsPrivateAddressTest, Ipv4RangeEdgesThatArePublic) {
  for (const char* ip : {"8.8.8.8", "1.1.1.1", "93.184.216.34", "9.255.255.255", "11.0.0.0",
                         "172.15.255.255", "172.32.0.0", "192.167.255.255", "192.169.0.0",
                         "169.253.255.255", "169.255.0.0", "100.63.255.255", "100.128.0.0",
                         "126.255.255.255", "128.0.0.0", "1.0.0.0", "223.255.255.255"}) {
    EXPECT_FALSE(IsPrivateAddress(ip)) << ip;
  }
}

TEST(IsPrivateAddressTest, Ipv6Ranges) {
  for (const char* ip :
       {"::1", "::", "fc00::1", "fd12:3456:789a::1", "fe80::1", "febf:ffff::1", "fec0::1",
        "ff02::1", "ff05::2",
        // IPv4-mapped, NAT64 and IPv4-compatible forms of private IPv4
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0:0",
        "64:ff9b::192.168.1.1", "64:ff9b::a9fe:a9fe", "::127.0.0.1", "::10.0.0.1"}) {
    EXPECT_TRUE(IsPrivateAddress(ip)) << ip;
  }
}

TEST(IsPrivateAddressTest, Ipv6Public) {
  for (const char* ip : {"2606:4700:4700::1111", "2001:4860:4860::8888", "2a00:1450::1",
                         "::ffff:8.8.8.8", "64:ff9b::808:808", "fbff::1", "fe7f::1"}) {
    EXPECT_FALSE(IsPrivateAddress(ip)) << ip;
  }
}

TEST(IsPrivateAddressTest, NonNumericFailsClosed) {
  for (const char* text : {"", "localhost", "example.com", "[::1]", "127.1", "2130706433",
                           "0x7f000001", "fe80::1%eth0", "1.2.3.4 "}) {
    EXPECT_TRUE(IsPrivateAddress(text)) << text;
  }
}

// A host with no addresses of its own, so that only the ranges decide.
LocalAddresses& NoLocalAddresses() {
  static auto* none = new LocalAddresses(
      [] { return absl::StatusOr<std::vector<std::string>>(std::vector<std::string>{}); },
      absl::Hours(1));
  return *none;
}

struct RefusedRange {
  const char* range;
  std::vector<const char*> inside;  // both edges where cheap, and examples
};

// Every range of the rule (docs/BEHAVIOUR.md, "Webhooks").
const std::vector<RefusedRange>& RefusedRanges() {
  static const auto* ranges = new std::vector<RefusedRange>{
      {"0.0.0.0/8", {"0.0.0.0", "0.255.255.255"}},
      {"10.0.0.0/8", {"10.0.0.0", "10.255.255.255"}},
      {"100.64.0.0/10", {"100.64.0.0", "100.64.0.1", "100.127.255.255"}},
      {"127.0.0.0/8", {"127.0.0.0", "127.0.0.1", "127.255.255.255"}},
      {"169.254.0.0/16", {"169.254.0.0", "169.254.169.254", "169.254.255.255"}},
      {"172.16.0.0/12", {"172.16.0.0", "172.31.255.255"}},
      {"192.0.0.0/24", {"192.0.0.0", "192.0.0.255"}},
      {"192.0.2.0/24", {"192.0.2.0", "192.0.2.255"}},
      {"192.88.99.0/24", {"192.88.99.0", "192.88.99.255"}},
      {"192.168.0.0/16", {"192.168.0.0", "192.168.255.255"}},
      {"198.18.0.0/15", {"198.18.0.0", "198.19.255.255"}},
      {"198.51.100.0/24", {"198.51.100.0", "198.51.100.255"}},
      {"203.0.113.0/24", {"203.0.113.0", "203.0.113.255"}},
      {"224.0.0.0/4", {"224.0.0.0", "224.0.0.1", "239.255.255.255"}},
      {"240.0.0.0/4", {"240.0.0.0", "240.0.0.1", "255.255.255.254", "255.255.255.255"}},
      {"::/96 (unspecified, loopback, IPv4-compatible)",
       {"::", "::1", "::255.255.255.255", "::8.8.8.8"}},
      {"::ffff:0:0/96 mapped: its IPv4 address",
       {"::ffff:0.0.0.0", "::ffff:127.0.0.1", "::ffff:100.64.0.1", "::ffff:192.0.2.1",
        "::ffff:255.255.255.255"}},
      {"::ffff:0:0:0/96 SIIT", {"::ffff:0:0:0", "::ffff:0:8.8.8.8", "::ffff:0:ffff:ffff"}},
      {"64:ff9b::/96 NAT64: its IPv4 address",
       {"64:ff9b::", "64:ff9b::7f00:1", "64:ff9b::100.64.0.1", "64:ff9b::198.18.0.1",
        "64:ff9b::ffff:ffff"}},
      {"64:ff9b:1::/48 local-use NAT64",
       {"64:ff9b:1::", "64:ff9b:1::808:808", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff"}},
      {"100::/64 discard", {"100::", "100::ffff:ffff:ffff:ffff"}},
      {"2001::/23 IETF protocol assignments",
       {"2001::", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:2::1",
        "2001:2:0:ffff:ffff:ffff:ffff:ffff", "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff"}},
      {"2001:db8::/32 documentation",
       {"2001:db8::", "2001:db8::1", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"}},
      {"2002::/16 6to4, whatever it embeds",
       {"2002::", "2002:808:808::1", "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}},
      {"3fff::/20 documentation", {"3fff::", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff"}},
      {"5f00::/16 segment routing", {"5f00::", "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}},
      {"fc00::/7 unique local",
       {"fc00::", "fd12:3456:789a::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}},
      {"fe80::/10 link-local", {"fe80::", "fe80::1", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}},
      {"fec0::/10 site-local", {"fec0::", "fec0::1", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}},
      {"ff00::/8 multicast", {"ff00::", "ff02::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}},
  };
  return *ranges;
}

// Just outside the edges above, where the neighbour is ordinary unicast.
constexpr const char* kPublicNeighbours[] = {
    "1.0.0.0", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0", "126.255.255.255",
    "128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0",
    "191.255.255.255", "192.0.1.0", "192.0.1.255", "192.0.3.0", "192.88.98.255", "192.88.100.0",
    "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0", "198.51.99.255",
    "198.51.101.0", "203.0.112.255", "203.0.114.0", "223.255.255.255",
    // IPv6
    "::ffff:8.8.8.8", "64:ff9b::808:808", "2001:200::", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
    "2001:db9::", "2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "2003::", "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff:1000::", "2606:4700:4700::1111",
    "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"};

TEST(IsPrivateAddressTest, EveryRangeIsRefused) {
  for (const RefusedRange& range : RefusedRanges()) {
    for (const char* ip : range.inside) {
      EXPECT_TRUE(IsPrivateAddress(ip, NoLocalAddresses())) << range.range << ": " << ip;
      EXPECT_TRUE(IsPrivateAddress(ip)) << range.range << ": " << ip;
    }
  }
}

TEST(IsPrivateAddressTest, NeighboursOfTheRangesArePublic) {
  for (const char* ip : kPublicNeighbours) {
    EXPECT_FALSE(IsPrivateAddress(ip, NoLocalAddresses())) << ip;
  }
}

// The lister's answers, counted; the clock is the test's.
struct FakeHost {
  LocalAddresses::Lister Lister() {
    return [this]() -> absl::StatusOr<std::vector<std::string>> {
      ++reads;
      if (!answer.ok()) return answer.status();
      return *answer;
    };
  }
  absl::StatusOr<std::vector<std::string>> answer;
  int reads = 0;
  absl::Time now = absl::UnixEpoch();
};

TEST(LocalAddressesTest, OurOwnPublicAddressesAreRefused) {
  FakeHost host;
  host.answer = std::vector<std::string>{"93.184.216.34", "2606:4700:4700::1111", "fe80::1"};
  LocalAddresses local(host.Lister(), absl::Seconds(5), [&host] { return host.now; });
  for (const char* ip : {"93.184.216.34", "::ffff:93.184.216.34", "64:ff9b::93.184.216.34",
                         "64:ff9b::5db8:d822", "2606:4700:4700::1111"}) {
    EXPECT_TRUE(IsPrivateAddress(ip, local)) << ip;
  }
  EXPECT_TRUE(local.Contains("93.184.216.34"));
  EXPECT_TRUE(local.Contains("::ffff:93.184.216.34"));
  for (const char* ip : {"93.184.216.35", "2606:4700:4700::1112", "8.8.8.8"}) {
    EXPECT_FALSE(IsPrivateAddress(ip, local)) << ip;
    EXPECT_FALSE(local.Contains(ip)) << ip;
  }
}

TEST(LocalAddressesTest, ReadAtMostOncePerTtl) {
  FakeHost host;
  host.answer = std::vector<std::string>{"93.184.216.34"};
  LocalAddresses local(host.Lister(), absl::Seconds(5), [&host] { return host.now; });
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(local.Contains("93.184.216.34"));
  EXPECT_EQ(host.reads, 1);

  // An address added to an interface is seen once the list expires.
  host.answer = std::vector<std::string>{"93.184.216.34", "8.8.8.8"};
  host.now += absl::Seconds(4);
  EXPECT_FALSE(local.Contains("8.8.8.8"));
  EXPECT_EQ(host.reads, 1);
  host.now += absl::Seconds(1);
  EXPECT_TRUE(local.Contains("8.8.8.8"));
  EXPECT_EQ(host.reads, 2);
}

TEST(LocalAddressesTest, UnreadableListKeepsTheLastOneOrFailsClosed) {
  FakeHost host;
  host.answer = absl::UnavailableError("no netlink");
  LocalAddresses local(host.Lister(), absl::Seconds(5), [&host] { return host.now; });
  // Never read: any address might be ours.
  EXPECT_TRUE(IsPrivateAddress("8.8.8.8", local));
  EXPECT_TRUE(local.Contains("2606:4700:4700::1111"));
  EXPECT_EQ(host.reads, 1);  // and not read again before the ttl

  host.answer = std::vector<std::string>{"93.184.216.34"};
  host.now += absl::Seconds(5);
  EXPECT_FALSE(IsPrivateAddress("8.8.8.8", local));
  host.answer = absl::UnavailableError("no netlink");
  host.now += absl::Seconds(5);
  EXPECT_FALSE(IsPrivateAddress("8.8.8.8", local));
  EXPECT_TRUE(IsPrivateAddress("93.184.216.34", local));
  EXPECT_EQ(host.reads, 3);
}

TEST(LocalAddressesTest, EveryAddressOfThisHostIsRefused) {
  ifaddrs* found = nullptr;
  ASSERT_EQ(getifaddrs(&found), 0);
  int checked = 0;
  for (const ifaddrs* entry = found; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (entry->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(entry->ifa_addr)->sin_addr, text,
                sizeof(text));
    } else if (entry->ifa_addr->sa_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr)->sin6_addr, text,
                sizeof(text));
    } else {
      continue;
    }
    EXPECT_TRUE(LocalAddresses::Host().Contains(text)) << entry->ifa_name << " " << text;
    EXPECT_TRUE(IsPrivateAddress(text)) << entry->ifa_name << " " << text;
    EXPECT_TRUE(IsPrivateHostLiteral(text)) << entry->ifa_name << " " << text;
    ++checked;
  }
  freeifaddrs(found);
  EXPECT_GT(checked, 0);  // loopback at least
}

TEST(IsPrivateHostLiteralTest, LiteralsInAnySpellingAndLocalhostNames) {
  for (const char* host :
       {"localhost", "LOCALHOST", "localhost.", "api.localhost", "a.b.localhost.", "127.0.0.1",
        "127.1", "2130706433", "0x7f.1", "0177.0.0.1", "100.64.0.1", "1681915905", "224.0.0.1",
        "240.0.0.1", "198.18.0.1", "::1", "64:ff9b::7f00:1", "2001:db8::1", "2002::1"}) {
    EXPECT_TRUE(IsPrivateHostLiteral(host)) << host;
  }
  // Names are judged at send, on what they resolve to.
  for (const char* host : {"internal.example.com", "db", "localhost.example.com", "mylocalhost",
                           "8.8.8.8", "2606:4700:4700::1111"}) {
    EXPECT_FALSE(IsPrivateHostLiteral(host)) << host;
  }
}

OutboundTarget Target(const std::string& url) {
  auto target = ParseOutboundUrl(url);
  EXPECT_OK(target) << url << ": " << target.status();
  return target.ok() ? *target : OutboundTarget{};
}

TEST(ResolveOutboundTest, LocalhostIsDeniedUnlessAllowed) {
  const OutboundTarget target = Target("http://localhost:8081/hook");
  auto denied = ResolveOutbound(target, /*allow_private=*/false);
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(denied.status().message(), "destination resolves to a private address");

  auto allowed = ResolveOutbound(target, /*allow_private=*/true);
  ASSERT_OK(allowed);
  EXPECT_TRUE(*allowed == "127.0.0.1" || *allowed == "::1") << *allowed;
}

TEST(ResolveOutboundTest, PrivateLiteralsAreDenied) {
  for (const char* url :
       {"http://127.0.0.1/", "http://[::1]/", "http://169.254.169.254/latest",
        "http://10.1.2.3:8080/", "http://[::ffff:127.0.0.1]/",
        // Legacy IPv4 spellings getaddrinfo accepts: checked after
        // resolution, they are still loopback.
        "http://2130706433/", "http://127.1/", "http://0x7f.0.0.1/", "http://0/"}) {
    auto resolved = ResolveOutbound(Target(url), /*allow_private=*/false);
    EXPECT_THAT(resolved, StatusIs(absl::StatusCode::kPermissionDenied))
        << url << ": " << resolved.status();
  }
}

// A name (not a literal) whose answer is one of our own addresses: this
// host's name, from /etc/hosts when it is there.
TEST(ResolveOutboundTest, NameResolvingToThisHostIsDenied) {
  char name[256] = {};
  ASSERT_EQ(gethostname(name, sizeof(name) - 1), 0);
  auto target = ParseOutboundUrl(absl::StrCat("http://", name, "/hook"));
  if (!target.ok() || IsPrivateHostLiteral(target->host)) GTEST_SKIP() << name;
  auto allowed = ResolveOutbound(*target, /*allow_private=*/true);
  if (!allowed.ok()) GTEST_SKIP() << name << " does not resolve: " << allowed.status();
  auto denied = ResolveOutbound(*target, /*allow_private=*/false);
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied)) << name << " -> " << *allowed;
}

TEST(ResolveOutboundTest, PublicLiteralIsAllowedWithoutDns) {
  auto resolved = ResolveOutbound(Target("https://93.184.216.34/hook"), false);
  ASSERT_OK(resolved);
  EXPECT_EQ(*resolved, "93.184.216.34");

  resolved = ResolveOutbound(Target("https://[2606:4700:4700::1111]:8443/"), false);
  ASSERT_OK(resolved);
  EXPECT_EQ(*resolved, "2606:4700:4700::1111");
}

TEST(ResolveOutboundTest, UnresolvableNameIsUnavailable) {
  // .invalid never resolves (RFC 6761); the resolver may still be asked, and
  // without network it fails just the same.
  auto resolved = ResolveOutbound(Target("https://no-such-host.invalid/"), true);
  EXPECT_THAT(resolved, StatusIs(absl::StatusCode::kUnavailable)) << resolved.status();
}

// What the sender does with a stored URL (services/webhooks/webhook_sender.cc).
bool AcceptedAtSend(const std::string& url, bool allow_private) {
  auto target = ParseOutboundUrl(url);
  return target.ok() && ResolveOutbound(*target, allow_private).ok();
}

bool AcceptedAtCreation(const std::string& url, bool allow_private) {
  return CheckOutboundUrl(url, allow_private).ok();
}

std::string UrlOf(const std::string& ip) {
  return ip.find(':') == std::string::npos ? "http://" + ip + ":8080/hook"
                                           : "http://[" + ip + "]:8080/hook";
}

// Creation once refused "_" but accepted 100.64/10, 224/4 and 240/4, and the
// sender the reverse: such an endpoint was created and never delivered to.
TEST(OneRuleTest, DriftCasesAreRefusedAtCreationAndAtSend) {
  for (const char* url : {"https://exa_mple.com/hook", "http://100.64.0.1/", "http://224.0.0.1/",
                          "http://240.0.0.1/", "http://localhost:8080/", "http://api.localhost/"}) {
    EXPECT_FALSE(AcceptedAtCreation(url, false)) << url;
    EXPECT_FALSE(AcceptedAtSend(url, false)) << url;
  }
  for (const RefusedRange& range : RefusedRanges()) {
    for (const char* ip : range.inside) {
      EXPECT_FALSE(AcceptedAtCreation(UrlOf(ip), false)) << range.range << ": " << ip;
      EXPECT_FALSE(AcceptedAtSend(UrlOf(ip), false)) << range.range << ": " << ip;
    }
  }
}

TEST(OneRuleTest, AllowPrivateLetsEveryRangeThroughAtCreationAndAtSend) {
  for (const RefusedRange& range : RefusedRanges()) {
    for (const char* ip : range.inside) {
      EXPECT_TRUE(AcceptedAtCreation(UrlOf(ip), true)) << range.range << ": " << ip;
      EXPECT_TRUE(AcceptedAtSend(UrlOf(ip), true)) << range.range << ": " << ip;
    }
  }
  EXPECT_TRUE(AcceptedAtCreation("http://localhost:8080/", true));
  EXPECT_TRUE(AcceptedAtSend("http://localhost:8080/", true));
  // Malformed stays malformed.
  EXPECT_FALSE(AcceptedAtCreation("https://exa_mple.com/hook", true));
  EXPECT_FALSE(AcceptedAtSend("https://exa_mple.com/hook", true));
}

TEST(OneRuleTest, PublicLiteralsAreAcceptedAtCreationAndAtSend) {
  for (const char* ip : kPublicNeighbours) {
    EXPECT_TRUE(AcceptedAtCreation(UrlOf(ip), false)) << ip;
    EXPECT_TRUE(AcceptedAtSend(UrlOf(ip), false)) << ip;
  }
}

TEST(CheckOutboundUrlTest, RefusalNamesTheUrlField) {
  auto checked = CheckOutboundUrl("http://100.64.0.1/", false);
  EXPECT_THAT(checked, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ApiErrorField(checked.status()), "url");
  checked = CheckOutboundUrl("https://Hooks.Example.com/in?x=1", false);
  ASSERT_OK(checked);
  EXPECT_EQ(checked->host, "hooks.example.com");
  EXPECT_EQ(checked->path_and_query, "/in?x=1");
}

}  // namespace
}  // namespace affonso::services

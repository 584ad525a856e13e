#include "services/outbound_url.h"

#include <string>

#include "absl/status/status.h"
#include "common/api_error.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

TEST(ParseOutboundUrlTest, HttpsWithDefaultPortAndPath) {
  auto target = ParseOutboundUrl("https://hooks.example.com/affonso/events?x=1");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->scheme, "https");
  EXPECT_EQ(target->host, "hooks.example.com");
  EXPECT_EQ(target->port, 443);
  EXPECT_EQ(target->path_and_query, "/affonso/events?x=1");
}

TEST(ParseOutboundUrlTest, HttpDefaultPortAndEmptyPath) {
  auto target = ParseOutboundUrl("http://example.com");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->scheme, "http");
  EXPECT_EQ(target->port, 80);
  EXPECT_EQ(target->path_and_query, "/");
}

TEST(ParseOutboundUrlTest, SchemeAndHostAreCaseInsensitive) {
  auto target = ParseOutboundUrl("HTTPS://Hooks.Example.COM/Path");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->scheme, "https");
  EXPECT_EQ(target->host, "hooks.example.com");
  EXPECT_EQ(target->path_and_query, "/Path");  // the path is case-sensitive
}

TEST(ParseOutboundUrlTest, ExplicitPorts) {
  auto target = ParseOutboundUrl("http://127.0.0.1:8081/hook");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->host, "127.0.0.1");
  EXPECT_EQ(target->port, 8081);
  EXPECT_EQ(target->path_and_query, "/hook");

  target = ParseOutboundUrl("https://example.com:65535");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->port, 65535);

  // An empty port is the default one (RFC 3986).
  target = ParseOutboundUrl("https://example.com:/x");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->port, 443);
}

TEST(ParseOutboundUrlTest, QueryWithoutPathAndFragment) {
  auto target = ParseOutboundUrl("https://example.com?a=b#frag");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->host, "example.com");
  EXPECT_EQ(target->path_and_query, "/?a=b");

  target = ParseOutboundUrl("https://example.com/p#frag?not=query");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->path_and_query, "/p");
}

TEST(ParseOutboundUrlTest, Ipv6LiteralsInBrackets) {
  auto target = ParseOutboundUrl("http://[::1]:9000/hook");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->host, "::1");
  EXPECT_EQ(target->port, 9000);
  EXPECT_EQ(target->path_and_query, "/hook");

  target = ParseOutboundUrl("https://[2606:4700:4700::1111]");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->host, "2606:4700:4700::1111");
  EXPECT_EQ(target->port, 443);

  for (const char* bad : {"http://[::1/x", "http://[not-ipv6]/", "http://[fe80::1%25eth0]/",
                          "http://[::1]x/", "http://::1/", "http://[]/"}) {
    EXPECT_EQ(ParseOutboundUrl(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ParseOutboundUrlTest, RejectsOtherSchemes) {
  for (const char* bad : {"ftp://example.com/", "file:///etc/passwd", "gopher://example.com",
                          "javascript:alert(1)", "example.com/hook", "//example.com/hook",
                          "https:/example.com", ""}) {
    auto target = ParseOutboundUrl(bad);
    EXPECT_EQ(target.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(ApiErrorField(target.status()), "url") << bad;
  }
}

TEST(ParseOutboundUrlTest, RejectsUserinfo) {
  for (const char* bad : {"https://user:pass@example.com/", "https://user@example.com/",
                          "https://example.com@10.0.0.1/", "http://@example.com/"}) {
    EXPECT_EQ(ParseOutboundUrl(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ParseOutboundUrlTest, RejectsMissingHost) {
  for (const char* bad : {"https://", "https:///path", "http://:8080/", "https://?q", "http://#x"}) {
    EXPECT_EQ(ParseOutboundUrl(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ParseOutboundUrlTest, RejectsBadPorts) {
  for (const char* bad : {"http://example.com:0/", "http://example.com:65536/",
                          "http://example.com:-1/", "http://example.com:80a/",
                          "http://example.com:+80/", "http://example.com:0000080000/",
                          "http://example.com:80:81/"}) {
    EXPECT_EQ(ParseOutboundUrl(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ParseOutboundUrlTest, RejectsOddHostsAndCharacters) {
  for (const char* bad : {"http://exa mple.com/", "http://example.com/a b", "http://ex%61mple.com/",
                          "http://example.com\\@evil.com/", "http://exa\xc3\xa9mple.com/",
                          "http://example.com/\r\nX-Injected: 1", "http://example.com\t/"}) {
    EXPECT_EQ(ParseOutboundUrl(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ParseOutboundUrl("http://" + std::string(254, 'a') + "/").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(IsPrivateAddressTest, Ipv4Ranges) {
  for (const char* ip :
       {"127.0.0.1", "127.255.255.254",                  // loopback
        "10.0.0.1", "10.255.255.255",                    // RFC 1918
        "172.16.0.1", "172.31.255.255",                  //
        "192.168.0.1", "192.168.255.255",                //
        "169.254.169.254", "169.254.0.1",                // link-local, cloud metadata
        "0.0.0.0", "0.1.2.3",                            // unspecified / this network
        "100.64.0.1", "100.127.255.255",                 // CGNAT
        "224.0.0.1", "239.255.255.255",                  // multicast
        "255.255.255.255", "240.0.0.1"}) {               // broadcast, reserved
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
  for (const char* ip : {"::1", "::", "fc00::1", "fd12:3456:789a::1", "fe80::1",
                         "febf:ffff::1", "fec0::1", "ff02::1", "ff05::2",
                         // IPv4-mapped, NAT64 and IPv4-compatible forms of private IPv4
                         "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
                         "::ffff:0:0", "64:ff9b::192.168.1.1", "64:ff9b::a9fe:a9fe",
                         "::127.0.0.1", "::10.0.0.1"}) {
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

OutboundTarget Target(const std::string& url) {
  auto target = ParseOutboundUrl(url);
  EXPECT_TRUE(target.ok()) << url << ": " << target.status();
  return target.ok() ? *target : OutboundTarget{};
}

TEST(ResolveOutboundTest, LocalhostIsDeniedUnlessAllowed) {
  const OutboundTarget target = Target("http://localhost:8081/hook");
  auto denied = ResolveOutbound(target, /*allow_private=*/false);
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.status().message(), "destination resolves to a private address");

  auto allowed = ResolveOutbound(target, /*allow_private=*/true);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_TRUE(*allowed == "127.0.0.1" || *allowed == "::1") << *allowed;
}

TEST(ResolveOutboundTest, PrivateLiteralsAreDenied) {
  for (const char* url : {"http://127.0.0.1/", "http://[::1]/", "http://169.254.169.254/latest",
                          "http://10.1.2.3:8080/", "http://[::ffff:127.0.0.1]/",
                          // Legacy IPv4 spellings getaddrinfo accepts: checked after
                          // resolution, they are still loopback.
                          "http://2130706433/", "http://127.1/", "http://0x7f.0.0.1/",
                          "http://0/"}) {
    auto resolved = ResolveOutbound(Target(url), /*allow_private=*/false);
    EXPECT_EQ(resolved.status().code(), absl::StatusCode::kPermissionDenied)
        << url << ": " << resolved.status();
  }
}

TEST(ResolveOutboundTest, PublicLiteralIsAllowedWithoutDns) {
  auto resolved = ResolveOutbound(Target("https://93.184.216.34/hook"), false);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(*resolved, "93.184.216.34");

  resolved = ResolveOutbound(Target("https://[2606:4700:4700::1111]:8443/"), false);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(*resolved, "2606:4700:4700::1111");
}

TEST(ResolveOutboundTest, UnresolvableNameIsUnavailable) {
  // .invalid never resolves (RFC 6761); the resolver may still be asked, and
  // without network it fails just the same.
  auto resolved = ResolveOutbound(Target("https://no-such-host.invalid/"), true);
  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kUnavailable) << resolved.status();
}

}  // namespace
}  // namespace affonso::services

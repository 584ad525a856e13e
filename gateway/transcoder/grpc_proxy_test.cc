#include "gateway/transcoder/grpc_proxy.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/grpc_metadata.h"
#include "common/metrics.h"
#include "common/testing/status_matchers.h"
#include "common/wire_metadata.h"
#include "gateway/http/static_content.h"
#include "gtest/gtest.h"
#include "proto/affonso/v1/signups.grpc.pb.h"
#include "proto/affonso/v1/tracking.grpc.pb.h"

namespace affonso::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ForwardableSignatureHeaderTest, PrintableAsciiUpToTheLimit) {
  EXPECT_TRUE(ForwardableSignatureHeader("1714557600"));
  EXPECT_TRUE(ForwardableSignatureHeader(std::string(64, 'a')));
  EXPECT_TRUE(ForwardableSignatureHeader(std::string(kMaxSignatureHeaderLength, 'f')));
  EXPECT_TRUE(ForwardableSignatureHeader("not a number ~"));  // the service judges it
}

TEST(ForwardableSignatureHeaderTest, DropsEmptyLongAndUnprintable) {
  EXPECT_FALSE(ForwardableSignatureHeader(""));
  EXPECT_FALSE(ForwardableSignatureHeader(std::string(kMaxSignatureHeaderLength + 1, 'f')));
  EXPECT_FALSE(ForwardableSignatureHeader("abc\tdef"));
  EXPECT_FALSE(ForwardableSignatureHeader("abc\ndef"));
  EXPECT_FALSE(ForwardableSignatureHeader(std::string("a\0b", 3)));
  EXPECT_FALSE(ForwardableSignatureHeader("caf\xc3\xa9"));
  EXPECT_FALSE(ForwardableSignatureHeader("\x7f"));
}

TEST(ForwardableHeaderTest, BoundIsInclusive) {
  EXPECT_TRUE(ForwardableHeader(std::string(kMaxOriginLength, 'o'), kMaxOriginLength));
  EXPECT_FALSE(ForwardableHeader(std::string(kMaxOriginLength + 1, 'o'), kMaxOriginLength));
  EXPECT_FALSE(ForwardableHeader("", 10));
  EXPECT_FALSE(ForwardableHeader("Mozilla\x01", 10));
}

// ------------------------------------------------------------ fake backend

std::string Metadata(const grpc::ServerContext& context, const char* key) {
  return MetadataValue(context.client_metadata(), key);
}

// What a call carried, as the fake services echo it back.
std::string Echo(const grpc::ServerContext& context) {
  return absl::StrCat("authorization=", Metadata(context, "authorization"),
                      "|origin=", Metadata(context, kOriginKey),
                      "|referer=", Metadata(context, kRefererKey),
                      "|user-agent=", Metadata(context, kUserAgentKey),
                      "|client=", Metadata(context, kClientAddressKey));
}

// Echoes the metadata it received in TrackingResult.message; program
// "prg_refused" is refused as a site off the program's allowed domains.
class FakeTracking final : public affonso::v1::TrackingService::Service {
 public:
  grpc::Status Track(grpc::ServerContext* context, const affonso::v1::TrackRequest* request,
                     affonso::v1::TrackingResult* response) override {
    ++calls;
    context->AddInitialMetadata(kRateLimitLimitKey, "120");
    context->AddInitialMetadata(kRateLimitRemainingKey, "119");
    if (request->program_id() == "prg_refused") {
      context->AddTrailingMetadata(kErrorCodeKey, std::string(api_code::kOriginNotAllowed));
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "evil.example is not on the program's allowed domains");
    }
    response->set_cid("clk_1");
    response->set_message(Echo(*context));
    return grpc::Status::OK;
  }

  grpc::Status BrowserSignup(grpc::ServerContext* context,
                             const affonso::v1::BrowserSignupRequest* request,
                             affonso::v1::BrowserSignupResult* response) override {
    ++calls;
    context->AddInitialMetadata(kHttpCodeKey, "201");
    response->set_id(Echo(*context));
    response->set_created(true);
    return grpc::Status::OK;
  }

  std::atomic<int> calls{0};
};

// An authenticated service, for contrast: echoes into the referral's id.
class FakeSignups final : public affonso::v1::SignupService::Service {
 public:
  grpc::Status RecordSignup(grpc::ServerContext* context,
                            const affonso::v1::RecordSignupRequest* request,
                            affonso::v1::RecordSignupResponse* response) override {
    ++calls;
    response->mutable_referral()->set_id(Echo(*context));
    return grpc::Status::OK;
  }

  std::atomic<int> calls{0};
};

HttpRequest FromPeer(std::string peer, std::vector<std::string> forwarded_for) {
  HttpRequest request;
  request.remote_address = std::move(peer);
  for (std::string& value : forwarded_for) {
    request.headers.emplace_back("x-forwarded-for", std::move(value));
  }
  return request;
}

TEST(ClientAddressOfTest, ThePeerUnlessProxiesAreTrusted) {
  EXPECT_EQ(ClientAddressOf(FromPeer("10.0.0.7", {"198.51.100.1"}), 0), "10.0.0.7");
  EXPECT_EQ(ClientAddressOf(FromPeer("10.0.0.7", {}), 1), "10.0.0.7");
}

TEST(ClientAddressOfTest, TheAddressTheOutermostTrustedProxySaw) {
  // One ingress: it appended the client; what the client wrote sits left.
  EXPECT_EQ(ClientAddressOf(FromPeer("10.0.0.7", {"198.51.100.1"}), 1), "198.51.100.1");
  EXPECT_EQ(ClientAddressOf(FromPeer("10.0.0.7", {"6.6.6.6, 198.51.100.1"}), 1), "198.51.100.1");
  // A CDN and an ingress, across two headers, IPv6 too.
  EXPECT_EQ(ClientAddressOf(FromPeer("10.0.0.7", {"6.6.6.6, 2001:db8::5", "203.0.113.4"}), 2),
            "2001:db8::5");
  // Fewer entries than hops: the first there is.
  EXPECT_EQ(ClientAddressOf(FromPeer("10.0.0.7", {"198.51.100.1"}), 3), "198.51.100.1");
  // Not an address: the peer, never the text.
  EXPECT_EQ(ClientAddressOf(FromPeer("10.0.0.7", {"6.6.6.6, unknown"}), 1), "10.0.0.7");
  EXPECT_EQ(ClientAddressOf(FromPeer("10.0.0.7", {"1.2.3.4:80"}), 1), "10.0.0.7");
}

TEST(IsLoopbackAddressTest, ThisMachineOnly) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackAddress("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackAddress("::1"));
  EXPECT_TRUE(IsLoopbackAddress("::ffff:127.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress(""));
  EXPECT_FALSE(IsLoopbackAddress("1270.0.0.1"));
}

// ------------------------------------------------------------ fixture

std::string HeaderOf(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

bool HasHeader(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (absl::EqualsIgnoreCase(key, name)) return true;
  }
  return false;
}

int CountOf(const HttpResponse& response, const std::string& name) {
  int count = 0;
  for (const auto& [key, value] : response.headers) count += absl::EqualsIgnoreCase(key, name);
  return count;
}

constexpr char kExposed[] =
    "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After";
constexpr char kSite[] = "https://shop.example";

HttpRequest Request(std::string method, std::string target, std::string body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.body = std::move(body);
  request.headers = std::move(headers);
  request.remote_address = "203.0.113.9";
  return request;
}

HttpRequest TrackFrom(const std::string& origin, const std::string& program = "prg_1") {
  return Request("POST", "/v1/track", absl::StrCat(R"({"programId":")", program, R"("})"),
                 {{"content-type", "application/json"}, {"origin", origin}});
}

HttpRequest Preflight(std::vector<std::pair<std::string, std::string>> headers,
                      std::string target = "/v1/track") {
  return Request("OPTIONS", std::move(target), "", std::move(headers));
}

class GrpcProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterService(&tracking_);
    builder.RegisterService(&signups_);
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    backend_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    GrpcProxyOptions options;
    options.metrics = &registry_;
    options.refuse_before_body = [this](absl::string_view, absl::string_view) {
      ++refuse_before_body_calls_;
      return absl::OkStatus();
    };
    StaticContent local_only =
        MakeStaticContent("text/html; charset=utf-8", "no-store", "<p>key</p>", false);
    local_only.loopback_clients_only = true;
    options.static_content.emplace("/local", std::move(local_only));
    options.static_content.emplace("/js/test.js",
                                   MakeStaticContent("application/javascript; charset=utf-8",
                                                     "public, max-age=3600", "run();\n", true));
    auto proxy = GrpcProxy::Create(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()),
        std::move(options));
    ASSERT_OK(proxy);
    proxy_ = *std::move(proxy);
  }

  void TearDown() override {
    proxy_.reset();
    backend_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }

  // Handle's answer (status 0 when none within 5 s), once the proxy has let
  // go of the call: a ClientContext outliving the channel that TearDown drops
  // would be destroyed inside gRPC's callback (an abort in gRPC 1.51).
  HttpResponse Send(HttpRequest request) {
    struct Released {
      ~Released() { promise.set_value(); }
      std::promise<void> promise;
    };
    auto answered = std::make_shared<std::promise<HttpResponse>>();
    std::future<HttpResponse> answer = answered->get_future();
    auto released = std::make_shared<Released>();
    std::future<void> let_go = released->promise.get_future();
    proxy_->Handle(std::move(request),
                   [answered, released = std::move(released)](HttpResponse response) {
                     answered->set_value(std::move(response));
                   });
    if (answer.wait_for(std::chrono::seconds(5)) != std::future_status::ready ||
        let_go.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      ADD_FAILURE() << "no answer";
      HttpResponse none;
      none.status = 0;
      return none;
    }
    return answer.get();
  }

  int BackendCalls() const { return tracking_.calls.load() + signups_.calls.load(); }

  FakeTracking tracking_;
  FakeSignups signups_;
  std::unique_ptr<grpc::Server> backend_;
  metrics::Registry registry_;
  std::atomic<int> refuse_before_body_calls_{0};
  std::unique_ptr<GrpcProxy> proxy_;
};

// ------------------------------------------------------------ public routes

TEST_F(GrpcProxyTest, PublicRouteReachesTheBackendWithTheBrowsersHeadersAndNoKey) {
  HttpRequest request = TrackFrom(kSite);
  request.headers.emplace_back("referer", "https://shop.example/p?via=alice");
  request.headers.emplace_back("user-agent", "Mozilla/5.0 (X11; Linux x86_64)");
  request.headers.emplace_back("authorization", "Bearer sk_live_not_for_the_backend");
  const HttpResponse response = Send(std::move(request));
  EXPECT_EQ(response.status, 200) << response.body;
  // The bare TrackingResult, with what the service saw in `message`.
  EXPECT_THAT(response.body, HasSubstr(R"("cid":"clk_1")"));
  EXPECT_THAT(response.body,
              HasSubstr("authorization=|origin=https://shop.example"
                        "|referer=https://shop.example/p?via=alice"
                        "|user-agent=Mozilla/5.0 (X11; Linux x86_64)|client=203.0.113.9"));
  EXPECT_THAT(response.body, Not(HasSubstr("success")));
  EXPECT_EQ(refuse_before_body_calls_.load(), 0);
  EXPECT_EQ(tracking_.calls.load(), 1);

  EXPECT_EQ(HeaderOf(response, "Access-Control-Allow-Origin"), kSite);
  EXPECT_EQ(HeaderOf(response, "Vary"), "Origin");
  EXPECT_EQ(HeaderOf(response, "Access-Control-Expose-Headers"), kExposed);
  EXPECT_EQ(CountOf(response, "Access-Control-Allow-Origin"), 1);
  EXPECT_FALSE(HasHeader(response, "Access-Control-Allow-Credentials"));
  EXPECT_FALSE(HasHeader(response, "Access-Control-Allow-Methods"));
  EXPECT_EQ(HeaderOf(response, "X-RateLimit-Limit"), "120");
  EXPECT_FALSE(HeaderOf(response, "X-Request-Id").empty());
}

TEST_F(GrpcProxyTest, PublicRouteWithoutBrowserHeadersHasNoCors) {
  const HttpResponse response = Send(Request("POST", "/v1/track", R"({"programId":"prg_1"})",
                                             {{"content-type", "application/json"}}));
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_THAT(response.body,
              HasSubstr("authorization=|origin=|referer=|user-agent=|client=203.0.113.9"));
  EXPECT_FALSE(HasHeader(response, "Access-Control-Allow-Origin"));
  EXPECT_FALSE(HasHeader(response, "Vary"));
  EXPECT_FALSE(HasHeader(response, "Access-Control-Expose-Headers"));
}

TEST_F(GrpcProxyTest, BrowserHeadersAreForwardedUpToTheirBoundsOnly) {
  const std::string origin = "https://" + std::string(kMaxOriginLength - 8, 'o');
  const std::string referer = "https://r/" + std::string(kMaxRefererLength - 10, 'r');
  const std::string agent(kMaxUserAgentLength, 'u');
  HttpRequest at_bounds = TrackFrom(origin);
  at_bounds.headers.emplace_back("referer", referer);
  at_bounds.headers.emplace_back("user-agent", agent);
  HttpResponse response = Send(std::move(at_bounds));
  EXPECT_THAT(response.body, HasSubstr(absl::StrCat("|origin=", origin, "|referer=", referer,
                                                    "|user-agent=", agent, "|")));
  EXPECT_EQ(HeaderOf(response, "Access-Control-Allow-Origin"), origin);

  HttpRequest over = TrackFrom(origin + "o");
  over.headers.emplace_back("referer", referer + "r");
  over.headers.emplace_back("user-agent", agent + "u");
  response = Send(std::move(over));
  EXPECT_EQ(response.status, 200);
  // Origin and Referer over their bounds are dropped; a user agent is cut.
  EXPECT_THAT(response.body, HasSubstr(absl::StrCat("|origin=|referer=|user-agent=", agent, "|")));
  EXPECT_FALSE(HasHeader(response, "Access-Control-Allow-Origin"));  // not echoed either

  HttpRequest unprintable = TrackFrom("https://caf\xc3\xa9.example");
  unprintable.headers.emplace_back("referer", "https://a/\x7f");
  unprintable.headers.emplace_back("user-agent", "Bot\tv1");
  response = Send(std::move(unprintable));
  EXPECT_THAT(response.body, HasSubstr("|origin=|referer=|user-agent=|"));
  EXPECT_FALSE(HasHeader(response, "Access-Control-Allow-Origin"));
}

TEST_F(GrpcProxyTest, NullOriginIsForwardedButNeverEchoed) {
  const HttpResponse response = Send(TrackFrom("null"));
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.body, HasSubstr("|origin=null|"));  // the service refuses it or not
  EXPECT_FALSE(HasHeader(response, "Access-Control-Allow-Origin"));
}

TEST_F(GrpcProxyTest, BrowserSignupIsPublicToo) {
  HttpRequest request = Request("POST", "/v1/track/signup",
                                R"({"programId":"prg_1","clickId":"clk_1","email":"a@b.c"})",
                                {{"content-type", "application/json"},
                                 {"origin", kSite},
                                 {"authorization", "Bearer sk_live_x"}});
  const HttpResponse response = Send(std::move(request));
  EXPECT_EQ(response.status, 201) << response.body;
  EXPECT_THAT(response.body, HasSubstr("authorization=|origin=https://shop.example|"));
  EXPECT_EQ(HeaderOf(response, "Access-Control-Allow-Origin"), kSite);
  EXPECT_EQ(refuse_before_body_calls_.load(), 0);
}

TEST_F(GrpcProxyTest, AnOriginRefusalIsNotReadableByThePage) {
  const HttpResponse response = Send(TrackFrom("https://evil.example", "prg_refused"));
  EXPECT_EQ(response.status, 403);
  EXPECT_THAT(response.body, HasSubstr(R"("code":"FORBIDDEN")"));
  EXPECT_THAT(response.body, HasSubstr(R"("details":[{"reason":"ORIGIN_NOT_ALLOWED"}])"));
  EXPECT_FALSE(HasHeader(response, "Access-Control-Allow-Origin"));
  EXPECT_FALSE(HasHeader(response, "Access-Control-Expose-Headers"));
  EXPECT_EQ(HeaderOf(response, "Vary"), "Origin");
  EXPECT_EQ(HeaderOf(response, "X-RateLimit-Limit"), "120");
}

TEST_F(GrpcProxyTest, TheGatewaysOwnAnswersOnAPublicRouteAreReadable) {
  HttpResponse response = Send(Request("POST", "/v1/track", R"({"programId":"prg_1"})",
                                       {{"content-type", "text/plain"}, {"origin", kSite}}));
  EXPECT_EQ(response.status, 415);
  EXPECT_EQ(HeaderOf(response, "Access-Control-Allow-Origin"), kSite);
  EXPECT_EQ(HeaderOf(response, "Access-Control-Expose-Headers"), kExposed);

  response = Send(Request("POST", "/v1/track", R"({"programId":)",
                          {{"content-type", "application/json"}, {"origin", kSite}}));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(HeaderOf(response, "Access-Control-Allow-Origin"), kSite);
  EXPECT_EQ(BackendCalls(), 0);
}

TEST_F(GrpcProxyTest, APublicBodyOverItsLimitIs413BeforeAnyParsing) {
  // Padding inside a valid object: only the size can refuse it.
  const std::string at_limit_prefix = R"({"programId":"prg_1","sub1":")";
  const std::string filler(kMaxPublicBodyBytes - at_limit_prefix.size() - 2, 'x');
  HttpResponse response = Send(Request("POST", "/v1/track", at_limit_prefix + filler + "\"}",
                                       {{"content-type", "application/json"}, {"origin", kSite}}));
  EXPECT_EQ(response.status, 200) << response.body;  // the service judges its fields
  EXPECT_EQ(BackendCalls(), 1);

  response = Send(Request("POST", "/v1/track", at_limit_prefix + filler + "x\"}",
                          {{"content-type", "application/json"}, {"origin", kSite}}));
  EXPECT_EQ(response.status, 413);
  EXPECT_THAT(response.body, HasSubstr(R"("code":"PAYLOAD_TOO_LARGE")"));
  EXPECT_EQ(HeaderOf(response, "Access-Control-Allow-Origin"), kSite);
  EXPECT_EQ(BackendCalls(), 1);
}

TEST_F(GrpcProxyTest, ALoopbackOnlyDocumentIsNotFoundFromAnotherMachine) {
  HttpResponse response = Send(Request("GET", "/local"));  // from 203.0.113.9
  EXPECT_EQ(response.status, 404);
  EXPECT_THAT(response.body, Not(HasSubstr("key")));
  HttpRequest local = Request("GET", "/local");
  local.remote_address = "127.0.0.1";
  response = Send(std::move(local));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "<p>key</p>");
}

// ------------------------------------------------------------ authenticated routes

TEST_F(GrpcProxyTest, AnAuthenticatedRouteStillNeedsAKeyAndSendsNoCors) {
  HttpResponse response =
      Send(Request("POST", "/v1/signups", R"({"clickId":"clk_1","email":"a@b.c"})",
                   {{"content-type", "application/json"}, {"origin", kSite}}));
  EXPECT_EQ(response.status, 401);
  EXPECT_THAT(response.body, HasSubstr(R"("reason":"MISSING_API_KEY")"));
  EXPECT_FALSE(HasHeader(response, "Access-Control-Allow-Origin"));
  EXPECT_FALSE(HasHeader(response, "Vary"));
  EXPECT_EQ(BackendCalls(), 0);

  response = Send(Request("POST", "/v1/signups", R"({"clickId":"clk_1","email":"a@b.c"})",
                          {{"content-type", "application/json"},
                           {"origin", kSite},
                           {"referer", "https://shop.example/"},
                           {"user-agent", "curl/8"},
                           {"authorization", "Bearer sk_live_abc"}}));
  EXPECT_EQ(response.status, 200) << response.body;
  // The key goes through; the browser headers do not.
  EXPECT_THAT(response.body, HasSubstr("authorization=Bearer sk_live_abc|origin=|referer=|"
                                       "user-agent=|client=203.0.113.9"));
  EXPECT_EQ(refuse_before_body_calls_.load(), 1);
  EXPECT_FALSE(HasHeader(response, "Access-Control-Allow-Origin"));
  EXPECT_FALSE(HasHeader(response, "Access-Control-Expose-Headers"));
  EXPECT_FALSE(HasHeader(response, "Vary"));
}

TEST_F(GrpcProxyTest, AnAuthenticatedPathAnswersNoPreflightNorHead) {
  HttpResponse response = Send(
      Preflight({{"origin", kSite}, {"access-control-request-method", "POST"}}, "/v1/signups"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(HeaderOf(response, "Allow"), "POST");
  EXPECT_FALSE(HasHeader(response, "Access-Control-Allow-Origin"));
  EXPECT_FALSE(HasHeader(response, "Access-Control-Allow-Methods"));

  response = Send(Request("HEAD", "/v1/signups"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(BackendCalls(), 0);
}

// ------------------------------------------------------------ preflight, HEAD

TEST_F(GrpcProxyTest, PreflightFromAPageIsAllowedForWhatThePixelSends) {
  for (const char* request_headers : {"content-type", "Content-Type", ""}) {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"origin", kSite}, {"access-control-request-method", "POST"}};
    if (*request_headers != '\0') {
      headers.emplace_back("access-control-request-headers", request_headers);
    }
    const HttpResponse response = Send(Preflight(std::move(headers), "/v1/track?via=alice"));
    EXPECT_EQ(response.status, 204) << request_headers;
    EXPECT_EQ(HeaderOf(response, "Access-Control-Allow-Origin"), kSite);
    EXPECT_EQ(HeaderOf(response, "Access-Control-Allow-Methods"), "POST");
    EXPECT_EQ(HeaderOf(response, "Access-Control-Allow-Headers"), "Content-Type");
    EXPECT_EQ(HeaderOf(response, "Access-Control-Max-Age"), "600");
    EXPECT_EQ(HeaderOf(response, "Vary"), "Origin");
    EXPECT_FALSE(HasHeader(response, "Access-Control-Allow-Credentials"));
    EXPECT_EQ(response.body, "");
  }
  const HttpResponse signup = Send(Preflight({{"origin", kSite},
                                              {"access-control-request-method", "POST"},
                                              {"access-control-request-headers", "content-type"}},
                                             "/v1/track/signup"));
  EXPECT_EQ(signup.status, 204);
  EXPECT_EQ(HeaderOf(signup, "Access-Control-Allow-Origin"), kSite);
  EXPECT_EQ(BackendCalls(), 0);
}

TEST_F(GrpcProxyTest, PreflightAskingForMoreGetsNoPermission) {
  const std::vector<std::vector<std::pair<std::string, std::string>>> refused = {
      {{"access-control-request-method", "POST"}},  // no Origin
      {{"origin", "null"}, {"access-control-request-method", "POST"}},
      {{"origin", kSite}},  // not a preflight: no method asked for
      {{"origin", kSite}, {"access-control-request-method", "PUT"}},
      {{"origin", kSite}, {"access-control-request-method", "post"}},  // methods are exact
      {{"origin", kSite},
       {"access-control-request-method", "POST"},
       {"access-control-request-headers", "content-type,authorization"}},
      {{"origin", kSite},
       {"access-control-request-method", "POST"},
       {"access-control-request-headers", "x-affonso-signature"}},
  };
  for (const auto& headers : refused) {
    const HttpResponse response = Send(Preflight(headers));
    EXPECT_EQ(response.status, 204);
    EXPECT_EQ(HeaderOf(response, "Vary"), "Origin");
    for (const char* name : {"Access-Control-Allow-Origin", "Access-Control-Allow-Methods",
                             "Access-Control-Allow-Headers", "Access-Control-Max-Age",
                             "Access-Control-Allow-Credentials"}) {
      EXPECT_FALSE(HasHeader(response, name)) << name << " for " << headers[0].second;
    }
  }
  EXPECT_EQ(BackendCalls(), 0);
}

TEST_F(GrpcProxyTest, HeadOfTheTrackUrlIs204WithoutACall) {
  const HttpResponse response =
      Send(Request("HEAD", "/v1/track?via=alice", "", {{"user-agent", "LinkChecker/1"}}));
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(response.body, "");
  EXPECT_FALSE(HasHeader(response, "Access-Control-Allow-Origin"));
  EXPECT_EQ(BackendCalls(), 0);
}

TEST_F(GrpcProxyTest, OtherMethodsOnAPublicPathAre405ListingWhatItAnswers) {
  const HttpResponse response = Send(Request("GET", "/v1/track"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(HeaderOf(response, "Allow"), "POST, HEAD, OPTIONS");
  EXPECT_EQ(BackendCalls(), 0);
}

// ------------------------------------------------------------ static documents

TEST_F(GrpcProxyTest, StaticDocumentsWithValidatorsAndTheQueryIgnored) {
  HttpResponse response = Send(Request("GET", "/js/test.js?v=1"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "run();\n");
  EXPECT_EQ(response.content_type, "application/javascript; charset=utf-8");
  EXPECT_EQ(HeaderOf(response, "Cache-Control"), "public, max-age=3600");
  EXPECT_EQ(HeaderOf(response, "X-Content-Type-Options"), "nosniff");
  const std::string etag = HeaderOf(response, "ETag");
  EXPECT_EQ(etag.size(), 34u) << etag;
  EXPECT_FALSE(HeaderOf(response, "X-Request-Id").empty());
  EXPECT_FALSE(HasHeader(response, "Access-Control-Allow-Origin"));

  response = Send(Request("GET", "/js/test.js", "", {{"if-none-match", etag}}));
  EXPECT_EQ(response.status, 304);
  EXPECT_EQ(response.body, "");
  EXPECT_EQ(HeaderOf(response, "ETag"), etag);

  // HEAD is answered as GET; the HTTP server sends the header alone.
  response = Send(Request("HEAD", "/js/test.js"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(HeaderOf(response, "ETag"), etag);

  response = Send(Request("POST", "/js/test.js", "x"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(HeaderOf(response, "Allow"), "GET, HEAD");

  EXPECT_EQ(Send(Request("GET", "/js/other.js")).status, 404);
  EXPECT_EQ(Send(Request("GET", "/demo?via=demo")).status, 404);  // not configured here
  EXPECT_EQ(BackendCalls(), 0);
}

TEST_F(GrpcProxyTest, MetricsLabelTheNewAnswersByTemplateOrFixedName) {
  Send(TrackFrom(kSite));
  Send(Preflight({{"origin", kSite}, {"access-control-request-method", "POST"}}, "/v1/track?x=1"));
  Send(Request("HEAD", "/v1/track?x=2"));
  Send(Request("GET", "/js/test.js?v=3"));
  Send(Request("HEAD", "/js/test.js"));
  const std::string metrics = registry_.Render();
  for (const char* label :
       {"route=\"POST /v1/track\",status=\"200\"", "route=\"OPTIONS /v1/track\",status=\"204\"",
        "route=\"HEAD /v1/track\",status=\"204\"", "route=\"GET /js/test.js\",status=\"200\"",
        "route=\"HEAD /js/test.js\",status=\"200\""}) {
    EXPECT_THAT(metrics, HasSubstr(label));
  }
  EXPECT_THAT(metrics, Not(HasSubstr("x=1")));
  EXPECT_THAT(metrics, Not(HasSubstr("v=3")));
}

}  // namespace
}  // namespace affonso::gateway

// The pixel's side of the REST gateway over real HTTP, against a fake
// backend (no database): the embedded scripts and demo page, the CORS
// preflight and the answers a page may read, HEAD of the track URL.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "common/testing/status_matchers.h"
#include "gateway/pixel/pixel_assets.h"
#include "gateway/rest_gateway.h"
#include "gtest/gtest.h"
#include "proto/affonso/v1/tracking.grpc.pb.h"
#include "tests/http_client.h"

namespace affonso::tests {
namespace {

constexpr char kSite[] = "https://shop.example";

class FakeTracking final : public affonso::v1::TrackingService::Service {
 public:
  grpc::Status Track(grpc::ServerContext*, const affonso::v1::TrackRequest* request,
                     affonso::v1::TrackingResult* response) override {
    ++calls;
    response->set_cid("clk_" + request->program_id());
    return grpc::Status::OK;
  }
  std::atomic<int> calls{0};
};

class RestPixelTest : public ::testing::Test {
 protected:
  void Start(const std::string& demo_program_id) {
    grpc::ServerBuilder builder;
    builder.RegisterService(&tracking_);
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    backend_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    gateway::RestGatewayConfig config;
    config.http.address = "127.0.0.1";
    config.http.port = 0;
    config.demo_program_id = demo_program_id;
    config.demo_api_key = "sk_live_demo";
    auto rest = gateway::RestGateway::Start(
        config, grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                    grpc::InsecureChannelCredentials()));
    ASSERT_OK(rest);
    rest_ = *std::move(rest);
  }

  void TearDown() override {
    if (rest_ != nullptr) rest_->Shutdown(absl::Seconds(1));
    if (backend_ != nullptr) {
      backend_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    }
  }

  int port() const { return rest_->port(); }

  FakeTracking tracking_;
  std::unique_ptr<grpc::Server> backend_;
  std::unique_ptr<gateway::RestGateway> rest_;
};

TEST_F(RestPixelTest, TheScriptsAreServedCacheableWithValidators) {
  Start("");
  for (const auto& [path, body] :
       {std::pair<std::string, absl::string_view>{"/js/pixel.min.js?v=1", gateway::PixelMinJs()},
        {"/js/pixel.js", gateway::PixelJs()}}) {
    const HttpResult got = Http(port(), "GET", path);
    EXPECT_EQ(got.status, 200) << path;
    EXPECT_EQ(got.body, body) << path;
    EXPECT_EQ(got.headers.at("content-type"), "application/javascript; charset=utf-8");
    EXPECT_EQ(got.headers.at("content-length"), std::to_string(body.size()));
    EXPECT_EQ(got.headers.at("cache-control"), "public, max-age=3600");
    EXPECT_EQ(got.headers.at("x-content-type-options"), "nosniff");
    const std::string etag = got.headers.at("etag");
    EXPECT_EQ(etag.size(), 34u) << etag;

    const HttpResult again = Http(port(), "GET", path, "", {{"If-None-Match", etag}});
    EXPECT_EQ(again.status, 304);
    EXPECT_EQ(again.body, "");
    EXPECT_EQ(again.headers.at("etag"), etag);
    EXPECT_EQ(again.headers.count("content-length"), 0u);

    const HttpResult head = Http(port(), "HEAD", path);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.body, "");  // the length of the GET, none of its bytes
    EXPECT_EQ(head.headers.at("content-length"), std::to_string(body.size()));
    EXPECT_EQ(head.headers.at("etag"), etag);
  }
  // Unconfigured, the demo page does not exist.
  const HttpResult demo = Http(port(), "GET", "/demo");
  EXPECT_EQ(demo.status, 404);
  EXPECT_EQ(demo.ErrorCode(), "NOT_FOUND");
}

TEST_F(RestPixelTest, TheDemoPageForTheConfiguredProgram) {
  Start("prg_demo");
  const HttpResult demo = Http(port(), "GET", "/demo?via=demo");
  EXPECT_EQ(demo.status, 200);
  EXPECT_EQ(demo.headers.at("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(demo.headers.at("cache-control"), "no-store");
  EXPECT_EQ(demo.headers.count("etag"), 0u);
  EXPECT_NE(demo.body.find("prg_demo"), std::string::npos);
  EXPECT_EQ(demo.body.find("{{PROGRAM_ID}}"), std::string::npos);
  EXPECT_EQ(demo.body.find("{{API_KEY}}"), std::string::npos);
}

TEST_F(RestPixelTest, APageCanCallTrackAcrossOrigins) {
  Start("");
  const HttpResult preflight = Http(port(), "OPTIONS", "/v1/track", "",
                                    {{"Origin", kSite},
                                     {"Access-Control-Request-Method", "POST"},
                                     {"Access-Control-Request-Headers", "content-type"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.headers.at("access-control-allow-origin"), kSite);
  EXPECT_EQ(preflight.headers.at("access-control-allow-methods"), "POST");
  EXPECT_EQ(preflight.headers.at("access-control-allow-headers"), "Content-Type");
  EXPECT_EQ(preflight.headers.at("access-control-max-age"), "600");
  EXPECT_EQ(preflight.headers.at("vary"), "Origin");
  EXPECT_EQ(preflight.headers.count("access-control-allow-credentials"), 0u);
  EXPECT_EQ(tracking_.calls.load(), 0);

  const HttpResult track = Http(port(), "POST", "/v1/track", R"({"programId":"prg_1"})",
                                {{"Origin", kSite}, {"Content-Type", "application/json"}});
  EXPECT_EQ(track.status, 200) << track.body;
  EXPECT_NE(track.body.find(R"("cid":"clk_prg_1")"), std::string::npos) << track.body;
  EXPECT_EQ(track.headers.at("access-control-allow-origin"), kSite);
  EXPECT_EQ(track.headers.at("access-control-expose-headers"),
            "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After");
  EXPECT_EQ(tracking_.calls.load(), 1);

  const HttpResult head = Http(port(), "HEAD", "/v1/track?via=alice");
  EXPECT_EQ(head.status, 204);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(tracking_.calls.load(), 1);  // nothing tracked
}

}  // namespace
}  // namespace affonso::tests

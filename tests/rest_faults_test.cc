// The gateway's answers when the backend misbehaves, against a fake backend
// (no database): slow, rate-limited, failing with internals in its message.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "common/testing/status_matchers.h"
#include "gateway/rest_gateway.h"
#include "gtest/gtest.h"
#include "proto/affonso/v1/signups.grpc.pb.h"
#include "tests/http_client.h"

namespace affonso::tests {
namespace {

using affonso::v1::RecordSignupRequest;
using affonso::v1::RecordSignupResponse;

// Behaves by click id: "clk_slow" sleeps, "clk_limited" is rate limited,
// "clk_boom" fails with an internal message that must not leak.
class FakeSignups final : public affonso::v1::SignupService::Service {
  grpc::Status RecordSignup(grpc::ServerContext* context, const RecordSignupRequest* request,
                            RecordSignupResponse* response) override {
    context->AddInitialMetadata("x-ratelimit-limit", "600");
    context->AddInitialMetadata("x-ratelimit-remaining", "0");
    context->AddInitialMetadata("x-ratelimit-reset", "1767225600");
    if (request->click_id() == "clk_slow") {
      std::this_thread::sleep_for(std::chrono::milliseconds(800));
    }
    if (request->click_id() == "clk_limited") {
      context->AddTrailingMetadata("retry-after", "7");
      context->AddTrailingMetadata("x-error-code", "RATE_LIMIT_EXCEEDED");
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "rate limit exceeded");
    }
    if (request->click_id() == "clk_exhausted") {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "thread pool exhausted");
    }
    if (request->click_id() == "clk_huge") {
      // Over the gateway channel's 4 MiB receive limit: gRPC itself fails
      // the call with RESOURCE_EXHAUSTED.
      response->mutable_referral()->set_id(std::string(5 << 20, 'x'));
      return grpc::Status::OK;
    }
    if (request->click_id() == "clk_boom") {
      return grpc::Status(grpc::StatusCode::INTERNAL, "pqxx: relation \"secret\" does not exist");
    }
    response->mutable_referral()->set_id(request->click_id());
    return grpc::Status::OK;
  }
};

class RestFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    backend_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    gateway::RestGatewayConfig config;
    config.http.address = "127.0.0.1";
    config.http.port = 0;
    config.backend_deadline = absl::Milliseconds(300);
    auto rest = gateway::RestGateway::Start(
        config, grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                    grpc::InsecureChannelCredentials()));
    ASSERT_OK(rest);
    rest_ = *std::move(rest);
  }
  void TearDown() override {
    rest_->Shutdown(absl::Seconds(1));
    backend_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  HttpResult Signup(const std::string& click_id) {
    return Http(rest_->port(), "POST", "/v1/signups", R"({"click_id":")" + click_id + R"("})",
                {{"Content-Type", "application/json"}, {"Authorization", "Bearer sk_test_x"}});
  }

  FakeSignups service_;
  std::unique_ptr<grpc::Server> backend_;
  std::unique_ptr<gateway::RestGateway> rest_;
};

TEST_F(RestFaultsTest, RateLimitHeadersPassThrough) {
  HttpResult ok = Signup("clk_fine");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.headers["x-ratelimit-limit"], "600");
  EXPECT_EQ(ok.headers["x-ratelimit-remaining"], "0");
  EXPECT_EQ(ok.headers["x-ratelimit-reset"], "1767225600");
}

TEST_F(RestFaultsTest, RateLimitedIs429WithRetryAfter) {
  HttpResult limited = Signup("clk_limited");
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(limited.ErrorCode(), "RATE_LIMIT_EXCEEDED");
  EXPECT_EQ(limited.headers["retry-after"], "7");
  EXPECT_EQ(
      limited.json.fields().at("error").struct_value().fields().at("retryAfter").number_value(), 7);
}

// A 429 tells the SDK to wait and retry within its budget: only the rate
// limit may say it. Anything else exhausted is the service's, a 503.
TEST_F(RestFaultsTest, ResourceExhaustedOtherThanTheRateLimitIs503) {
  for (const char* click_id : {"clk_exhausted", "clk_huge"}) {
    HttpResult exhausted = Signup(click_id);
    EXPECT_EQ(exhausted.status, 503) << click_id << ": " << exhausted.body;
    EXPECT_EQ(exhausted.ErrorCode(), "SERVICE_UNAVAILABLE") << click_id;
    EXPECT_EQ(exhausted.headers.count("retry-after"), 0u) << click_id;
    EXPECT_EQ(exhausted.body.find("retryAfter"), std::string::npos) << click_id;
  }
}

TEST_F(RestFaultsTest, BackendDeadlineIs504) {
  HttpResult slow = Signup("clk_slow");
  EXPECT_EQ(slow.status, 504) << slow.body;
  EXPECT_EQ(slow.ErrorCode(), "GATEWAY_TIMEOUT");
}

TEST_F(RestFaultsTest, InternalErrorsNeverLeak) {
  HttpResult boom = Signup("clk_boom");
  EXPECT_EQ(boom.status, 500);
  EXPECT_EQ(boom.ErrorCode(), "INTERNAL_ERROR");
  EXPECT_EQ(boom.body.find("secret"), std::string::npos) << boom.body;
  EXPECT_EQ(boom.body.find("pqxx"), std::string::npos) << boom.body;
}

TEST_F(RestFaultsTest, ServerStillAnswersAfterFaults) {
  Signup("clk_slow");
  Signup("clk_boom");
  EXPECT_EQ(Signup("clk_fine").status, 200);
}

// This fake backend accepts any key: a request that cannot hold one is
// answered by the gateway, with the service's 401, before its body is read.
TEST_F(RestFaultsTest, RequestsWithoutAUsableKeyAre401BeforeTheBody) {
  const HttpResult missing =
      Http(rest_->port(), "POST", "/v1/signups", R"({"click_id":"clk_fine"})",
           {{"Content-Type", "application/json"}});
  EXPECT_EQ(missing.status, 401) << missing.body;
  EXPECT_EQ(missing.body, R"({"success":false,"error":{"code":"UNAUTHORIZED","message":)"
                          R"("missing API key: send Authorization: Bearer <key>",)"
                          R"("details":[{"reason":"MISSING_API_KEY"}]}})");
  for (const char* authorization :
       {"Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer key_1", "Bearer sk_live_\xff"}) {
    const HttpResult invalid =
        Http(rest_->port(), "POST", "/v1/signups", "{'click_id':[[[",
             {{"Content-Type", "application/json"}, {"Authorization", authorization}});
    EXPECT_EQ(invalid.status, 401) << authorization << ": " << invalid.body;
    EXPECT_EQ(invalid.ErrorCode(), "UNAUTHORIZED") << invalid.body;
    EXPECT_NE(invalid.body.find(R"("details":[{"reason":"INVALID_API_KEY_FORMAT"}])"),
              std::string::npos)
        << invalid.body;
  }
}

// The fake backend serves SignupService only: any other route reaches a
// method it does not implement.
TEST_F(RestFaultsTest, UnimplementedBackendMethodIs501) {
  HttpResult unimplemented =
      Http(rest_->port(), "GET", "/v1/webhooks", "", {{"Authorization", "Bearer sk_test_x"}});
  EXPECT_EQ(unimplemented.status, 501) << unimplemented.body;
  EXPECT_EQ(unimplemented.ErrorCode(), "NOT_IMPLEMENTED");
}

// A client that pipelines requests and never reads the answers cannot park
// them on the gateway: once a write makes no progress for the write timeout
// the connection is closed (it used to be held for the idle timeout, 60 s).
// No backend: /openapi.json (tens of KB) is answered by the gateway itself.
TEST(RestFaultsMemoryTest, ClientThatNeverReadsIsDisconnectedAfterTheWriteTimeout) {
  gateway::RestGatewayConfig config;
  config.http.address = "127.0.0.1";
  config.http.port = 0;
  config.http.write_timeout = absl::Milliseconds(300);
  auto rest = gateway::RestGateway::Start(
      config, grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()));
  ASSERT_OK(rest);
  const int port = (*rest)->port();

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  int small = 16 << 10;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  constexpr int kPipelined = 500;
  std::string requests;
  for (int i = 0; i < kPipelined; ++i) {
    requests += "GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  ASSERT_EQ(send(fd, requests.data(), requests.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(requests.size()));
  std::this_thread::sleep_for(std::chrono::seconds(1));  // reading nothing

  std::string received;
  char buffer[65536];
  ssize_t n;
  const auto start = std::chrono::steady_clock::now();
  while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) received.append(buffer, n);
  const bool timed_out = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  close(fd);
  int answered = 0;
  for (size_t at = received.find("HTTP/1.1 200"); at != std::string::npos;
       at = received.find("HTTP/1.1 200", at + 1)) {
    ++answered;
  }
  EXPECT_FALSE(timed_out) << "the connection was still open";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_GT(answered, 0);
  EXPECT_LT(answered, kPipelined);
  std::printf("non-reading client: %d of %d answers written before the close\n", answered,
              kPipelined);
  // Everyone else is still served.
  EXPECT_EQ(Http(port, "GET", "/healthz").status, 200);
  (*rest)->Shutdown(absl::Seconds(1));
}

}  // namespace
}  // namespace affonso::tests

#include "services/server/ops_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/strings/match.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

gateway::HttpResponse Get(OpsHandler& handler, const std::string& target,
                          const std::string& method = "GET") {
  gateway::HttpRequest request;
  request.method = method;
  request.target = target;
  gateway::HttpResponse response;
  bool answered = false;
  handler.Handle(request, [&](gateway::HttpResponse r) {
    response = std::move(r);
    answered = true;
  });
  EXPECT_TRUE(answered) << target;
  return response;
}

TEST(OpsHandlerTest, ServesTheRegistryInTheExpositionFormat) {
  metrics::Registry registry;
  registry.AddCounter("things_total", "Things.", {"kind"}).WithLabels({"a"}).Increment(2);
  OpsHandler handler(&registry, [] { return true; });
  gateway::HttpResponse response = Get(handler, "/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(response.body,
            "# HELP things_total Things.\n# TYPE things_total counter\n"
            "things_total{kind=\"a\"} 2\n");
  EXPECT_EQ(Get(handler, "/metrics?x=1").body, response.body);
}

TEST(OpsHandlerTest, ReadyFollowsTheServerAndHealthTheProcess) {
  metrics::Registry registry;
  std::atomic<bool> serving{true};
  OpsHandler handler(&registry, [&] { return serving.load(); });
  EXPECT_EQ(Get(handler, "/readyz").status, 200);
  EXPECT_EQ(Get(handler, "/healthz").status, 200);
  serving = false;  // shutdown began
  gateway::HttpResponse not_ready = Get(handler, "/readyz");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_NE(not_ready.body.find("SERVICE_UNAVAILABLE"), std::string::npos) << not_ready.body;
  EXPECT_EQ(Get(handler, "/healthz").status, 200);
}

TEST(OpsHandlerTest, OtherPathsAndMethodsAreRefused) {
  metrics::Registry registry;
  OpsHandler handler(&registry, [] { return true; });
  EXPECT_EQ(Get(handler, "/").status, 404);
  EXPECT_EQ(Get(handler, "/v1/signups").status, 404);
  gateway::HttpResponse post = Get(handler, "/metrics", "POST");
  EXPECT_EQ(post.status, 405);
  ASSERT_EQ(post.headers.size(), 1u);
  EXPECT_EQ(post.headers[0].second, "GET");
}

TEST(OpsServerTest, ServesOverHttpAndExportsTheStartTime) {
  metrics::Registry registry;
  ExportProcessStartTime(&registry);
  const double start = registry.AddGauge("process_start_time_seconds", "").WithLabels({}).Value();
  EXPECT_GT(start, absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()) - 3600);
  EXPECT_LE(start, absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  gateway::HttpServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  auto server = OpsServer::Start(options, &registry, [] { return true; });
  ASSERT_OK(server);
  EXPECT_GT((*server)->port(), 0);
  (*server)->Shutdown(absl::Seconds(1));
}

// Sends `request` to 127.0.0.1:`port` and reads until the server closes.
std::string Exchange(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    for (ssize_t n; (n = recv(fd, buffer, sizeof(buffer), 0)) > 0;) answer.append(buffer, n);
  }
  close(fd);
  return answer;
}

// What the HTTP server refuses by itself reads like the port's own errors.
TEST(OpsServerTest, TheServersOwnRefusalsAreInTheEnvelope) {
  metrics::Registry registry;
  gateway::HttpServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  auto server = OpsServer::Start(options, &registry, [] { return true; });
  ASSERT_OK(server);
  const std::string answer = Exchange((*server)->port(), "GARBAGE\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 400 ")) << answer;
  EXPECT_TRUE(absl::StrContains(answer, "Content-Type: application/json\r\n")) << answer;
  EXPECT_TRUE(absl::EndsWith(
      answer,
      "\r\n\r\n"
      R"({"success":false,"error":{"code":"VALIDATION_ERROR","message":"malformed HTTP request"}})"))
      << answer;
  (*server)->Shutdown(absl::Seconds(1));
}

}  // namespace
}  // namespace affonso::services

// /metrics end to end: the real server and REST gateway on PostgreSQL, the
// ops port over real HTTP, all on one registry as main.cc wires them. Its own
// binary, so the counters start at zero and exact values can be asserted.
#include "common/metrics.h"

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "services/server/ops_http.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

class MetricsTest : public RestTest {
 protected:
  void Configure(services::ServerConfig& config) override { config.metrics = &registry_; }
  void ConfigureRest(gateway::RestGatewayConfig& config) override { config.metrics = &registry_; }
  void SetUp() override {
    RestTest::SetUp();
    if (HasFatalFailure()) return;
    gateway::HttpServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    services::Server* server = server_.get();
    auto ops =
        services::OpsServer::Start(options, &registry_, [server] { return server->serving(); });
    ASSERT_OK(ops);
    ops_ = *std::move(ops);
  }
  void TearDown() override {
    RestTest::TearDown();
    if (ops_) ops_->Shutdown(absl::Seconds(1));
  }
  HttpResult Ops(const std::string& target) { return Http(ops_->port(), "GET", target); }

  // The one registry, served by the ops port (TearDown stops every user of it
  // before it goes).
  metrics::Registry registry_;
  std::unique_ptr<services::OpsServer> ops_;
};

// `line` (a whole sample line) is in the exposition.
::testing::AssertionResult HasLine(const std::string& text, const std::string& line) {
  if (text.find("\n" + line + "\n") != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no line \"" << line << "\" in\n" << text;
}

TEST_F(MetricsTest, ASignupShowsInTheCounters) {
  HttpResult click =
      Call("POST", "/v1/clicks",
           R"({"programId":")" + a_.program_id + R"(","trackingId":")" + a_.tracking_id + R"("})");
  ASSERT_EQ(click.status, 201) << click.body;
  const std::string signup =
      R"({"click_id":")" + click.DataString("id") + R"(","email":"lead@example.com"})";
  ASSERT_EQ(Call("POST", "/v1/signups", signup).status, 201);
  ASSERT_EQ(Call("POST", "/v1/signups", signup).status, 200);
  ASSERT_EQ(Call("POST", "/v1/signups", R"({"click_id":"clk_unknown","email":"a@b.co"})").status,
            404);
  ASSERT_EQ(Call("GET", "/v1/nowhere").status, 404);

  HttpResult scrape = Ops("/metrics");
  ASSERT_EQ(scrape.status, 200);
  EXPECT_EQ(scrape.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = scrape.body;
  EXPECT_TRUE(HasLine(text, R"(affonso_grpc_requests_total{method="RecordSignup",code="OK"} 2)"));
  EXPECT_TRUE(
      HasLine(text, R"(affonso_grpc_requests_total{method="RecordSignup",code="NOT_FOUND"} 1)"));
  EXPECT_TRUE(HasLine(
      text, R"(affonso_grpc_request_duration_seconds_count{method="RecordSignup",code="OK"} 2)"));
  EXPECT_TRUE(HasLine(text, R"(affonso_signups_total{outcome="created"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(affonso_signups_total{outcome="existing"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(affonso_signups_total{outcome="rejected"} 1)"));
  EXPECT_TRUE(
      HasLine(text, R"(affonso_http_requests_total{route="POST /v1/signups",status="201"} 1)"));
  EXPECT_TRUE(
      HasLine(text, R"(affonso_http_requests_total{route="POST /v1/signups",status="200"} 1)"));
  EXPECT_TRUE(
      HasLine(text, R"(affonso_http_requests_total{route="POST /v1/clicks",status="201"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(affonso_http_requests_total{route="unmatched",status="404"} 1)"));
  // The click was one batch of one; signups and pixel clicks are batched too.
  EXPECT_TRUE(HasLine(text, "affonso_click_batch_size_count 1"));
  EXPECT_TRUE(HasLine(text, "affonso_click_batch_size_sum 1"));
  // The pool (16 in the harness) and the dispatcher's backlog are there too.
  EXPECT_TRUE(HasLine(text, "affonso_db_pool_size 16"));
  EXPECT_NE(text.find("\naffonso_db_pool_wait_seconds_count "), std::string::npos);
  EXPECT_NE(text.find("\naffonso_webhook_outbox_pending{stage=\"fan_out\"} "), std::string::npos)
      << text;
  // Every family the server and gateway were handed the registry for is
  // served, with or without samples yet.
  for (const char* family :
       {"affonso_db_pool_acquire_timeouts_total counter",
        "affonso_db_connect_failures_total counter", "affonso_db_pool_connections_in_use gauge",
        "affonso_fraud_flags_total counter", "affonso_webhook_deliveries_total counter",
        "affonso_webhook_send_duration_seconds histogram",
        "affonso_webhook_first_attempt_lag_seconds histogram",
        "affonso_webhook_dispatcher_errors_total counter",
        "affonso_webhook_outbox_oldest_age_seconds gauge",
        "affonso_http_request_duration_seconds histogram", "affonso_click_batch_size histogram",
        "affonso_signup_batch_size histogram", "affonso_public_click_batch_size histogram"}) {
    EXPECT_TRUE(HasLine(text, absl::StrCat("# TYPE ", family)));
  }
}

TEST_F(MetricsTest, ReadyUntilShutdownBegins) {
  EXPECT_EQ(Ops("/healthz").status, 200);
  EXPECT_EQ(Ops("/readyz").status, 200);
  server_->StopServing();
  EXPECT_EQ(Ops("/readyz").status, 503);
  EXPECT_EQ(Call("GET", "/readyz").status, 503);  // the REST gateway agrees
  EXPECT_EQ(Ops("/healthz").status, 200);
}

}  // namespace
}  // namespace affonso::tests

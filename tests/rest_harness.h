#ifndef AFFONSO_TESTS_REST_HARNESS_H_
#define AFFONSO_TESTS_REST_HARNESS_H_

#include <memory>
#include <string>

#include "common/testing/status_matchers.h"
#include "gateway/rest_gateway.h"
#include "tests/http_client.h"
#include "tests/server_harness.h"

namespace affonso::tests {

// ServerTest plus the REST gateway in front of it, as `./dev run` serves
// them: real HTTP on a loopback port, the in-process channel behind.
class RestTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    gateway::RestGatewayConfig config;
    config.http.address = "127.0.0.1";
    config.http.port = 0;
    config.http.max_body_bytes = 64 << 10;
    config.refuse_before_body = [api = server_.get()](absl::string_view authorization,
                                                      absl::string_view client_address) {
      return api->RefuseWithoutLookup(authorization, client_address);
    };
    ConfigureRest(config);
    auto rest = gateway::RestGateway::Start(config, server_->InProcessChannel());
    ASSERT_OK(rest);
    rest_ = *std::move(rest);
  }
  // Tests that need other gateway limits override this.
  virtual void ConfigureRest(gateway::RestGatewayConfig& config) {}

  // REST first: a call into a shut-down in-process server must not happen.
  void TearDown() override {
    if (rest_) rest_->Shutdown(absl::Seconds(1));
    rest_.reset();
    ServerTest::TearDown();
  }

  // A JSON request as `as` (tenant A by default).
  HttpResult Call(const std::string& method, const std::string& target,
                  const std::string& body = "", const storage::testing::Tenant* as = nullptr) {
    const storage::testing::Tenant& tenant = as ? *as : a_;
    return Http(
        rest_->port(), method, target, body,
        {{"Authorization", "Bearer " + tenant.api_key}, {"Content-Type", "application/json"}});
  }

  std::unique_ptr<gateway::RestGateway> rest_;
};

}  // namespace affonso::tests

#endif  // AFFONSO_TESTS_REST_HARNESS_H_

#ifndef AFFONSO_TESTS_SERVER_HARNESS_H_
#define AFFONSO_TESTS_SERVER_HARNESS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "common/grpc_metadata.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/server/server.h"
#include "storage/testing/fixtures.h"
#include "storage/testing/test_database.h"

namespace affonso::tests {

// The real server on a loopback port over its own throwaway database, with
// two tenants, A and B, each with a key, a program and an approved affiliate.
class ServerTest : public storage::testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    services::ServerConfig config;
    config.database_url = db_->url();
    config.grpc_address = "127.0.0.1:0";
    config.db_pool_size = 16;
    // As every deployment must: without it no partner token is issued.
    config.partner_token_secret = "server-harness-partner-token-secret-0123456789";
    Configure(config);
    auto server = services::Server::Start(config);
    ASSERT_OK(server);
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
  }

  // Tests that need a setting changed override this.
  virtual void Configure(services::ServerConfig& config) {}

  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
    server_.reset();
  }

  // A context authenticated as `tenant`.
  static std::unique_ptr<grpc::ClientContext> As(const storage::testing::Tenant& tenant) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + tenant.api_key);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  static std::string Trailer(const grpc::ClientContext& context, const std::string& key) {
    return MetadataValue(context.GetServerTrailingMetadata(), key);
  }

  static std::string Header(const grpc::ClientContext& context, const std::string& key) {
    return MetadataValue(context.GetServerInitialMetadata(), key);
  }

  // Row counts of every business table, to show a rejected call changed nothing.
  std::string Counts() {
    return db_->QueryValue(
        "SELECT (SELECT count(*) FROM clicks) || '/' || (SELECT count(*) FROM referrals) || '/' "
        "|| (SELECT count(*) FROM affiliates) || '/' || (SELECT max(updated_at)::text FROM "
        "affiliates) || '/' || coalesce((SELECT max(updated_at)::text FROM referrals), '-')");
  }

  std::unique_ptr<services::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace affonso::tests

#endif  // AFFONSO_TESTS_SERVER_HARNESS_H_

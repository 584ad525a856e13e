#include <grpcpp/generic/generic_stub.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "common/testing/status_matchers.h"
#include "proto/affonso/v1/clicks.grpc.pb.h"
#include "proto/affonso/v1/signups.grpc.pb.h"
#include "tests/server_harness.h"

namespace affonso::tests {
namespace {

using ::affonso::matchers::StatusIs;
using affonso::v1::Click;
using affonso::v1::ClickService;
using affonso::v1::RecordSignupRequest;
using affonso::v1::RecordSignupResponse;
using affonso::v1::SignupService;
using affonso::v1::TrackClickRequest;

class SignupFlowTest : public ServerTest {
 protected:
  Click Track(const storage::testing::Tenant& tenant) {
    TrackClickRequest request;
    request.set_program_id(tenant.program_id);
    request.set_tracking_id(tenant.tracking_id);
    request.set_utm_source("newsletter");
    Click click;
    auto context = As(tenant);
    grpc::Status status =
        ClickService::NewStub(channel_)->TrackClick(context.get(), request, &click);
    EXPECT_OK(status);
    EXPECT_EQ(Header(*context, "x-http-code"), "201");
    return click;
  }
};

TEST_F(SignupFlowTest, TrackConvertAndConvertAgain) {
  Click click = Track(a_);
  ASSERT_FALSE(click.id().empty());
  auto stub = SignupService::NewStub(channel_);
  RecordSignupRequest request;
  request.set_click_id(click.id());
  request.set_email("lead@example.com");
  request.set_name("Lee");

  RecordSignupResponse first;
  auto context = As(a_);
  ASSERT_OK(stub->RecordSignup(context.get(), request, &first));
  EXPECT_TRUE(first.created());
  EXPECT_EQ(Header(*context, "x-http-code"), "201");
  EXPECT_EQ(first.referral().id(), click.id());
  EXPECT_EQ(first.referral().affiliate_id(), a_.affiliate_id);
  EXPECT_EQ(first.referral().status(), affonso::v1::REFERRAL_STATUS_LEAD);

  RecordSignupResponse second;
  context = As(a_);
  request.set_email("someone-else@example.com");
  ASSERT_OK(stub->RecordSignup(context.get(), request, &second));
  EXPECT_FALSE(second.created());
  EXPECT_EQ(Header(*context, "x-http-code"), "200");
  EXPECT_EQ(second.referral().SerializeAsString(), first.referral().SerializeAsString());
}

TEST_F(SignupFlowTest, FortyEightRacingCallsMakeOneReferral) {
  Click click = Track(a_);
  constexpr int kCallers = 48;
  std::vector<RecordSignupResponse> responses(kCallers);
  std::vector<grpc::Status> statuses(kCallers);
  std::atomic<int> ready{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      auto stub = SignupService::NewStub(grpc::CreateChannel(
          "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
      RecordSignupRequest request;
      request.set_click_id(click.id());
      request.set_email("caller" + std::to_string(i) + "@example.com");
      auto context = As(a_);
      ++ready;
      while (ready.load() < kCallers) std::this_thread::yield();
      statuses[i] = stub->RecordSignup(context.get(), request, &responses[i]);
    });
  }
  for (auto& caller : callers) caller.join();

  int created = 0;
  std::string winner_email;
  for (int i = 0; i < kCallers; ++i) {
    ASSERT_OK(statuses[i]) << i << ": " << statuses[i].error_message();
    if (responses[i].created()) {
      ++created;
      winner_email = "caller" + std::to_string(i) + "@example.com";
    }
  }
  ASSERT_EQ(created, 1);
  for (const auto& response : responses) {
    EXPECT_EQ(response.referral().id(), click.id());
    EXPECT_EQ(response.referral().email(), winner_email);
  }
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM referrals"), "1");
  EXPECT_EQ(db_->QueryValue("SELECT email FROM referrals"), winner_email);
}

// grpc.health.v1.Health/Check answered SERVING, probed with a raw call so the
// test needs no health stubs: the reply {status: SERVING} encodes as 08 01.
TEST_F(SignupFlowTest, HealthCheckReportsServing) {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext context;
  grpc::Slice empty_request("");  // HealthCheckRequest{} encodes as no bytes
  grpc::ByteBuffer request(&empty_request, 1), response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                    &response, [&](grpc::Status status) { done.set_value(status); });
  grpc::Status status = done.get_future().get();
  ASSERT_OK(status);
  std::vector<grpc::Slice> slices;
  ASSERT_OK(response.Dump(&slices));
  std::string bytes;
  for (const auto& slice : slices)
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
}

TEST_F(SignupFlowTest, RevokedKeyIsRejected) {
  storage::testing::Tenant revoked = a_;
  db_->QueryValue("UPDATE api_keys SET revoked_at = now() WHERE team_id = '" + a_.team_id + "'");
  RecordSignupRequest request;
  request.set_click_id("clk_x");
  request.set_email("a@example.com");
  RecordSignupResponse response;
  auto context = As(revoked);
  EXPECT_THAT(SignupService::NewStub(channel_)->RecordSignup(context.get(), request, &response),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(Trailer(*context, "x-error-code"), "INVALID_API_KEY");
}

}  // namespace
}  // namespace affonso::tests

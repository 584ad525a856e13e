#include "services/api/signup_service.h"

#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::StatusIs;
using affonso::v1::RecordSignupRequest;
using affonso::v1::RecordSignupResponse;

class FakeSignupStore : public storage::SignupStore {
 public:
  void ConvertClickAsync(std::string team_id, const RecordSignupRequest* request,
                         storage::ConversionCallback done) override {
    ++calls;
    last_team = team_id;
    if (request->click_id() != "clk_known") return done(NotFoundError("click"));
    storage::Conversion conversion;
    conversion.referral.set_id(request->click_id());
    conversion.referral.set_email(request->email());
    conversion.created = !converted;
    converted = true;
    done(conversion);
  }
  int calls = 0;
  bool converted = false;
  std::string last_team;
};

RecordSignupRequest Signup(std::string click_id, std::string email,
                           std::string external_user_id = "") {
  RecordSignupRequest request;
  request.set_click_id(std::move(click_id));
  request.set_email(std::move(email));
  request.set_external_user_id(std::move(external_user_id));
  return request;
}

TEST(ValidateRecordSignupTest, FollowsTheSeed) {
  EXPECT_OK(ValidateRecordSignup(Signup("clk_1", "a@example.com")));
  EXPECT_OK(ValidateRecordSignup(Signup("clk_1", "", "user-42")));
  EXPECT_EQ(ApiErrorField(ValidateRecordSignup(Signup("", "a@example.com"))), "click_id");
  EXPECT_EQ(ApiErrorField(ValidateRecordSignup(Signup("clk_1", ""))), "email");
  EXPECT_EQ(ApiErrorField(ValidateRecordSignup(Signup("clk_1", "not-an-email"))), "email");
  RecordSignupRequest long_name = Signup("clk_1", "a@example.com");
  long_name.set_name(std::string(256, 'n'));
  EXPECT_EQ(ApiErrorField(ValidateRecordSignup(long_name)), "name");
  long_name.set_name(std::string(255, 'n'));
  EXPECT_OK(ValidateRecordSignup(long_name));
  EXPECT_EQ(ApiErrorField(ValidateRecordSignup(Signup("clk_1", "", std::string(256, 'u')))),
            "external_user_id");
}

class SignupServiceTest : public ::testing::Test {
 protected:
  grpc::Status Call(const RecordSignupRequest& request, RecordSignupResponse* response,
                    const std::string& authorization = testing::kGoodAuthorization) {
    context_ = testing::ContextWithAuth(authorization);
    return stub_->RecordSignup(context_.get(), request, response);
  }
  std::string Trailer(const std::string& key) {
    return testing::ServerMetadata(*context_, key, /*trailing=*/true);
  }
  std::string Header(const std::string& key) { return testing::ServerMetadata(*context_, key); }

  uint64_t Signups(const char* outcome) {
    return registry_.AddCounter("affonso_signups_total", "", {"outcome"})
        .WithLabels({outcome})
        .Value();
  }

  testing::FakeAuthenticator authenticator_;
  FakeSignupStore store_;
  metrics::Registry registry_;
  ConversionMetrics conversion_metrics_{&registry_};
  SignupServiceImpl service_{&authenticator_, &store_, &conversion_metrics_};
  testing::InProcessServer server_{{&service_}};
  std::unique_ptr<affonso::v1::SignupService::Stub> stub_ =
      affonso::v1::SignupService::NewStub(server_.channel());
  std::unique_ptr<grpc::ClientContext> context_;
};

TEST_F(SignupServiceTest, FirstCallIs201AndRepeatIs200WithTheSameReferral) {
  RecordSignupResponse first, second;
  ASSERT_OK(Call(Signup("clk_known", "a@example.com"), &first));
  EXPECT_TRUE(first.created());
  EXPECT_EQ(Header("x-http-code"), "201");
  EXPECT_EQ(store_.last_team, "team_a");
  ASSERT_OK(Call(Signup("clk_known", "a@example.com"), &second));
  EXPECT_FALSE(second.created());
  EXPECT_EQ(Header("x-http-code"), "200");
  EXPECT_EQ(second.referral().id(), first.referral().id());
}

TEST_F(SignupServiceTest, MissingAndInvalidKeysNeverReachTheStore) {
  RecordSignupResponse response;
  grpc::Status status = Call(Signup("clk_known", "a@example.com"), &response, "");
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(Trailer("x-error-code"), "MISSING_API_KEY");
  status = Call(Signup("clk_known", "a@example.com"), &response, "Bearer sk_wrong");
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(Trailer("x-error-code"), "INVALID_API_KEY");
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(SignupServiceTest, InvalidInputIsRejectedBeforeTheStoreWithItsField) {
  RecordSignupResponse response;
  grpc::Status status = Call(Signup("clk_known", "bad email"), &response);
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer("x-error-code"), "VALIDATION_ERROR");
  EXPECT_EQ(Trailer("x-error-field"), "email");
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(SignupServiceTest, UnknownOrMalformedClickIsNotFound) {
  RecordSignupResponse response;
  EXPECT_THAT(Call(Signup("clk_other", "a@example.com"), &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(Trailer("x-error-code"), "NOT_FOUND");
  EXPECT_EQ(store_.calls, 1);
  EXPECT_THAT(Call(Signup("ref_x' OR 1=1", "a@example.com"), &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(store_.calls, 1);
}

TEST_F(SignupServiceTest, CountsEachAnswerByOutcome) {
  RecordSignupResponse response;
  ASSERT_OK(Call(Signup("clk_known", "a@example.com"), &response));
  ASSERT_OK(Call(Signup("clk_known", "a@example.com"), &response));
  EXPECT_THAT(Call(Signup("clk_other", "a@example.com"), &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));  // not found
  EXPECT_THAT(Call(Signup("clk_known", "bad email"), &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(Call(Signup("clk_known", "a@example.com"), &response, ""),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(Signups("created"), 1u);
  EXPECT_EQ(Signups("existing"), 1u);
  EXPECT_EQ(Signups("rejected"), 3u);
  EXPECT_EQ(Signups("failed"), 0u);
}

TEST_F(SignupServiceTest, RequestIdIsEchoedOrGenerated) {
  RecordSignupResponse response;
  context_ = testing::ContextWithAuth();
  context_->AddMetadata("x-request-id", "req-from-client");
  ASSERT_OK(stub_->RecordSignup(context_.get(), Signup("clk_known", "a@example.com"), &response));
  EXPECT_EQ(Header("x-request-id"), "req-from-client");
  ASSERT_OK(Call(Signup("clk_known", "a@example.com"), &response));
  EXPECT_FALSE(Header("x-request-id").empty());
}

}  // namespace
}  // namespace affonso::services

#include "services/api/referral_service.h"

#include <string>

#include "common/api_error.h"
#include "common/metrics.h"
#include "gtest/gtest.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using affonso::v1::CreateReferralRequest;
using affonso::v1::GetReferralRequest;
using affonso::v1::ListReferralsRequest;
using affonso::v1::ListReferralsResponse;
using affonso::v1::Referral;
using affonso::v1::UpdateReferralRequest;

class FakeReferralStore : public storage::ReferralStore {
 public:
  absl::StatusOr<Referral> CreateReferral(absl::string_view team_id,
                                          const CreateReferralRequest& request) override {
    Record(team_id);
    Referral referral;
    referral.set_id("ref_new");
    referral.set_email(request.email());
    return referral;
  }
  absl::StatusOr<Referral> GetReferral(absl::string_view team_id,
                                       absl::string_view referral_id) override {
    Record(team_id);
    if (referral_id != "ref_known") return NotFoundError("referral");
    Referral referral;
    referral.set_id("ref_known");
    return referral;
  }
  absl::StatusOr<Referral> UpdateReferral(absl::string_view team_id,
                                          const UpdateReferralRequest& request) override {
    Record(team_id);
    Referral referral;
    referral.set_id(request.id());
    return referral;
  }
  absl::StatusOr<ListReferralsResponse> ListReferrals(absl::string_view team_id,
                                                      const ListReferralsRequest&) override {
    Record(team_id);
    return ListReferralsResponse();
  }

  int calls = 0;
  std::string last_team;

 private:
  void Record(absl::string_view team_id) {
    ++calls;
    last_team = std::string(team_id);
  }
};

// A plain ServerContext carries no client metadata, so the handlers are
// exercised past authentication with an authenticator that admits anyone.
class AdmitAllAuthenticator : public Authenticator {
 public:
  absl::StatusOr<Caller> Authenticate(absl::string_view) const override {
    return Caller{"team_a", "key_a"};
  }
};

CreateReferralRequest ValidCreate() {
  CreateReferralRequest request;
  request.set_affiliate_id("aff_1");
  request.set_email("a@example.com");
  return request;
}

TEST(ValidateCreateReferralTest, EachRuleNamesItsField) {
  EXPECT_TRUE(ValidateCreateReferral(ValidCreate()).ok());

  CreateReferralRequest request = ValidCreate();
  request.clear_affiliate_id();
  EXPECT_EQ(ApiErrorField(ValidateCreateReferral(request)), "affiliate_id");
  EXPECT_EQ(ApiErrorCode(ValidateCreateReferral(request)), "VALIDATION_ERROR");

  request = ValidCreate();
  request.clear_email();
  EXPECT_EQ(ApiErrorField(ValidateCreateReferral(request)), "email");
  request.set_email("not-an-email");
  EXPECT_EQ(ApiErrorField(ValidateCreateReferral(request)), "email");
  request.set_email(std::string(250, 'a') + "@example.com");  // > 254
  EXPECT_EQ(ApiErrorField(ValidateCreateReferral(request)), "email");

  for (const char* field : {"name", "customer_id", "subscription_id", "external_user_id"}) {
    request = ValidCreate();
    const auto* descriptor = request.GetDescriptor()->FindFieldByName(field);
    ASSERT_NE(descriptor, nullptr) << field;
    request.GetReflection()->SetString(&request, descriptor, std::string(255, 'x'));
    EXPECT_TRUE(ValidateCreateReferral(request).ok()) << field;
    request.GetReflection()->SetString(&request, descriptor, std::string(256, 'x'));
    EXPECT_EQ(ApiErrorField(ValidateCreateReferral(request)), field);
  }

  request = ValidCreate();
  request.set_status(static_cast<affonso::v1::ReferralStatus>(99));
  EXPECT_EQ(ApiErrorField(ValidateCreateReferral(request)), "status");
  request.set_status(affonso::v1::REFERRAL_STATUS_UNSPECIFIED);  // = lead
  EXPECT_TRUE(ValidateCreateReferral(request).ok());

  request = ValidCreate();
  request.mutable_created_at()->set_nanos(-1);
  EXPECT_EQ(ApiErrorField(ValidateCreateReferral(request)), "created_at");
}

TEST(ValidateUpdateReferralTest, OnlyPresentFieldsAreChecked) {
  UpdateReferralRequest request;
  request.set_id("ref_1");
  EXPECT_TRUE(ValidateUpdateReferral(request).ok());

  request.set_email("");
  EXPECT_EQ(ApiErrorField(ValidateUpdateReferral(request)), "email");
  request.set_email("bad@");
  EXPECT_EQ(ApiErrorField(ValidateUpdateReferral(request)), "email");
  request.set_email("good@example.com");
  EXPECT_TRUE(ValidateUpdateReferral(request).ok());

  request.set_status(affonso::v1::REFERRAL_STATUS_UNSPECIFIED);
  EXPECT_EQ(ApiErrorField(ValidateUpdateReferral(request)), "status");
  request.set_status(static_cast<affonso::v1::ReferralStatus>(42));
  EXPECT_EQ(ApiErrorField(ValidateUpdateReferral(request)), "status");
  request.set_status(affonso::v1::REFERRAL_STATUS_ACTIVE);
  EXPECT_TRUE(ValidateUpdateReferral(request).ok());

  request.set_name(std::string(256, 'n'));
  EXPECT_EQ(ApiErrorField(ValidateUpdateReferral(request)), "name");
  request.set_name("");  // clears
  request.set_customer_id(std::string(256, 'c'));
  EXPECT_EQ(ApiErrorField(ValidateUpdateReferral(request)), "customer_id");
  request.clear_customer_id();
  request.set_subscription_id(std::string(256, 's'));
  EXPECT_EQ(ApiErrorField(ValidateUpdateReferral(request)), "subscription_id");
}

TEST(ValidateListReferralsTest, LimitCursorsAndEnums) {
  ListReferralsRequest request;
  EXPECT_TRUE(ValidateListReferrals(request).ok());  // limit 0 = default
  for (int limit : {1, 100}) {
    request.set_limit(limit);
    EXPECT_TRUE(ValidateListReferrals(request).ok()) << limit;
  }
  for (int limit : {-1, 101}) {
    request.set_limit(limit);
    EXPECT_EQ(ApiErrorField(ValidateListReferrals(request)), "limit") << limit;
  }

  request = ListReferralsRequest();
  request.set_starting_after("ref_a");
  request.set_ending_before("clk_b");
  EXPECT_EQ(ApiErrorCode(ValidateListReferrals(request)), "VALIDATION_ERROR");
  request.clear_ending_before();
  EXPECT_TRUE(ValidateListReferrals(request).ok());
  request.set_starting_after("aff_1");
  EXPECT_EQ(ApiErrorField(ValidateListReferrals(request)), "starting_after");
  request.clear_starting_after();
  request.set_ending_before("nonsense");
  EXPECT_EQ(ApiErrorField(ValidateListReferrals(request)), "ending_before");

  request = ListReferralsRequest();
  request.set_status(static_cast<affonso::v1::ReferralStatus>(7));
  EXPECT_EQ(ApiErrorField(ValidateListReferrals(request)), "status");
  request = ListReferralsRequest();
  request.set_order(static_cast<affonso::v1::ListOrder>(3));
  EXPECT_EQ(ApiErrorField(ValidateListReferrals(request)), "order");
  request = ListReferralsRequest();
  request.mutable_created_gte()->set_seconds(-62135596801);
  EXPECT_EQ(ApiErrorField(ValidateListReferrals(request)), "created_gte");
  request = ListReferralsRequest();
  request.mutable_created_lte()->set_nanos(1000000000);
  EXPECT_EQ(ApiErrorField(ValidateListReferrals(request)), "created_lte");
}

TEST(LooksLikeReferralIdTest, DirectAndClickIds) {
  EXPECT_TRUE(LooksLikeReferralId("ref_abc123"));
  EXPECT_TRUE(LooksLikeReferralId("clk_abc123"));
  EXPECT_FALSE(LooksLikeReferralId("aff_abc123"));
  EXPECT_FALSE(LooksLikeReferralId("ref_"));
  EXPECT_FALSE(LooksLikeReferralId("ref_../etc"));
  EXPECT_FALSE(LooksLikeReferralId(""));
}

class ReferralServiceTest : public ::testing::Test {
 protected:
  AdmitAllAuthenticator authenticator_;
  FakeReferralStore store_;
  metrics::Registry registry_;
  ConversionMetrics conversion_metrics_{&registry_};
  ReferralServiceImpl service_{&authenticator_, &store_, &conversion_metrics_};
  grpc::ServerContext context_;
};

TEST_F(ReferralServiceTest, CreateReachesTheStoreWithTheCallersTeam) {
  CreateReferralRequest request = ValidCreate();
  Referral response;
  grpc::Status status = service_.CreateReferral(&context_, &request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.id(), "ref_new");
  EXPECT_EQ(store_.last_team, "team_a");
}

TEST_F(ReferralServiceTest, InvalidCreateNeverReachesTheStore) {
  CreateReferralRequest request = ValidCreate();
  request.set_email("nope");
  Referral response;
  EXPECT_EQ(service_.CreateReferral(&context_, &request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(ReferralServiceTest, ForeignLookingIdsAreNotFoundWithoutAQuery) {
  Referral response;
  CreateReferralRequest bad_affiliate = ValidCreate();
  bad_affiliate.set_affiliate_id("prg_1");
  EXPECT_EQ(service_.CreateReferral(&context_, &bad_affiliate, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  CreateReferralRequest bad_click = ValidCreate();
  bad_click.set_click_id("ref_1");
  EXPECT_EQ(service_.CreateReferral(&context_, &bad_click, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);

  GetReferralRequest get;
  get.set_id("aff_1");
  EXPECT_EQ(service_.GetReferral(&context_, &get, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  UpdateReferralRequest update;
  update.set_id("x' OR 1=1");
  EXPECT_EQ(service_.UpdateReferral(&context_, &update, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(ReferralServiceTest, GetAndUpdateAcceptClickIds) {
  Referral response;
  GetReferralRequest get;
  get.set_id("ref_known");
  EXPECT_TRUE(service_.GetReferral(&context_, &get, &response).ok());
  get.set_id("clk_unknown");
  EXPECT_EQ(service_.GetReferral(&context_, &get, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  UpdateReferralRequest update;
  update.set_id("clk_1");
  update.set_status(affonso::v1::REFERRAL_STATUS_CUSTOMER);
  EXPECT_TRUE(service_.UpdateReferral(&context_, &update, &response).ok());
  EXPECT_EQ(store_.calls, 3);
}

TEST_F(ReferralServiceTest, ListValidatesBeforeTheStore) {
  ListReferralsRequest request;
  request.set_limit(500);
  ListReferralsResponse response;
  EXPECT_EQ(service_.ListReferrals(&context_, &request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(store_.calls, 0);
  request.set_limit(0);
  EXPECT_TRUE(service_.ListReferrals(&context_, &request, &response).ok());
  EXPECT_EQ(store_.calls, 1);
}

TEST(ReferralServiceAuthTest, UnauthenticatedCallNeverReachesTheStore) {
  testing::FakeAuthenticator authenticator;
  FakeReferralStore store;
  metrics::Registry registry;
  ConversionMetrics conversion_metrics(&registry);
  ReferralServiceImpl service(&authenticator, &store, &conversion_metrics);
  grpc::ServerContext context;
  GetReferralRequest request;
  request.set_id("ref_known");
  Referral response;
  EXPECT_EQ(service.GetReferral(&context, &request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(store.calls, 0);
}

}  // namespace
}  // namespace affonso::services

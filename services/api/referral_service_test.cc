#include "services/api/referral_service.h"

#include <string>
#include <vector>

#include "common/api_error.h"
#include "common/metrics.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/testing/fake_affiliate_store.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::StatusIs;
using affonso::v1::CreateReferralRequest;
using affonso::v1::DeleteReferralRequest;
using affonso::v1::DeleteReferralResponse;
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
    return list_response;
  }
  absl::Status DeleteReferral(absl::string_view team_id, absl::string_view referral_id) override {
    Record(team_id);
    if (referral_id != "ref_known") return NotFoundError("referral");
    deleted.emplace_back(referral_id);
    return absl::OkStatus();
  }
  absl::StatusOr<affonso::v1::ReferralStats> GetReferralStats(absl::string_view team_id,
                                                              absl::string_view) override {
    Record(team_id);
    affonso::v1::ReferralStats stats;
    stats.set_total_revenue(99.9);
    stats.set_total_orders(2);
    return stats;
  }

  int calls = 0;
  std::string last_team;
  ListReferralsResponse list_response;
  std::vector<std::string> deleted;

 private:
  void Record(absl::string_view team_id) {
    ++calls;
    last_team = std::string(team_id);
  }
};

CreateReferralRequest ValidCreate() {
  CreateReferralRequest request;
  request.set_affiliate_id("aff_1");
  request.set_email("a@example.com");
  return request;
}

TEST(ValidateCreateReferralTest, EachRuleNamesItsField) {
  EXPECT_OK(ValidateCreateReferral(ValidCreate()));

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
    EXPECT_OK(ValidateCreateReferral(request)) << field;
    request.GetReflection()->SetString(&request, descriptor, std::string(256, 'x'));
    EXPECT_EQ(ApiErrorField(ValidateCreateReferral(request)), field);
  }

  request = ValidCreate();
  request.set_status(static_cast<affonso::v1::ReferralStatus>(99));
  EXPECT_EQ(ApiErrorField(ValidateCreateReferral(request)), "status");
  request.set_status(affonso::v1::REFERRAL_STATUS_UNSPECIFIED);  // = lead
  EXPECT_OK(ValidateCreateReferral(request));

  request = ValidCreate();
  request.mutable_created_at()->set_nanos(-1);
  EXPECT_EQ(ApiErrorField(ValidateCreateReferral(request)), "created_at");
}

// The metadata a referral may carry is bounded, so a page of 100 stays far
// below gRPC's 4 MiB.
TEST(ValidateReferralMetadataTest, CreateAndUpdateRefuseOversizedMetadata) {
  CreateReferralRequest request = ValidCreate();
  (*request.mutable_metadata()->mutable_fields())["note"].set_string_value(
      std::string(kMaxReferralMetadataBytes - 100, 'm'));
  EXPECT_OK(ValidateCreateReferral(request));
  (*request.mutable_metadata()->mutable_fields())["more"].set_string_value(std::string(200, 'm'));
  EXPECT_EQ(ApiErrorField(ValidateCreateReferral(request)), "metadata");
  EXPECT_EQ(ApiErrorCode(ValidateCreateReferral(request)), "VALIDATION_ERROR");

  UpdateReferralRequest update;
  update.set_id("ref_1");
  *update.mutable_metadata() = request.metadata();
  EXPECT_EQ(ApiErrorField(ValidateUpdateReferral(update)), "metadata");
  update.mutable_metadata()->mutable_fields()->erase("more");
  EXPECT_OK(ValidateUpdateReferral(update));

  // Even 100 referrals at the limit, each with 5 text fields of 255
  // four-byte characters, are under half of the 4 MiB: the rest is room for
  // expanded affiliates.
  constexpr size_t kTextFields = 5 * 255 * 4;
  EXPECT_LT(100 * (kMaxReferralMetadataBytes + kTextFields), 2u * 1024 * 1024);
}

TEST(ParseReferralExpansionsTest, KnownNamesRepeatedOrCommaSeparated) {
  google::protobuf::RepeatedPtrField<std::string> expand;
  google::protobuf::RepeatedPtrField<std::string> include;
  auto none = ParseReferralExpansions(expand, include);
  ASSERT_OK(none);
  EXPECT_FALSE(none->affiliate);
  EXPECT_FALSE(none->stats);

  expand.Add("affiliate");
  include.Add("stats");
  auto both = ParseReferralExpansions(expand, include);
  ASSERT_OK(both);
  EXPECT_TRUE(both->affiliate);
  EXPECT_TRUE(both->stats);

  expand.Clear();
  expand.Add("affiliate, affiliate");
  EXPECT_OK(ParseReferralExpansions(expand, include));
  expand.Add("stats");  // an include, not an expansion
  EXPECT_EQ(ApiErrorField(ParseReferralExpansions(expand, include).status()), "expand");
  expand.Clear();
  include.Clear();
  include.Add("stats,affiliate");
  EXPECT_EQ(ApiErrorField(ParseReferralExpansions(expand, include).status()), "include");
}

TEST(ValidateUpdateReferralTest, OnlyPresentFieldsAreChecked) {
  UpdateReferralRequest request;
  request.set_id("ref_1");
  EXPECT_OK(ValidateUpdateReferral(request));

  request.set_email("");
  EXPECT_EQ(ApiErrorField(ValidateUpdateReferral(request)), "email");
  request.set_email("bad@");
  EXPECT_EQ(ApiErrorField(ValidateUpdateReferral(request)), "email");
  request.set_email("good@example.com");
  EXPECT_OK(ValidateUpdateReferral(request));

  request.set_status(affonso::v1::REFERRAL_STATUS_UNSPECIFIED);
  EXPECT_EQ(ApiErrorField(ValidateUpdateReferral(request)), "status");
  request.set_status(static_cast<affonso::v1::ReferralStatus>(42));
  EXPECT_EQ(ApiErrorField(ValidateUpdateReferral(request)), "status");
  request.set_status(affonso::v1::REFERRAL_STATUS_ACTIVE);
  EXPECT_OK(ValidateUpdateReferral(request));

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
  EXPECT_OK(ValidateListReferrals(request));  // limit 0 = default
  for (int limit : {1, 100}) {
    request.set_limit(limit);
    EXPECT_OK(ValidateListReferrals(request)) << limit;
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
  EXPECT_OK(ValidateListReferrals(request));
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
  request = ListReferralsRequest();
  request.set_external_user_id(std::string(256, 'u'));
  EXPECT_EQ(ApiErrorField(ValidateListReferrals(request)), "external_user_id");
  request = ListReferralsRequest();
  request.add_expand("stats");
  EXPECT_EQ(ApiErrorField(ValidateListReferrals(request)), "expand");
}

TEST(LooksLikeReferralIdTest, DirectAndClickIds) {
  EXPECT_TRUE(LooksLikeReferralId("ref_abc123"));
  EXPECT_TRUE(LooksLikeReferralId("clk_abc123"));
  EXPECT_FALSE(LooksLikeReferralId("aff_abc123"));
  EXPECT_FALSE(LooksLikeReferralId("ref_"));
  EXPECT_FALSE(LooksLikeReferralId("ref_../etc"));
  EXPECT_FALSE(LooksLikeReferralId(""));
}

using Stub = affonso::v1::ReferralService::Stub;

class ReferralServiceTest : public ::testing::Test {
 protected:
  // One call through the server on a fresh client context.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response,
                    const std::string& authorization = testing::kGoodAuthorization) {
    context_ = testing::ContextWithAuth(authorization);
    return (stub_.get()->*method)(context_.get(), request, response);
  }

  testing::FakeAuthenticator authenticator_;
  FakeReferralStore store_;
  testing::FakeAffiliateStore affiliates_;
  metrics::Registry registry_;
  ConversionMetrics conversion_metrics_{&registry_};
  ReferralServiceImpl service_{&authenticator_, &store_, &affiliates_, &conversion_metrics_};
  testing::InProcessServer server_{{&service_}};
  std::unique_ptr<Stub> stub_ = affonso::v1::ReferralService::NewStub(server_.channel());
  std::unique_ptr<grpc::ClientContext> context_;
};

TEST_F(ReferralServiceTest, CreateReachesTheStoreWithTheCallersTeam) {
  CreateReferralRequest request = ValidCreate();
  Referral response;
  grpc::Status status = Call(&Stub::CreateReferral, request, &response);
  ASSERT_OK(status);
  EXPECT_EQ(response.id(), "ref_new");
  EXPECT_EQ(store_.last_team, "team_a");
}

TEST_F(ReferralServiceTest, InvalidCreateNeverReachesTheStore) {
  CreateReferralRequest request = ValidCreate();
  request.set_email("nope");
  Referral response;
  EXPECT_THAT(Call(&Stub::CreateReferral, request, &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(ReferralServiceTest, ForeignLookingIdsAreNotFoundWithoutAQuery) {
  Referral response;
  CreateReferralRequest bad_affiliate = ValidCreate();
  bad_affiliate.set_affiliate_id("prg_1");
  EXPECT_THAT(Call(&Stub::CreateReferral, bad_affiliate, &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  CreateReferralRequest bad_click = ValidCreate();
  bad_click.set_click_id("ref_1");
  EXPECT_THAT(Call(&Stub::CreateReferral, bad_click, &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));

  GetReferralRequest get;
  get.set_id("aff_1");
  EXPECT_THAT(Call(&Stub::GetReferral, get, &response), StatusIs(grpc::StatusCode::NOT_FOUND));
  UpdateReferralRequest update;
  update.set_id("x' OR 1=1");
  EXPECT_THAT(Call(&Stub::UpdateReferral, update, &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(ReferralServiceTest, GetAndUpdateAcceptClickIds) {
  Referral response;
  GetReferralRequest get;
  get.set_id("ref_known");
  EXPECT_OK(Call(&Stub::GetReferral, get, &response));
  get.set_id("clk_unknown");
  EXPECT_THAT(Call(&Stub::GetReferral, get, &response), StatusIs(grpc::StatusCode::NOT_FOUND));
  UpdateReferralRequest update;
  update.set_id("clk_1");
  update.set_status(affonso::v1::REFERRAL_STATUS_CUSTOMER);
  EXPECT_OK(Call(&Stub::UpdateReferral, update, &response));
  EXPECT_EQ(store_.calls, 3);
}

TEST_F(ReferralServiceTest, ListValidatesBeforeTheStore) {
  ListReferralsRequest request;
  request.set_limit(500);
  ListReferralsResponse response;
  EXPECT_THAT(Call(&Stub::ListReferrals, request, &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(store_.calls, 0);
  request.set_limit(0);
  EXPECT_OK(Call(&Stub::ListReferrals, request, &response));
  EXPECT_EQ(store_.calls, 1);
}

TEST_F(ReferralServiceTest, UnauthenticatedCallNeverReachesTheStore) {
  GetReferralRequest request;
  request.set_id("ref_known");
  Referral response;
  EXPECT_THAT(Call(&Stub::GetReferral, request, &response, /*authorization=*/""),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(store_.calls, 0);
}

TEST_F(ReferralServiceTest, GetAddsTheAffiliateAndStatsOnlyWhenAsked) {
  affonso::v1::Affiliate affiliate;
  affiliate.set_id("aff_1");
  affiliate.set_name("Ann");
  affiliates_.affiliates["aff_1"] = affiliate;

  GetReferralRequest get;
  get.set_id("ref_known");
  Referral plain;
  ASSERT_OK(Call(&Stub::GetReferral, get, &plain));
  EXPECT_FALSE(plain.has_affiliate());
  EXPECT_FALSE(plain.has_stats());
  EXPECT_EQ(affiliates_.gets, 0);

  get.add_include("stats");
  Referral with_stats;
  ASSERT_OK(Call(&Stub::GetReferral, get, &with_stats));
  ASSERT_TRUE(with_stats.has_stats());
  EXPECT_EQ(with_stats.stats().total_revenue(), 99.9);
  EXPECT_EQ(with_stats.stats().total_orders(), 2);
  EXPECT_FALSE(with_stats.has_affiliate());

  get.add_expand("bogus");
  EXPECT_THAT(Call(&Stub::GetReferral, get, &with_stats),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
}

TEST_F(ReferralServiceTest, ListExpandsEachAffiliateOnceAndSkipsDeletedOnes) {
  affonso::v1::Affiliate affiliate;
  affiliate.set_id("aff_1");
  // The store fills payout details whenever some are stored.
  affiliate.mutable_payout_method()->set_type("paypal");
  affiliates_.affiliates["aff_1"] = affiliate;
  for (const char* affiliate_id : {"aff_1", "aff_1", "aff_gone"}) {
    store_.list_response.add_data()->set_affiliate_id(affiliate_id);
  }
  ListReferralsRequest request;
  ListReferralsResponse response;
  ASSERT_OK(Call(&Stub::ListReferrals, request, &response));
  EXPECT_FALSE(response.data(0).has_affiliate());
  EXPECT_EQ(affiliates_.gets, 0);

  request.add_expand("affiliate");
  ASSERT_OK(Call(&Stub::ListReferrals, request, &response));
  ASSERT_EQ(response.data_size(), 3);
  EXPECT_EQ(response.data(0).affiliate().id(), "aff_1");
  EXPECT_FALSE(response.data(0).affiliate().has_payout_method())
      << "a read:referrals key never sees an affiliate's payout details";
  EXPECT_EQ(response.data(1).affiliate().id(), "aff_1");
  EXPECT_FALSE(response.data(2).has_affiliate());
  EXPECT_EQ(affiliates_.gets, 2);  // one per distinct affiliate
}

TEST_F(ReferralServiceTest, DeleteAnswersTheMessage) {
  DeleteReferralRequest request;
  request.set_id("ref_known");
  DeleteReferralResponse response;
  ASSERT_OK(Call(&Stub::DeleteReferral, request, &response));
  EXPECT_EQ(response.id(), "ref_known");
  EXPECT_TRUE(response.deleted());
  EXPECT_EQ(response.message(), "referral deleted");
  EXPECT_EQ(store_.deleted, std::vector<std::string>{"ref_known"});

  request.set_id("ref_other");
  EXPECT_THAT(Call(&Stub::DeleteReferral, request, &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  const int calls = store_.calls;
  request.set_id("aff_1");  // never a referral id: no query
  EXPECT_THAT(Call(&Stub::DeleteReferral, request, &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(store_.calls, calls);
}

TEST(ReferralShapeTest, NullableFieldsHavePresence) {
  // The SDK's `T | null` fields: unset renders null, set renders the value
  // even when it is "".
  const auto* descriptor = Referral::descriptor();
  for (const char* field :
       {"email", "customer_id", "subscription_id", "external_user_id", "name", "converted_at"}) {
    ASSERT_NE(descriptor->FindFieldByName(field), nullptr) << field;
    EXPECT_TRUE(descriptor->FindFieldByName(field)->has_presence()) << field;
  }
  Referral referral;
  EXPECT_FALSE(referral.has_email());
  referral.set_email("");
  EXPECT_TRUE(referral.has_email());
}

}  // namespace
}  // namespace affonso::services

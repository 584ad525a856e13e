#include "services/api/commission_service.h"

#include <string>
#include <vector>

#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::StatusIs;
using affonso::v1::Commission;
using affonso::v1::ListCommissionsRequest;
using affonso::v1::ListCommissionsResponse;

// Knows one commission, com_known; records what reached it.
class FakeCommissionStore : public storage::CommissionStore {
 public:
  absl::StatusOr<storage::CommissionPage> ListCommissions(
      absl::string_view team_id, const storage::CommissionListQuery& query) override {
    calls.push_back("list");
    last_team = std::string(team_id);
    last_query = query;
    storage::CommissionPage page;
    page.total = 12;
    page.commissions.resize(2);
    page.commissions[0].set_id("com_1");
    page.commissions[1].set_id("com_2");
    return page;
  }
  absl::StatusOr<Commission> GetCommission(absl::string_view team_id,
                                           absl::string_view id) override {
    calls.push_back("get");
    last_team = std::string(team_id);
    if (id != "com_known") return NotFoundError("commission");
    Commission commission;
    commission.set_id("com_known");
    commission.set_commission_amount(12.5);
    return commission;
  }

  std::vector<std::string> calls;
  std::string last_team;
  storage::CommissionListQuery last_query;
};

// The field a validation failure names, or "ok".
std::string FieldAtFault(const absl::StatusOr<storage::CommissionListQuery>& parsed) {
  if (parsed.ok()) return "ok";
  EXPECT_EQ(ApiErrorCode(parsed.status()), "VALIDATION_ERROR") << parsed.status();
  return ApiErrorField(parsed.status());
}

TEST(ParseListCommissionsTest, AppliesDefaultsAndKeepsFilters) {
  auto defaults = ParseListCommissions(ListCommissionsRequest());
  ASSERT_OK(defaults);
  EXPECT_EQ(defaults->page, 1);
  EXPECT_EQ(defaults->limit, 10);
  EXPECT_EQ(defaults->status, affonso::v1::COMMISSION_STATUS_UNSPECIFIED);
  EXPECT_TRUE(defaults->affiliate_id.empty());

  ListCommissionsRequest request;
  request.set_page(3);
  request.set_limit(100);
  request.set_affiliate_id("aff_1");
  request.set_referral_id("clk_1");
  request.set_status(affonso::v1::COMMISSION_STATUS_PAID);
  auto query = ParseListCommissions(request);
  ASSERT_OK(query);
  EXPECT_EQ(query->page, 3);
  EXPECT_EQ(query->limit, 100);
  EXPECT_EQ(query->affiliate_id, "aff_1");
  EXPECT_EQ(query->referral_id, "clk_1");
  EXPECT_EQ(query->status, affonso::v1::COMMISSION_STATUS_PAID);
}

TEST(ParseListCommissionsTest, EachRuleNamesItsField) {
  ListCommissionsRequest request;
  request.set_page(-1);
  EXPECT_EQ(FieldAtFault(ParseListCommissions(request)), "page");
  request = ListCommissionsRequest();
  request.set_limit(101);
  EXPECT_EQ(FieldAtFault(ParseListCommissions(request)), "limit");
  request.set_limit(-1);
  EXPECT_EQ(FieldAtFault(ParseListCommissions(request)), "limit");
  request = ListCommissionsRequest();
  request.set_status(affonso::v1::COMMISSION_STATUS_UNSPECIFIED);  // present
  EXPECT_EQ(FieldAtFault(ParseListCommissions(request)), "status");
  request.set_status(static_cast<affonso::v1::CommissionStatus>(99));
  EXPECT_EQ(FieldAtFault(ParseListCommissions(request)), "status");
  request = ListCommissionsRequest();
  request.set_affiliate_id(std::string(256, 'a'));
  EXPECT_EQ(FieldAtFault(ParseListCommissions(request)), "affiliate_id");
  request = ListCommissionsRequest();
  request.set_referral_id(std::string(256, 'r'));
  EXPECT_EQ(FieldAtFault(ParseListCommissions(request)), "referral_id");
}

class CommissionServiceTest : public ::testing::Test {
 protected:
  grpc::Status List(const ListCommissionsRequest& request, ListCommissionsResponse* response,
                    const std::string& authorization = testing::kGoodAuthorization) {
    context_ = testing::ContextWithAuth(authorization);
    return stub_->ListCommissions(context_.get(), request, response);
  }
  grpc::Status Get(const std::string& id, Commission* response) {
    context_ = testing::ContextWithAuth();
    affonso::v1::GetCommissionRequest request;
    request.set_id(id);
    return stub_->GetCommission(context_.get(), request, response);
  }
  std::string Trailer(const std::string& key) {
    return testing::ServerMetadata(*context_, key, /*trailing=*/true);
  }

  testing::FakeAuthenticator authenticator_;
  FakeCommissionStore store_;
  CommissionServiceImpl service_{&authenticator_, &store_};
  testing::InProcessServer server_{{&service_}};
  std::unique_ptr<affonso::v1::CommissionService::Stub> stub_ =
      affonso::v1::CommissionService::NewStub(server_.channel());
  std::unique_ptr<grpc::ClientContext> context_;
};

TEST_F(CommissionServiceTest, ListAnswersThePageWithPagination) {
  ListCommissionsRequest request;
  request.set_page(2);
  request.set_limit(5);
  request.set_status(affonso::v1::COMMISSION_STATUS_PENDING);
  ListCommissionsResponse response;
  grpc::Status status = List(request, &response);
  ASSERT_OK(status);
  EXPECT_EQ(store_.last_team, "team_a");
  EXPECT_EQ(store_.last_query.page, 2);
  EXPECT_EQ(store_.last_query.limit, 5);
  EXPECT_EQ(store_.last_query.status, affonso::v1::COMMISSION_STATUS_PENDING);
  ASSERT_EQ(response.data_size(), 2);
  EXPECT_EQ(response.data(1).id(), "com_2");
  EXPECT_EQ(response.pagination().page(), 2);
  EXPECT_EQ(response.pagination().limit(), 5);
  EXPECT_EQ(response.pagination().total(), 12);
  EXPECT_EQ(response.pagination().total_pages(), 3);
  EXPECT_TRUE(response.pagination().has_next_page());
  EXPECT_TRUE(response.pagination().has_prev_page());
}

TEST_F(CommissionServiceTest, InvalidListInputNeverReachesTheStore) {
  ListCommissionsRequest request;
  request.set_status(affonso::v1::COMMISSION_STATUS_UNSPECIFIED);
  ListCommissionsResponse response;
  EXPECT_THAT(List(request, &response), StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer("x-error-code"), "VALIDATION_ERROR");
  EXPECT_EQ(Trailer("x-error-field"), "status");
  EXPECT_TRUE(store_.calls.empty());
}

TEST_F(CommissionServiceTest, FilterOnAnIdWeNeverIssuedIsAnEmptyPageWithoutAQuery) {
  ListCommissionsRequest request;
  request.set_affiliate_id("x' OR 1=1");
  ListCommissionsResponse response;
  ASSERT_OK(List(request, &response));
  EXPECT_EQ(response.data_size(), 0);
  EXPECT_EQ(response.pagination().total(), 0);
  request.clear_affiliate_id();
  request.set_referral_id("aff_1");
  ASSERT_OK(List(request, &response));
  EXPECT_TRUE(store_.calls.empty());
  // Both kinds of referral id pass.
  request.set_referral_id("ref_1");
  ASSERT_OK(List(request, &response));
  request.set_referral_id("clk_1");
  ASSERT_OK(List(request, &response));
  EXPECT_EQ(store_.calls.size(), 2u);
}

TEST_F(CommissionServiceTest, GetFindsKnownAndAnswers404Otherwise) {
  Commission commission;
  ASSERT_OK(Get("com_known", &commission));
  EXPECT_EQ(commission.commission_amount(), 12.5);
  EXPECT_EQ(store_.last_team, "team_a");
  EXPECT_THAT(Get("com_other", &commission), StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(Trailer("x-error-code"), "NOT_FOUND");
  EXPECT_THAT(Get("ref_known", &commission), StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(store_.calls, (std::vector<std::string>{"get", "get"}));
}

TEST_F(CommissionServiceTest, MissingOrInvalidKeyNeverReachesTheStore) {
  ListCommissionsResponse response;
  EXPECT_THAT(List(ListCommissionsRequest(), &response, ""),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(Trailer("x-error-code"), "MISSING_API_KEY");
  EXPECT_THAT(List(ListCommissionsRequest(), &response, "Bearer sk_wrong"),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(Trailer("x-error-code"), "INVALID_API_KEY");
  EXPECT_TRUE(store_.calls.empty());
}

}  // namespace
}  // namespace affonso::services

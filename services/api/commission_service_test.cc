#include "services/api/commission_service.h"

#include <string>
#include <vector>

#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/testing/fake_affiliate_store.h"
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
    commission.set_affiliate_id("aff_1");
    commission.set_referral_id("ref_1");
    commission.mutable_affiliate_program()->set_id("prg_1");
    return commission;
  }
  absl::StatusOr<storage::CreatedCommission> CreateCommission(
      absl::string_view team_id, const storage::CommissionInput& input) override {
    calls.push_back("create");
    last_team = std::string(team_id);
    last_input = input;
    storage::CreatedCommission created;
    created.commission.set_id("com_new");
    created.commission.mutable_affiliate_program()->set_id("prg_1");
    created.created = input.payment_intent_id != "pi_seen";
    return created;
  }
  absl::StatusOr<Commission> UpdateCommission(absl::string_view team_id,
                                              const storage::CommissionChange& change) override {
    calls.push_back("update");
    last_change = change;
    Commission commission;
    commission.set_id(change.id);
    return commission;
  }
  absl::Status DeleteCommission(absl::string_view team_id, absl::string_view id) override {
    calls.push_back("delete");
    if (id != "com_known") return NotFoundError("commission");
    return absl::OkStatus();
  }

  std::vector<std::string> calls;
  std::string last_team;
  storage::CommissionListQuery last_query;
  storage::CommissionInput last_input;
  storage::CommissionChange last_change;
};

// Knows ref_1 only (expand=referral).
class FakeReferralStore : public storage::ReferralStore {
 public:
  absl::StatusOr<affonso::v1::Referral> GetReferral(absl::string_view,
                                                    absl::string_view id) override {
    ++gets;
    if (id != "ref_1") return NotFoundError("referral");
    affonso::v1::Referral referral;
    referral.set_id("ref_1");
    return referral;
  }
  absl::StatusOr<affonso::v1::Referral> CreateReferral(
      absl::string_view, const affonso::v1::CreateReferralRequest&) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<affonso::v1::Referral> UpdateReferral(
      absl::string_view, const affonso::v1::UpdateReferralRequest&) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<affonso::v1::ListReferralsResponse> ListReferrals(
      absl::string_view, const affonso::v1::ListReferralsRequest&) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status DeleteReferral(absl::string_view, absl::string_view) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<affonso::v1::ReferralStats> GetReferralStats(absl::string_view,
                                                              absl::string_view) override {
    return absl::UnimplementedError("fake");
  }
  int gets = 0;
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
  request = ListCommissionsRequest();
  request.set_sales_status(affonso::v1::SALES_STATUS_UNSPECIFIED);  // present
  EXPECT_EQ(FieldAtFault(ParseListCommissions(request)), "sales_status");
  request = ListCommissionsRequest();
  request.set_date_from("yesterday");
  EXPECT_EQ(FieldAtFault(ParseListCommissions(request)), "dateFrom");
  request = ListCommissionsRequest();
  request.set_date_to("2024-13-01");
  EXPECT_EQ(FieldAtFault(ParseListCommissions(request)), "dateTo");
  request = ListCommissionsRequest();
  request.set_sort("amount");
  EXPECT_EQ(FieldAtFault(ParseListCommissions(request)), "sort");
  request = ListCommissionsRequest();
  request.add_expand("program");
  EXPECT_EQ(FieldAtFault(ParseListCommissions(request)), "expand");
}

TEST(ParseListCommissionsTest, DatesSortAndSalesStatus) {
  ListCommissionsRequest request;
  auto defaults = ParseListCommissions(request);
  ASSERT_OK(defaults);
  EXPECT_EQ(defaults->sort, "created_at:desc");
  EXPECT_EQ(defaults->created_from_us, "");
  EXPECT_EQ(defaults->created_to_us, "");

  request.set_date_from("2024-01-02");
  request.set_date_to("2024-01-02");
  request.set_sales_status(affonso::v1::SALES_STATUS_REFUNDED);
  auto day = ParseListCommissions(request);
  ASSERT_OK(day);
  // The whole UTC day, both ends inclusive.
  EXPECT_EQ(day->created_from_us, "1704153600000000");
  EXPECT_EQ(day->created_to_us, "1704239999999999");
  EXPECT_EQ(day->sales_status, affonso::v1::SALES_STATUS_REFUNDED);

  request.set_date_from("2024-01-02T10:00:00Z");
  request.set_date_to("2024-01-02T12:00:00.5+02:00");
  auto times = ParseListCommissions(request);
  ASSERT_OK(times);
  EXPECT_EQ(times->created_from_us, "1704189600000000");
  EXPECT_EQ(times->created_to_us, "1704189600500000");

  for (const auto& [sort, key] : std::vector<std::pair<std::string, std::string>>{
           {"created_at", "created_at:desc"},
           {"created_at:asc", "created_at:asc"},
           {"-updated_at", "updated_at:desc"},
           {"sale_amount:asc", "sale_amount:asc"},
           {"commission_amount:desc", "commission_amount:desc"}}) {
    request.set_sort(sort);
    auto parsed = ParseListCommissions(request);
    ASSERT_OK(parsed) << sort;
    EXPECT_EQ(parsed->sort, key);
  }
}

affonso::v1::CreateCommissionRequest ValidCreate() {
  affonso::v1::CreateCommissionRequest request;
  request.set_referral_id("ref_1");
  request.set_sale_amount(100);
  request.set_commission_amount(19.99);
  return request;
}

std::string CreateFieldAtFault(const affonso::v1::CreateCommissionRequest& request) {
  auto parsed = ParseCreateCommission(request);
  if (parsed.ok()) return "ok";
  EXPECT_EQ(ApiErrorCode(parsed.status()), "VALIDATION_ERROR") << parsed.status();
  return ApiErrorField(parsed.status());
}

TEST(ParseCreateCommissionTest, DefaultsAndExactAmounts) {
  auto input = ParseCreateCommission(ValidCreate());
  ASSERT_OK(input);
  EXPECT_EQ(input->sale_amount, "100.00");
  EXPECT_EQ(input->commission_amount, "19.99");
  EXPECT_EQ(input->commission_currency, "USD");
  EXPECT_EQ(input->sale_amount_currency, "USD");
  EXPECT_EQ(input->status, affonso::v1::COMMISSION_STATUS_PENDING);
  EXPECT_EQ(input->sales_status, affonso::v1::SALES_STATUS_COMPLETE);
  EXPECT_EQ(input->hold_period_days, 0);
  EXPECT_EQ(input->payment_intent_id, "");
  EXPECT_EQ(input->created_at_us, "");

  affonso::v1::CreateCommissionRequest request = ValidCreate();
  request.set_sale_amount_currency("eur");
  request.set_status(affonso::v1::COMMISSION_STATUS_READY_FOR_PAYMENT);
  request.set_sales_status(affonso::v1::SALES_STATUS_OPEN);
  request.set_payment_intent_id("pi_1");
  request.set_hold_period_days(30);
  request.mutable_created_at()->set_seconds(1704153600);
  input = ParseCreateCommission(request);
  ASSERT_OK(input);
  // The commission takes the sale's currency.
  EXPECT_EQ(input->sale_amount_currency, "EUR");
  EXPECT_EQ(input->commission_currency, "EUR");
  EXPECT_EQ(input->status, affonso::v1::COMMISSION_STATUS_READY_FOR_PAYMENT);
  EXPECT_EQ(input->sales_status, affonso::v1::SALES_STATUS_OPEN);
  EXPECT_EQ(input->payment_intent_id, "pi_1");
  EXPECT_EQ(input->hold_period_days, 30);
  EXPECT_EQ(input->created_at_us, "1704153600000000");
}

TEST(ParseCreateCommissionTest, EachRuleNamesItsField) {
  EXPECT_EQ(CreateFieldAtFault(ValidCreate()), "ok");
  affonso::v1::CreateCommissionRequest request = ValidCreate();
  request.clear_referral_id();
  EXPECT_EQ(CreateFieldAtFault(request), "referral_id");
  request = ValidCreate();
  request.clear_sale_amount();
  EXPECT_EQ(CreateFieldAtFault(request), "sale_amount");
  request = ValidCreate();
  request.clear_commission_amount();
  EXPECT_EQ(CreateFieldAtFault(request), "commission_amount");
  request = ValidCreate();
  request.set_commission_amount(-1);
  EXPECT_EQ(CreateFieldAtFault(request), "commission_amount");
  request = ValidCreate();
  request.set_sale_amount(10.005);  // would be rounded
  EXPECT_EQ(CreateFieldAtFault(request), "sale_amount");
  request = ValidCreate();
  request.set_sale_amount(1e13);
  EXPECT_EQ(CreateFieldAtFault(request), "sale_amount");
  request = ValidCreate();
  request.set_commission_currency("US");
  EXPECT_EQ(CreateFieldAtFault(request), "commission_currency");
  request = ValidCreate();
  request.set_sale_amount_currency("U$D");
  EXPECT_EQ(CreateFieldAtFault(request), "sale_amount_currency");
  request = ValidCreate();
  request.set_status(static_cast<affonso::v1::CommissionStatus>(42));
  EXPECT_EQ(CreateFieldAtFault(request), "status");
  request = ValidCreate();
  request.set_sales_status(static_cast<affonso::v1::SalesStatus>(42));
  EXPECT_EQ(CreateFieldAtFault(request), "sales_status");
  request = ValidCreate();
  request.set_payment_intent_id(std::string(256, 'p'));
  EXPECT_EQ(CreateFieldAtFault(request), "payment_intent_id");
  request = ValidCreate();
  request.set_hold_period_days(-1);
  EXPECT_EQ(CreateFieldAtFault(request), "hold_period_days");
  request = ValidCreate();
  request.mutable_created_at()->set_nanos(-1);
  EXPECT_EQ(CreateFieldAtFault(request), "created_at");
}

TEST(ParseUpdateCommissionTest, OnlyPresentFieldsChange) {
  affonso::v1::UpdateCommissionRequest request;
  request.set_id("com_1");
  auto change = ParseUpdateCommission(request);
  ASSERT_OK(change);
  EXPECT_FALSE(change->status.has_value());
  EXPECT_FALSE(change->sale_amount.has_value());

  request.set_status(affonso::v1::COMMISSION_STATUS_PAID);
  request.set_commission_amount(0.1);
  request.set_commission_currency("gbp");
  request.set_hold_period_days(0);
  change = ParseUpdateCommission(request);
  ASSERT_OK(change);
  EXPECT_EQ(change->status, affonso::v1::COMMISSION_STATUS_PAID);
  EXPECT_EQ(change->commission_amount, "0.10");
  EXPECT_EQ(change->commission_currency, "GBP");
  EXPECT_EQ(change->hold_period_days, 0);

  request.set_status(affonso::v1::COMMISSION_STATUS_UNSPECIFIED);
  EXPECT_EQ(ApiErrorField(ParseUpdateCommission(request).status()), "status");
  request.clear_status();
  request.set_sale_amount(0.001);
  EXPECT_EQ(ApiErrorField(ParseUpdateCommission(request).status()), "sale_amount");
}

TEST(CommissionShapeTest, NullableFieldsHavePresence) {
  const auto* descriptor = Commission::descriptor();
  for (const char* field : {"affiliate_id", "program_id", "commission_currency", "hold_period_days",
                            "payment_intent_id", "invoice_id", "earning_id", "earning_type"}) {
    ASSERT_NE(descriptor->FindFieldByName(field), nullptr) << field;
    EXPECT_TRUE(descriptor->FindFieldByName(field)->has_presence()) << field;
  }
  for (const char* field : {"sale_amount", "sale_amount_currency", "commission_amount", "status",
                            "sales_status", "referral_id"}) {
    ASSERT_NE(descriptor->FindFieldByName(field), nullptr) << field;
    EXPECT_FALSE(descriptor->FindFieldByName(field)->has_presence()) << field;
  }
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
  FakeReferralStore referrals_;
  testing::FakeAffiliateStore affiliates_;
  CommissionServiceImpl service_{&authenticator_, &store_, &referrals_, &affiliates_};
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

TEST_F(CommissionServiceTest, GetExpandsOnlyWhatIsAsked) {
  affonso::v1::Affiliate affiliate;
  affiliate.set_id("aff_1");
  // The store fills payout details whenever some are stored.
  affiliate.mutable_payout_method()->set_type("paypal");
  affiliates_.affiliates["aff_1"] = affiliate;
  Commission plain;
  ASSERT_OK(Get("com_known", &plain));
  EXPECT_FALSE(plain.has_affiliate());
  EXPECT_FALSE(plain.has_referral());
  EXPECT_FALSE(plain.has_affiliate_program());

  context_ = testing::ContextWithAuth();
  affonso::v1::GetCommissionRequest request;
  request.set_id("com_known");
  request.add_expand("affiliate,referral");
  request.add_expand("affiliate_program");
  Commission expanded;
  ASSERT_OK(stub_->GetCommission(context_.get(), request, &expanded));
  EXPECT_EQ(expanded.affiliate().id(), "aff_1");
  EXPECT_FALSE(expanded.affiliate().has_payout_method())
      << "a read:commissions key never sees an affiliate's payout details";
  EXPECT_EQ(expanded.referral().id(), "ref_1");
  EXPECT_EQ(expanded.affiliate_program().id(), "prg_1");

  context_ = testing::ContextWithAuth();
  request.add_expand("payouts");
  EXPECT_THAT(stub_->GetCommission(context_.get(), request, &expanded),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer("x-error-field"), "expand");
}

TEST_F(CommissionServiceTest, CreateAnswers201OrTheFirstCommissionWith200) {
  context_ = testing::ContextWithAuth();
  affonso::v1::CreateCommissionRequest request = ValidCreate();
  Commission created;
  ASSERT_OK(stub_->CreateCommission(context_.get(), request, &created));
  EXPECT_EQ(created.id(), "com_new");
  EXPECT_FALSE(created.has_affiliate_program());
  EXPECT_EQ(store_.last_input.commission_amount, "19.99");
  EXPECT_EQ(store_.last_team, "team_a");
  EXPECT_EQ(testing::ServerMetadata(*context_, "x-http-code"), "201");

  context_ = testing::ContextWithAuth();
  request.set_payment_intent_id("pi_seen");
  ASSERT_OK(stub_->CreateCommission(context_.get(), request, &created));
  EXPECT_EQ(testing::ServerMetadata(*context_, "x-http-code"), "200");

  context_ = testing::ContextWithAuth();
  request.set_referral_id("aff_1");  // not a referral id: no query
  EXPECT_THAT(stub_->CreateCommission(context_.get(), request, &created),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(store_.calls, (std::vector<std::string>{"create", "create"}));
}

TEST_F(CommissionServiceTest, UpdateAndDeleteReachTheStore) {
  context_ = testing::ContextWithAuth();
  affonso::v1::UpdateCommissionRequest update;
  update.set_id("com_known");
  update.set_status(affonso::v1::COMMISSION_STATUS_READY_FOR_PAYMENT);
  Commission updated;
  ASSERT_OK(stub_->UpdateCommission(context_.get(), update, &updated));
  EXPECT_EQ(store_.last_change.status, affonso::v1::COMMISSION_STATUS_READY_FOR_PAYMENT);

  context_ = testing::ContextWithAuth();
  affonso::v1::DeleteCommissionRequest remove;
  remove.set_id("com_known");
  affonso::v1::DeleteCommissionResponse removed;
  ASSERT_OK(stub_->DeleteCommission(context_.get(), remove, &removed));
  EXPECT_TRUE(removed.deleted());
  EXPECT_EQ(removed.id(), "com_known");
  EXPECT_EQ(removed.message(), "commission deleted");

  context_ = testing::ContextWithAuth();
  remove.set_id("ref_1");
  EXPECT_THAT(stub_->DeleteCommission(context_.get(), remove, &removed),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(store_.calls, (std::vector<std::string>{"update", "delete"}));
}

}  // namespace
}  // namespace affonso::services

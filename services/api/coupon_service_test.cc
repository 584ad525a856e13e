#include "services/api/coupon_service.h"

#include <string>
#include <vector>

#include "common/api_error.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/testing/fake_affiliate_store.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;
using affonso::v1::Coupon;
using affonso::v1::CreateCouponRequest;
using affonso::v1::ListCouponsRequest;
using affonso::v1::ListCouponsResponse;

// Knows one coupon, cpn_known (of aff_1); records what reached it.
class FakeCouponStore : public storage::CouponStore {
 public:
  absl::StatusOr<Coupon> CreateCoupon(absl::string_view team_id,
                                      const storage::CouponInput& input) override {
    calls.push_back("create");
    last_team = std::string(team_id);
    last_input = input;
    Coupon coupon;
    coupon.set_id("cpn_new");
    coupon.set_affiliate_id(input.affiliate_id);
    coupon.set_code(input.code);
    return coupon;
  }
  absl::StatusOr<Coupon> GetCoupon(absl::string_view team_id, absl::string_view id) override {
    calls.push_back("get");
    last_team = std::string(team_id);
    if (id != "cpn_known") return NotFoundError("coupon");
    return Known();
  }
  absl::StatusOr<storage::CouponPage> ListCoupons(absl::string_view team_id,
                                                  const storage::CouponListQuery& query) override {
    calls.push_back("list");
    last_team = std::string(team_id);
    last_query = query;
    storage::CouponPage page;
    page.total = 21;
    page.coupons = {Known(), Known(), Known()};
    page.coupons[1].set_affiliate_id("aff_gone");
    return page;
  }
  absl::Status DeleteCoupon(absl::string_view team_id, absl::string_view id) override {
    calls.push_back("delete");
    if (id != "cpn_known") return NotFoundError("coupon");
    return absl::OkStatus();
  }
  absl::StatusOr<Coupon> FindByCode(absl::string_view, absl::string_view,
                                    absl::string_view) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<std::map<std::string, std::vector<Coupon>>> ListForAffiliates(
      absl::string_view, const std::vector<std::string>&) override {
    return absl::UnimplementedError("fake");
  }

  static Coupon Known() {
    Coupon coupon;
    coupon.set_id("cpn_known");
    coupon.set_affiliate_id("aff_1");
    coupon.set_code("SAVE10");
    return coupon;
  }

  std::vector<std::string> calls;
  std::string last_team;
  storage::CouponInput last_input;
  storage::CouponListQuery last_query;
};

CreateCouponRequest ValidCreate() {
  CreateCouponRequest request;
  request.set_affiliate_id("aff_1");
  request.set_code("SAVE-10_x");
  request.set_discount_type(affonso::v1::DISCOUNT_TYPE_PERCENTAGE);
  request.set_discount_value(10);
  request.set_duration(affonso::v1::COUPON_DURATION_FOREVER);
  return request;
}

TEST(CouponCodeTest, LettersDigitsUnderscoreAndDashUpTo64) {
  EXPECT_TRUE(IsValidCouponCode("a"));
  EXPECT_TRUE(IsValidCouponCode("Summer_2024-VIP"));
  EXPECT_TRUE(IsValidCouponCode(std::string(64, 'Z')));
  EXPECT_FALSE(IsValidCouponCode(""));
  EXPECT_FALSE(IsValidCouponCode(std::string(65, 'Z')));
  for (const char* bad :
       {"has space", "semi;colon", "quote'", "percent%", "dot.", "ümlaut", "slash/", "tab\t"}) {
    EXPECT_FALSE(IsValidCouponCode(bad)) << bad;
  }
}

TEST(ParseCreateCouponTest, ResolvesDefaultsAndKeepsTheInput) {
  ASSERT_OK_AND_ASSIGN(storage::CouponInput input, ParseCreateCoupon(ValidCreate()));
  EXPECT_EQ(input.affiliate_id, "aff_1");
  EXPECT_EQ(input.code, "SAVE-10_x");  // case kept
  EXPECT_EQ(input.discount_type, affonso::v1::DISCOUNT_TYPE_PERCENTAGE);
  EXPECT_EQ(input.discount_value.cents(), 1000);
  EXPECT_EQ(input.currency, "");  // a percentage needs none
  EXPECT_FALSE(input.duration_in_months.has_value());

  CreateCouponRequest fixed = ValidCreate();
  fixed.set_discount_type(affonso::v1::DISCOUNT_TYPE_FIXED);
  fixed.set_discount_value(19.99);
  fixed.set_duration(affonso::v1::COUPON_DURATION_REPEATING);
  fixed.set_duration_in_months(12);
  fixed.add_product_ids("p1");
  fixed.add_product_ids("p2");
  fixed.add_product_ids("p1");
  ASSERT_OK_AND_ASSIGN(storage::CouponInput resolved, ParseCreateCoupon(fixed));
  EXPECT_EQ(resolved.discount_value.cents(), 1999);
  EXPECT_EQ(resolved.currency, "USD");
  EXPECT_EQ(resolved.duration_in_months, 12);
  EXPECT_EQ(resolved.product_ids, (std::vector<std::string>{"p1", "p2"}));
  fixed.set_currency("eur");
  ASSERT_OK_AND_ASSIGN(resolved, ParseCreateCoupon(fixed));
  EXPECT_EQ(resolved.currency, "EUR");
  // A percentage of exactly 100 and a zero discount (a tracking-only code).
  CreateCouponRequest full = ValidCreate();
  full.set_discount_value(100);
  EXPECT_OK(ParseCreateCoupon(full));
  full.set_discount_value(0);
  EXPECT_OK(ParseCreateCoupon(full));
}

TEST(ParseCreateCouponTest, EachRuleNamesItsField) {
  struct Case {
    const char* name;
    void (*mutate)(CreateCouponRequest*);
    const char* field;
  };
  const Case cases[] = {
      {"no affiliate", [](CreateCouponRequest* r) { r->clear_affiliate_id(); }, "affiliate_id"},
      {"no code", [](CreateCouponRequest* r) { r->clear_code(); }, "code"},
      {"code with space", [](CreateCouponRequest* r) { r->set_code("A B"); }, "code"},
      {"code 65", [](CreateCouponRequest* r) { r->set_code(std::string(65, 'a')); }, "code"},
      {"no type", [](CreateCouponRequest* r) { r->clear_discount_type(); }, "discount_type"},
      {"unknown type",
       [](CreateCouponRequest* r) {
         r->set_discount_type(static_cast<affonso::v1::DiscountType>(9));
       },
       "discount_type"},
      {"no value", [](CreateCouponRequest* r) { r->clear_discount_value(); }, "discount_value"},
      {"negative", [](CreateCouponRequest* r) { r->set_discount_value(-1); }, "discount_value"},
      {"fraction of a cent", [](CreateCouponRequest* r) { r->set_discount_value(1.005); },
       "discount_value"},
      {"percent over 100", [](CreateCouponRequest* r) { r->set_discount_value(100.01); },
       "discount_value"},
      {"no duration", [](CreateCouponRequest* r) { r->clear_duration(); }, "duration"},
      {"repeating without months",
       [](CreateCouponRequest* r) { r->set_duration(affonso::v1::COUPON_DURATION_REPEATING); },
       "duration_in_months"},
      {"months 0",
       [](CreateCouponRequest* r) {
         r->set_duration(affonso::v1::COUPON_DURATION_REPEATING);
         r->set_duration_in_months(0);
       },
       "duration_in_months"},
      {"months 121",
       [](CreateCouponRequest* r) {
         r->set_duration(affonso::v1::COUPON_DURATION_REPEATING);
         r->set_duration_in_months(121);
       },
       "duration_in_months"},
      {"months without repeating", [](CreateCouponRequest* r) { r->set_duration_in_months(3); },
       "duration_in_months"},
      {"currency", [](CreateCouponRequest* r) { r->set_currency("US"); }, "currency"},
      {"empty product", [](CreateCouponRequest* r) { r->add_product_ids(""); }, "product_ids"},
      {"long product", [](CreateCouponRequest* r) { r->add_product_ids(std::string(256, 'p')); },
       "product_ids"},
      {"101 products",
       [](CreateCouponRequest* r) {
         for (int i = 0; i < 101; ++i) r->add_product_ids(std::to_string(i));
       },
       "product_ids"},
  };
  for (const Case& c : cases) {
    CreateCouponRequest request = ValidCreate();
    c.mutate(&request);
    EXPECT_THAT(ParseCreateCoupon(request), HasApiError("VALIDATION_ERROR", c.field)) << c.name;
  }
  // A fixed amount may exceed 100.
  CreateCouponRequest fixed = ValidCreate();
  fixed.set_discount_type(affonso::v1::DISCOUNT_TYPE_FIXED);
  fixed.set_discount_value(250.5);
  EXPECT_OK(ParseCreateCoupon(fixed));
}

TEST(ParseListCouponsTest, DefaultsFiltersAndSorts) {
  ASSERT_OK_AND_ASSIGN(storage::CouponListQuery defaults, ParseListCoupons(ListCouponsRequest()));
  EXPECT_EQ(defaults.page, 1);
  EXPECT_EQ(defaults.limit, 10);
  EXPECT_EQ(defaults.sort, storage::CouponSort::kNewest);

  const std::pair<const char*, storage::CouponSort> sorts[] = {
      {"created_at", storage::CouponSort::kNewest},
      {"-created_at", storage::CouponSort::kNewest},
      {"created_at:asc", storage::CouponSort::kOldest},
      {"code", storage::CouponSort::kCodeAsc},
      {"code:desc", storage::CouponSort::kCodeDesc},
      {"-code", storage::CouponSort::kCodeDesc},
      {"discount_value", storage::CouponSort::kDiscountValueAsc},
      {"discount_value:desc", storage::CouponSort::kDiscountValueDesc},
  };
  for (const auto& [text, sort] : sorts) {
    ListCouponsRequest request;
    request.set_sort(text);
    ASSERT_OK_AND_ASSIGN(storage::CouponListQuery query, ParseListCoupons(request));
    EXPECT_EQ(query.sort, sort) << text;
  }
  ListCouponsRequest request;
  request.set_page(2);
  request.set_limit(100);
  request.set_affiliate_id("aff_1");
  request.set_program_id("prg_1");
  request.set_search("SAVE");
  ASSERT_OK_AND_ASSIGN(storage::CouponListQuery query, ParseListCoupons(request));
  EXPECT_EQ(query.page, 2);
  EXPECT_EQ(query.limit, 100);
  EXPECT_EQ(query.affiliate_id, "aff_1");
  EXPECT_EQ(query.program_id, "prg_1");
  EXPECT_EQ(query.search, "SAVE");

  ListCouponsRequest bad;
  bad.set_limit(101);
  EXPECT_THAT(ParseListCoupons(bad), HasApiError("VALIDATION_ERROR", "limit"));
  bad = ListCouponsRequest();
  bad.set_sort("amount");
  EXPECT_THAT(ParseListCoupons(bad), HasApiError("VALIDATION_ERROR", "sort"));
  bad = ListCouponsRequest();
  bad.add_expand("program");
  EXPECT_THAT(ParseListCoupons(bad), HasApiError("VALIDATION_ERROR", "expand"));
  bad = ListCouponsRequest();
  bad.set_search(std::string(256, 's'));
  EXPECT_THAT(ParseListCoupons(bad), HasApiError("VALIDATION_ERROR", "search"));
}

class CouponServiceTest : public ::testing::Test {
 protected:
  CouponServiceTest() {
    affonso::v1::Affiliate affiliate;
    affiliate.set_id("aff_1");
    affiliate.set_name("Alice");
    affiliate.mutable_payout_method()->set_type("paypal");  // never embedded
    affiliates_.affiliates["aff_1"] = affiliate;
  }

  std::string Trailer(const std::string& key) {
    return testing::ServerMetadata(*context_, key, /*trailing=*/true);
  }

  testing::FakeAuthenticator authenticator_;
  FakeCouponStore store_;
  testing::FakeAffiliateStore affiliates_;
  CouponServiceImpl service_{&authenticator_, &store_, &affiliates_};
  testing::InProcessServer server_{{&service_}};
  std::unique_ptr<affonso::v1::CouponService::Stub> stub_ =
      affonso::v1::CouponService::NewStub(server_.channel());
  std::unique_ptr<grpc::ClientContext> context_;
};

TEST_F(CouponServiceTest, CreatePassesTheParsedInputForTheCallersTeam) {
  context_ = testing::ContextWithAuth();
  Coupon response;
  ASSERT_OK(stub_->CreateCoupon(context_.get(), ValidCreate(), &response));
  EXPECT_EQ(response.id(), "cpn_new");
  EXPECT_EQ(store_.last_team, "team_a");
  EXPECT_EQ(store_.last_input.code, "SAVE-10_x");
  EXPECT_EQ(store_.last_input.discount_value.cents(), 1000);
}

TEST_F(CouponServiceTest, InvalidOrForeignInputNeverReachesTheStore) {
  CreateCouponRequest request = ValidCreate();
  request.set_code("DROP TABLE");
  context_ = testing::ContextWithAuth();
  Coupon response;
  EXPECT_THAT(stub_->CreateCoupon(context_.get(), request, &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer("x-error-field"), "code");
  request = ValidCreate();
  request.set_affiliate_id("prg_notanaffiliate");
  context_ = testing::ContextWithAuth();
  EXPECT_THAT(stub_->CreateCoupon(context_.get(), request, &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  affonso::v1::GetCouponRequest get;
  get.set_id("x' OR 1=1");
  context_ = testing::ContextWithAuth();
  EXPECT_THAT(stub_->GetCoupon(context_.get(), get, &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  context_ = testing::ContextWithAuth("Bearer sk_test_wrong");
  EXPECT_THAT(stub_->CreateCoupon(context_.get(), ValidCreate(), &response),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_TRUE(store_.calls.empty());
}

TEST_F(CouponServiceTest, GetExpandsTheAffiliateWithoutPayoutDetails) {
  affonso::v1::GetCouponRequest request;
  request.set_id("cpn_known");
  context_ = testing::ContextWithAuth();
  Coupon plain;
  ASSERT_OK(stub_->GetCoupon(context_.get(), request, &plain));
  EXPECT_FALSE(plain.has_affiliate());
  request.add_expand("affiliate");
  context_ = testing::ContextWithAuth();
  Coupon expanded;
  ASSERT_OK(stub_->GetCoupon(context_.get(), request, &expanded));
  ASSERT_TRUE(expanded.has_affiliate());
  EXPECT_EQ(expanded.affiliate().name(), "Alice");
  EXPECT_FALSE(expanded.affiliate().has_payout_method());
  request.set_id("cpn_other");
  context_ = testing::ContextWithAuth();
  EXPECT_THAT(stub_->GetCoupon(context_.get(), request, &expanded),
              StatusIs(grpc::StatusCode::NOT_FOUND));
}

TEST_F(CouponServiceTest, ListPaginatesAndReadsEachAffiliateOnce) {
  ListCouponsRequest request;
  request.set_page(2);
  request.set_limit(10);
  request.add_expand("affiliate");
  context_ = testing::ContextWithAuth();
  ListCouponsResponse response;
  ASSERT_OK(stub_->ListCoupons(context_.get(), request, &response));
  EXPECT_EQ(store_.last_query.page, 2);
  ASSERT_EQ(response.data_size(), 3);
  EXPECT_TRUE(response.data(0).has_affiliate());
  EXPECT_FALSE(response.data(1).has_affiliate());  // aff_gone: no affiliate to embed
  EXPECT_TRUE(response.data(2).has_affiliate());
  EXPECT_EQ(affiliates_.gets, 2);
  EXPECT_EQ(response.pagination().total(), 21);
  EXPECT_EQ(response.pagination().total_pages(), 3);
  EXPECT_TRUE(response.pagination().has_next_page());
}

TEST_F(CouponServiceTest, ListFilterOnAnIdWeNeverIssuedIsAnEmptyPageWithoutAQuery) {
  ListCouponsRequest request;
  request.set_affiliate_id("x' OR 1=1");
  context_ = testing::ContextWithAuth();
  ListCouponsResponse response;
  ASSERT_OK(stub_->ListCoupons(context_.get(), request, &response));
  EXPECT_EQ(response.data_size(), 0);
  EXPECT_EQ(response.pagination().total(), 0);
  request.clear_affiliate_id();
  request.set_program_id("aff_1");
  context_ = testing::ContextWithAuth();
  ASSERT_OK(stub_->ListCoupons(context_.get(), request, &response));
  EXPECT_TRUE(store_.calls.empty());
}

TEST_F(CouponServiceTest, DeleteAnswersTheSdkMessage) {
  affonso::v1::DeleteCouponRequest request;
  request.set_id("cpn_known");
  context_ = testing::ContextWithAuth();
  affonso::v1::DeleteCouponResponse response;
  ASSERT_OK(stub_->DeleteCoupon(context_.get(), request, &response));
  EXPECT_EQ(response.message(), "coupon deleted");
  EXPECT_TRUE(response.deleted());
  request.set_id("cpn_unknown");
  context_ = testing::ContextWithAuth();
  EXPECT_THAT(stub_->DeleteCoupon(context_.get(), request, &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(Trailer("x-error-code"), "NOT_FOUND");
}

}  // namespace
}  // namespace affonso::services

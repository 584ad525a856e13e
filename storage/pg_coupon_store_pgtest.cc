#include "storage/pg_coupon_store.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/pg_affiliate_store.h"
#include "storage/testing/fixtures.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;
using affonso::v1::Coupon;
using testing::Tenant;

class PgCouponStoreTest : public testing::TwoTenantTest {
 protected:
  PgCouponStoreTest() : TwoTenantTest(/*pool_size=*/17) {}

  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgCouponStore>(&db_->pool());
  }

  static CouponInput Percent(const std::string& affiliate_id, const std::string& code,
                             int64_t cents = 1000) {
    CouponInput input;
    input.affiliate_id = affiliate_id;
    input.code = code;
    input.discount_type = affonso::v1::DISCOUNT_TYPE_PERCENTAGE;
    input.discount_value = Money::FromCents(cents);
    input.duration = affonso::v1::COUPON_DURATION_FOREVER;
    return input;
  }

  // Another affiliate of the tenant's program (or of a second program).
  std::string InsertAffiliate(const Tenant& tenant, const std::string& program_id = "") {
    const std::string id = NewId("aff");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO affiliates (id, team_id, program_id, name, email, tracking_id, "
        "partnership_status) VALUES ('",
        id, "', '", tenant.team_id, "', '", program_id.empty() ? tenant.program_id : program_id,
        "', 'Bob', 'bob@a.test', '", absl::AsciiStrToLower(RandomBase62(8)), "', 'approved')"));
    return id;
  }

  std::string InsertProgram(const Tenant& tenant) {
    const std::string id = NewId("prg");
    db_->QueryValue(absl::StrCat("INSERT INTO programs (id, team_id, name) VALUES ('", id, "', '",
                                 tenant.team_id, "', 'Second') RETURNING id"));
    return id;
  }

  // Back-dates a coupon so the list order is known.
  void Age(const std::string& id, int seconds) {
    db_->QueryValue(absl::StrCat("UPDATE coupons SET created_at = now() - interval '", seconds,
                                 " seconds' WHERE id = '", id, "' RETURNING id"));
  }

  std::vector<std::string> ListCodes(const Tenant& tenant, const CouponListQuery& query,
                                     int* total = nullptr) {
    auto page = store_->ListCoupons(tenant.team_id, query);
    EXPECT_OK(page);
    std::vector<std::string> codes;
    if (!page.ok()) return codes;
    for (const Coupon& coupon : page->coupons) codes.push_back(coupon.code());
    if (total) *total = page->total;
    return codes;
  }

  std::unique_ptr<PgCouponStore> store_;
};

TEST_F(PgCouponStoreTest, CreateStoresEveryFieldInTheAffiliatesProgram) {
  CouponInput input;
  input.affiliate_id = a_.affiliate_id;
  input.code = "Summer-20_x";
  input.discount_type = affonso::v1::DISCOUNT_TYPE_FIXED;
  input.discount_value = Money::FromCents(1999);
  input.currency = "EUR";
  input.duration = affonso::v1::COUPON_DURATION_REPEATING;
  input.duration_in_months = 3;
  input.product_ids = {"prod_1", "prod_2"};
  ASSERT_OK_AND_ASSIGN(Coupon coupon, store_->CreateCoupon(a_.team_id, input));
  EXPECT_TRUE(coupon.id().rfind("cpn_", 0) == 0) << coupon.id();
  EXPECT_EQ(coupon.affiliate_id(), a_.affiliate_id);
  EXPECT_EQ(coupon.program_id(), a_.program_id);
  EXPECT_EQ(coupon.code(), "Summer-20_x");
  EXPECT_EQ(coupon.discount_type(), affonso::v1::DISCOUNT_TYPE_FIXED);
  EXPECT_EQ(coupon.discount_value(), 19.99);
  EXPECT_EQ(coupon.currency(), "EUR");
  EXPECT_EQ(coupon.duration(), affonso::v1::COUPON_DURATION_REPEATING);
  EXPECT_EQ(coupon.duration_in_months(), 3);
  ASSERT_EQ(coupon.product_ids_size(), 2);
  EXPECT_EQ(coupon.product_ids(1), "prod_2");
  EXPECT_GT(coupon.created_at().seconds(), 0);
  EXPECT_FALSE(coupon.has_updated_at());
  EXPECT_FALSE(coupon.has_provider());
  EXPECT_EQ(coupon.provider_records_size(), 0);
  EXPECT_EQ(db_->QueryValue(absl::StrCat("SELECT discount_value::text FROM coupons WHERE id = '",
                                         coupon.id(), "'")),
            "19.99");

  ASSERT_OK_AND_ASSIGN(Coupon read, store_->GetCoupon(a_.team_id, coupon.id()));
  EXPECT_EQ(read.SerializeAsString(), coupon.SerializeAsString());
}

TEST_F(PgCouponStoreTest, PercentageWithoutCurrencyHasNoMonthsAndNoCurrency) {
  ASSERT_OK_AND_ASSIGN(Coupon coupon,
                       store_->CreateCoupon(a_.team_id, Percent(a_.affiliate_id, "TEN", 1050)));
  EXPECT_EQ(coupon.discount_value(), 10.5);
  EXPECT_FALSE(coupon.has_currency());
  EXPECT_FALSE(coupon.has_duration_in_months());
  EXPECT_EQ(coupon.product_ids_size(), 0);
}

TEST_F(PgCouponStoreTest, DuplicateCodeInAnyCaseIsDuplicateErrorInTheProgram) {
  ASSERT_OK(store_->CreateCoupon(a_.team_id, Percent(a_.affiliate_id, "Summer")));
  const std::string other = InsertAffiliate(a_);
  for (const char* code : {"Summer", "SUMMER", "summer", "sUmMeR"}) {
    EXPECT_THAT(store_->CreateCoupon(a_.team_id, Percent(other, code)),
                HasApiError("DUPLICATE_ERROR", "code"))
        << code;
  }
  // Another program of the team, and another team, have their own codes.
  const std::string second_program_affiliate = InsertAffiliate(a_, InsertProgram(a_));
  EXPECT_OK(store_->CreateCoupon(a_.team_id, Percent(second_program_affiliate, "SUMMER")));
  EXPECT_OK(store_->CreateCoupon(b_.team_id, Percent(b_.affiliate_id, "summer")));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM coupons"), "3");
}

TEST_F(PgCouponStoreTest, RacingCreatesOfOneCodeMakeExactlyOneCoupon) {
  constexpr int kRacers = 16;
  std::vector<std::string> affiliates;
  for (int i = 0; i < kRacers; ++i) affiliates.push_back(InsertAffiliate(a_));
  std::atomic<int> created{0}, duplicates{0}, other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      // Every racer spells the code its own way.
      std::string code = (i % 2 == 0) ? "race-code" : "RACE-CODE";
      if (i % 3 == 0) code = "Race-Code";
      absl::StatusOr<Coupon> result =
          store_->CreateCoupon(a_.team_id, Percent(affiliates[i], code));
      if (result.ok()) {
        ++created;
      } else if (ApiErrorCode(result.status()) == "DUPLICATE_ERROR" &&
                 ApiErrorField(result.status()) == "code") {
        ++duplicates;
      } else {
        ++other;
        ADD_FAILURE() << result.status();
      }
    });
  }
  go = true;
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(duplicates.load(), kRacers - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM coupons WHERE upper(code) = 'RACE-CODE'"), "1");
}

TEST_F(PgCouponStoreTest, AnotherTeamsAffiliateOrCouponIsNotFound) {
  EXPECT_THAT(store_->CreateCoupon(a_.team_id, Percent(b_.affiliate_id, "X")),
              HasApiError("NOT_FOUND"));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM coupons"), "0");
  ASSERT_OK_AND_ASSIGN(Coupon b_coupon,
                       store_->CreateCoupon(b_.team_id, Percent(b_.affiliate_id, "BCODE")));
  EXPECT_THAT(store_->GetCoupon(a_.team_id, b_coupon.id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteCoupon(a_.team_id, b_coupon.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->FindByCode(a_.team_id, b_.program_id, "BCODE"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto listed, store_->ListForAffiliates(a_.team_id, {b_.affiliate_id}));
  EXPECT_TRUE(listed.empty());
  EXPECT_TRUE(ListCodes(a_, CouponListQuery()).empty());
  EXPECT_TRUE(ListCodes(a_,
                        [&] {
                          CouponListQuery query;
                          query.affiliate_id = b_.affiliate_id;
                          return query;
                        }())
                  .empty());
  // B's coupon is untouched.
  EXPECT_OK(store_->GetCoupon(b_.team_id, b_coupon.id()));
}

TEST_F(PgCouponStoreTest, DeletedAffiliateTakesNoCoupon) {
  PgAffiliateStore affiliates(&db_->pool());
  const std::string gone = InsertAffiliate(a_);
  ASSERT_OK(affiliates.DeleteAffiliate(a_.team_id, gone));
  EXPECT_THAT(store_->CreateCoupon(a_.team_id, Percent(gone, "GONE")), HasApiError("NOT_FOUND"));
}

TEST_F(PgCouponStoreTest, DeletingTheAffiliateDeletesItsCouponsAndFreesTheCodes) {
  PgAffiliateStore affiliates(&db_->pool());
  const std::string doomed = InsertAffiliate(a_);
  ASSERT_OK_AND_ASSIGN(Coupon doomed_coupon,
                       store_->CreateCoupon(a_.team_id, Percent(doomed, "DOOMED")));
  ASSERT_OK_AND_ASSIGN(Coupon kept,
                       store_->CreateCoupon(a_.team_id, Percent(a_.affiliate_id, "KEPT")));
  ASSERT_OK(affiliates.DeleteAffiliate(a_.team_id, doomed));
  EXPECT_THAT(store_->GetCoupon(a_.team_id, doomed_coupon.id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(store_->GetCoupon(a_.team_id, kept.id()));
  EXPECT_OK(store_->CreateCoupon(a_.team_id, Percent(a_.affiliate_id, "doomed")));
}

TEST_F(PgCouponStoreTest, DeleteRemovesTheCouponAndFreesTheCode) {
  ASSERT_OK_AND_ASSIGN(Coupon coupon,
                       store_->CreateCoupon(a_.team_id, Percent(a_.affiliate_id, "ONCE")));
  EXPECT_OK(store_->DeleteCoupon(a_.team_id, coupon.id()));
  EXPECT_THAT(store_->GetCoupon(a_.team_id, coupon.id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteCoupon(a_.team_id, coupon.id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_OK(store_->CreateCoupon(a_.team_id, Percent(a_.affiliate_id, "once")));
}

TEST_F(PgCouponStoreTest, FindByCodeIgnoresCaseAndIsScopedToTheProgram) {
  ASSERT_OK_AND_ASSIGN(Coupon coupon,
                       store_->CreateCoupon(a_.team_id, Percent(a_.affiliate_id, "MiXeD-1")));
  ASSERT_OK_AND_ASSIGN(Coupon found, store_->FindByCode(a_.team_id, a_.program_id, "mixed-1"));
  EXPECT_EQ(found.id(), coupon.id());
  EXPECT_EQ(found.affiliate_id(), a_.affiliate_id);
  EXPECT_EQ(found.code(), "MiXeD-1");
  EXPECT_THAT(store_->FindByCode(a_.team_id, InsertProgram(a_), "MIXED-1"),
              HasApiError("NOT_FOUND"));
  EXPECT_THAT(store_->FindByCode(a_.team_id, a_.program_id, "MIXED-"), HasApiError("NOT_FOUND"));
}

TEST_F(PgCouponStoreTest, ListForAffiliatesGroupsOldestFirst) {
  const std::string other = InsertAffiliate(a_);
  ASSERT_OK_AND_ASSIGN(Coupon first, store_->CreateCoupon(a_.team_id, Percent(other, "FIRST")));
  ASSERT_OK_AND_ASSIGN(Coupon second, store_->CreateCoupon(a_.team_id, Percent(other, "SECOND")));
  ASSERT_OK(store_->CreateCoupon(a_.team_id, Percent(a_.affiliate_id, "MINE")));
  Age(first.id(), 10);
  ASSERT_OK_AND_ASSIGN(auto map, store_->ListForAffiliates(
                                     a_.team_id, {other, a_.affiliate_id, InsertAffiliate(a_)}));
  ASSERT_EQ(map.size(), 2u);
  ASSERT_EQ(map[other].size(), 2u);
  EXPECT_EQ(map[other][0].id(), first.id());
  EXPECT_EQ(map[other][1].id(), second.id());
  EXPECT_EQ(map[a_.affiliate_id].at(0).code(), "MINE");
  ASSERT_OK_AND_ASSIGN(auto one, store_->ListForAffiliates(a_.team_id, {other, other}));
  ASSERT_EQ(one.size(), 1u);
  ASSERT_EQ(one[other].size(), 2u);  // a repeated id is read once
  EXPECT_EQ(one[other][0].code(), "FIRST");
}

TEST_F(PgCouponStoreTest, AffiliateHasAtMostTheCap) {
  for (int i = 0; i < kMaxCouponsPerAffiliate; ++i) {
    ASSERT_OK(store_->CreateCoupon(a_.team_id, Percent(a_.affiliate_id, absl::StrCat("C", i))));
  }
  EXPECT_THAT(store_->CreateCoupon(a_.team_id, Percent(a_.affiliate_id, "ONE-MORE")),
              HasApiError("VALIDATION_ERROR", "affiliate_id"));
}

TEST_F(PgCouponStoreTest, ListFiltersSearchesSortsAndPages) {
  const std::string other = InsertAffiliate(a_);
  const std::string second_program = InsertProgram(a_);
  const std::string elsewhere = InsertAffiliate(a_, second_program);
  struct Row {
    std::string affiliate, code;
    int64_t cents;
    int age;
  };
  const std::vector<Row> rows = {{a_.affiliate_id, "alpha", 500, 50},
                                 {a_.affiliate_id, "Bravo-SALE", 2500, 40},
                                 {other, "charlie", 1000, 30},
                                 {other, "delta_sale", 100, 20},
                                 {elsewhere, "ECHO", 7500, 10}};
  for (const Row& row : rows) {
    ASSERT_OK_AND_ASSIGN(
        Coupon coupon,
        store_->CreateCoupon(a_.team_id, Percent(row.affiliate, row.code, row.cents)));
    Age(coupon.id(), row.age);
  }
  ASSERT_OK(store_->CreateCoupon(b_.team_id, Percent(b_.affiliate_id, "b-sale")));

  int total = 0;
  CouponListQuery query;
  EXPECT_EQ(ListCodes(a_, query, &total),
            (std::vector<std::string>{"ECHO", "delta_sale", "charlie", "Bravo-SALE", "alpha"}));
  EXPECT_EQ(total, 5);

  query.affiliate_id = other;
  EXPECT_EQ(ListCodes(a_, query, &total), (std::vector<std::string>{"delta_sale", "charlie"}));
  EXPECT_EQ(total, 2);
  query = CouponListQuery();
  query.program_id = second_program;
  EXPECT_EQ(ListCodes(a_, query), (std::vector<std::string>{"ECHO"}));
  query = CouponListQuery();
  query.search = "sAlE";
  EXPECT_EQ(ListCodes(a_, query, &total), (std::vector<std::string>{"delta_sale", "Bravo-SALE"}));
  EXPECT_EQ(total, 2);
  query.search = "%";  // taken literally
  EXPECT_TRUE(ListCodes(a_, query).empty());

  query = CouponListQuery();
  query.sort = CouponSort::kOldest;
  EXPECT_EQ(ListCodes(a_, query),
            (std::vector<std::string>{"alpha", "Bravo-SALE", "charlie", "delta_sale", "ECHO"}));
  query.sort = CouponSort::kCodeAsc;
  EXPECT_EQ(ListCodes(a_, query),
            (std::vector<std::string>{"alpha", "Bravo-SALE", "charlie", "delta_sale", "ECHO"}));
  query.sort = CouponSort::kCodeDesc;
  EXPECT_EQ(ListCodes(a_, query),
            (std::vector<std::string>{"ECHO", "delta_sale", "charlie", "Bravo-SALE", "alpha"}));
  query.sort = CouponSort::kDiscountValueAsc;
  EXPECT_EQ(ListCodes(a_, query),
            (std::vector<std::string>{"delta_sale", "alpha", "charlie", "Bravo-SALE", "ECHO"}));
  query.sort = CouponSort::kDiscountValueDesc;
  EXPECT_EQ(ListCodes(a_, query),
            (std::vector<std::string>{"ECHO", "Bravo-SALE", "charlie", "alpha", "delta_sale"}));

  query = CouponListQuery();
  query.limit = 2;
  query.page = 2;
  EXPECT_EQ(ListCodes(a_, query, &total), (std::vector<std::string>{"charlie", "Bravo-SALE"}));
  EXPECT_EQ(total, 5);
  query.page = 3;
  EXPECT_EQ(ListCodes(a_, query, &total), (std::vector<std::string>{"alpha"}));
  query.page = 4;
  EXPECT_TRUE(ListCodes(a_, query, &total).empty());
  EXPECT_EQ(total, 5);  // a page past the end still counts
}

}  // namespace
}  // namespace affonso::storage

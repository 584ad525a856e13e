// Coupons over REST end to end: real HTTP, the in-process gateway, the real
// services and PostgreSQL, checked against the SDK's Coupon and
// AffiliatePromoCode shapes (coupons.ts, affiliates.ts 1.0.1) field by field.
#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/rest_harness.h"

namespace affonso::tests {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// The SDK's Coupon in its declaration order, and currency (ours: API.md lists
// it); affiliate only when expanded.
const std::vector<std::string> kCouponFields = {"id",
                                                "affiliate_id",
                                                "program_id",
                                                "code",
                                                "discount_type",
                                                "discount_value",
                                                "currency",
                                                "duration",
                                                "duration_in_months",
                                                "product_ids",
                                                "provider",
                                                "provider_coupon_id",
                                                "provider_promo_code_id",
                                                "provider_records",
                                                "created_at",
                                                "updated_at"};

std::vector<std::string> KeysOf(const Struct& object) {
  std::vector<std::string> keys;
  for (const auto& [key, unused] : object.fields()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<std::string> Sorted(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  return keys;
}

bool IsNull(const Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  return it != object.fields().end() && it->second.kind_case() == Value::kNullValue;
}

class CouponsRestTest : public RestTest {
 protected:
  HttpResult Create(const std::string& body, const storage::testing::Tenant* tenant = nullptr) {
    return Call("POST", "/v1/coupons", body, tenant);
  }

  std::string CouponBody(const std::string& affiliate, const std::string& code,
                         const std::string& extra = R"("discount_type":"percentage",)"
                                                    R"("discount_value":10,"duration":"forever")") {
    return absl::StrCat(R"({"affiliate_id":")", affiliate, R"(","code":")", code, R"(",)", extra,
                        "}");
  }

  static const google::protobuf::ListValue& DataList(const HttpResult& result) {
    return result.json.fields().at("data").list_value();
  }
};

TEST_F(CouponsRestTest, CreateAnswers201WithEveryFieldOfTheSdksCoupon) {
  HttpResult created = Create(
      CouponBody(a_.affiliate_id, "Summer-24",
                 R"("discount_type":"fixed","discount_value":19.99,"currency":"eur",)"
                 R"("duration":"repeating","duration_in_months":3,"product_ids":["prod_1"])"));
  ASSERT_EQ(created.status, 201) << created.body;
  const Struct& coupon = created.Data();
  EXPECT_EQ(KeysOf(coupon), Sorted(kCouponFields)) << created.body;
  EXPECT_EQ(coupon.fields().at("id").string_value().rfind("cpn_", 0), 0u) << created.body;
  EXPECT_EQ(created.DataString("affiliate_id"), a_.affiliate_id);
  EXPECT_EQ(created.DataString("program_id"), a_.program_id);
  EXPECT_EQ(created.DataString("code"), "Summer-24");
  EXPECT_EQ(created.DataString("discount_type"), "fixed");
  EXPECT_EQ(coupon.fields().at("discount_value").number_value(), 19.99);
  EXPECT_EQ(created.DataString("currency"), "EUR");
  EXPECT_EQ(created.DataString("duration"), "repeating");
  EXPECT_EQ(coupon.fields().at("duration_in_months").number_value(), 3);
  ASSERT_EQ(coupon.fields().at("product_ids").list_value().values_size(), 1);
  EXPECT_EQ(coupon.fields().at("product_ids").list_value().values(0).string_value(), "prod_1");
  for (const char* null :
       {"provider", "provider_coupon_id", "provider_promo_code_id", "updated_at"}) {
    EXPECT_TRUE(IsNull(coupon, null)) << null << ": " << created.body;
  }
  EXPECT_EQ(coupon.fields().at("provider_records").list_value().values_size(), 0);
  EXPECT_TRUE(absl::EndsWith(created.DataString("created_at"), "Z")) << created.body;
  // The fields come in the SDK's order.
  EXPECT_LT(created.body.find("\"code\""), created.body.find("\"discount_type\""));
  EXPECT_LT(created.body.find("\"provider_records\""), created.body.find("\"created_at\""));
  // Exact money: the numeric column holds the two decimals.
  EXPECT_EQ(db_->QueryValue("SELECT discount_value::text FROM coupons WHERE id = '" +
                            created.DataString("id") + "'"),
            "19.99");

  // A percentage without months or currency: both null.
  HttpResult percentage = Create(CouponBody(a_.affiliate_id, "TEN"));
  ASSERT_EQ(percentage.status, 201) << percentage.body;
  EXPECT_TRUE(IsNull(percentage.Data(), "duration_in_months")) << percentage.body;
  EXPECT_TRUE(IsNull(percentage.Data(), "currency")) << percentage.body;
  EXPECT_EQ(percentage.Data().fields().at("product_ids").list_value().values_size(), 0);
}

TEST_F(CouponsRestTest, RetrieveExpandsTheAffiliateAsItsOwnRouteAnswers) {
  HttpResult created = Create(CouponBody(a_.affiliate_id, "EXPAND"));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.DataString("id");
  HttpResult plain = Call("GET", "/v1/coupons/" + id);
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(KeysOf(plain.Data()), Sorted(kCouponFields)) << plain.body;
  EXPECT_EQ(plain.Data().DebugString(), created.Data().DebugString());

  HttpResult expanded = Call("GET", "/v1/coupons/" + id + "?expand=affiliate");
  ASSERT_EQ(expanded.status, 200) << expanded.body;
  std::vector<std::string> with_affiliate = kCouponFields;
  with_affiliate.push_back("affiliate");
  EXPECT_EQ(KeysOf(expanded.Data()), Sorted(with_affiliate)) << expanded.body;
  HttpResult affiliate = Call("GET", "/v1/affiliates/" + a_.affiliate_id);
  ASSERT_EQ(affiliate.status, 200) << affiliate.body;
  EXPECT_EQ(expanded.Data().fields().at("affiliate").struct_value().DebugString(),
            affiliate.Data().DebugString());

  EXPECT_EQ(Call("GET", "/v1/coupons/" + id + "?expand=program").ErrorField(), "expand");
  HttpResult missing = Call("GET", "/v1/coupons/cpn_doesnotexist");
  EXPECT_EQ(missing.status, 404) << missing.body;
  EXPECT_EQ(missing.ErrorCode(), "NOT_FOUND");
}

TEST_F(CouponsRestTest, DuplicateCodeInAnyCaseIs409NamingCodeEvenUnderRacingCreates) {
  ASSERT_EQ(Create(CouponBody(a_.affiliate_id, "Launch")).status, 201);
  HttpResult duplicate = Create(CouponBody(a_.affiliate_id, "LAUNCH"));
  EXPECT_EQ(duplicate.status, 409) << duplicate.body;
  EXPECT_EQ(duplicate.ErrorCode(), "DUPLICATE_ERROR");
  EXPECT_EQ(duplicate.ErrorField(), "code");
  // Another team's program has its own codes.
  EXPECT_EQ(Create(CouponBody(b_.affiliate_id, "launch"), &b_).status, 201);

  constexpr int kRacers = 16;
  std::vector<HttpResult> results(kRacers);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      results[i] = Create(CouponBody(a_.affiliate_id, i % 2 ? "RACE-ME" : "race-me"));
    });
  }
  go = true;
  for (std::thread& thread : threads) thread.join();
  int created = 0, duplicates = 0;
  for (const HttpResult& result : results) {
    if (result.status == 201) {
      ++created;
    } else {
      EXPECT_EQ(result.status, 409) << result.body;
      EXPECT_EQ(result.ErrorCode(), "DUPLICATE_ERROR") << result.body;
      EXPECT_EQ(result.ErrorField(), "code") << result.body;
      ++duplicates;
    }
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(duplicates, kRacers - 1);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM coupons WHERE upper(code) = 'RACE-ME'"), "1");
}

TEST_F(CouponsRestTest, BadInputIs400NamingTheField) {
  const std::pair<std::string, std::string> cases[] = {
      {CouponBody(a_.affiliate_id, "has space"), "code"},
      {CouponBody(a_.affiliate_id, std::string(65, 'x')), "code"},
      {CouponBody(a_.affiliate_id, "OK",
                  R"("discount_type":"percentage","discount_value":101,"duration":"once")"),
       "discount_value"},
      {CouponBody(a_.affiliate_id, "OK",
                  R"("discount_type":"fixed","discount_value":0.001,"duration":"once")"),
       "discount_value"},
      {CouponBody(a_.affiliate_id, "OK", R"("discount_type":"fixed","duration":"once")"),
       "discount_value"},
      {CouponBody(a_.affiliate_id, "OK", R"("discount_value":1,"duration":"once")"),
       "discount_type"},
      {CouponBody(a_.affiliate_id, "OK", R"("discount_type":"fixed","discount_value":1)"),
       "duration"},
      {CouponBody(a_.affiliate_id, "OK",
                  R"("discount_type":"fixed","discount_value":1,"duration":"repeating")"),
       "duration_in_months"},
      {CouponBody(a_.affiliate_id, "OK",
                  R"("discount_type":"fixed","discount_value":1,"duration":"once",)"
                  R"("duration_in_months":2)"),
       "duration_in_months"},
      {CouponBody(a_.affiliate_id, "OK",
                  R"("discount_type":"fixed","discount_value":1,"duration":"once",)"
                  R"("currency":"dollars")"),
       "currency"},
  };
  for (const auto& [body, field] : cases) {
    HttpResult result = Create(body);
    EXPECT_EQ(result.status, 400) << body << " -> " << result.body;
    EXPECT_EQ(result.ErrorCode(), "VALIDATION_ERROR") << result.body;
    EXPECT_EQ(result.ErrorField(), field) << body << " -> " << result.body;
  }
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM coupons"), "0");
  HttpResult foreign = Create(CouponBody(b_.affiliate_id, "THEIRS"));
  EXPECT_EQ(foreign.status, 404) << foreign.body;
  EXPECT_EQ(foreign.ErrorCode(), "NOT_FOUND");
}

TEST_F(CouponsRestTest, ListFiltersSearchesSortsAndPaginates) {
  for (const char* code : {"alpha", "Bravo-SALE", "charlie", "delta_sale"}) {
    ASSERT_EQ(Create(CouponBody(a_.affiliate_id, code)).status, 201) << code;
  }
  ASSERT_EQ(Create(CouponBody(b_.affiliate_id, "b-sale"), &b_).status, 201);

  HttpResult page = Call("GET", "/v1/coupons?limit=3&sort=code");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(KeysOf(page.json), (std::vector<std::string>{"data", "pagination", "success"}));
  ASSERT_EQ(DataList(page).values_size(), 3);
  EXPECT_EQ(DataList(page).values(0).struct_value().fields().at("code").string_value(), "alpha");
  EXPECT_EQ(DataList(page).values(2).struct_value().fields().at("code").string_value(), "charlie");
  EXPECT_EQ(KeysOf(DataList(page).values(0).struct_value()), Sorted(kCouponFields));
  const Struct& pagination = page.json.fields().at("pagination").struct_value();
  EXPECT_EQ(pagination.fields().at("page").number_value(), 1);
  EXPECT_EQ(pagination.fields().at("limit").number_value(), 3);
  EXPECT_EQ(pagination.fields().at("total").number_value(), 4);
  EXPECT_EQ(pagination.fields().at("total_pages").number_value(), 2);
  EXPECT_TRUE(pagination.fields().at("has_next_page").bool_value());
  EXPECT_FALSE(pagination.fields().at("has_prev_page").bool_value());

  HttpResult second = Call("GET", "/v1/coupons?limit=3&page=2&sort=code");
  ASSERT_EQ(DataList(second).values_size(), 1) << second.body;
  EXPECT_EQ(DataList(second).values(0).struct_value().fields().at("code").string_value(),
            "delta_sale");

  HttpResult search = Call("GET", "/v1/coupons?search=SaLe&sort=-code");
  ASSERT_EQ(DataList(search).values_size(), 2) << search.body;
  EXPECT_EQ(DataList(search).values(0).struct_value().fields().at("code").string_value(),
            "delta_sale");

  HttpResult by_affiliate = Call("GET", "/v1/coupons?affiliate_id=" + a_.affiliate_id +
                                            "&program_id=" + a_.program_id + "&expand=affiliate");
  ASSERT_EQ(DataList(by_affiliate).values_size(), 4) << by_affiliate.body;
  EXPECT_EQ(DataList(by_affiliate)
                .values(0)
                .struct_value()
                .fields()
                .at("affiliate")
                .struct_value()
                .fields()
                .at("id")
                .string_value(),
            a_.affiliate_id);
  EXPECT_EQ(DataList(Call("GET", "/v1/coupons?affiliate_id=" + b_.affiliate_id)).values_size(), 0);
  EXPECT_EQ(Call("GET", "/v1/coupons?sort=price").ErrorField(), "sort");
}

TEST_F(CouponsRestTest, AffiliatePromoCodesAreItsCouponsInTheSdksShape) {
  HttpResult none = Call("GET", "/v1/affiliates/" + a_.affiliate_id + "?expand=promoCodes");
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(none.Data().fields().at("promoCodes").list_value().values_size(), 0) << none.body;

  HttpResult created =
      Create(CouponBody(a_.affiliate_id, "Promo-1",
                        R"("discount_type":"fixed","discount_value":7.5,"duration":"once")"));
  ASSERT_EQ(created.status, 201) << created.body;
  HttpResult one = Call("GET", "/v1/affiliates/" + a_.affiliate_id + "?expand=promoCodes");
  ASSERT_EQ(one.status, 200) << one.body;
  const auto& codes = one.Data().fields().at("promoCodes").list_value();
  ASSERT_EQ(codes.values_size(), 1) << one.body;
  const Struct& code = codes.values(0).struct_value();
  EXPECT_EQ(KeysOf(code), Sorted({"code", "promo_code_id", "coupon_id", "discount_type",
                                  "discount_value", "duration", "created_at"}))
      << one.body;
  EXPECT_EQ(code.fields().at("code").string_value(), "Promo-1");
  EXPECT_TRUE(IsNull(code, "promo_code_id")) << one.body;
  EXPECT_EQ(code.fields().at("coupon_id").string_value(), created.DataString("id"));
  EXPECT_EQ(code.fields().at("discount_type").string_value(), "fixed");
  EXPECT_EQ(code.fields().at("discount_value").number_value(), 7.5);
  EXPECT_EQ(code.fields().at("duration").string_value(), "once");
  EXPECT_EQ(code.fields().at("created_at").string_value(), created.DataString("created_at"));

  HttpResult list = Call("GET", "/v1/affiliates?expand=promoCodes");
  ASSERT_EQ(list.status, 200) << list.body;
  bool found = false;
  for (const Value& affiliate : DataList(list).values()) {
    const auto& fields = affiliate.struct_value().fields();
    ASSERT_TRUE(fields.count("promoCodes")) << list.body;
    if (fields.at("id").string_value() == a_.affiliate_id) {
      found = true;
      EXPECT_EQ(fields.at("promoCodes").list_value().values_size(), 1) << list.body;
    }
  }
  EXPECT_TRUE(found) << list.body;
  // Not asked for: not there.
  EXPECT_FALSE(
      Call("GET", "/v1/affiliates/" + a_.affiliate_id).Data().fields().count("promoCodes"));
}

TEST_F(CouponsRestTest, DeleteAnswersTheSdksDeleteResponseAndFreesTheCode) {
  HttpResult created = Create(CouponBody(a_.affiliate_id, "GONE"));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.DataString("id");
  HttpResult deleted = Call("DELETE", "/v1/coupons/" + id);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(KeysOf(deleted.json), (std::vector<std::string>{"message", "success"}));
  EXPECT_TRUE(deleted.json.fields().at("success").bool_value());
  EXPECT_EQ(deleted.json.fields().at("message").string_value(), "coupon deleted");
  EXPECT_EQ(Call("GET", "/v1/coupons/" + id).status, 404);
  EXPECT_EQ(Call("DELETE", "/v1/coupons/" + id).status, 404);
  EXPECT_EQ(Create(CouponBody(a_.affiliate_id, "gone")).status, 201);
}

TEST_F(CouponsRestTest, DeletingTheAffiliateDeletesItsCoupons) {
  HttpResult affiliate =
      Call("POST", "/v1/affiliates",
           absl::StrCat(R"({"name":"Leaving","email":"leaving@example.com","program_id":")",
                        a_.program_id, R"("})"));
  ASSERT_EQ(affiliate.status, 201) << affiliate.body;
  const std::string leaving = affiliate.DataString("id");
  HttpResult created = Create(CouponBody(leaving, "BYE"));
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_EQ(Call("DELETE", "/v1/affiliates/" + leaving).status, 200);
  EXPECT_EQ(Call("GET", "/v1/coupons/" + created.DataString("id")).status, 404);
  EXPECT_EQ(Create(CouponBody(leaving, "BYE2")).status, 404);
  // The code is free for the program's other affiliates.
  EXPECT_EQ(Create(CouponBody(a_.affiliate_id, "bye")).status, 201);
}

}  // namespace
}  // namespace affonso::tests

#include "services/api/affiliate_service.h"

#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/testing/fakes.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::StatusIs;
using affonso::v1::Affiliate;
using affonso::v1::CreateAffiliateRequest;
using affonso::v1::ListAffiliatesRequest;
using affonso::v1::UpdateAffiliateRequest;

constexpr char kTeam[] = "team_caller";

// Records what reached storage; answers with `next_status` when it is set.
class FakeAffiliateStore final : public storage::AffiliateStore {
 public:
  absl::StatusOr<Affiliate> CreateAffiliate(absl::string_view team_id,
                                            const CreateAffiliateRequest& request) override {
    Record("create", team_id);
    last_create = request;
    if (!next_status.ok()) return next_status;
    Affiliate affiliate;
    affiliate.set_id("aff_new");
    affiliate.set_name(request.name());
    if (!request.payout_method().empty()) {
      affiliate.mutable_payout_method()->set_type(request.payout_method());
    }
    return affiliate;
  }
  absl::StatusOr<FoundOrCreated> FindOrCreateAffiliateByEmail(
      absl::string_view team_id, const CreateAffiliateRequest&) override {
    Record("find_or_create", team_id);
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<Affiliate> GetAffiliate(absl::string_view team_id, absl::string_view id) override {
    Record("get", team_id);
    if (!next_status.ok()) return next_status;
    Affiliate affiliate;
    affiliate.set_id(std::string(id));
    // As the real store does: the payout method whenever one is stored.
    affiliate.mutable_payout_method()->set_type("paypal");
    return affiliate;
  }
  absl::StatusOr<Affiliate> UpdateAffiliate(absl::string_view team_id,
                                            const UpdateAffiliateRequest& request) override {
    Record("update", team_id);
    last_update = request;
    if (!next_status.ok()) return next_status;
    Affiliate affiliate;
    affiliate.set_id(request.id());
    return affiliate;
  }
  absl::Status DeleteAffiliate(absl::string_view team_id, absl::string_view /*id*/) override {
    Record("delete", team_id);
    return next_status;
  }
  absl::StatusOr<storage::AffiliatePage> ListAffiliates(
      absl::string_view team_id, const storage::AffiliateListQuery& query) override {
    Record("list", team_id);
    last_query = query;
    if (!next_status.ok()) return next_status;
    storage::AffiliatePage page;
    page.total = 23;
    page.affiliates.resize(3);
    for (int i = 0; i < 3; ++i) page.affiliates[i].set_id(absl::StrCat("aff_", i));
    return page;
  }

  absl::StatusOr<affonso::v1::CommissionOverride> CreateCommissionOverride(
      absl::string_view team_id,
      const affonso::v1::CreateCommissionOverrideRequest& request) override {
    Record("create_override", team_id);
    last_override = request;
    if (!next_status.ok()) return next_status;
    affonso::v1::CommissionOverride created;
    created.set_id("ovr_new");
    created.set_incentive_id(request.incentive_id());
    created.set_amount(request.amount());
    return created;
  }
  absl::Status DeleteCommissionOverride(absl::string_view team_id, absl::string_view affiliate_id,
                                        absl::string_view override_id) override {
    Record("delete_override", team_id);
    last_deleted_override = absl::StrCat(affiliate_id, "/", override_id);
    return next_status;
  }
  absl::StatusOr<std::map<std::string, std::vector<affonso::v1::CommissionOverride>>>
  ListCommissionOverrides(absl::string_view team_id,
                          const std::vector<std::string>& affiliate_ids) override {
    Record("list_overrides", team_id);
    override_lookups.push_back(affiliate_ids);
    std::map<std::string, std::vector<affonso::v1::CommissionOverride>> found;
    for (const std::string& id : affiliate_ids) {
      auto it = overrides.find(id);
      if (it != overrides.end()) found[id] = it->second;
    }
    return found;
  }

  std::vector<std::string> calls;
  std::vector<std::string> teams;
  absl::Status next_status;
  affonso::v1::CreateCommissionOverrideRequest last_override;
  std::string last_deleted_override;
  // What ListCommissionOverrides knows, and the id lists it was asked for.
  std::map<std::string, std::vector<affonso::v1::CommissionOverride>> overrides;
  std::vector<std::vector<std::string>> override_lookups;
  CreateAffiliateRequest last_create;
  UpdateAffiliateRequest last_update;
  storage::AffiliateListQuery last_query;

 private:
  void Record(const char* call, absl::string_view team_id) {
    calls.push_back(call);
    teams.emplace_back(team_id);
  }
};

CreateAffiliateRequest ValidCreate() {
  CreateAffiliateRequest request;
  request.set_name("Alice");
  request.set_email("alice@example.com");
  request.set_program_id("prg_abc123");
  return request;
}

// The field a validation failure names, or "ok".
std::string FieldAtFault(const absl::Status& status) {
  if (status.ok()) return "ok";
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << status;
  EXPECT_EQ(ApiErrorCode(status), "VALIDATION_ERROR") << status;
  return ApiErrorField(status);
}

TEST(ValidateCreateAffiliateTest, AcceptsMinimalAndFullRequests) {
  EXPECT_OK(ValidateCreateAffiliate(ValidCreate()));
  CreateAffiliateRequest full = ValidCreate();
  full.set_tracking_id(std::string(64, 'x'));
  full.set_partnership_status(affonso::v1::PARTNERSHIP_STATUS_REJECTED);
  full.set_group_id("grp_1");
  full.set_external_user_id(std::string(255, 'u'));
  full.set_name(std::string(255, 'n'));
  EXPECT_OK(ValidateCreateAffiliate(full));
  full.set_tracking_id("Jane_Doe-2024");
  EXPECT_OK(ValidateCreateAffiliate(full));
  // Every field of the SDK's AffiliateCreateParams.
  full.set_company_name(std::string(255, 'c'));
  full.set_country_code("de");
  full.set_onboarding_completed(true);
  full.set_payout_method("wire_transfer");
  (*full.mutable_payout_details()->mutable_fields())["iban"].set_string_value("DE89 3704");
  (*full.mutable_payout_details()->mutable_fields())["swiftCode"].set_null_value(
      google::protobuf::NULL_VALUE);
  (*full.mutable_metadata()->mutable_fields())["plan"].set_string_value("pro");
  EXPECT_OK(ValidateCreateAffiliate(full));
}

TEST(ValidateCreateAffiliateTest, FreeFormFieldsHaveSizeLimits) {
  CreateAffiliateRequest request = ValidCreate();
  // {"k":"..."} is 8 bytes of JSON around the value (and a few more encoded).
  (*request.mutable_metadata()->mutable_fields())["k"].set_string_value(
      std::string(kMaxAffiliateMetadataBytes - 32, 'm'));
  EXPECT_OK(ValidateCreateAffiliate(request));
  (*request.mutable_metadata()->mutable_fields())["k"].set_string_value(
      std::string(kMaxAffiliateMetadataBytes - 7, 'm'));
  absl::Status status = ValidateCreateAffiliate(request);
  EXPECT_EQ(FieldAtFault(status), "metadata");
  EXPECT_NE(status.message().find("16384 bytes"), std::string::npos) << status;

  // Small numbers are short in JSON and long in protobuf (what gRPC carries):
  // 2 bytes each as JSON, about 11 encoded.
  request = ValidCreate();
  google::protobuf::ListValue* numbers =
      (*request.mutable_metadata()->mutable_fields())["n"].mutable_list_value();
  for (int i = 0; i < 2000; ++i) numbers->add_values()->set_number_value(0);
  EXPECT_EQ(FieldAtFault(ValidateCreateAffiliate(request)), "metadata");

  request = ValidCreate();
  request.set_payout_method("paypal");
  (*request.mutable_payout_details()->mutable_fields())["email"].set_string_value(
      std::string(kMaxPayoutDetailsBytes, 'e'));
  EXPECT_EQ(FieldAtFault(ValidateCreateAffiliate(request)), "payout_details");
}

TEST(ValidateCreateAffiliateTest, EachRuleNamesItsField) {
  struct Case {
    const char* description;
    void (*mutate)(CreateAffiliateRequest*);
    const char* field;
  };
  const Case cases[] = {
      {"missing name", [](CreateAffiliateRequest* r) { r->clear_name(); }, "name"},
      {"blank name", [](CreateAffiliateRequest* r) { r->set_name("  "); }, "name"},
      {"long name", [](CreateAffiliateRequest* r) { r->set_name(std::string(256, 'n')); }, "name"},
      {"missing email", [](CreateAffiliateRequest* r) { r->clear_email(); }, "email"},
      {"bad email", [](CreateAffiliateRequest* r) { r->set_email("not-an-email"); }, "email"},
      {"long email",
       [](CreateAffiliateRequest* r) {
         r->set_email(absl::StrCat(std::string(60, 'a'), "@", std::string(190, 'b'), ".com"));
       },
       "email"},
      {"missing program", [](CreateAffiliateRequest* r) { r->clear_program_id(); }, "program_id"},
      {"long tracking id",
       [](CreateAffiliateRequest* r) { r->set_tracking_id(std::string(65, 't')); }, "tracking_id"},
      {"tracking id with space", [](CreateAffiliateRequest* r) { r->set_tracking_id("a b"); },
       "tracking_id"},
      {"tracking id with slash", [](CreateAffiliateRequest* r) { r->set_tracking_id("a/b"); },
       "tracking_id"},
      {"tracking id with %", [](CreateAffiliateRequest* r) { r->set_tracking_id("50%"); },
       "tracking_id"},
      {"unknown status",
       [](CreateAffiliateRequest* r) {
         r->set_partnership_status(static_cast<affonso::v1::PartnershipStatus>(42));
       },
       "partnership_status"},
      {"long external user id",
       [](CreateAffiliateRequest* r) { r->set_external_user_id(std::string(256, 'u')); },
       "external_user_id"},
      {"long company name",
       [](CreateAffiliateRequest* r) { r->set_company_name(std::string(256, 'c')); },
       "company_name"},
      {"3-letter country", [](CreateAffiliateRequest* r) { r->set_country_code("DEU"); },
       "country_code"},
      {"digit country", [](CreateAffiliateRequest* r) { r->set_country_code("D1"); },
       "country_code"},
      {"unknown payout method", [](CreateAffiliateRequest* r) { r->set_payout_method("cash"); },
       "payout_method"},
      {"upper-case payout method",
       [](CreateAffiliateRequest* r) { r->set_payout_method("PAYPAL"); }, "payout_method"},
      {"payout details without a method",
       [](CreateAffiliateRequest* r) {
         (*r->mutable_payout_details()->mutable_fields())["email"].set_string_value("a@b.co");
       },
       "payout_details"},
      {"numeric payout detail",
       [](CreateAffiliateRequest* r) {
         r->set_payout_method("wise");
         (*r->mutable_payout_details()->mutable_fields())["accountId"].set_number_value(7);
       },
       "payout_details"},
  };
  for (const Case& c : cases) {
    CreateAffiliateRequest request = ValidCreate();
    c.mutate(&request);
    EXPECT_EQ(FieldAtFault(ValidateCreateAffiliate(request)), c.field) << c.description;
  }
}

TEST(ValidateUpdateAffiliateTest, AbsentFieldsAreNotChecked) {
  UpdateAffiliateRequest request;
  request.set_id("aff_1");
  EXPECT_OK(ValidateUpdateAffiliate(request));
  request.set_group_id("");
  request.set_external_user_id("");
  request.set_partnership_status(affonso::v1::PARTNERSHIP_STATUS_APPROVED);
  EXPECT_OK(ValidateUpdateAffiliate(request));
  // The SDK's `status`, alone or agreeing; "" clears the nullable texts.
  request.set_status(affonso::v1::PARTNERSHIP_STATUS_APPROVED);
  request.set_company_name("");
  request.set_country_code("");
  request.set_payout_method("");
  request.set_onboarding_completed(false);
  EXPECT_OK(ValidateUpdateAffiliate(request));
}

TEST(NormalizedUpdateAffiliateTest, StatusBecomesPartnershipStatus) {
  UpdateAffiliateRequest request;
  request.set_id("aff_1");
  request.set_status(affonso::v1::PARTNERSHIP_STATUS_REJECTED);
  request.set_country_code("fr");
  UpdateAffiliateRequest normalized = NormalizedUpdateAffiliate(request);
  EXPECT_FALSE(normalized.has_status());
  ASSERT_TRUE(normalized.has_partnership_status());
  EXPECT_EQ(normalized.partnership_status(), affonso::v1::PARTNERSHIP_STATUS_REJECTED);
  EXPECT_EQ(normalized.country_code(), "FR");

  request.clear_status();
  EXPECT_FALSE(NormalizedUpdateAffiliate(request).has_partnership_status());
}

TEST(ValidateUpdateAffiliateTest, PresentFieldsFollowTheCreateRules) {
  struct Case {
    const char* description;
    void (*mutate)(UpdateAffiliateRequest*);
    const char* field;
  };
  const Case cases[] = {
      {"empty name", [](UpdateAffiliateRequest* r) { r->set_name(""); }, "name"},
      {"long name", [](UpdateAffiliateRequest* r) { r->set_name(std::string(256, 'n')); }, "name"},
      {"empty email", [](UpdateAffiliateRequest* r) { r->set_email(""); }, "email"},
      {"bad email", [](UpdateAffiliateRequest* r) { r->set_email("a@b"); }, "email"},
      {"empty tracking id", [](UpdateAffiliateRequest* r) { r->set_tracking_id(""); },
       "tracking_id"},
      {"bad tracking id", [](UpdateAffiliateRequest* r) { r->set_tracking_id("a.b"); },
       "tracking_id"},
      {"unspecified status",
       [](UpdateAffiliateRequest* r) {
         r->set_partnership_status(affonso::v1::PARTNERSHIP_STATUS_UNSPECIFIED);
       },
       "partnership_status"},
      {"long external user id",
       [](UpdateAffiliateRequest* r) { r->set_external_user_id(std::string(256, 'u')); },
       "external_user_id"},
      {"unspecified status",
       [](UpdateAffiliateRequest* r) {
         r->set_status(affonso::v1::PARTNERSHIP_STATUS_UNSPECIFIED);
       },
       "status"},
      {"status and partnership_status disagree",
       [](UpdateAffiliateRequest* r) {
         r->set_status(affonso::v1::PARTNERSHIP_STATUS_APPROVED);
         r->set_partnership_status(affonso::v1::PARTNERSHIP_STATUS_REJECTED);
       },
       "status"},
      {"bad country", [](UpdateAffiliateRequest* r) { r->set_country_code("x"); }, "country_code"},
      {"bad payout method", [](UpdateAffiliateRequest* r) { r->set_payout_method("gold"); },
       "payout_method"},
      {"big metadata",
       [](UpdateAffiliateRequest* r) {
         (*r->mutable_metadata()->mutable_fields())["k"].set_string_value(
             std::string(kMaxAffiliateMetadataBytes, 'm'));
       },
       "metadata"},
  };
  for (const Case& c : cases) {
    UpdateAffiliateRequest request;
    request.set_id("aff_1");
    c.mutate(&request);
    EXPECT_EQ(FieldAtFault(ValidateUpdateAffiliate(request)), c.field) << c.description;
  }
}

TEST(ParseAffiliateExpandTest, TheSdksFiveValuesInAnyForm) {
  google::protobuf::RepeatedPtrField<std::string> expand;
  auto none = ParseAffiliateExpand(expand);
  ASSERT_OK(none);
  EXPECT_FALSE(none->commission_overrides || none->promo_codes || none->payout_method);
  *expand.Add() = "";
  *expand.Add() = " , commissionOverrides";
  auto one = ParseAffiliateExpand(expand);
  ASSERT_OK(one);
  EXPECT_TRUE(one->commission_overrides);
  EXPECT_FALSE(one->promo_codes);
  *expand.Add() = "promoCodes,invoiceDetails";
  *expand.Add() = "payoutMethod, onboardingResponses,commissionOverrides";
  auto all = ParseAffiliateExpand(expand);
  ASSERT_OK(all);
  EXPECT_TRUE(all->promo_codes && all->commission_overrides && all->invoice_details &&
              all->payout_method && all->onboarding_responses);

  *expand.Add() = "referrals";
  absl::Status unknown = ParseAffiliateExpand(expand).status();
  EXPECT_EQ(FieldAtFault(unknown), "expand");
  EXPECT_NE(unknown.message().find("promoCodes, commissionOverrides"), std::string::npos)
      << unknown;
  expand.Clear();
  *expand.Add() = "commissionoverrides";  // the names are case-sensitive, as the SDK's
  EXPECT_EQ(FieldAtFault(ParseAffiliateExpand(expand).status()), "expand");
}

TEST(ApplyAffiliateExpansionsTest, KeepsAndNamesOnlyWhatWasAsked) {
  Affiliate affiliate;
  affiliate.mutable_payout_method()->set_type("paypal");
  affiliate.add_commission_overrides()->set_id("ovr_1");
  affiliate.add_expanded("stale");
  ApplyAffiliateExpansions(AffiliateExpansions(), &affiliate);
  EXPECT_FALSE(affiliate.has_payout_method());
  EXPECT_EQ(affiliate.commission_overrides_size(), 0);
  EXPECT_EQ(affiliate.expanded_size(), 0);

  affiliate.mutable_payout_method()->set_type("paypal");
  AffiliateExpansions all;
  all.promo_codes = all.commission_overrides = all.invoice_details = all.payout_method =
      all.onboarding_responses = true;
  ApplyAffiliateExpansions(all, &affiliate);
  EXPECT_TRUE(affiliate.has_payout_method());
  EXPECT_FALSE(affiliate.has_invoice_details());  // null until invoice details exist
  EXPECT_FALSE(affiliate.has_onboarding_responses());
  EXPECT_EQ(std::vector<std::string>(affiliate.expanded().begin(), affiliate.expanded().end()),
            (std::vector<std::string>{"promo_codes", "commission_overrides", "invoice_details",
                                      "payout_method", "onboarding_responses"}));
  // Every name is a field of Affiliate (the gateway renders it by name).
  for (const std::string& name : affiliate.expanded()) {
    EXPECT_NE(Affiliate::descriptor()->FindFieldByName(name), nullptr) << name;
  }
}

TEST(ParseListAffiliatesTest, AppliesDefaultsAndKeepsFilters) {
  ListAffiliatesRequest request;
  auto query = ParseListAffiliates(request);
  ASSERT_OK(query);
  EXPECT_EQ(query->page, 1);
  EXPECT_EQ(query->limit, 10);
  EXPECT_EQ(query->partnership_status, affonso::v1::PARTNERSHIP_STATUS_UNSPECIFIED);

  request.set_page(3);
  request.set_limit(100);
  request.set_partnership_status(affonso::v1::PARTNERSHIP_STATUS_APPROVED);
  request.set_group_id("grp_1");
  request.set_program_id("prg_1");
  request.set_search("50%");
  query = ParseListAffiliates(request);
  ASSERT_OK(query);
  EXPECT_EQ(query->page, 3);
  EXPECT_EQ(query->limit, 100);
  EXPECT_EQ(query->partnership_status, affonso::v1::PARTNERSHIP_STATUS_APPROVED);
  EXPECT_EQ(query->group_id, "grp_1");
  EXPECT_EQ(query->program_id, "prg_1");
  EXPECT_EQ(query->search, "50%");
}

// An affiliate expanded with its onboarding answers is up to ~62 KiB more:
// a page of 25 still fits one gRPC message, a page of 100 might not.
TEST(ParseListAffiliatesTest, OnboardingResponsesTakeAtMost25APage) {
  ListAffiliatesRequest request;
  request.add_expand("onboardingResponses");
  request.set_limit(25);
  EXPECT_OK(ParseListAffiliates(request));
  request.set_limit(26);
  EXPECT_EQ(FieldAtFault(ParseListAffiliates(request).status()), "limit");
  request.clear_expand();
  request.add_expand("commissionOverrides");
  EXPECT_OK(ParseListAffiliates(request));
}

TEST(ParseListAffiliatesTest, RejectsOutOfRangeInput) {
  ListAffiliatesRequest request;
  request.set_page(-1);
  EXPECT_EQ(FieldAtFault(ParseListAffiliates(request).status()), "page");
  request.Clear();
  request.set_limit(101);
  EXPECT_EQ(FieldAtFault(ParseListAffiliates(request).status()), "limit");
  request.set_limit(-5);
  EXPECT_EQ(FieldAtFault(ParseListAffiliates(request).status()), "limit");
  request.Clear();
  request.set_partnership_status(static_cast<affonso::v1::PartnershipStatus>(9));
  EXPECT_EQ(FieldAtFault(ParseListAffiliates(request).status()), "partnership_status");
  request.Clear();
  request.set_search(std::string(256, 's'));
  EXPECT_EQ(FieldAtFault(ParseListAffiliates(request).status()), "search");
  request.Clear();
  request.add_expand("everything");
  EXPECT_EQ(FieldAtFault(ParseListAffiliates(request).status()), "expand");
  request.Clear();
  request.set_sort("tracking_id");
  EXPECT_EQ(FieldAtFault(ParseListAffiliates(request).status()), "sort");
  request.Clear();
  request.set_date_from("yesterday");
  EXPECT_EQ(FieldAtFault(ParseListAffiliates(request).status()), "date_from");
  request.Clear();
  request.set_date_to("2024-13-01");
  EXPECT_EQ(FieldAtFault(ParseListAffiliates(request).status()), "date_to");
}

TEST(ParseListAffiliatesTest, SortForms) {
  const std::pair<const char*, storage::AffiliateSort> cases[] = {
      {"", storage::AffiliateSort::kNewest},
      {"created_at", storage::AffiliateSort::kOldest},
      {"created_at:asc", storage::AffiliateSort::kOldest},
      {"-created_at", storage::AffiliateSort::kNewest},
      {"createdAt:desc", storage::AffiliateSort::kNewest},
      {"name", storage::AffiliateSort::kNameAsc},
      {"-name", storage::AffiliateSort::kNameDesc},
      {"email:desc", storage::AffiliateSort::kEmailDesc},
      {"email", storage::AffiliateSort::kEmailAsc},
  };
  for (const auto& [sort, expected] : cases) {
    ListAffiliatesRequest request;
    request.set_sort(sort);
    auto query = ParseListAffiliates(request);
    ASSERT_OK(query) << sort;
    EXPECT_EQ(query->sort, expected) << sort;
  }
}

TEST(ParseListAffiliatesTest, DateBoundsAreInclusive) {
  ListAffiliatesRequest request;
  request.set_date_from("2024-03-01");
  request.set_date_to("2024-03-31");
  auto query = ParseListAffiliates(request);
  ASSERT_OK(query);
  // 2024-03-01T00:00:00Z and 2024-04-01T00:00:00Z (exclusive): all of March.
  EXPECT_EQ(query->created_from_micros, int64_t{1709251200} * 1000000);
  EXPECT_EQ(query->created_before_micros, int64_t{1711929600} * 1000000);

  request.set_date_from("2024-03-01T12:00:00+01:00");
  request.set_date_to("2024-03-01T12:00:00.5Z");
  query = ParseListAffiliates(request);
  ASSERT_OK(query);
  EXPECT_EQ(query->created_from_micros, int64_t{1709290800} * 1000000);
  EXPECT_EQ(query->created_before_micros, int64_t{1709294400} * 1000000 + 500001);

  request.Clear();
  query = ParseListAffiliates(request);
  ASSERT_OK(query);
  EXPECT_FALSE(query->created_from_micros.has_value());
  EXPECT_FALSE(query->created_before_micros.has_value());
}

using Stub = affonso::v1::AffiliateService::Stub;

// Answers ListForAffiliates from `by_affiliate` and records each lookup.
class FakeCouponStore final : public storage::CouponStore {
 public:
  absl::StatusOr<affonso::v1::Coupon> CreateCoupon(absl::string_view,
                                                   const storage::CouponInput&) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<affonso::v1::Coupon> GetCoupon(absl::string_view, absl::string_view) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<storage::CouponPage> ListCoupons(absl::string_view,
                                                  const storage::CouponListQuery&) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status DeleteCoupon(absl::string_view, absl::string_view) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<affonso::v1::Coupon> FindByCode(absl::string_view, absl::string_view,
                                                 absl::string_view) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<std::map<std::string, std::vector<affonso::v1::Coupon>>> ListForAffiliates(
      absl::string_view team_id, const std::vector<std::string>& ids) override {
    lookups.push_back(ids);
    teams.push_back(std::string(team_id));
    return by_affiliate;
  }

  std::map<std::string, std::vector<affonso::v1::Coupon>> by_affiliate;
  std::vector<std::vector<std::string>> lookups;
  std::vector<std::string> teams;
};

class AffiliateServiceTest : public ::testing::Test {
 protected:
  AffiliateServiceTest() { authenticator_.caller = Caller{kTeam, "key_1"}; }

  // One call through the server on a fresh client context, kept for its metadata.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response,
                    const std::string& authorization = testing::kGoodAuthorization) {
    context_ = testing::ContextWithAuth(authorization);
    return (stub_.get()->*method)(context_.get(), request, response);
  }
  std::string Trailer(const std::string& key) {
    return testing::ServerMetadata(*context_, key, /*trailing=*/true);
  }
  std::string Initial(const std::string& key) { return testing::ServerMetadata(*context_, key); }

  testing::FakeAuthenticator authenticator_;
  FakeAffiliateStore store_;
  FakeCouponStore coupons_;
  AffiliateServiceImpl service_{&authenticator_, &store_, &coupons_};
  testing::InProcessServer server_{{&service_}};
  std::unique_ptr<Stub> stub_ = affonso::v1::AffiliateService::NewStub(server_.channel());
  std::unique_ptr<grpc::ClientContext> context_;
};

TEST_F(AffiliateServiceTest, CreateAnswers201WithTheCallersTeam) {
  CreateAffiliateRequest request = ValidCreate();
  Affiliate response;
  grpc::Status status = Call(&Stub::CreateAffiliate, request, &response);
  ASSERT_OK(status);
  EXPECT_EQ(response.id(), "aff_new");
  EXPECT_EQ(store_.teams, std::vector<std::string>{kTeam});
  EXPECT_EQ(Initial(kHttpCodeKey), "201");
}

TEST_F(AffiliateServiceTest, CreatePassesEveryFieldNormalisedAndExpandsNothing) {
  CreateAffiliateRequest request = ValidCreate();
  request.set_company_name("Acme");
  request.set_country_code("gb");
  request.set_onboarding_completed(true);
  request.set_payout_method("paypal");
  (*request.mutable_payout_details()->mutable_fields())["email"].set_string_value("a@acme.io");
  request.set_external_user_id("u_1");
  Affiliate response;
  ASSERT_OK(Call(&Stub::CreateAffiliate, request, &response));
  EXPECT_EQ(store_.last_create.country_code(), "GB");
  EXPECT_EQ(store_.last_create.company_name(), "Acme");
  EXPECT_TRUE(store_.last_create.onboarding_completed());
  EXPECT_EQ(store_.last_create.payout_details().fields().at("email").string_value(), "a@acme.io");
  // payoutMethod is an expansion: a create shows none.
  EXPECT_FALSE(response.has_payout_method());
  EXPECT_EQ(response.expanded_size(), 0);
}

TEST_F(AffiliateServiceTest, CreateValidationFailureNeverReachesTheStore) {
  CreateAffiliateRequest request = ValidCreate();
  request.set_email("nope");
  Affiliate response;
  grpc::Status status = Call(&Stub::CreateAffiliate, request, &response);
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(kErrorCodeKey), "VALIDATION_ERROR");
  EXPECT_EQ(Trailer(kErrorFieldKey), "email");
  EXPECT_TRUE(store_.calls.empty());
}

TEST_F(AffiliateServiceTest, CreateWithForeignLookingIdsIsNotFoundWithoutAQuery) {
  CreateAffiliateRequest request = ValidCreate();
  request.set_program_id("program-1");
  Affiliate response;
  grpc::Status status = Call(&Stub::CreateAffiliate, request, &response);
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(status.error_message(), "program not found");

  request = ValidCreate();
  request.set_group_id("aff_abc");
  status = Call(&Stub::CreateAffiliate, request, &response);
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(status.error_message(), "group not found");
  EXPECT_TRUE(store_.calls.empty());
}

TEST_F(AffiliateServiceTest, CreateDuplicateTrackingIdIsDuplicateError) {
  store_.next_status = DuplicateError("tracking_id", "tracking_id is already used");
  CreateAffiliateRequest request = ValidCreate();
  request.set_tracking_id("taken");
  Affiliate response;
  grpc::Status status = Call(&Stub::CreateAffiliate, request, &response);
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::ALREADY_EXISTS));
  EXPECT_EQ(Trailer(kErrorCodeKey), "DUPLICATE_ERROR");
  EXPECT_EQ(Trailer(kErrorFieldKey), "tracking_id");
  EXPECT_EQ(Initial(kHttpCodeKey), "");
}

TEST_F(AffiliateServiceTest, UnauthenticatedCallerNeverReachesTheStore) {
  affonso::v1::GetAffiliateRequest request;
  request.set_id("aff_1");
  Affiliate response;
  EXPECT_THAT(Call(&Stub::GetAffiliate, request, &response, "Bearer sk_test_wrong"),
              StatusIs(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_TRUE(store_.calls.empty());
}

TEST_F(AffiliateServiceTest, GetChecksExpandAndIdShape) {
  affonso::v1::GetAffiliateRequest request;
  request.set_id("aff_1");
  request.add_expand("commissionOverrides");
  Affiliate response;
  ASSERT_OK(Call(&Stub::GetAffiliate, request, &response));
  EXPECT_EQ(response.id(), "aff_1");
  EXPECT_EQ(response.commission_overrides_size(), 0);
  EXPECT_EQ(store_.calls, (std::vector<std::string>{"get", "list_overrides"}));
  store_.calls.clear();

  request.add_expand("program");
  EXPECT_THAT(Call(&Stub::GetAffiliate, request, &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));

  request.clear_expand();
  request.set_id("clk_1");
  EXPECT_THAT(Call(&Stub::GetAffiliate, request, &response), StatusIs(grpc::StatusCode::NOT_FOUND));
  request.set_id("");
  EXPECT_THAT(Call(&Stub::GetAffiliate, request, &response), StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_TRUE(store_.calls.empty());
}

TEST_F(AffiliateServiceTest, UpdateTakesTheSdksStatus) {
  UpdateAffiliateRequest request;
  request.set_id("aff_1");
  request.set_status(affonso::v1::PARTNERSHIP_STATUS_APPROVED);
  Affiliate response;
  ASSERT_OK(Call(&Stub::UpdateAffiliate, request, &response));
  ASSERT_TRUE(store_.last_update.has_partnership_status());
  EXPECT_EQ(store_.last_update.partnership_status(), affonso::v1::PARTNERSHIP_STATUS_APPROVED);

  request.set_partnership_status(affonso::v1::PARTNERSHIP_STATUS_PENDING);
  EXPECT_THAT(Call(&Stub::UpdateAffiliate, request, &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(kErrorFieldKey), "status");
}

TEST_F(AffiliateServiceTest, UpdatePassesPresenceThrough) {
  UpdateAffiliateRequest request;
  request.set_id("aff_1");
  request.set_group_id("");  // back to the default group
  Affiliate response;
  ASSERT_OK(Call(&Stub::UpdateAffiliate, request, &response));
  EXPECT_TRUE(store_.last_update.has_group_id());
  EXPECT_FALSE(store_.last_update.has_name());
  EXPECT_EQ(store_.teams, std::vector<std::string>{kTeam});

  request.set_group_id("not a group");
  EXPECT_THAT(Call(&Stub::UpdateAffiliate, request, &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  request.clear_group_id();
  request.set_name("");
  EXPECT_THAT(Call(&Stub::UpdateAffiliate, request, &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  request.clear_name();
  request.set_id("ref_1");
  EXPECT_THAT(Call(&Stub::UpdateAffiliate, request, &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(store_.calls.size(), 1u);
}

TEST_F(AffiliateServiceTest, DeleteAnswersIdAndDeleted) {
  affonso::v1::DeleteAffiliateRequest request;
  request.set_id("aff_1");
  affonso::v1::DeleteAffiliateResponse response;
  ASSERT_OK(Call(&Stub::DeleteAffiliate, request, &response));
  EXPECT_EQ(response.id(), "aff_1");
  EXPECT_TRUE(response.deleted());
  EXPECT_EQ(response.message(), "affiliate deleted");

  store_.next_status = NotFoundError("affiliate");
  affonso::v1::DeleteAffiliateResponse again;
  EXPECT_THAT(Call(&Stub::DeleteAffiliate, request, &again), StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_FALSE(again.deleted());
}

TEST_F(AffiliateServiceTest, ListResolvesDefaultsAndFillsPagination) {
  ListAffiliatesRequest request;
  request.set_page(2);
  request.set_search("ali");
  affonso::v1::ListAffiliatesResponse response;
  ASSERT_OK(Call(&Stub::ListAffiliates, request, &response));
  EXPECT_EQ(store_.last_query.page, 2);
  EXPECT_EQ(store_.last_query.limit, 10);
  EXPECT_EQ(store_.last_query.search, "ali");
  EXPECT_EQ(store_.teams, std::vector<std::string>{kTeam});
  EXPECT_EQ(response.data_size(), 3);
  EXPECT_EQ(response.pagination().page(), 2);
  EXPECT_EQ(response.pagination().limit(), 10);
  EXPECT_EQ(response.pagination().total(), 23);
  EXPECT_EQ(response.pagination().total_pages(), 3);
  EXPECT_TRUE(response.pagination().has_next_page());
  EXPECT_TRUE(response.pagination().has_prev_page());

  request.set_limit(500);
  EXPECT_THAT(Call(&Stub::ListAffiliates, request, &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(kErrorFieldKey), "limit");
}

affonso::v1::CreateCommissionOverrideRequest ValidOverride() {
  affonso::v1::CreateCommissionOverrideRequest request;
  request.set_affiliate_id("aff_1");
  request.set_incentive_id("inc_1");
  request.set_amount(12.5);
  return request;
}

TEST(ValidateCreateCommissionOverrideTest, AcceptsCentsAndZero) {
  EXPECT_OK(ValidateCreateCommissionOverride(ValidOverride()));
  affonso::v1::CreateCommissionOverrideRequest request = ValidOverride();
  for (double amount : {0.0, 0.01, 0.1, 19.99, 1234567.89, 999999999999.0}) {
    request.set_amount(amount);
    EXPECT_OK(ValidateCreateCommissionOverride(request)) << amount;
  }
  request.set_is_percentage(true);
  request.set_amount(100);
  EXPECT_OK(ValidateCreateCommissionOverride(request));
}

TEST(ValidateCreateCommissionOverrideTest, EachRuleNamesItsField) {
  affonso::v1::CreateCommissionOverrideRequest request = ValidOverride();
  request.set_incentive_id("");
  EXPECT_EQ(FieldAtFault(ValidateCreateCommissionOverride(request)), "incentive_id");
  for (double amount : {-0.01, 0.001, 1.005, 1e15, std::numeric_limits<double>::infinity(),
                        std::numeric_limits<double>::quiet_NaN()}) {
    request = ValidOverride();
    request.set_amount(amount);
    EXPECT_EQ(FieldAtFault(ValidateCreateCommissionOverride(request)), "amount") << amount;
  }
  request = ValidOverride();
  request.set_is_percentage(true);
  request.set_amount(100.01);
  EXPECT_EQ(FieldAtFault(ValidateCreateCommissionOverride(request)), "amount");
}

TEST_F(AffiliateServiceTest, CreateOverrideAnswers201WithTheCallersTeam) {
  affonso::v1::CreateCommissionOverrideRequest request = ValidOverride();
  affonso::v1::CommissionOverride response;
  grpc::Status status = Call(&Stub::CreateCommissionOverride, request, &response);
  ASSERT_OK(status);
  EXPECT_EQ(response.id(), "ovr_new");
  EXPECT_EQ(store_.teams, std::vector<std::string>{kTeam});
  EXPECT_EQ(store_.last_override.incentive_id(), "inc_1");
  EXPECT_EQ(Initial(kHttpCodeKey), "201");
}

TEST_F(AffiliateServiceTest, CreateOverrideRejectsBadInputBeforeTheStore) {
  affonso::v1::CreateCommissionOverrideRequest request = ValidOverride();
  request.set_amount(-1);
  affonso::v1::CommissionOverride response;
  EXPECT_THAT(Call(&Stub::CreateCommissionOverride, request, &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(kErrorFieldKey), "amount");

  request = ValidOverride();
  request.set_affiliate_id("grp_1");
  grpc::Status status = Call(&Stub::CreateCommissionOverride, request, &response);
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(status.error_message(), "affiliate not found");
  request = ValidOverride();
  request.set_incentive_id("grp_1");
  status = Call(&Stub::CreateCommissionOverride, request, &response);
  EXPECT_THAT(status, StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(status.error_message(), "incentive not found");
  EXPECT_TRUE(store_.calls.empty());
}

TEST_F(AffiliateServiceTest, CreateOverrideDuplicateIsDuplicateErrorOnIncentiveId) {
  store_.next_status = DuplicateError("incentive_id", "already overridden");
  affonso::v1::CreateCommissionOverrideRequest request = ValidOverride();
  affonso::v1::CommissionOverride response;
  EXPECT_THAT(Call(&Stub::CreateCommissionOverride, request, &response),
              StatusIs(grpc::StatusCode::ALREADY_EXISTS));
  EXPECT_EQ(Trailer(kErrorCodeKey), "DUPLICATE_ERROR");
  EXPECT_EQ(Trailer(kErrorFieldKey), "incentive_id");
  EXPECT_EQ(Initial(kHttpCodeKey), "");
}

TEST_F(AffiliateServiceTest, DeleteOverrideAnswersIdAndDeleted) {
  affonso::v1::DeleteCommissionOverrideRequest request;
  request.set_affiliate_id("aff_1");
  request.set_id("ovr_1");
  affonso::v1::DeleteCommissionOverrideResponse response;
  ASSERT_OK(Call(&Stub::DeleteCommissionOverride, request, &response));
  EXPECT_EQ(response.id(), "ovr_1");
  EXPECT_TRUE(response.deleted());
  EXPECT_EQ(response.message(), "commission override deleted");
  EXPECT_EQ(store_.last_deleted_override, "aff_1/ovr_1");

  request.set_id("inc_1");
  EXPECT_THAT(Call(&Stub::DeleteCommissionOverride, request, &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  request.set_id("ovr_1");
  request.set_affiliate_id("x");
  EXPECT_THAT(Call(&Stub::DeleteCommissionOverride, request, &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(store_.calls.size(), 1u);

  request.set_affiliate_id("aff_1");
  store_.next_status = NotFoundError("commission override");
  EXPECT_THAT(Call(&Stub::DeleteCommissionOverride, request, &response),
              StatusIs(grpc::StatusCode::NOT_FOUND));
}

TEST_F(AffiliateServiceTest, GetExpandsOverridesOnlyWhenAsked) {
  affonso::v1::CommissionOverride commission_override;
  commission_override.set_id("ovr_1");
  store_.overrides["aff_1"].push_back(commission_override);
  affonso::v1::GetAffiliateRequest request;
  request.set_id("aff_1");
  Affiliate plain;
  ASSERT_OK(Call(&Stub::GetAffiliate, request, &plain));
  EXPECT_EQ(plain.commission_overrides_size(), 0);
  EXPECT_FALSE(plain.has_payout_method());
  EXPECT_EQ(plain.expanded_size(), 0);
  EXPECT_EQ(store_.calls, std::vector<std::string>{"get"});

  request.add_expand("commissionOverrides");
  Affiliate expanded;
  ASSERT_OK(Call(&Stub::GetAffiliate, request, &expanded));
  ASSERT_EQ(expanded.commission_overrides_size(), 1);
  EXPECT_EQ(expanded.commission_overrides(0).id(), "ovr_1");
  EXPECT_EQ(store_.teams.back(), kTeam);
  EXPECT_EQ(std::vector<std::string>(expanded.expanded().begin(), expanded.expanded().end()),
            std::vector<std::string>{"commission_overrides"});
  EXPECT_FALSE(expanded.has_payout_method());
}

TEST_F(AffiliateServiceTest, GetAcceptsEverySdkExpansion) {
  affonso::v1::GetAffiliateRequest request;
  request.set_id("aff_1");
  request.add_expand("promoCodes,invoiceDetails,payoutMethod,onboardingResponses");
  Affiliate response;
  ASSERT_OK(Call(&Stub::GetAffiliate, request, &response));
  EXPECT_EQ(response.expanded_size(), 4);
  EXPECT_EQ(response.promo_codes_size(), 0);
  ASSERT_TRUE(response.has_payout_method());
  EXPECT_EQ(response.payout_method().type(), "paypal");
  EXPECT_FALSE(response.has_invoice_details());
  // No override lookup unless commissionOverrides is asked for.
  EXPECT_EQ(store_.calls, std::vector<std::string>{"get"});

  request.add_expand("payouts");
  EXPECT_THAT(Call(&Stub::GetAffiliate, request, &response),
              StatusIs(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Trailer(kErrorCodeKey), "VALIDATION_ERROR");
  EXPECT_EQ(Trailer(kErrorFieldKey), "expand");
}

TEST_F(AffiliateServiceTest, ListExpandsTheWholePageWithOneLookup) {
  affonso::v1::CommissionOverride first, second;
  first.set_id("ovr_a");
  second.set_id("ovr_b");
  store_.overrides["aff_2"] = {first, second};
  ListAffiliatesRequest request;
  request.add_expand("commissionOverrides");
  affonso::v1::ListAffiliatesResponse response;
  ASSERT_OK(Call(&Stub::ListAffiliates, request, &response));
  ASSERT_EQ(store_.override_lookups.size(), 1u);
  EXPECT_EQ(store_.override_lookups[0], (std::vector<std::string>{"aff_0", "aff_1", "aff_2"}));
  ASSERT_EQ(response.data_size(), 3);
  EXPECT_EQ(response.data(0).commission_overrides_size(), 0);
  EXPECT_EQ(response.data(1).commission_overrides_size(), 0);
  ASSERT_EQ(response.data(2).commission_overrides_size(), 2);
  EXPECT_EQ(response.data(2).commission_overrides(1).id(), "ovr_b");
  // Every affiliate of the page says it was expanded, those without any too.
  EXPECT_EQ(response.data(0).expanded_size(), 1);

  request.clear_expand();
  affonso::v1::ListAffiliatesResponse plain;
  ASSERT_OK(Call(&Stub::ListAffiliates, request, &plain));
  EXPECT_EQ(store_.override_lookups.size(), 1u);
}

TEST(PromoCodeOfTest, IsTheCouponInTheSdksPromoCodeShape) {
  affonso::v1::Coupon coupon;
  coupon.set_id("cpn_1");
  coupon.set_code("Save10");
  coupon.set_discount_type(affonso::v1::DISCOUNT_TYPE_FIXED);
  coupon.set_discount_value(12.5);
  coupon.set_duration(affonso::v1::COUPON_DURATION_REPEATING);
  coupon.mutable_created_at()->set_seconds(1700000000);
  const affonso::v1::AffiliatePromoCode promo_code = PromoCodeOf(coupon);
  EXPECT_EQ(promo_code.code(), "Save10");
  EXPECT_EQ(promo_code.coupon_id(), "cpn_1");
  EXPECT_FALSE(promo_code.has_promo_code_id());
  EXPECT_EQ(promo_code.discount_type(), "fixed");
  EXPECT_EQ(promo_code.discount_value(), 12.5);
  EXPECT_EQ(promo_code.duration(), "repeating");
  EXPECT_EQ(promo_code.created_at().seconds(), 1700000000);
  coupon.set_discount_type(affonso::v1::DISCOUNT_TYPE_PERCENTAGE);
  coupon.set_duration(affonso::v1::COUPON_DURATION_ONCE);
  EXPECT_EQ(PromoCodeOf(coupon).discount_type(), "percentage");
  EXPECT_EQ(PromoCodeOf(coupon).duration(), "once");
}

TEST_F(AffiliateServiceTest, PromoCodesAreTheAffiliatesCouponsWithOneLookupPerPage) {
  affonso::v1::Coupon coupon;
  coupon.set_id("cpn_1");
  coupon.set_affiliate_id("aff_2");
  coupon.set_code("FIRST");
  coupons_.by_affiliate["aff_2"].push_back(coupon);
  coupon.set_id("cpn_2");
  coupon.set_code("SECOND");
  coupons_.by_affiliate["aff_2"].push_back(coupon);
  ListAffiliatesRequest request;
  request.add_expand("promoCodes");
  affonso::v1::ListAffiliatesResponse response;
  ASSERT_OK(Call(&Stub::ListAffiliates, request, &response));
  ASSERT_EQ(coupons_.lookups.size(), 1u);
  EXPECT_EQ(coupons_.lookups[0], (std::vector<std::string>{"aff_0", "aff_1", "aff_2"}));
  EXPECT_EQ(coupons_.teams[0], kTeam);
  ASSERT_EQ(response.data_size(), 3);
  EXPECT_EQ(response.data(0).promo_codes_size(), 0);
  EXPECT_EQ(response.data(0).expanded_size(), 1);  // rendered as []
  ASSERT_EQ(response.data(2).promo_codes_size(), 2);
  EXPECT_EQ(response.data(2).promo_codes(0).code(), "FIRST");
  EXPECT_EQ(response.data(2).promo_codes(1).coupon_id(), "cpn_2");

  request.clear_expand();
  affonso::v1::ListAffiliatesResponse plain;
  ASSERT_OK(Call(&Stub::ListAffiliates, request, &plain));
  EXPECT_EQ(coupons_.lookups.size(), 1u);
  EXPECT_EQ(plain.data(2).promo_codes_size(), 0);
}

}  // namespace
}  // namespace affonso::services

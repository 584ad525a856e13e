#include "storage/pg_program_terms_store.h"

#include <string>
#include <thread>
#include <vector>

#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"

namespace affonso::storage {
namespace {

namespace v1 = affonso::v1;
using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;

class PgProgramTermsStoreTest : public testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgProgramTermsStore>(&db_->pool());
  }

  template <typename T>
  static T Parse(const std::string& json) {
    T message;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &message).ok()) << json;
    return message;
  }

  std::string Q(const std::string& sql) { return db_->QueryValue(sql); }

  std::unique_ptr<PgProgramTermsStore> store_;
};

TEST_F(PgProgramTermsStoreTest, PaymentTermsAreNullUntilTheFirstUpdateWhichStartsFromDefaults) {
  ASSERT_OK_AND_ASSIGN(v1::PaymentTermsResult result, store_->GetPaymentTerms(a_.team_id, ""));
  EXPECT_FALSE(result.has_terms());

  ASSERT_OK_AND_ASSIGN(
      v1::PaymentTerms terms,
      store_->UpdatePaymentTerms(
          a_.team_id, "",
          Parse<v1::PaymentTermsUpdate>(
              R"({"paymentThreshold":10.1,"paymentFrequency":"PAYMENT_FREQUENCY_WEEKLY",)"
              R"("paymentMethods":["paypal","wise"],"ownerVatRate":19.25,)"
              R"("commissionsLimit":12,"invoicePrefix":"INV"})")));
  EXPECT_EQ(terms.payment_threshold(), 10.1);
  EXPECT_EQ(terms.payment_frequency(), v1::PAYMENT_FREQUENCY_WEEKLY);
  EXPECT_EQ(terms.commission_type(), v1::PAYMENT_COMMISSION_TYPE_PERCENTAGE) << "the default";
  EXPECT_EQ(terms.commission_duration(), v1::COMMISSION_DURATION_LIFETIME);
  EXPECT_EQ(terms.invoice_rule(), v1::INVOICE_RULE_NONE);
  EXPECT_EQ(terms.cookie_lifetime(), 30);
  ASSERT_EQ(terms.payment_methods_size(), 2);
  EXPECT_EQ(terms.payment_methods(1), "wise");
  EXPECT_EQ(terms.owner_vat_rate(), 19.25);
  EXPECT_EQ(terms.commissions_limit(), 12);
  EXPECT_FALSE(terms.has_commissions_hold_days());
  EXPECT_FALSE(terms.has_owner_city());
  EXPECT_EQ(terms.invoice_prefix(), "INV");
  // Stored exactly: numeric, from decimal text.
  EXPECT_EQ(Q("SELECT payment_threshold::text || '/' || owner_vat_rate::text FROM "
              "program_payment_terms WHERE team_id = '" +
              a_.team_id + "'"),
            "10.10/19.25");

  // Absent stays, null clears, and the read answers what the update did.
  ASSERT_OK_AND_ASSIGN(
      terms, store_->UpdatePaymentTerms(a_.team_id, a_.program_id,
                                        Parse<v1::PaymentTermsUpdate>(
                                            R"({"commissionsLimit":null,"invoicePrefix":null})")));
  EXPECT_FALSE(terms.has_commissions_limit());
  EXPECT_FALSE(terms.has_invoice_prefix());
  EXPECT_EQ(terms.payment_threshold(), 10.1);
  ASSERT_OK_AND_ASSIGN(result, store_->GetPaymentTerms(a_.team_id, a_.program_id));
  ASSERT_TRUE(result.has_terms());
  EXPECT_EQ(result.terms().SerializeAsString(), terms.SerializeAsString());

  // The other team's program is still unset, and A's is not B's.
  ASSERT_OK_AND_ASSIGN(result, store_->GetPaymentTerms(b_.team_id, ""));
  EXPECT_FALSE(result.has_terms());
  EXPECT_THAT(store_->GetPaymentTerms(b_.team_id, a_.program_id),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->UpdatePaymentTerms(b_.team_id, a_.program_id, v1::PaymentTermsUpdate()),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgProgramTermsStoreTest, APercentageAbove100IsRefusedAgainstTheStoredType) {
  ASSERT_OK(store_
                ->UpdatePaymentTerms(a_.team_id, "",
                                     Parse<v1::PaymentTermsUpdate>(R"({"commissionRate":100})"))
                .status());
  EXPECT_THAT(store_->UpdatePaymentTerms(
                  a_.team_id, "", Parse<v1::PaymentTermsUpdate>(R"({"commissionRate":150.5})")),
              HasApiError("VALIDATION_ERROR", "commission_rate"))
      << "the stored type is the default, percentage";
  ASSERT_OK_AND_ASSIGN(
      v1::PaymentTerms terms,
      store_->UpdatePaymentTerms(
          a_.team_id, "",
          Parse<v1::PaymentTermsUpdate>(
              R"({"commissionType":"PAYMENT_COMMISSION_TYPE_FIXED","commissionRate":150.5})")));
  EXPECT_EQ(terms.commission_rate(), 150.5);
  EXPECT_THAT(
      store_->UpdatePaymentTerms(a_.team_id, "",
                                 Parse<v1::PaymentTermsUpdate>(
                                     R"({"commissionType":"PAYMENT_COMMISSION_TYPE_PERCENTAGE"})")),
      HasApiError("VALIDATION_ERROR", "commission_rate"));
  ASSERT_OK_AND_ASSIGN(v1::PaymentTermsResult result, store_->GetPaymentTerms(a_.team_id, ""));
  EXPECT_EQ(result.terms().commission_type(), v1::PAYMENT_COMMISSION_TYPE_FIXED)
      << "a refused update changed nothing";
}

TEST_F(PgProgramTermsStoreTest, RestrictionsAndPortalRoundTrip) {
  ASSERT_OK_AND_ASSIGN(v1::RestrictionsResult restrictions,
                       store_->GetRestrictions(a_.team_id, ""));
  EXPECT_FALSE(restrictions.has_restrictions());
  ASSERT_OK_AND_ASSIGN(
      v1::Restrictions set,
      store_->UpdateRestrictions(
          a_.team_id, "",
          Parse<v1::RestrictionsUpdate>(R"({"websites":true,"brandBidding":true,)"
                                        R"("additionalRestrictions":"no trademark bidding"})")));
  EXPECT_TRUE(set.websites());
  EXPECT_TRUE(set.brand_bidding());
  EXPECT_FALSE(set.incent());
  EXPECT_EQ(set.additional_restrictions(), "no trademark bidding");
  ASSERT_OK_AND_ASSIGN(
      set, store_->UpdateRestrictions(a_.team_id, "",
                                      Parse<v1::RestrictionsUpdate>(R"({"websites":false})")));
  EXPECT_FALSE(set.websites());
  EXPECT_TRUE(set.brand_bidding());
  EXPECT_EQ(set.additional_restrictions(), "no trademark bidding");

  ASSERT_OK_AND_ASSIGN(v1::PortalSettingsResult portal, store_->GetPortalSettings(a_.team_id, ""));
  EXPECT_FALSE(portal.has_portal());
  ASSERT_OK_AND_ASSIGN(
      v1::PortalSettings settings,
      store_->UpdatePortalSettings(
          a_.team_id, "",
          Parse<v1::PortalSettingsUpdate>(R"({"primaryColor":"#112233","showLeaderboard":true,)"
                                          R"("customTexts":{"welcome":"Hello","n":{"x":1}}})")));
  EXPECT_EQ(settings.primary_color(), "#112233");
  EXPECT_FALSE(settings.has_secondary_color());
  EXPECT_TRUE(settings.show_leaderboard());
  ASSERT_TRUE(settings.has_custom_texts());
  EXPECT_EQ(settings.custom_texts().fields().at("welcome").string_value(), "Hello");
  ASSERT_OK_AND_ASSIGN(
      settings, store_->UpdatePortalSettings(
                    a_.team_id, "", Parse<v1::PortalSettingsUpdate>(R"({"customTexts":null})")));
  EXPECT_FALSE(settings.has_custom_texts());
  EXPECT_EQ(settings.primary_color(), "#112233");
  ASSERT_OK_AND_ASSIGN(portal, store_->GetPortalSettings(b_.team_id, ""));
  EXPECT_FALSE(portal.has_portal()) << "B's program is its own";
  EXPECT_THAT(store_->GetPortalSettings(b_.team_id, a_.program_id),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->UpdateRestrictions(b_.team_id, a_.program_id, v1::RestrictionsUpdate()),
              StatusIs(absl::StatusCode::kNotFound));
}

// A PATCH protobuf's JSON printer refuses (an object nested past its
// recursion limit: the service never lets one through) is an error that
// changes nothing, never a 200 that silently patched nothing.
TEST_F(PgProgramTermsStoreTest, APatchThatDoesNotPrintIsInternalAndChangesNothing) {
  ASSERT_OK(store_->UpdatePortalSettings(
      a_.team_id, "", Parse<v1::PortalSettingsUpdate>(R"({"primaryColor":"#112233"})")));
  v1::PortalSettingsUpdate update =
      Parse<v1::PortalSettingsUpdate>(R"({"primaryColor":"#445566"})");
  google::protobuf::Value* at = update.mutable_custom_texts();
  for (int i = 0; i < 300; ++i) at = &(*at->mutable_struct_value()->mutable_fields())["x"];
  at->set_string_value("deep");
  EXPECT_THAT(store_->UpdatePortalSettings(a_.team_id, "", update),
              StatusIs(absl::StatusCode::kInternal));
  ASSERT_OK_AND_ASSIGN(v1::PortalSettingsResult portal, store_->GetPortalSettings(a_.team_id, ""));
  EXPECT_EQ(portal.portal().primary_color(), "#112233");
  EXPECT_FALSE(portal.portal().has_custom_texts());
}

// Racing first PATCHes of different fields: one row, and every field kept (each update
// patches only its own columns, on the row as the last commit left it).
TEST_F(PgProgramTermsStoreTest, RacingUpdatesOfDifferentFieldsKeepEveryOne) {
  const char* fields[] = {
      "websites",      "socialMarketing",      "organicSocial", "emailMarketing",
      "mobileTraffic", "organicSearch",        "rebrokering",   "incent",
      "brandBidding",  "searchEngineMarketing"};
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(std::size(fields));
  for (size_t i = 0; i < std::size(fields); ++i) {
    threads.emplace_back([&, i] {
      results[i] = store_
                       ->UpdateRestrictions(a_.team_id, "",
                                            Parse<v1::RestrictionsUpdate>(std::string("{\"") +
                                                                          fields[i] + "\":true}"))
                       .status();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& result : results) EXPECT_OK(result);
  ASSERT_OK_AND_ASSIGN(v1::RestrictionsResult result, store_->GetRestrictions(a_.team_id, ""));
  const v1::Restrictions& r = result.restrictions();
  EXPECT_TRUE(r.websites() && r.social_marketing() && r.organic_social() && r.email_marketing() &&
              r.mobile_traffic() && r.organic_search() && r.rebrokering() && r.incent() &&
              r.brand_bidding() && r.search_engine_marketing())
      << r.DebugString();
  EXPECT_EQ(Q("SELECT count(*) FROM program_restrictions"), "1");
}

}  // namespace
}  // namespace affonso::storage

#include "services/api/program_terms.h"

#include <string>

#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::HasApiError;
using affonso::v1::PaymentTermsUpdate;
using affonso::v1::PortalSettingsUpdate;
using affonso::v1::RestrictionsUpdate;

template <typename T>
T Parse(const std::string& json) {
  T message;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &message).ok()) << json;
  return message;
}

TEST(PaymentTermsValidationTest, AcceptsTheSdkFieldsAndNormalises) {
  ASSERT_OK_AND_ASSIGN(
      PaymentTermsUpdate normalized,
      ValidatePaymentTermsUpdate(Parse<PaymentTermsUpdate>(
          R"({"commissionType":"PAYMENT_COMMISSION_TYPE_PERCENTAGE","commissionRate":25.5,)"
          R"("commissionsLimit":12,"commissionsHoldDays":null,"paymentThreshold":10,)"
          R"("paymentMethods":[" paypal ","wise","paypal"],"cookieLifetime":60,)"
          R"("invoicePrefix":"INV-","ownerCountry":"de","ownerVatRate":19,"ownerCity":""})")));
  ASSERT_EQ(normalized.payment_methods().values_size(), 2);
  EXPECT_EQ(normalized.payment_methods().values(0).string_value(), "paypal");
  EXPECT_EQ(normalized.owner_country().string_value(), "DE");
  EXPECT_TRUE(normalized.owner_city().has_null_value()) << "\"\" clears";
  EXPECT_TRUE(normalized.commissions_hold_days().has_null_value());
  EXPECT_FALSE(normalized.has_owner_company_name()) << "absent stays absent";
  EXPECT_FALSE(normalized.has_owner_vat_id());
}

TEST(PaymentTermsValidationTest, EveryFieldIsChecked) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"commissionType":"PAYMENT_COMMISSION_TYPE_UNSPECIFIED"})", "commission_type"},
      {R"({"commissionType":"PAYMENT_COMMISSION_TYPE_PERCENTAGE","commissionRate":100.01})",
       "commission_rate"},
      {R"({"commissionRate":1.005})", "commission_rate"},
      {R"({"commissionRate":-1})", "commission_rate"},
      {R"({"commissionsLimit":0})", "commissions_limit"},
      {R"({"commissionsLimit":1.5})", "commissions_limit"},
      {R"({"commissionsLimit":"12"})", "commissions_limit"},
      {R"({"commissionsHoldDays":3651})", "commissions_hold_days"},
      {R"({"paymentThreshold":50.001})", "payment_threshold"},
      {R"({"paymentThreshold":-5})", "payment_threshold"},
      {R"({"paymentMethods":[1]})", "payment_methods"},
      {R"({"paymentMethods":[""]})", "payment_methods"},
      {R"({"paymentMethods":["a","b","c","d","e","f","g","h","i","j","k"]})", "payment_methods"},
      {R"({"cookieLifetime":0})", "cookie_lifetime"},
      {R"({"cookieLifetime":3651})", "cookie_lifetime"},
      {R"({"invoicePrefix":"IN V"})", "invoice_prefix"},
      {R"({"invoicePrefix":"ABCDEFGHIJKLMNOPQRSTU"})", "invoice_prefix"},
      {R"({"ownerCountry":"Germany"})", "owner_country"},
      {R"({"ownerCountry":"1A"})", "owner_country"},
      {R"({"ownerVatRate":100.5})", "owner_vat_rate"},
      {R"({"ownerVatRate":"19"})", "owner_vat_rate"},
      {R"({"ownerCompanyName":7})", "owner_company_name"},
  };
  for (const auto& [json, field] : cases) {
    EXPECT_THAT(ValidatePaymentTermsUpdate(Parse<PaymentTermsUpdate>(json)).status(),
                HasApiError("VALIDATION_ERROR", field))
        << json;
  }
  PaymentTermsUpdate long_name;
  long_name.mutable_owner_company_name()->set_string_value(std::string(256, 'x'));
  EXPECT_THAT(ValidatePaymentTermsUpdate(long_name).status(),
              HasApiError("VALIDATION_ERROR", "owner_company_name"));
  PaymentTermsUpdate unknown_enum;
  unknown_enum.set_invoice_rule(static_cast<affonso::v1::InvoiceRule>(9));
  EXPECT_THAT(ValidatePaymentTermsUpdate(unknown_enum).status(),
              HasApiError("VALIDATION_ERROR", "invoice_rule"));
}

TEST(RestrictionsValidationTest, AdditionalRestrictionsIsANullableBoundedText) {
  ASSERT_OK_AND_ASSIGN(RestrictionsUpdate normalized,
                       ValidateRestrictionsUpdate(Parse<RestrictionsUpdate>(
                           R"({"websites":true,"additionalRestrictions":"no coupons sites"})")));
  EXPECT_EQ(normalized.additional_restrictions().string_value(), "no coupons sites");
  ASSERT_OK_AND_ASSIGN(normalized,
                       ValidateRestrictionsUpdate(Parse<RestrictionsUpdate>(R"({"incent":true})")));
  EXPECT_FALSE(normalized.has_additional_restrictions());
  EXPECT_THAT(
      ValidateRestrictionsUpdate(Parse<RestrictionsUpdate>(R"({"additionalRestrictions":["x"]})"))
          .status(),
      HasApiError("VALIDATION_ERROR", "additional_restrictions"));
}

TEST(PortalValidationTest, ColoursEmailAndCustomTexts) {
  ASSERT_OK_AND_ASSIGN(
      PortalSettingsUpdate normalized,
      ValidatePortalSettingsUpdate(Parse<PortalSettingsUpdate>(
          R"({"primaryColor":"#FFaa00","secondaryColor":null,)"
          R"("supportEmailValue":" help@shop.example ","customTexts":{"welcome":"Hi","cta.x":1}})")));
  EXPECT_EQ(normalized.primary_color().string_value(), "#ffaa00");
  EXPECT_TRUE(normalized.secondary_color().has_null_value());
  EXPECT_EQ(normalized.support_email_value().string_value(), "help@shop.example");
  EXPECT_FALSE(normalized.has_terms_conditions_value());

  const std::pair<const char*, const char*> cases[] = {
      {R"({"primaryColor":"#fff"})", "primary_color"},
      {R"({"primaryColor":"ffaa00"})", "primary_color"},
      {R"({"secondaryColor":"#gggggg"})", "secondary_color"},
      {R"({"secondaryColor":12})", "secondary_color"},
      {R"({"supportEmailValue":"not an email"})", "support_email_value"},
      {R"({"customTexts":"hello"})", "custom_texts"},
      {R"({"customTexts":["a"]})", "custom_texts"},
      {R"({"customTexts":{"bad key":"x"}})", "custom_texts"},
      {R"({"customTexts":{"":"x"}})", "custom_texts"},
  };
  for (const auto& [json, field] : cases) {
    EXPECT_THAT(ValidatePortalSettingsUpdate(Parse<PortalSettingsUpdate>(json)).status(),
                HasApiError("VALIDATION_ERROR", field))
        << json;
  }
  PortalSettingsUpdate big;
  auto& texts = *big.mutable_custom_texts()->mutable_struct_value()->mutable_fields();
  for (int i = 0; i < 51; ++i) texts["k" + std::to_string(i)].set_string_value("v");
  EXPECT_THAT(ValidatePortalSettingsUpdate(big).status(),
              HasApiError("VALIDATION_ERROR", "custom_texts"));
  PortalSettingsUpdate heavy;
  (*heavy.mutable_custom_texts()->mutable_struct_value()->mutable_fields())["long"]
      .set_string_value(std::string(9000, 'x'));
  EXPECT_THAT(ValidatePortalSettingsUpdate(heavy).status(),
              HasApiError("VALIDATION_ERROR", "custom_texts"));
  PortalSettingsUpdate terms;
  terms.mutable_terms_conditions_value()->set_string_value(std::string(5001, 'x'));
  EXPECT_THAT(ValidatePortalSettingsUpdate(terms).status(),
              HasApiError("VALIDATION_ERROR", "terms_conditions_value"));
}

}  // namespace
}  // namespace affonso::services

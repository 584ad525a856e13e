#include "services/api/conversion_metrics.h"

#include "common/api_error.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

uint64_t Signups(metrics::Registry& registry, const char* outcome) {
  return registry.AddCounter("affonso_signups_total", "", {"outcome"})
      .WithLabels({outcome})
      .Value();
}

uint64_t Flags(metrics::Registry& registry, const char* check, const char* action) {
  return registry.AddCounter("affonso_fraud_flags_total", "", {"check", "action"})
      .WithLabels({check, action})
      .Value();
}

affonso::v1::Referral WithFlag(affonso::v1::Referral referral, affonso::v1::FraudCheck check,
                               affonso::v1::FraudMode mode) {
  affonso::v1::FraudFlag* flag = referral.add_fraud_flags();
  flag->set_check(check);
  flag->set_mode(mode);
  return referral;
}

TEST(ConversionMetricsTest, CountsSignupOutcomes) {
  metrics::Registry registry;
  ConversionMetrics conversions(&registry);
  affonso::v1::Referral lead;
  lead.set_status(affonso::v1::REFERRAL_STATUS_LEAD);
  conversions.CountSignup(absl::OkStatus(), true, &lead);
  conversions.CountSignup(absl::OkStatus(), false, &lead);
  conversions.CountSignup(absl::OkStatus(), false, &lead);
  affonso::v1::Referral blocked =
      WithFlag(lead, affonso::v1::FRAUD_CHECK_SELF_REFERRAL, affonso::v1::FRAUD_MODE_BLOCK);
  blocked.set_status(affonso::v1::REFERRAL_STATUS_REJECTED);
  conversions.CountSignup(absl::OkStatus(), true, &blocked);
  conversions.CountSignup(ValidationError("email", "bad"), false, nullptr);
  conversions.CountSignup(NotFoundError("click"), false, nullptr);
  conversions.CountSignup(absl::ResourceExhaustedError("rate limited"), false, nullptr);
  conversions.CountSignup(absl::UnavailableError("db"), false, nullptr);
  EXPECT_EQ(Signups(registry, "created"), 1u);
  EXPECT_EQ(Signups(registry, "existing"), 2u);
  EXPECT_EQ(Signups(registry, "rejected"), 4u);
  EXPECT_EQ(Signups(registry, "failed"), 1u);
  EXPECT_EQ(Flags(registry, "self_referral", "blocked"), 1u);
}

TEST(ConversionMetricsTest, CountsEachFlagOfNewReferralsOnly) {
  metrics::Registry registry;
  ConversionMetrics conversions(&registry);
  affonso::v1::Referral referral;
  referral =
      WithFlag(referral, affonso::v1::FRAUD_CHECK_SUSPICIOUS_EMAIL, affonso::v1::FRAUD_MODE_DETECT);
  referral =
      WithFlag(referral, affonso::v1::FRAUD_CHECK_PAID_TRAFFIC, affonso::v1::FRAUD_MODE_BLOCK);
  conversions.CountSignup(absl::OkStatus(), true, &referral);
  conversions.CountSignup(absl::OkStatus(), false, &referral);  // a repeat: not again
  conversions.CountFraudFlags(referral);                        // a direct referral
  EXPECT_EQ(Flags(registry, "suspicious_email", "flagged"), 2u);
  EXPECT_EQ(Flags(registry, "paid_traffic", "blocked"), 2u);
  EXPECT_EQ(Flags(registry, "self_referral", "flagged"), 0u);
}

}  // namespace
}  // namespace affonso::services

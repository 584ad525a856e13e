#include "services/api/conversion_metrics.h"

#include "common/api_error.h"
#include "storage/fraud_names.h"

namespace affonso::services {
namespace {

// The check label is the stored name (storage/fraud_names.h). The action label
// is not the mode's name on purpose: it names what happened to the referral
// ("flagged" in detect mode, "blocked" in block mode), not the setting.
const char* CheckLabel(affonso::v1::FraudCheck check) {
  const char* name = storage::FraudCheckToDb(check);
  return name != nullptr ? name : "unknown";
}

}  // namespace

ConversionMetrics::ConversionMetrics(metrics::Registry* registry)
    : signups_(registry->AddCounter(
          "affonso_signups_total",
          "RecordSignup answers by outcome: created (new lead), existing (repeat of a "
          "converted click), rejected (bad input, unknown click, no key, rate limited, or "
          "blocked by a fraud check), failed (server-side error).",
          {"outcome"})),
      fraud_flags_(registry->AddCounter(
          "affonso_fraud_flags_total",
          "Fraud checks that fired on new referrals (signups and direct), by check and action "
          "(flagged: detect mode, blocked: block mode).",
          {"check", "action"})) {}

void ConversionMetrics::CountSignup(const absl::Status& status, bool created,
                                    const affonso::v1::Referral* referral) {
  const char* outcome = "failed";
  if (!status.ok()) {
    outcome = IsServerFault(status.code()) ? "failed" : "rejected";
  } else if (!created) {
    outcome = "existing";
  } else {
    outcome = referral != nullptr && referral->status() == affonso::v1::REFERRAL_STATUS_REJECTED
                  ? "rejected"
                  : "created";
  }
  signups_.WithLabels({outcome}).Increment();
  if (status.ok() && created && referral != nullptr) CountFraudFlags(*referral);
}

void ConversionMetrics::CountFraudFlags(const affonso::v1::Referral& referral) {
  for (const affonso::v1::FraudFlag& flag : referral.fraud_flags()) {
    const char* action = flag.mode() == affonso::v1::FRAUD_MODE_BLOCK    ? "blocked"
                         : flag.mode() == affonso::v1::FRAUD_MODE_DETECT ? "flagged"
                                                                         : nullptr;
    if (action == nullptr) continue;  // off: never stored
    fraud_flags_.WithLabels({CheckLabel(flag.check()), action}).Increment();
  }
}

}  // namespace affonso::services

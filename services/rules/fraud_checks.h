#ifndef AFFONSO_SERVICES_RULES_FRAUD_CHECKS_H_
#define AFFONSO_SERVICES_RULES_FRAUD_CHECKS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/rules/disposable_domains.h"

namespace affonso::services {

enum class FraudMode { kOff, kDetect, kBlock };
enum class FraudCheck { kSelfReferral, kSuspiciousEmail, kPaidTraffic };

struct FraudRules {            // a program's settings, as stored
  FraudMode self_referral = FraudMode::kDetect;
  FraudMode suspicious_email = FraudMode::kDetect;
  FraudMode paid_traffic = FraudMode::kDetect;
  std::vector<std::string> paid_click_params = {"gclid", "fbclid", "msclkid", "ttclid"};
  std::vector<std::string> paid_utm_mediums;   // lower-case
  std::vector<std::string> allowed_email_domains;  // lower-case; never "suspicious", nor their subdomains
};

struct FraudSubject {          // what one signup / direct referral looks like
  std::string lead_email, lead_external_user_id;
  std::string affiliate_email, affiliate_external_user_id;
  // The click's parameters (empty when there was no click).
  std::string gclid, fbclid, msclkid, ttclid, utm_medium;
};

struct FraudFlag { FraudCheck check; FraudMode mode; };

struct FraudVerdict {
  std::vector<FraudFlag> flags;   // every enabled check that fired, in check order, even after one blocks
  bool rejected = false;          // a flag in block mode fired
};

FraudVerdict EvaluateFraud(const FraudRules& rules, const FraudSubject& subject,
                           const DisposableDomains& disposable);

// Lower-case, trimmed; for gmail.com / googlemail.com: dots removed from the local part and
// domain folded to gmail.com; for every domain: a "+tag" suffix of the local part removed.
std::string NormalizeEmail(absl::string_view email);

// "self_referral" / "suspicious_email" / "paid_traffic" and "off" / "detect" / "block": the
// strings stored in the database and in referrals.fraud_flags JSON; and the parse back
// (unknown text -> nullopt).
const char* FraudCheckName(FraudCheck check);
const char* FraudModeName(FraudMode mode);
std::optional<FraudMode> ParseFraudMode(absl::string_view text);

// The JSON array stored in referrals.fraud_flags: [{"check":"self_referral","mode":"detect"},...]
std::string FraudFlagsJson(const std::vector<FraudFlag>& flags);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_RULES_FRAUD_CHECKS_H_

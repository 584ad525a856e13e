#ifndef AFFONSO_SERVICES_RULES_FRAUD_CHECKS_H_
#define AFFONSO_SERVICES_RULES_FRAUD_CHECKS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/rules/disposable_domains.h"
#include "storage/conversion_policy.h"

namespace affonso::services {

// The rules and the subject are the conversion seam's types (storage fills
// them from the database); the modes and checks are affonso.v1.FraudMode and
// affonso.v1.FraudCheck.
using storage::FraudRules;
using storage::FraudSubject;

struct FraudVerdict {
  // Every enabled check that fired, in check order, even after one blocks.
  std::vector<affonso::v1::FraudFlag> flags;
  bool rejected = false;  // a flag in block mode fired
};

// A check runs unless its mode is OFF (UNSPECIFIED never reaches here: storage
// reads an unknown stored mode as the column default). Checks run in the
// SDK's order of the modes: self referral, cross-program ban, duplicate
// payout, suspicious email, banned referral, paid traffic, blocked country.
// Cross-program ban and duplicate payout judge facts storage looked up
// (FraudSubject); the others judge the subject against the rules.
FraudVerdict EvaluateFraud(const FraudRules& rules, const FraudSubject& subject,
                           const DisposableDomains& disposable);

// The host of a click's referrer, lower case, without port, userinfo or
// trailing dot: "https://User@Spam.Example:8080/x?y" -> "spam.example"; a
// bare "spam.example/x" works too. "" when there is none (or an IPv6
// literal).
std::string ReferrerHost(absl::string_view referrer);

// Lower-case, trimmed; for gmail.com / googlemail.com: dots removed from the local part and
// domain folded to gmail.com; for every domain: a "+tag" suffix of the local part removed.
std::string NormalizeEmail(absl::string_view email);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_RULES_FRAUD_CHECKS_H_

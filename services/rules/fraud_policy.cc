#include "services/rules/fraud_policy.h"

#include "services/rules/fraud_checks.h"

namespace affonso::services {
namespace {

// A mode the database should never hold falls back to the column default.
FraudMode ModeOr(const std::string& stored, FraudMode fallback) {
  return ParseFraudMode(stored).value_or(fallback);
}

}  // namespace

storage::ConversionDecision FraudPolicy::Decide(const storage::ConversionFacts& facts) const {
  FraudRules rules;
  rules.self_referral = ModeOr(facts.self_referral_mode, rules.self_referral);
  rules.suspicious_email = ModeOr(facts.suspicious_email_mode, rules.suspicious_email);
  rules.paid_traffic = ModeOr(facts.paid_traffic_mode, rules.paid_traffic);
  if (!facts.paid_click_params.empty()) rules.paid_click_params = facts.paid_click_params;
  rules.paid_utm_mediums = facts.paid_utm_mediums;
  rules.allowed_email_domains = facts.allowed_email_domains;

  FraudSubject subject;
  subject.lead_email = facts.lead_email;
  subject.lead_external_user_id = facts.lead_external_user_id;
  subject.affiliate_email = facts.affiliate_email;
  subject.affiliate_external_user_id = facts.affiliate_external_user_id;
  subject.gclid = facts.gclid;
  subject.fbclid = facts.fbclid;
  subject.msclkid = facts.msclkid;
  subject.ttclid = facts.ttclid;
  subject.utm_medium = facts.utm_medium;

  const FraudVerdict verdict = EvaluateFraud(rules, subject, *disposable_);
  storage::ConversionDecision decision;
  decision.rejected = verdict.rejected;
  decision.fraud_flags_json = FraudFlagsJson(verdict.flags);
  return decision;
}

}  // namespace affonso::services

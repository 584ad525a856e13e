#include "services/rules/fraud_checks.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace affonso::services {
namespace {

// The domain itself or one of its parents, never a bare TLD (the same rule
// as DisposableDomains::Contains, for the program's allow-list).
bool DomainOrParentIn(absl::string_view domain, const std::vector<std::string>& list) {
  for (absl::string_view candidate = domain;;) {
    size_t dot = candidate.find('.');
    if (dot == absl::string_view::npos) return false;
    for (const std::string& entry : list) {
      if (absl::EqualsIgnoreCase(candidate, entry)) return true;
    }
    candidate.remove_prefix(dot + 1);
  }
}

absl::string_view DomainOf(absl::string_view normalized_email) {
  size_t at = normalized_email.rfind('@');
  if (at == absl::string_view::npos) return {};
  absl::string_view domain = normalized_email.substr(at + 1);
  absl::ConsumeSuffix(&domain, ".");
  return domain;
}

bool IsSelfReferral(const FraudSubject& subject) {
  std::string lead = NormalizeEmail(subject.lead_email);
  if (!lead.empty() && lead == NormalizeEmail(subject.affiliate_email)) return true;
  return !subject.lead_external_user_id.empty() &&
         subject.lead_external_user_id == subject.affiliate_external_user_id;
}

bool IsSuspiciousEmail(const FraudRules& rules, const FraudSubject& subject,
                       const DisposableDomains& disposable) {
  std::string email = NormalizeEmail(subject.lead_email);
  absl::string_view domain = DomainOf(email);
  if (domain.empty() || !disposable.Contains(domain)) return false;
  return !DomainOrParentIn(domain, rules.allowed_email_domains);
}

bool IsBannedReferral(const FraudRules& rules, const FraudSubject& subject) {
  if (rules.banned_referral_domains.empty()) return false;
  const std::string host = ReferrerHost(subject.referrer);
  return !host.empty() && DomainOrParentIn(host, rules.banned_referral_domains);
}

bool IsBlockedCountry(const FraudRules& rules, const FraudSubject& subject) {
  absl::string_view country = absl::StripAsciiWhitespace(subject.country);
  if (country.empty()) return false;
  for (const std::string& blocked : rules.blocked_countries) {
    if (absl::EqualsIgnoreCase(country, blocked)) return true;
  }
  return false;
}

bool IsPaidTraffic(const FraudRules& rules, const FraudSubject& subject) {
  for (const std::string& name : rules.paid_click_params) {
    const std::string* value = nullptr;
    if (absl::EqualsIgnoreCase(name, "gclid")) value = &subject.gclid;
    if (absl::EqualsIgnoreCase(name, "fbclid")) value = &subject.fbclid;
    if (absl::EqualsIgnoreCase(name, "msclkid")) value = &subject.msclkid;
    if (absl::EqualsIgnoreCase(name, "ttclid")) value = &subject.ttclid;
    if (value != nullptr && !value->empty()) return true;
  }
  absl::string_view medium = absl::StripAsciiWhitespace(subject.utm_medium);
  if (medium.empty()) return false;
  for (const std::string& paid : rules.paid_utm_mediums) {
    if (absl::EqualsIgnoreCase(medium, paid)) return true;
  }
  return false;
}

}  // namespace

FraudVerdict EvaluateFraud(const FraudRules& rules, const FraudSubject& subject,
                           const DisposableDomains& disposable) {
  FraudVerdict verdict;
  auto record = [&verdict](affonso::v1::FraudCheck check, affonso::v1::FraudMode mode) {
    affonso::v1::FraudFlag& flag = verdict.flags.emplace_back();
    flag.set_check(check);
    flag.set_mode(mode);
    if (mode == affonso::v1::FRAUD_MODE_BLOCK) verdict.rejected = true;
  };
  // The SDK's order of the modes.
  if (rules.self_referral != affonso::v1::FRAUD_MODE_OFF && IsSelfReferral(subject)) {
    record(affonso::v1::FRAUD_CHECK_SELF_REFERRAL, rules.self_referral);
  }
  if (rules.cross_program_ban != affonso::v1::FRAUD_MODE_OFF &&
      subject.affiliate_rejected_elsewhere) {
    record(affonso::v1::FRAUD_CHECK_CROSS_PROGRAM_BAN, rules.cross_program_ban);
  }
  if (rules.duplicate_payout != affonso::v1::FRAUD_MODE_OFF && subject.customer_already_paid) {
    record(affonso::v1::FRAUD_CHECK_DUPLICATE_PAYOUT, rules.duplicate_payout);
  }
  if (rules.suspicious_email != affonso::v1::FRAUD_MODE_OFF &&
      IsSuspiciousEmail(rules, subject, disposable)) {
    record(affonso::v1::FRAUD_CHECK_SUSPICIOUS_EMAIL, rules.suspicious_email);
  }
  if (rules.banned_referral != affonso::v1::FRAUD_MODE_OFF && IsBannedReferral(rules, subject)) {
    record(affonso::v1::FRAUD_CHECK_BANNED_REFERRAL, rules.banned_referral);
  }
  if (rules.paid_traffic != affonso::v1::FRAUD_MODE_OFF && IsPaidTraffic(rules, subject)) {
    record(affonso::v1::FRAUD_CHECK_PAID_TRAFFIC, rules.paid_traffic);
  }
  if (rules.blocked_country != affonso::v1::FRAUD_MODE_OFF && IsBlockedCountry(rules, subject)) {
    record(affonso::v1::FRAUD_CHECK_BLOCKED_COUNTRY, rules.blocked_country);
  }
  return verdict;
}

std::string ReferrerHost(absl::string_view referrer) {
  absl::string_view rest = absl::StripAsciiWhitespace(referrer);
  // "scheme://" (or a scheme-relative "//"), then the authority up to the
  // first of / ? # (a bare "host/path" has no scheme).
  size_t scheme = rest.find("//");
  if (scheme != absl::string_view::npos &&
      rest.substr(0, scheme).find_first_of("/?#") == absl::string_view::npos) {
    rest.remove_prefix(scheme + 2);
  }
  rest = rest.substr(0, rest.find_first_of("/?#\\"));
  size_t at = rest.rfind('@');  // userinfo
  if (at != absl::string_view::npos) rest.remove_prefix(at + 1);
  if (absl::StartsWith(rest, "[")) return "";  // an IPv6 literal is no domain
  rest = rest.substr(0, rest.find(':'));       // port
  absl::ConsumeSuffix(&rest, ".");
  return absl::AsciiStrToLower(rest);
}

std::string NormalizeEmail(absl::string_view email) {
  std::string normalized = absl::AsciiStrToLower(absl::StripAsciiWhitespace(email));
  size_t at = normalized.rfind('@');
  if (at == std::string::npos) return normalized;
  std::string local = normalized.substr(0, at);
  std::string domain = normalized.substr(at + 1);
  // A leading '+' is the whole local part, not a tag: dropping it would make
  // "+a@x.com" and "+b@x.com" the same person.
  size_t plus = local.find('+');
  if (plus != std::string::npos && plus > 0) local.resize(plus);
  if (domain == "gmail.com" || domain == "googlemail.com") {
    // Gmail ignores dots, and googlemail.com is the same mailbox.
    absl::StrReplaceAll({{".", ""}}, &local);
    domain = "gmail.com";
  }
  return absl::StrCat(local, "@", domain);
}

}  // namespace affonso::services

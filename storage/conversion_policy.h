#ifndef AFFONSO_STORAGE_CONVERSION_POLICY_H_
#define AFFONSO_STORAGE_CONVERSION_POLICY_H_

#include <optional>
#include <string>
#include <vector>

#include "proto/affonso/v1/common.pb.h"

namespace affonso::storage {

// The seam between the stores and the business rules of a conversion
// (services/rules/conversion_plan.h): the stores read the facts, ask the
// policy for the plan, and write it, in one transaction. The types live here
// so that storage never includes services/.

// A program's fraud settings, typed; the defaults when it has none stored.
struct FraudRules {
  affonso::v1::FraudMode self_referral = affonso::v1::FRAUD_MODE_DETECT;
  affonso::v1::FraudMode cross_program_ban = affonso::v1::FRAUD_MODE_DETECT;
  affonso::v1::FraudMode duplicate_payout = affonso::v1::FRAUD_MODE_DETECT;
  affonso::v1::FraudMode suspicious_email = affonso::v1::FRAUD_MODE_DETECT;
  affonso::v1::FraudMode banned_referral = affonso::v1::FRAUD_MODE_DETECT;
  affonso::v1::FraudMode paid_traffic = affonso::v1::FRAUD_MODE_DETECT;
  affonso::v1::FraudMode blocked_country = affonso::v1::FRAUD_MODE_DETECT;
  std::vector<std::string> paid_click_params = {"gclid", "fbclid", "msclkid", "ttclid"};
  std::vector<std::string> paid_utm_mediums;       // lower-case
  std::vector<std::string> allowed_email_domains;  // lower-case; never "suspicious", nor subdomains
  // lower-case; a referrer on one of them (or a subdomain) is banned. Empty:
  // no config, nothing banned.
  std::vector<std::string> banned_referral_domains;
  std::vector<std::string> blocked_countries;  // ISO 3166-1 alpha-2, upper case
};

// What one signup / direct referral looks like to the fraud checks.
struct FraudSubject {
  std::string lead_email, lead_external_user_id;  // from the request
  std::string affiliate_email, affiliate_external_user_id;
  // The click's parameters (empty when there was no click).
  std::string gclid, fbclid, msclkid, ttclid, utm_medium;
  std::string referrer;  // as the click recorded it (a URL or a bare host)
  std::string country;   // ISO 3166-1 alpha-2, as the click recorded it
  // Facts the database establishes (false when the check is off, since the
  // store then does not look).
  // An affiliate with the affiliate's email is rejected in another program
  // of the team.
  bool affiliate_rejected_elsewhere = false;
  // The lead's email or external id belongs to another referral of the
  // program that already earned a (not declined) commission.
  bool customer_already_paid = false;
};

// The lead incentive the affiliate earns (its override's amount winning).
struct LeadIncentive {
  std::string incentive_id;
  std::string amount;  // exact numeric text, e.g. "5.00": money never goes through a double
  std::string currency;
  int hold_period_days = 0;
};

// What the database knows about one conversion before it is written.
struct ConversionFacts {
  FraudSubject subject;
  FraudRules rules;
  std::optional<LeadIncentive> incentive;  // none: no commission
  // LEAD for signups; a direct referral's own status (never UNSPECIFIED).
  affonso::v1::ReferralStatus requested_status = affonso::v1::REFERRAL_STATUS_LEAD;
};

// What one conversion writes, beside the referral itself. The store mints the
// ids (commission, events) when it writes the plan.
struct ConversionPlan {
  affonso::v1::ReferralStatus status = affonso::v1::REFERRAL_STATUS_LEAD;  // REJECTED when blocked
  // referrals.fraud_flags: every enabled check that fired, in check order.
  std::vector<affonso::v1::FraudFlag> fraud_flags;
  bool lead_event = false;                  // a referral.lead outbox event
  std::optional<LeadIncentive> commission;  // a lead commission and its transaction.created event

  bool rejected() const { return status == affonso::v1::REFERRAL_STATUS_REJECTED; }
};

// The business rules a conversion passes through, kept out of storage so the
// store only moves rows. Called on the store's worker threads: must be
// thread-safe and must not block.
class ConversionPolicy {
 public:
  virtual ~ConversionPolicy() = default;
  virtual ConversionPlan Plan(const ConversionFacts& facts) const = 0;
};

// Every conversion through, with no fraud check (tools, and tests of storage
// alone): what services/rules/conversion_plan.h plans with every check off
// (conversion_plan_test pins the two together).
class AcceptAllPolicy final : public ConversionPolicy {
 public:
  ConversionPlan Plan(const ConversionFacts& facts) const override {
    ConversionPlan plan;
    plan.status = facts.requested_status;
    plan.lead_event = facts.requested_status == affonso::v1::REFERRAL_STATUS_LEAD;
    plan.commission = facts.incentive;
    return plan;
  }
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_CONVERSION_POLICY_H_

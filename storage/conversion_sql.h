#ifndef AFFONSO_STORAGE_CONVERSION_SQL_H_
#define AFFONSO_STORAGE_CONVERSION_SQL_H_

#include <string>

#include "storage/conversion_policy.h"
#include <pqxx/pqxx>

namespace affonso::storage {

// SQL shared by every path that creates a referral (signups, direct
// referrals), so the rules a conversion passes through are written once.

// Select list of a conversion's facts, over `a` (the affiliate) and `c` (its
// click, NULL-extended when there is none) joined with kConversionFactsJoins:
// the affiliate's email and external id, the click's traffic parameters, the
// program's fraud rules (NULL when its row is missing: the defaults apply),
// and the lead incentive the affiliate earns, its override's amount winning.
// ReadConversionFacts reads these columns back.
extern const char kConversionFactsColumns[];
extern const char kConversionFactsJoins[];
inline constexpr int kConversionFactsColumnCount = 19;

// The lead incentive a conversion pays, when there is one.
struct LeadPayout {
  std::string incentive_id;  // "" for none
  std::string amount;        // numeric text, e.g. "5.00"
  std::string currency;
  std::string hold_period_days;
};

// Reads kConversionFactsColumns starting at column `first`.
void ReadConversionFacts(const pqxx::row& row, int first, ConversionFacts* facts,
                         LeadPayout* payout);

// What to write for one conversion once the policy decided. Empty ids mean
// "none": no commission, no event.
struct ConversionWrite {
  std::string status;  // "lead", "rejected", or a direct referral's own status
  std::string fraud_flags_json = "[]";
  std::string commission_id, incentive_id, commission_amount, currency, hold_period_days;
  std::string lead_event_id, transaction_event_id;
};

// Fills `write` from the decision: rejected referrals get nothing else;
// others get a referral.lead event when `status` is lead, and a commission
// with its transaction.created event when `payout` names an incentive.
void PlanConversionWrite(const ConversionDecision& decision, const LeadPayout& payout,
                         const std::string& requested_status, ConversionWrite* write);

// CTEs that follow an `ins` CTE (an INSERT INTO referrals ... RETURNING
// kReferralColumns, r.team_id AS owner_team, r.click_id AS click_ref) and an
// input relation `i` with the ConversionWrite columns referral_id,
// commission_id, incentive_id, commission_amount, currency, hold_period_days,
// lead_event_id, transaction_event_id. They insert the commissions and the
// outbox events of the rows actually inserted, so a referral another call
// created first gets neither, however calls race.
extern const char kCommissionAndEventCtes[];

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_CONVERSION_SQL_H_

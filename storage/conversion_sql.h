#ifndef AFFONSO_STORAGE_CONVERSION_SQL_H_
#define AFFONSO_STORAGE_CONVERSION_SQL_H_

#include <pqxx/pqxx>
#include <string>

#include "storage/conversion_policy.h"

namespace affonso::storage {

// SQL shared by every path that creates a referral (signups, direct
// referrals), so the rules a conversion passes through are written once.
// Macros, so that the statements built from them are literals (constexpr).

// Select list of a conversion's facts, over `a` (the affiliate) and `c` (its
// click, NULL-extended when there is none) joined with
// AFFONSO_CONVERSION_FACTS_JOINS: the affiliate's email and external id, the
// click's traffic parameters, referrer and country, the program's fraud rules
// (NULL when its row is missing: the defaults apply), whether the affiliate
// is rejected in another program of the team and whether the lead (SQL
// expressions `lead_email`, `lead_external_user_id`, NULL when absent) already
// earned a commission for another referral of the program (both looked up
// only when their check is not off; the latter by the referrals'
// has_paid_commission flag, migration 025, so that its cost does not grow
// with the customer's unpaid referrals, and as one EXISTS per key, each an
// index scan that stops at its first row: one EXISTS over "email OR
// external id" is planned as a bitmap OR, which reads every flagged referral
// of the email), and the lead incentive the affiliate
// earns, its override's amount winning. ConversionFactsReader reads them by
// name. Lists are read as text[] itself: an element may hold a comma.
#define AFFONSO_CONVERSION_FACTS_COLUMNS(lead_email, lead_external_user_id)                    \
  "a.email AS affiliate_email, a.external_user_id AS affiliate_external_user_id, "             \
  "c.gclid, c.fbclid, c.msclkid, c.ttclid, c.utm_medium, c.referrer, c.country, "              \
  "f.self_referral_mode, f.cross_program_ban_mode, f.duplicate_payout_mode, "                  \
  "f.suspicious_email_mode, f.banned_referral_mode, f.paid_traffic_mode, "                     \
  "f.blocked_country_mode, f.paid_click_params, f.paid_utm_mediums, f.allowed_email_domains, " \
  "f.banned_referral_domains, f.blocked_countries, "                                           \
  "COALESCE(f.cross_program_ban_mode, 'detect') <> 'off' AND EXISTS ( "                        \
  "  SELECT 1 FROM affiliates x WHERE x.team_id = a.team_id AND x.program_id <> a.program_id " \
  "    AND x.partnership_status = 'rejected' AND lower(x.email) = lower(a.email) "             \
  "    AND x.deleted_at IS NULL) AS affiliate_rejected_elsewhere, "                            \
  "COALESCE(f.duplicate_payout_mode, 'detect') <> 'off' AND (EXISTS ( "                        \
  "  SELECT 1 FROM referrals pr "                                                              \
  "  WHERE pr.team_id = a.team_id AND pr.program_id = a.program_id "                           \
  "    AND pr.has_paid_commission AND lower(pr.email) = lower(" lead_email                     \
  ")) OR EXISTS ( "                                                                            \
  "  SELECT 1 FROM referrals pr "                                                              \
  "  WHERE pr.team_id = a.team_id AND pr.program_id = a.program_id "                           \
  "    AND pr.has_paid_commission AND pr.external_user_id = " lead_external_user_id            \
  ")) AS customer_already_paid, "                                                              \
  "n.id AS incentive_id, COALESCE(o.amount, n.amount)::text AS incentive_amount, "             \
  "n.currency AS incentive_currency, n.hold_period_days AS incentive_hold_period_days"

#define AFFONSO_CONVERSION_FACTS_JOINS                                                           \
  "LEFT JOIN program_fraud_rules f ON f.program_id = a.program_id " /* The group's first lead    \
                                                                       incentive; no group means \
                                                                       the default group. */     \
  "LEFT JOIN LATERAL ( "                                                                         \
  "  SELECT n.id, n.amount, n.currency, n.hold_period_days FROM incentives n "                   \
  "  WHERE n.type = 'lead' AND n.program_id = a.program_id AND n.group_id = COALESCE( "          \
  "    a.group_id, (SELECT g.id FROM affiliate_groups g "                                        \
  "                 WHERE g.program_id = a.program_id AND g.is_default)) "                       \
  "  ORDER BY n.created_at, n.id LIMIT 1) n ON true "                                            \
  "LEFT JOIN commission_overrides o ON o.affiliate_id = a.id AND o.incentive_id = n.id "

// Reads AFFONSO_CONVERSION_FACTS_COLUMNS by name, each resolved once per
// result (a signup batch reads many rows).
class ConversionFactsReader {
 public:
  explicit ConversionFactsReader(const pqxx::result& result);

  // Fills the affiliate's and the click's parts of `facts->subject` (the
  // lead's are the caller's), the rules and the incentive.
  void Read(const pqxx::row& row, ConversionFacts* facts) const;

 private:
  using Column = pqxx::row::size_type;
  Column affiliate_email_, affiliate_external_user_id_;
  Column gclid_, fbclid_, msclkid_, ttclid_, utm_medium_, referrer_, country_;
  Column self_referral_mode_, cross_program_ban_mode_, duplicate_payout_mode_;
  Column suspicious_email_mode_, banned_referral_mode_, paid_traffic_mode_, blocked_country_mode_;
  Column paid_click_params_, paid_utm_mediums_, allowed_email_domains_;
  Column banned_referral_domains_, blocked_countries_;
  Column affiliate_rejected_elsewhere_, customer_already_paid_;
  Column incentive_id_, incentive_amount_, incentive_currency_, incentive_hold_period_days_;
};

// The ids of the rows a plan adds besides the referral; "" for none.
struct ConversionIds {
  std::string commission_id;
  std::string lead_event_id;
  std::string transaction_event_id;
};
ConversionIds MintConversionIds(const ConversionPlan& plan);

// CTEs that follow an `ins` CTE (an INSERT INTO referrals ... RETURNING
// AFFONSO_REFERRAL_COLUMNS, r.team_id AS owner_team, r.click_id AS click_ref)
// and an input relation `i` with the columns referral_id, commission_id,
// incentive_id, commission_amount, currency, hold_period_days, lead_event_id
// and transaction_event_id (a ConversionPlan's commission and its
// ConversionIds). They insert the commissions and the outbox events of the
// rows actually inserted, so a referral another call created first gets
// neither, however calls race.
//
// The colons are to_char literals (":") so that no ":name" appears in the
// SQL: pgbench, which runs the signup statement as the benchmark baseline,
// would take those for its variables.
#define AFFONSO_EVENT_CREATED_AT \
  "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24\":\"MI\":\"SS.MS\"Z\"')"
#define AFFONSO_COMMISSION_AND_EVENT_CTES                                                      \
  "com AS ( "                                                                                  \
  "  INSERT INTO commissions (id, team_id, program_id, referral_id, affiliate_id, "            \
  "    incentive_id, commission_amount, commission_currency, hold_period_days, earning_type) " \
  "  SELECT i.commission_id, ins.owner_team, ins.program_id, ins.id, ins.affiliate_id, "       \
  "    i.incentive_id, i.commission_amount::numeric, i.currency, i.hold_period_days::int, "    \
  "    'lead' "                                                                                \
  "  FROM ins JOIN i ON i.referral_id = ins.id WHERE i.commission_id IS NOT NULL "             \
  "  RETURNING id, team_id, referral_id, affiliate_id, commission_amount, "                    \
  "    commission_currency, status), "                                                         \
  "lead_events AS ( "                                                                          \
  "  INSERT INTO outbox_events (id, team_id, type, payload) "                                  \
  "  SELECT i.lead_event_id, ins.owner_team, 'referral.lead', jsonb_build_object( "            \
  "    'id', i.lead_event_id, 'type', 'referral.lead', "                                       \
  "    'createdAt', " AFFONSO_EVENT_CREATED_AT                                                 \
  ", "                                                                                         \
  "    'data', jsonb_build_object('referralId', ins.id, 'affiliateId', ins.affiliate_id, "     \
  "      'affiliateProgramId', ins.program_id, 'trackingId', af.tracking_id, "                 \
  "      'status', 'LEAD', 'email', ins.email, 'customerId', ins.customer_id, "                \
  "      'externalUserId', ins.external_user_id, 'ip', c.ip, 'referrer', c.referrer)) "        \
  "  FROM ins JOIN i ON i.referral_id = ins.id "                                               \
  "  JOIN affiliates af ON af.id = ins.affiliate_id "                                          \
  "  LEFT JOIN clicks c ON c.id = ins.click_ref "                                              \
  "  WHERE i.lead_event_id IS NOT NULL "                                                       \
  "  RETURNING id), "                                                                          \
  "transaction_events AS ( "                                                                   \
  "  INSERT INTO outbox_events (id, team_id, type, payload) "                                  \
  "  SELECT i.transaction_event_id, com.team_id, 'transaction.created', jsonb_build_object( "  \
  "    'id', i.transaction_event_id, 'type', 'transaction.created', "                          \
  "    'createdAt', " AFFONSO_EVENT_CREATED_AT                                                 \
  ", "                                                                                         \
  "    'data', jsonb_build_object('transactionId', com.id, 'referralId', com.referral_id, "    \
  "      'affiliateId', com.affiliate_id, 'commissionAmount', com.commission_amount, "         \
  "      'commissionCurrency', com.commission_currency, 'saleAmount', NULL, "                  \
  "      'saleCurrency', NULL, 'status', upper(com.status), 'type', 'COMMISSION')) "           \
  "  FROM com JOIN i ON i.commission_id = com.id "                                             \
  "  RETURNING id) "

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_CONVERSION_SQL_H_

#include "storage/conversion_sql.h"

#include <string>
#include <utility>
#include <vector>

#include "common/ids.h"
#include "storage/fraud_names.h"
#include "storage/pg_values.h"

namespace affonso::storage {
namespace {

std::vector<std::string> ReadList(const pqxx::field& field) {
  std::vector<std::string> list;
  ReadTextArray(field, &list);
  return list;
}

// A mode the database should never hold keeps the column default.
void ReadMode(const pqxx::field& field, affonso::v1::FraudMode* mode) {
  const affonso::v1::FraudMode stored = FraudModeFromDb(ReadText(field));
  if (stored != affonso::v1::FRAUD_MODE_UNSPECIFIED) *mode = stored;
}

}  // namespace

ConversionFactsReader::ConversionFactsReader(const pqxx::result& result)
    : affiliate_email_(result.column_number("affiliate_email")),
      affiliate_external_user_id_(result.column_number("affiliate_external_user_id")),
      gclid_(result.column_number("gclid")),
      fbclid_(result.column_number("fbclid")),
      msclkid_(result.column_number("msclkid")),
      ttclid_(result.column_number("ttclid")),
      utm_medium_(result.column_number("utm_medium")),
      referrer_(result.column_number("referrer")),
      country_(result.column_number("country")),
      self_referral_mode_(result.column_number("self_referral_mode")),
      cross_program_ban_mode_(result.column_number("cross_program_ban_mode")),
      duplicate_payout_mode_(result.column_number("duplicate_payout_mode")),
      suspicious_email_mode_(result.column_number("suspicious_email_mode")),
      banned_referral_mode_(result.column_number("banned_referral_mode")),
      paid_traffic_mode_(result.column_number("paid_traffic_mode")),
      blocked_country_mode_(result.column_number("blocked_country_mode")),
      paid_click_params_(result.column_number("paid_click_params")),
      paid_utm_mediums_(result.column_number("paid_utm_mediums")),
      allowed_email_domains_(result.column_number("allowed_email_domains")),
      banned_referral_domains_(result.column_number("banned_referral_domains")),
      blocked_countries_(result.column_number("blocked_countries")),
      affiliate_rejected_elsewhere_(result.column_number("affiliate_rejected_elsewhere")),
      customer_already_paid_(result.column_number("customer_already_paid")),
      incentive_id_(result.column_number("incentive_id")),
      incentive_amount_(result.column_number("incentive_amount")),
      incentive_currency_(result.column_number("incentive_currency")),
      incentive_hold_period_days_(result.column_number("incentive_hold_period_days")) {}

void ConversionFactsReader::Read(const pqxx::row& row, ConversionFacts* facts) const {
  FraudSubject& subject = facts->subject;
  subject.affiliate_email = ReadText(row[affiliate_email_]);
  subject.affiliate_external_user_id = ReadText(row[affiliate_external_user_id_]);
  subject.gclid = ReadText(row[gclid_]);
  subject.fbclid = ReadText(row[fbclid_]);
  subject.msclkid = ReadText(row[msclkid_]);
  subject.ttclid = ReadText(row[ttclid_]);
  subject.utm_medium = ReadText(row[utm_medium_]);
  subject.referrer = ReadText(row[referrer_]);
  subject.country = ReadText(row[country_]);
  subject.affiliate_rejected_elsewhere = row[affiliate_rejected_elsewhere_].as<bool>(false);
  subject.customer_already_paid = row[customer_already_paid_].as<bool>(false);
  if (!row[self_referral_mode_].is_null()) {  // else the program has no row: the defaults
    FraudRules& rules = facts->rules;
    ReadMode(row[self_referral_mode_], &rules.self_referral);
    ReadMode(row[cross_program_ban_mode_], &rules.cross_program_ban);
    ReadMode(row[duplicate_payout_mode_], &rules.duplicate_payout);
    ReadMode(row[suspicious_email_mode_], &rules.suspicious_email);
    ReadMode(row[banned_referral_mode_], &rules.banned_referral);
    ReadMode(row[paid_traffic_mode_], &rules.paid_traffic);
    ReadMode(row[blocked_country_mode_], &rules.blocked_country);
    // An empty list of click parameters means the default ones.
    std::vector<std::string> click_params = ReadList(row[paid_click_params_]);
    if (!click_params.empty()) rules.paid_click_params = std::move(click_params);
    rules.paid_utm_mediums = ReadList(row[paid_utm_mediums_]);
    rules.allowed_email_domains = ReadList(row[allowed_email_domains_]);
    rules.banned_referral_domains = ReadList(row[banned_referral_domains_]);
    rules.blocked_countries = ReadList(row[blocked_countries_]);
  }
  if (!row[incentive_id_].is_null()) {
    LeadIncentive& incentive = facts->incentive.emplace();
    incentive.incentive_id = ReadText(row[incentive_id_]);
    incentive.amount = ReadText(row[incentive_amount_]);
    incentive.currency = ReadText(row[incentive_currency_]);
    incentive.hold_period_days = row[incentive_hold_period_days_].as<int>();
  }
}

ConversionIds MintConversionIds(const ConversionPlan& plan) {
  ConversionIds ids;
  if (plan.lead_event) ids.lead_event_id = NewId("evt");
  if (plan.commission.has_value()) {
    ids.commission_id = NewId("com");
    ids.transaction_event_id = NewId("evt");
  }
  return ids;
}

}  // namespace affonso::storage

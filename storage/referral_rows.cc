#include "storage/referral_rows.h"

#include "storage/fraud_names.h"
#include "storage/pg_values.h"

namespace affonso::storage {

using affonso::v1::ReferralStatus;

const char* ReferralStatusToDb(ReferralStatus status) {
  switch (status) {
    case affonso::v1::REFERRAL_STATUS_TRIALING:
      return "trialing";
    case affonso::v1::REFERRAL_STATUS_CUSTOMER:
      return "customer";
    case affonso::v1::REFERRAL_STATUS_ACTIVE:
      return "active";
    case affonso::v1::REFERRAL_STATUS_CANCELED:
      return "canceled";
    case affonso::v1::REFERRAL_STATUS_REJECTED:
      return "rejected";
    default:
      return "lead";
  }
}

ReferralStatus ReferralStatusFromDb(absl::string_view text) {
  if (text == "lead") return affonso::v1::REFERRAL_STATUS_LEAD;
  if (text == "trialing") return affonso::v1::REFERRAL_STATUS_TRIALING;
  if (text == "customer") return affonso::v1::REFERRAL_STATUS_CUSTOMER;
  if (text == "active") return affonso::v1::REFERRAL_STATUS_ACTIVE;
  if (text == "canceled") return affonso::v1::REFERRAL_STATUS_CANCELED;
  if (text == "rejected") return affonso::v1::REFERRAL_STATUS_REJECTED;
  return affonso::v1::REFERRAL_STATUS_UNSPECIFIED;
}

ReferralReader::ReferralReader(const pqxx::result& result)
    : id_(result.column_number("id")),
      affiliate_id_(result.column_number("affiliate_id")),
      program_id_(result.column_number("program_id")),
      email_(result.column_number("email")),
      external_user_id_(result.column_number("external_user_id")),
      customer_id_(result.column_number("customer_id")),
      subscription_id_(result.column_number("subscription_id")),
      status_(result.column_number("status")),
      name_(result.column_number("name")),
      metadata_(result.column_number("metadata")),
      created_at_(result.column_number("created_at_us")),
      converted_at_(result.column_number("converted_at_us")),
      fraud_flags_(result.column_number("fraud_flags")) {}

absl::StatusOr<affonso::v1::Referral> ReferralReader::Read(const pqxx::row& row) const {
  affonso::v1::Referral referral;
  referral.set_id(ReadText(row[id_]));
  referral.set_affiliate_id(ReadText(row[affiliate_id_]));
  referral.set_program_id(ReadText(row[program_id_]));
  // NULL stays unset: the API's null.
  if (!row[email_].is_null()) referral.set_email(ReadText(row[email_]));
  if (!row[external_user_id_].is_null()) {
    referral.set_external_user_id(ReadText(row[external_user_id_]));
  }
  if (!row[customer_id_].is_null()) referral.set_customer_id(ReadText(row[customer_id_]));
  if (!row[subscription_id_].is_null()) {
    referral.set_subscription_id(ReadText(row[subscription_id_]));
  }
  referral.set_status(ReferralStatusFromDb(ReadText(row[status_])));
  if (!row[name_].is_null()) referral.set_name(ReadText(row[name_]));
  absl::Status metadata = ReadStruct(row[metadata_], referral.mutable_metadata());
  if (!metadata.ok()) return metadata;
  ReadTimestamp(row[created_at_], referral.mutable_created_at());
  if (!row[converted_at_].is_null())
    ReadTimestamp(row[converted_at_], referral.mutable_converted_at());
  absl::Status flags =
      FraudFlagsFromJson(ReadText(row[fraud_flags_]), referral.mutable_fraud_flags());
  if (!flags.ok()) return flags;
  return referral;
}

}  // namespace affonso::storage

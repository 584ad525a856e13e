#include "storage/referral_rows.h"

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "storage/pg_values.h"

namespace affonso::storage {

using affonso::v1::ReferralStatus;

const char kReferralColumns[] =
    "r.id, r.affiliate_id, r.program_id, r.email, r.external_user_id, r.customer_id, "
    "r.subscription_id, r.status, r.name, r.metadata::text, "
    AFFONSO_SQL_MICROS("r.created_at") ", " AFFONSO_SQL_MICROS("r.converted_at") ", "
    "r.fraud_flags::text";

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

affonso::v1::FraudCheck FraudCheckFromDb(absl::string_view text) {
  if (text == "self_referral") return affonso::v1::FRAUD_CHECK_SELF_REFERRAL;
  if (text == "suspicious_email") return affonso::v1::FRAUD_CHECK_SUSPICIOUS_EMAIL;
  if (text == "paid_traffic") return affonso::v1::FRAUD_CHECK_PAID_TRAFFIC;
  return affonso::v1::FRAUD_CHECK_UNSPECIFIED;
}

affonso::v1::FraudMode FraudModeFromDb(absl::string_view text) {
  if (text == "off") return affonso::v1::FRAUD_MODE_OFF;
  if (text == "detect") return affonso::v1::FRAUD_MODE_DETECT;
  if (text == "block") return affonso::v1::FRAUD_MODE_BLOCK;
  return affonso::v1::FRAUD_MODE_UNSPECIFIED;
}

absl::StatusOr<affonso::v1::Referral> ReadReferral(const pqxx::row& row) {
  affonso::v1::Referral referral;
  referral.set_id(ReadText(row[0]));
  referral.set_affiliate_id(ReadText(row[1]));
  referral.set_program_id(ReadText(row[2]));
  referral.set_email(ReadText(row[3]));
  referral.set_external_user_id(ReadText(row[4]));
  referral.set_customer_id(ReadText(row[5]));
  referral.set_subscription_id(ReadText(row[6]));
  referral.set_status(ReferralStatusFromDb(ReadText(row[7])));
  referral.set_name(ReadText(row[8]));
  absl::Status metadata = ReadStruct(row[9], referral.mutable_metadata());
  if (!metadata.ok()) return metadata;
  ReadTimestamp(row[10], referral.mutable_created_at());
  if (!row[11].is_null()) ReadTimestamp(row[11], referral.mutable_converted_at());
  // fraud_flags: a JSON array of {"check": "self_referral", "mode": "detect"}.
  google::protobuf::ListValue flags;
  if (!google::protobuf::util::JsonStringToMessage(ReadText(row[12]), &flags).ok()) {
    return absl::InternalError("stored fraud_flags is not a JSON array");
  }
  for (const auto& value : flags.values()) {
    const auto& fields = value.struct_value().fields();
    auto check = fields.find("check");
    auto mode = fields.find("mode");
    if (check == fields.end() || mode == fields.end()) continue;
    affonso::v1::FraudFlag* flag = referral.add_fraud_flags();
    flag->set_check(FraudCheckFromDb(check->second.string_value()));
    flag->set_mode(FraudModeFromDb(mode->second.string_value()));
  }
  return referral;
}

}  // namespace affonso::storage

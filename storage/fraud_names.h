#ifndef AFFONSO_STORAGE_FRAUD_NAMES_H_
#define AFFONSO_STORAGE_FRAUD_NAMES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/common.pb.h"

namespace affonso::storage {

// The one table of the fraud vocabulary's stored names: "off" | "detect" |
// "block" (program_fraud_rules.*_mode) and "self_referral" |
// "suspicious_email" | "paid_traffic" | "cross_program_ban" |
// "duplicate_payout" | "banned_referral" | "blocked_country"
// (referrals.fraud_flags, and the check label of affonso_fraud_flags_total).
//
// UNSPECIFIED (or a number the proto does not define) maps to nullptr; text
// that is not a stored name maps to UNSPECIFIED.
const char* FraudModeToDb(affonso::v1::FraudMode mode);
affonso::v1::FraudMode FraudModeFromDb(absl::string_view text);
const char* FraudCheckToDb(affonso::v1::FraudCheck check);
affonso::v1::FraudCheck FraudCheckFromDb(absl::string_view text);

// referrals.fraud_flags, a jsonb array: [{"check":"self_referral","mode":"detect"}, ...]. Flags
// with an UNSPECIFIED check or mode are not written; entries missing either key are skipped
// when read (unknown names read as UNSPECIFIED, as before).
std::string FraudFlagsToJson(const std::vector<affonso::v1::FraudFlag>& flags);
absl::Status FraudFlagsFromJson(absl::string_view json,
                                google::protobuf::RepeatedPtrField<affonso::v1::FraudFlag>* out);

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_FRAUD_NAMES_H_

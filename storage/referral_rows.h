#ifndef AFFONSO_STORAGE_REFERRAL_ROWS_H_
#define AFFONSO_STORAGE_REFERRAL_ROWS_H_

#include "absl/status/statusor.h"
#include "proto/affonso/v1/referrals.pb.h"
#include <pqxx/pqxx>

namespace affonso::storage {

// The select list every referral query returns, in the order ReadReferral
// expects; `r` must be the referrals table's alias.
extern const char kReferralColumns[];

// "lead" <-> REFERRAL_STATUS_LEAD, the lowercase strings stored in the table.
const char* ReferralStatusToDb(affonso::v1::ReferralStatus status);
affonso::v1::ReferralStatus ReferralStatusFromDb(absl::string_view text);

affonso::v1::FraudCheck FraudCheckFromDb(absl::string_view text);
affonso::v1::FraudMode FraudModeFromDb(absl::string_view text);

absl::StatusOr<affonso::v1::Referral> ReadReferral(const pqxx::row& row);

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_REFERRAL_ROWS_H_

#ifndef AFFONSO_STORAGE_REFERRAL_ROWS_H_
#define AFFONSO_STORAGE_REFERRAL_ROWS_H_

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "proto/affonso/v1/referrals.pb.h"
#include "storage/pg_values.h"

namespace affonso::storage {

// The select list every referral query returns (a macro, so statements stay
// literals); `r` must be the referrals table's alias. ReferralReader reads
// it by these names.
#define AFFONSO_REFERRAL_COLUMNS \
  "r.id, r.affiliate_id, r.program_id, r.email, r.external_user_id, r.customer_id, "         \
  "r.subscription_id, r.status, r.name, r.metadata::text AS metadata, "                      \
  AFFONSO_SQL_MICROS("r.created_at") " AS created_at_us, "                                   \
  AFFONSO_SQL_MICROS("r.converted_at") " AS converted_at_us, "                               \
  "r.fraud_flags::text AS fraud_flags"

// The data of referral.updated, .converted and .deleted: referral.lead's keys
// (API.md) with the referral's current status, over `x` (a relation with
// AFFONSO_REFERRAL_COLUMNS' id, affiliate_id, program_id, status, email,
// customer_id and external_user_id), `af` its affiliate and `c` its click
// (NULL-extended for a direct referral).
// clang-format off
#define AFFONSO_REFERRAL_EVENT_DATA(x)                                                      \
  "jsonb_build_object('referralId', " x ".id, 'affiliateId', " x ".affiliate_id, "          \
  "'affiliateProgramId', " x ".program_id, 'trackingId', af.tracking_id, "                  \
  "'status', upper(" x ".status), 'email', " x ".email, 'customerId', " x ".customer_id, "  \
  "'externalUserId', " x ".external_user_id, 'ip', c.ip, 'referrer', c.referrer)"
// clang-format on

// "lead" <-> REFERRAL_STATUS_LEAD, the lowercase strings stored in the table.
const char* ReferralStatusToDb(affonso::v1::ReferralStatus status);
affonso::v1::ReferralStatus ReferralStatusFromDb(absl::string_view text);

// Reads AFFONSO_REFERRAL_COLUMNS by name, each resolved once per result.
class ReferralReader {
 public:
  explicit ReferralReader(const pqxx::result& result);

  absl::StatusOr<affonso::v1::Referral> Read(const pqxx::row& row) const;

 private:
  using Column = pqxx::row::size_type;
  Column id_, affiliate_id_, program_id_, email_, external_user_id_, customer_id_;
  Column subscription_id_, status_, name_, metadata_, created_at_, converted_at_, fraud_flags_;
};

// The referral of `rows[0]` (a one-row result).
inline absl::StatusOr<affonso::v1::Referral> ReadFirstReferral(const pqxx::result& rows) {
  return ReferralReader(rows).Read(rows[0]);
}

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_REFERRAL_ROWS_H_

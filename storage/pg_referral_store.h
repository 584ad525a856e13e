#ifndef AFFONSO_STORAGE_PG_REFERRAL_STORE_H_
#define AFFONSO_STORAGE_PG_REFERRAL_STORE_H_

#include "storage/conversion_policy.h"
#include "storage/pool.h"
#include "storage/referral_store.h"

namespace affonso::storage {

class PgReferralStore final : public ReferralStore {
 public:
  // `policy` decides each created referral (fraud checks); it must outlive
  // the store.
  PgReferralStore(ConnectionPool* pool, const ConversionPolicy* policy)
      : pool_(pool), policy_(policy) {}

  absl::StatusOr<affonso::v1::Referral> CreateReferral(
      absl::string_view team_id, const affonso::v1::CreateReferralRequest& request) override;
  absl::StatusOr<affonso::v1::Referral> GetReferral(absl::string_view team_id,
                                                    absl::string_view referral_id) override;
  absl::StatusOr<affonso::v1::Referral> UpdateReferral(
      absl::string_view team_id, const affonso::v1::UpdateReferralRequest& request) override;
  absl::StatusOr<affonso::v1::ListReferralsResponse> ListReferrals(
      absl::string_view team_id, const affonso::v1::ListReferralsRequest& request) override;
  absl::Status DeleteReferral(absl::string_view team_id, absl::string_view referral_id) override;
  absl::StatusOr<affonso::v1::ReferralStats> GetReferralStats(
      absl::string_view team_id, absl::string_view referral_id) override;

 private:
  ConnectionPool* pool_;
  const ConversionPolicy* policy_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_REFERRAL_STORE_H_

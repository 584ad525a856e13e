#ifndef AFFONSO_STORAGE_PG_AFFILIATE_STORE_H_
#define AFFONSO_STORAGE_PG_AFFILIATE_STORE_H_

#include "storage/affiliate_store.h"
#include "storage/pool.h"

namespace affonso::storage {

class PgAffiliateStore final : public AffiliateStore {
 public:
  explicit PgAffiliateStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<affonso::v1::Affiliate> CreateAffiliate(
      absl::string_view team_id, const affonso::v1::CreateAffiliateRequest& request) override;
  absl::StatusOr<affonso::v1::Affiliate> GetAffiliate(absl::string_view team_id,
                                                      absl::string_view id) override;
  absl::StatusOr<FoundOrCreated> FindOrCreateAffiliateByEmail(
      absl::string_view team_id, const affonso::v1::CreateAffiliateRequest& request) override;
  absl::StatusOr<affonso::v1::Affiliate> UpdateAffiliate(
      absl::string_view team_id, const affonso::v1::UpdateAffiliateRequest& request) override;
  absl::Status DeleteAffiliate(absl::string_view team_id, absl::string_view id) override;
  absl::StatusOr<AffiliatePage> ListAffiliates(absl::string_view team_id,
                                               const AffiliateListQuery& query) override;
  absl::StatusOr<affonso::v1::CommissionOverride> CreateCommissionOverride(
      absl::string_view team_id,
      const affonso::v1::CreateCommissionOverrideRequest& request) override;
  absl::Status DeleteCommissionOverride(absl::string_view team_id, absl::string_view affiliate_id,
                                        absl::string_view override_id) override;
  absl::StatusOr<std::map<std::string, std::vector<affonso::v1::CommissionOverride>>>
  ListCommissionOverrides(absl::string_view team_id,
                          const std::vector<std::string>& affiliate_ids) override;

 private:
  absl::StatusOr<affonso::v1::Affiliate> InsertAffiliate(
      const std::string& team_id, const affonso::v1::CreateAffiliateRequest& request,
      const std::string& tracking_id);

  ConnectionPool* pool_;
};

// "pending" / "approved" / "rejected", the strings stored in the table;
// UNSPECIFIED maps to "pending", the default of a new affiliate.
const char* PartnershipStatusToDb(affonso::v1::PartnershipStatus status);
affonso::v1::PartnershipStatus PartnershipStatusFromDb(absl::string_view text);

// `search` as an ILIKE pattern matching it anywhere, with the LIKE wildcards
// (and the escape character) in it taken literally.
std::string ContainsPattern(absl::string_view search);

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_AFFILIATE_STORE_H_

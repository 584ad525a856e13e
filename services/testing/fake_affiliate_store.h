#ifndef AFFONSO_SERVICES_TESTING_FAKE_AFFILIATE_STORE_H_
#define AFFONSO_SERVICES_TESTING_FAKE_AFFILIATE_STORE_H_

#include <map>
#include <string>
#include <vector>

#include "common/api_error.h"
#include "storage/affiliate_store.h"

namespace affonso::services::testing {

// Answers GetAffiliate from `affiliates` (keyed by id; anything else is
// NOT_FOUND) and counts the reads, for services that expand an affiliate.
// Every other method is UNIMPLEMENTED.
class FakeAffiliateStore : public storage::AffiliateStore {
 public:
  absl::StatusOr<affonso::v1::Affiliate> GetAffiliate(absl::string_view team_id,
                                                      absl::string_view id) override {
    ++gets;
    auto it = affiliates.find(std::string(id));
    if (it == affiliates.end()) return NotFoundError("affiliate");
    return it->second;
  }

  absl::StatusOr<affonso::v1::Affiliate> CreateAffiliate(
      absl::string_view, const affonso::v1::CreateAffiliateRequest&) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<FoundOrCreated> FindOrCreateAffiliateByEmail(
      absl::string_view, const affonso::v1::CreateAffiliateRequest&) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<affonso::v1::Affiliate> UpdateAffiliate(
      absl::string_view, const affonso::v1::UpdateAffiliateRequest&) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status DeleteAffiliate(absl::string_view, absl::string_view) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<storage::AffiliatePage> ListAffiliates(
      absl::string_view, const storage::AffiliateListQuery&) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<affonso::v1::CommissionOverride> CreateCommissionOverride(
      absl::string_view, const affonso::v1::CreateCommissionOverrideRequest&) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status DeleteCommissionOverride(absl::string_view, absl::string_view,
                                        absl::string_view) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<std::map<std::string, std::vector<affonso::v1::CommissionOverride>>>
  ListCommissionOverrides(absl::string_view, const std::vector<std::string>&) override {
    return absl::UnimplementedError("fake");
  }

  std::map<std::string, affonso::v1::Affiliate> affiliates;
  int gets = 0;
};

}  // namespace affonso::services::testing

#endif  // AFFONSO_SERVICES_TESTING_FAKE_AFFILIATE_STORE_H_

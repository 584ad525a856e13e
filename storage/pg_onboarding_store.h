#ifndef AFFONSO_STORAGE_PG_ONBOARDING_STORE_H_
#define AFFONSO_STORAGE_PG_ONBOARDING_STORE_H_

#include <map>
#include <string>
#include <vector>

#include "storage/onboarding_store.h"
#include "storage/pool.h"

namespace affonso::storage {

class PgOnboardingStore final : public OnboardingStore {
 public:
  explicit PgOnboardingStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<affonso::v1::OnboardingForm> GetForm(absl::string_view team_id,
                                                      absl::string_view program_id) override;
  absl::StatusOr<affonso::v1::OnboardingForm> CreateForm(
      absl::string_view team_id, absl::string_view program_id,
      const OnboardingFormChange& change) override;
  absl::StatusOr<affonso::v1::OnboardingForm> UpdateForm(
      absl::string_view team_id, absl::string_view program_id,
      const OnboardingFormChange& change) override;
  absl::StatusOr<std::string> DeleteForm(absl::string_view team_id,
                                         absl::string_view program_id) override;
  absl::StatusOr<affonso::v1::AffiliateOnboardingResponses> GetResponses(
      absl::string_view team_id, absl::string_view affiliate_id) override;
  absl::StatusOr<affonso::v1::AffiliateOnboardingResponses> SubmitResponses(
      absl::string_view team_id, absl::string_view affiliate_id,
      const OnboardingAnswerCheck& check) override;
  absl::StatusOr<std::map<std::string, affonso::v1::OnboardingResponses>> ListCompletedResponses(
      absl::string_view team_id, const std::vector<std::string>& affiliate_ids) override;

 private:
  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_ONBOARDING_STORE_H_

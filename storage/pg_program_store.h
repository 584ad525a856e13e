#ifndef AFFONSO_STORAGE_PG_PROGRAM_STORE_H_
#define AFFONSO_STORAGE_PG_PROGRAM_STORE_H_

#include "absl/strings/string_view.h"
#include "storage/pool.h"
#include "storage/program_store.h"

namespace affonso::storage {

class PgProgramStore final : public ProgramStore {
 public:
  explicit PgProgramStore(ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<affonso::v1::ProgramSettings> GetProgram(absl::string_view team_id,
                                                          absl::string_view program_id) override;
  absl::StatusOr<affonso::v1::ProgramSettings> UpdateProgram(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::ProgramSettingsUpdate& update) override;
  absl::StatusOr<affonso::v1::FraudRules> GetFraudRules(absl::string_view team_id,
                                                        absl::string_view program_id) override;
  absl::StatusOr<affonso::v1::FraudRules> UpdateFraudRules(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::FraudRulesUpdate& update) override;
  absl::StatusOr<affonso::v1::TrackingSettings> GetTrackingSettings(
      absl::string_view team_id, absl::string_view program_id) override;
  absl::StatusOr<affonso::v1::TrackingSettings> UpdateTrackingSettings(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::TrackingSettingsUpdate& update) override;
  absl::StatusOr<affonso::v1::PixelSettings> GetPixelSettings(
      absl::string_view team_id, absl::string_view program_id) override;
  absl::StatusOr<affonso::v1::PixelSettings> UpdatePixelSettings(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::PixelSettingsUpdate& update) override;
  absl::StatusOr<affonso::v1::ListGroupsResponse> ListGroups(absl::string_view team_id,
                                                             absl::string_view program_id) override;
  absl::StatusOr<affonso::v1::Group> CreateGroup(absl::string_view team_id,
                                                 absl::string_view program_id,
                                                 const affonso::v1::GroupInput& input) override;
  absl::StatusOr<affonso::v1::Group> GetGroup(absl::string_view team_id,
                                              absl::string_view program_id,
                                              absl::string_view group_id) override;
  absl::StatusOr<affonso::v1::Group> UpdateGroup(absl::string_view team_id,
                                                 absl::string_view program_id,
                                                 absl::string_view group_id,
                                                 const affonso::v1::GroupUpdate& update) override;
  absl::Status DeleteGroup(absl::string_view team_id, absl::string_view program_id,
                           absl::string_view group_id) override;
  absl::StatusOr<affonso::v1::Incentive> CreateIncentive(
      absl::string_view team_id, absl::string_view program_id, absl::string_view group_id,
      const affonso::v1::IncentiveInput& input) override;
  absl::Status DeleteIncentive(absl::string_view team_id, absl::string_view program_id,
                               absl::string_view group_id, absl::string_view incentive_id) override;

 private:
  ConnectionPool* pool_;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PG_PROGRAM_STORE_H_

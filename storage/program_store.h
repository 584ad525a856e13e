#ifndef AFFONSO_STORAGE_PROGRAM_STORE_H_
#define AFFONSO_STORAGE_PROGRAM_STORE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/program.pb.h"

namespace affonso::storage {

// Caps that keep a whole group list, with every incentive expanded, well
// inside one gRPC message (docs/BEHAVIOUR.md). A create beyond them is a
// VALIDATION_ERROR on name.
inline constexpr int kMaxGroupsPerProgram = 50;
inline constexpr int kMaxIncentivesPerGroup = 10;

// The pixel's settings of a program that never set them (migration 019's
// column defaults): any site, a window of an hour.
inline constexpr int kDefaultClickDedupWindowSeconds = 3600;
inline constexpr int kMaxClickDedupWindowSeconds = 30 * 24 * 3600;
inline constexpr int kMaxAllowedPixelDomains = 50;

// Settings of a program: its own, fraud rules, tracking, groups and incentives.
//
// Every call names the program by `program_id`, "" meaning the team's default
// program; a program (or group, or incentive) the team does not own is
// NOT_FOUND. Inputs arrive validated and normalised by the service (modes not
// UNSPECIFIED, lists lower-cased and checked, currency upper case, hold period
// filled in).
class ProgramStore {
 public:
  virtual ~ProgramStore() = default;

  // default_referral_parameter is the tracking settings' ("via" while the
  // program has no tracking row).
  virtual absl::StatusOr<affonso::v1::ProgramSettings> GetProgram(absl::string_view team_id,
                                                                  absl::string_view program_id) = 0;
  // Absent fields stay; a present nullable text that is null clears it.
  virtual absl::StatusOr<affonso::v1::ProgramSettings> UpdateProgram(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::ProgramSettingsUpdate& update) = 0;

  // Inserts the default rules first when the program has none yet.
  virtual absl::StatusOr<affonso::v1::FraudRules> GetFraudRules(absl::string_view team_id,
                                                                absl::string_view program_id) = 0;
  // Absent fields stay; a present paid_traffic_config replaces both lists; a
  // present allowed_email_domains (strings only) replaces that list; a
  // present banned_referral_config / blocked_country_config (normalised: null
  // or an object holding exactly its list) replaces or clears that config.
  virtual absl::StatusOr<affonso::v1::FraudRules> UpdateFraudRules(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::FraudRulesUpdate& update) = 0;

  virtual absl::StatusOr<affonso::v1::TrackingSettings> GetTrackingSettings(
      absl::string_view team_id, absl::string_view program_id) = 0;
  // Takes the normalised update (the new names only; tracking_template null
  // or exactly {key, value, type} entries).
  virtual absl::StatusOr<affonso::v1::TrackingSettings> UpdateTrackingSettings(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::TrackingSettingsUpdate& update) = 0;

  // The pixel's allowed domains, click de-duplication window and whether a
  // browser signup may set the external user id, with
  // program_id set to the program's id (the public id its snippet names);
  // the defaults while the program has set none.
  virtual absl::StatusOr<affonso::v1::PixelSettings> GetPixelSettings(
      absl::string_view team_id, absl::string_view program_id) = 0;
  // Takes the normalised update (domains lower case, deduplicated, at most
  // kMaxAllowedPixelDomains; the window within 0..kMaxClickDedupWindowSeconds);
  // absent fields stay, a present allowed_domains replaces the list.
  virtual absl::StatusOr<affonso::v1::PixelSettings> UpdatePixelSettings(
      absl::string_view team_id, absl::string_view program_id,
      const affonso::v1::PixelSettingsUpdate& update) = 0;

  // Default group first, then by creation; each with all its incentives.
  virtual absl::StatusOr<affonso::v1::ListGroupsResponse> ListGroups(
      absl::string_view team_id, absl::string_view program_id) = 0;
  // input.is_default moves the program's default flag to the new group.
  virtual absl::StatusOr<affonso::v1::Group> CreateGroup(absl::string_view team_id,
                                                         absl::string_view program_id,
                                                         const affonso::v1::GroupInput& input) = 0;
  virtual absl::StatusOr<affonso::v1::Group> GetGroup(absl::string_view team_id,
                                                      absl::string_view program_id,
                                                      absl::string_view group_id) = 0;
  // is_default=true moves the program's default flag here atomically;
  // is_default=false on the default group is a VALIDATION_ERROR (is_default).
  virtual absl::StatusOr<affonso::v1::Group> UpdateGroup(
      absl::string_view team_id, absl::string_view program_id, absl::string_view group_id,
      const affonso::v1::GroupUpdate& update) = 0;
  // The default group is a VALIDATION_ERROR (id). The group's affiliates fall
  // back to the default group; its incentives (and their overrides) go with it.
  virtual absl::Status DeleteGroup(absl::string_view team_id, absl::string_view program_id,
                                   absl::string_view group_id) = 0;

  // At most kMaxIncentivesPerGroup per group; the terms are validated and
  // normalised by the service (empty apply_to, approval_type and
  // incentive_length take their defaults here too).
  virtual absl::StatusOr<affonso::v1::Incentive> CreateIncentive(
      absl::string_view team_id, absl::string_view program_id, absl::string_view group_id,
      const affonso::v1::IncentiveInput& input) = 0;
  virtual absl::Status DeleteIncentive(absl::string_view team_id, absl::string_view program_id,
                                       absl::string_view group_id,
                                       absl::string_view incentive_id) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_PROGRAM_STORE_H_

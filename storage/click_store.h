#ifndef AFFONSO_STORAGE_CLICK_STORE_H_
#define AFFONSO_STORAGE_CLICK_STORE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/clicks.pb.h"

namespace affonso::storage {

// The proto resources are the domain model: stores read and write them
// directly rather than mirroring each in a parallel struct.
class ClickStore {
 public:
  virtual ~ClickStore() = default;
  // Records a click for the approved affiliate with `request.tracking_id()` in
  // the team's program `request.program_id()`. NOT_FOUND when either is
  // missing for this team. The request is assumed validated.
  virtual absl::StatusOr<affonso::v1::Click> TrackClick(
      absl::string_view team_id, const affonso::v1::TrackClickRequest& request) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_CLICK_STORE_H_

#ifndef AFFONSO_STORAGE_CLICK_STORE_H_
#define AFFONSO_STORAGE_CLICK_STORE_H_

#include <functional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/clicks.pb.h"
#include "storage/await_result.h"

namespace affonso::storage {

using ClickCallback = std::function<void(absl::StatusOr<affonso::v1::Click>)>;

// The proto resources are the domain model: stores read and write them
// directly rather than mirroring each in a parallel struct.
class ClickStore {
 public:
  virtual ~ClickStore() = default;

  // Records a click for the approved affiliate with `request->tracking_id()`
  // in the team's program `request->program_id()`. NOT_FOUND("program") when
  // the program is not the team's, NOT_FOUND("approved affiliate with this
  // tracking id") when the affiliate is missing. The request is assumed
  // validated and must stay valid until `done` runs: once, on any thread,
  // after the click is durable (or the call failed). Asynchronous so that a
  // waiting call holds no thread; `done` must not block.
  virtual void TrackClickAsync(std::string team_id, const affonso::v1::TrackClickRequest* request,
                               ClickCallback done) = 0;

  // The blocking form, for tools and tests.
  absl::StatusOr<affonso::v1::Click> TrackClick(absl::string_view team_id,
                                                const affonso::v1::TrackClickRequest& request) {
    return AwaitResult<affonso::v1::Click>([&](ClickCallback done) {
      TrackClickAsync(std::string(team_id), &request, std::move(done));
    });
  }
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_CLICK_STORE_H_

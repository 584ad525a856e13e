#ifndef AFFONSO_STORAGE_SOURCE_EVENT_STORE_H_
#define AFFONSO_STORAGE_SOURCE_EVENT_STORE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace affonso::storage {

// An event of POST /v1/events ("api") or a source ("segment", "custom",
// "segment_webhook"), as the service resolved it.
struct SourceEventInput {
  std::string source;
  std::string external_event_id;  // "" = none (never a repeat)
  std::string event_name;
  std::string event_type;
  std::string referral_id;  // the referral, or the click a lead converts
  std::string program_id;
  std::string payload;  // a JSON object, the request as received
};

struct SourceEvent {
  std::string id;  // evt_...
  std::string source;
  std::string external_event_id;
  std::string event_name;
  std::string event_type;
  std::string referral_id;
  std::string program_id;
  // What the event did ("lead_created", "recorded", ...); "" while the event
  // is reserved and its effect not yet applied.
  std::string action;
  std::string referral_status;
  std::string transaction_id;  // "" = none
  absl::Time created_at;
};

struct ReservedEvent {
  SourceEvent event;
  // True for the one call that inserted the row; false for every other,
  // concurrent or later, which gets the first row back.
  bool created = false;
};

// Every method is scoped to `team_id`. Inputs are assumed validated.
class SourceEventStore {
 public:
  virtual ~SourceEventStore() = default;
  // Inserts the event, unless the team already has one from the same source
  // with the same external_event_id: then that one, however many calls race.
  virtual absl::StatusOr<ReservedEvent> Reserve(absl::string_view team_id,
                                                const SourceEventInput& input) = 0;
  // Stores what the event did unless an outcome is already stored (the first
  // wins); answers the stored event. NOT_FOUND ("event") for no such event.
  virtual absl::StatusOr<SourceEvent> Complete(absl::string_view team_id, absl::string_view id,
                                               absl::string_view action,
                                               absl::string_view referral_status,
                                               absl::string_view transaction_id) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_SOURCE_EVENT_STORE_H_

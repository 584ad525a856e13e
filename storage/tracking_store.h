#ifndef AFFONSO_STORAGE_TRACKING_STORE_H_
#define AFFONSO_STORAGE_TRACKING_STORE_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/affonso/v1/coupons.pb.h"
#include "proto/affonso/v1/tracking.pb.h"
#include "storage/await_result.h"

namespace affonso::storage {

// What the public endpoints know of a program, found by its public id alone
// (the program's id: a global primary key, printed in the pixel's snippet).
struct PublicProgram {
  std::string id;
  std::string team_id;
  // Lower-case hosts and "*.host" entries; empty = any site.
  std::vector<std::string> allowed_domains;
  int click_dedup_window_seconds = 0;  // 0 = no de-duplication
  // The landing-query parameters a tracking id is read from: the default
  // one first, then the other enabled ones in their order.
  std::vector<std::string> referral_parameters;
  bool append_affonso_id_enabled = false;
  // Whether the browser signup may set the lead's external user id (sales
  // are attributed by it); false: only the backend's POST /v1/signups does.
  bool browser_external_user_id = false;
  // Secret, per program: what visitor hashes are salted with.
  std::string visitor_hash_salt;
};

// Who clicked, as the store keeps it.
struct Visitor {
  // The salted hash of the visitor (never empty): what de-duplication
  // compares; always stored.
  std::string hash;
  // Stored only when `has_consent`; "" = unknown.
  std::string ip;
  std::string user_agent;
  bool has_consent = true;
};

struct TrackedClick {
  std::string click_id;
  std::string affiliate_id;
  // True when this call inserted the click; false for the visitor's click
  // within the window (or an upgraded one).
  bool created = false;
  // The affiliate's coupons, oldest first, read in the click's transaction:
  // what the pixel offers the visitor.
  std::vector<affonso::v1::Coupon> coupons;
};

using TrackedClickCallback = std::function<void(absl::StatusOr<TrackedClick>)>;

// The public (browser) half of tracking: POST /v1/track and the pixel's
// signup. Apart from ResolveProgram, which is how a public call learns its
// team, every call is scoped to the `team_id` it names; another team's
// program, affiliate or click is NOT_FOUND. Thread-safe; each call but
// RecordClickAsync may block on the database (synchronous handlers and the
// admission threads only).
class TrackingStore {
 public:
  virtual ~TrackingStore() = default;

  // The program with this id, whatever its team; NOT_FOUND("program") when
  // there is none.
  virtual absl::StatusOr<PublicProgram> ResolveProgram(absl::string_view program_id) = 0;

  // Records a click of `visitor` for the approved, live affiliate with
  // `click->tracking_id()` in the team's program, with every attribution
  // field of `*click` (empty = NULL; the ad click ids without a column of
  // their own into clicks.ad_click_ids). With `dedup_window_seconds` > 0 the
  // visitor's newest click on that affiliate within the window is returned
  // instead (created false, nothing written); calls racing for the same
  // visitor and affiliate make one row. Either comes back with the
  // affiliate's coupons. NOT_FOUND("approved affiliate with
  // this tracking id") when there is no such affiliate. `*click` is
  // validated, its tracking id resolved, and must stay valid until `done`
  // runs: once, on any thread, after the outcome is durable. `done` must not
  // block. Asynchronous so that concurrent clicks can share a transaction.
  virtual void RecordClickAsync(std::string team_id, std::string program_id,
                                const affonso::v1::TrackRequest* click, Visitor visitor,
                                int dedup_window_seconds, TrackedClickCallback done) = 0;

  // The blocking form (tools, tests).
  absl::StatusOr<TrackedClick> RecordClick(absl::string_view team_id, absl::string_view program_id,
                                           const affonso::v1::TrackRequest& click,
                                           const Visitor& visitor, int dedup_window_seconds) {
    return AwaitResult<TrackedClick>([&](TrackedClickCallback done) {
      RecordClickAsync(std::string(team_id), std::string(program_id), &click, visitor,
                       dedup_window_seconds, std::move(done));
    });
  }

  // The visitor consented after the click: the team's click `click_id` in
  // the program gets `visitor`'s IP and user agent (unless it already holds
  // consented ones, which stay) and is marked consented; it comes back with
  // its affiliate's coupons. Idempotent.
  // NOT_FOUND("click") when the click is not the program's.
  virtual absl::StatusOr<TrackedClick> UpgradeClick(absl::string_view team_id,
                                                    absl::string_view program_id,
                                                    absl::string_view click_id,
                                                    const Visitor& visitor) = 0;

  // OK when `click_id` is a click of the team's program, else
  // NOT_FOUND("click").
  virtual absl::Status CheckClickInProgram(absl::string_view team_id, absl::string_view program_id,
                                           absl::string_view click_id) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_TRACKING_STORE_H_

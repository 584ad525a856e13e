#ifndef AFFONSO_STORAGE_WEBHOOK_DISPATCH_STORE_H_
#define AFFONSO_STORAGE_WEBHOOK_DISPATCH_STORE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace affonso::storage {

// One delivery a dispatcher holds the lease of.
struct ClaimedDelivery {
  std::string delivery_id;
  std::string team_id;
  std::string event_id;
  std::string event_type;
  std::string payload;  // the event body, as stored
  std::string endpoint_id;
  std::string url;
  std::string secret;
  // The stored secret cannot be read (its key is not configured, or it does
  // not authenticate): the delivery must fail without sending.
  bool secret_unavailable = false;
  int attempt = 0;              // this attempt's number, 1-based; with the id, names this lease
  bool endpoint_active = true;  // false: disabled or deleted since it was queued
  // When the event was written, on this process's clock (its age at the
  // claim, by the database's clock, before now): for the delivery-lag metric.
  absl::Time event_created_at;
};

// A lease a dispatcher holds: the claim that counted `attempt`.
struct HeldLease {
  std::string delivery_id;
  int attempt = 0;
};

// In-flight bounds for Claim, counted over every dispatcher's live leases.
struct ClaimCaps {
  int per_endpoint = 16;
  int per_team = 24;
};

enum class DeliveryOutcome {
  kSucceeded,  // 2xx
  kRetry,      // try again at next_attempt_at
  kGaveUp,     // retries exhausted
  kGone,       // 410: the endpoint is disabled
  kCanceled,   // the endpoint was disabled or deleted meanwhile: nothing sent
};

struct AttemptRecord {
  ClaimedDelivery delivery;
  DeliveryOutcome outcome = DeliveryOutcome::kRetry;
  int status_code = 0;  // 0: no response
  std::string error;
  int duration_ms = 0;
  std::string response_excerpt;
  absl::Time next_attempt_at;  // for kRetry
};

// How far behind the dispatchers are, for metrics. Counts stop at the cap
// they were read with.
struct OutboxBacklog {
  int64_t events_pending = 0;           // outbox events not fanned out yet
  double oldest_event_age_seconds = 0;  // the oldest of them; 0 when none
  int64_t deliveries_due = 0;           // pending deliveries due now (or in flight)
  int64_t deliveries_waiting = 0;       // pending deliveries waiting for a later retry
  double oldest_due_age_seconds = 0;    // how long the most overdue one has been due
};

// The dispatcher's side of the outbox. Every method is one transaction (the
// Pg store's FanOut, Claim, ExtendLeases and RecordBatch one autocommit
// statement each), so replicas can run dispatchers side by side and no lock
// is held between calls, least of all across a send.
class WebhookDispatchStore {
 public:
  virtual ~WebhookDispatchStore() = default;

  // Turns up to `max_events` undispatched outbox events into one delivery per
  // enabled endpoint of the event's team subscribed to its type, and marks the
  // events dispatched. Returns how many events it took.
  virtual absl::StatusOr<int> FanOut(int max_events) = 0;

  // Leases up to `max` due deliveries for `lease`, counting the attempt
  // (FOR UPDATE SKIP LOCKED: replicas never claim the same one). No endpoint
  // or team gets more live leases than `caps` allow, counting those committed
  // before; replicas claiming at the same moment can each add theirs. Teams
  // take turns: each team's oldest due delivery comes before any team's
  // second, and a team with fewer sends in flight before one with more.
  virtual absl::StatusOr<std::vector<ClaimedDelivery>> Claim(int max, absl::Duration lease,
                                                             const ClaimCaps& caps) = 0;

  // Pushes the leases still held (not recorded yet, not re-claimed by
  // another) to now + `lease`, in one statement, without waiting for any row
  // lock: a delivery another transaction holds at that moment (nearly always
  // its record) is left for the next extension. Returns how many it moved.
  virtual absl::StatusOr<int> ExtendLeases(const std::vector<HeldLease>& held,
                                           absl::Duration lease) = 0;

  // Records the attempt and moves the delivery on; a success clears the
  // endpoint's failure run, a failure starts or extends it, and the endpoint
  // is disabled on 410 or once failing for longer than `disable_after`. The
  // receiver's text is sanitised first, so no content can make it fail. A
  // delivery re-claimed, redelivered or canceled meanwhile (the lease is no
  // longer this claim's) is not touched: nothing is written and the answer
  // is FAILED_PRECONDITION.
  virtual absl::Status Record(const AttemptRecord& record, absl::Duration disable_after) = 0;

  // Record for many attempts at once, in one statement: each record is
  // treated as Record treats it (the endpoints' failure runs follow the
  // batch's outcomes in order). Returns the ids of the deliveries it moved;
  // the others' leases were lost, and nothing was written for them. On error
  // nothing at all was written: the caller falls back to Record one by one.
  virtual absl::StatusOr<std::vector<std::string>> RecordBatch(
      const std::vector<AttemptRecord>& records, absl::Duration disable_after) = 0;

  // The fallback when Record fails: moves the delivery on (status,
  // next_attempt_at, lease released) with nothing but ids and times, so that
  // no failure to record keeps a delivery alive outside its schedule. The
  // attempt row and the endpoint's failure run are lost for this attempt.
  virtual absl::Status RecordOutcomeOnly(const AttemptRecord& record) = 0;

  // The queues' depth and age (partial-index scans; counts stop at
  // `count_cap`, so a huge backlog stays cheap to measure).
  virtual absl::StatusOr<OutboxBacklog> Backlog(int64_t count_cap) = 0;
};

}  // namespace affonso::storage

#endif  // AFFONSO_STORAGE_WEBHOOK_DISPATCH_STORE_H_

#ifndef AFFONSO_SERVICES_WEBHOOKS_WEBHOOK_DISPATCHER_H_
#define AFFONSO_SERVICES_WEBHOOKS_WEBHOOK_DISPATCHER_H_

#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "services/webhooks/webhook_sender.h"
#include "storage/webhook_dispatch_store.h"

namespace affonso::services {

struct WebhookDispatcherOptions {
  // Deliveries this dispatcher holds at once, claimed until their outcome is
  // recorded: waiting for their endpoint, being sent (all on the sender's one
  // I/O thread), or being recorded. Under load a delivery spends most of its
  // time held in the database statements around its send (70-80 ms each on
  // a saturated 2-core machine), so this, not the sends, bounds throughput:
  // 128 held delivered 567/s in `./dev bench`, 2048 held 3,900/s.
  int workers = 2048;
  // HTTP requests this dispatcher has open at once to one endpoint; the rest
  // of its claimed deliveries wait their turn, their leases kept.
  int max_sends_per_endpoint = 256;
  // How often an idle dispatcher looks for events and due retries: bounds the
  // delay from commit to first attempt.
  absl::Duration poll_interval = absl::Milliseconds(200);
  // After a fan-out that found events (fewer than a batch), the next looks
  // after this instead: events keep coming, and the pause lets them gather.
  absl::Duration busy_poll_interval = absl::Milliseconds(20);
  // A claimed delivery is re-sent by another dispatcher only after this. The
  // dispatcher extends the leases it holds every lease / 3 while sending, so
  // it runs out only when its owner died (or lost the database).
  absl::Duration lease = absl::Seconds(60);
  // Most deliveries one claim takes (never more than the idle workers). A
  // full claim is followed by another at once; a partial one means the due
  // work is taken, so the next waits for the poll interval, for outcomes to
  // be recorded (which frees endpoints and teams at their cap) or for events
  // to be fanned out.
  int claim_batch = 512;
  // Deliveries held at once per endpoint and per team, across all
  // dispatchers, so one slow receiver or one tenant cannot hold every
  // worker. The team cap is kept below `workers`, so every dispatcher always
  // has a worker for the other teams.
  int per_endpoint_cap = 1024;
  int per_team_cap = 1536;
  int fan_out_batch = 1000;
  // Outcomes are recorded as sends finish, several in one statement: the
  // first waits at most this for others to join it (and at most
  // record_batch go in one statement). Zero: the recorder takes what is
  // there when it is free, and what finishes during its statement joins the
  // next; waiting longer holds the endpoints' in-flight slots (counted until
  // recorded) for nothing.
  absl::Duration record_window = absl::ZeroDuration();
  int record_batch = 1024;
  // Stop lets the sends in flight (and those waiting for their endpoint)
  // finish for this long, then abandons the rest unrecorded: their leases run
  // out and another dispatcher sends them again (at least once).
  absl::Duration stop_grace = absl::Seconds(10);
  // Delay before retry n (n = 1 is the second attempt), jittered by +-20%:
  // about three days in all; after the last one the delivery gives up.
  std::vector<absl::Duration> retry_schedule = DefaultRetrySchedule();
  // A Retry-After (429 / 503) is honoured up to this.
  absl::Duration max_retry_after = absl::Hours(24);
  // An endpoint failing without a success for this long is disabled.
  absl::Duration disable_after = absl::Hours(72);

  static std::vector<absl::Duration> DefaultRetrySchedule();
};

// Drains the outbox into signed HTTP POSTs: fans events out to subscribed
// endpoints, leases due deliveries in batches (several dispatchers, in one
// process or many, share the work), sends a claim's deliveries concurrently
// through the sender, records their outcomes in batches as they finish, and
// schedules retries. No transaction or row lock is held across a send.
// Delivery is at least once: a dispatcher killed between send and record
// loses nothing, its lease runs out and another sends again, with the same
// event id.
class WebhookDispatcher {
 public:
  // Starts the recorder, lease keeper and starter; nothing is claimed before Start or
  // RunOnce. Its metrics go to `registry`, which must outlive it; `sender`
  // must outlive it too.
  WebhookDispatcher(storage::WebhookDispatchStore* store, WebhookSender* sender,
                    WebhookDispatcherOptions options, metrics::Registry* registry);
  ~WebhookDispatcher();  // Stop()

  // Fans out, claims and sends in the background until Stop.
  void Start();
  // Stops claiming, lets the sends in flight finish and be recorded for up
  // to stop_grace, abandons the rest (unrecorded: re-sent after their lease),
  // then joins every thread.
  void Stop();

  // One pass: fan out, claim up to the idle workers, send those concurrently
  // and wait until each is recorded. Returns the work done (events fanned out
  // plus deliveries attempted); tests drive it directly.
  int RunOnce();

 private:
  struct Pass {
    int work = 0;       // events fanned out plus deliveries claimed
    int requested = 0;  // how many the claim asked for (0: none asked)
    int claimed = 0;
  };
  struct ToRecord {
    storage::AttemptRecord record;
    int* pending_in_pass;
  };
  struct ToSend {
    storage::ClaimedDelivery delivery;
    int* pending_in_pass;
  };
  // One endpoint's sends from this dispatcher: open, and waiting for one of
  // them to end.
  struct EndpointSends {
    int open = 0;
    std::deque<ToSend> waiting;
  };

  // Fans out (when `fan_out`), claims up to the idle workers and starts
  // their sends.
  Pass RunPass(bool fan_out, int* pending_in_pass);
  // One fan-out statement: the events it turned into deliveries (0 when it
  // failed, which is counted and logged).
  int FanOutOnce();
  // Turns events into deliveries on its own thread, so a claim never waits
  // behind a fan-out (a batch of 1,000 events took 90-126 ms under load, the
  // whole of a claim cycle) and the two statements overlap.
  void FanOuter();
  void Claimer();
  void Recorder();
  void LeaseKeeper();
  // A claimed delivery: recorded at once when there is nothing to send
  // (endpoint gone, secret unavailable), sent when its endpoint has a send to
  // spare, queued for it otherwise.
  void Dispatch(storage::ClaimedDelivery delivery, int* pending_in_pass);
  void Send(ToSend send);
  // A send to `endpoint_id` ended: the next one waiting for it goes to the
  // starter.
  void SendNext(const std::string& endpoint_id);
  // Sends what SendNext made ready, on its own thread: a send resolves the
  // destination's name first, which must never block the sender's I/O
  // thread, where sends end.
  void Starter();
  // On the sender's thread: the send's outcome, queued for the recorder.
  void OnSent(const storage::ClaimedDelivery& delivery, int* pending_in_pass,
              const PostResult& result);
  void Enqueue(storage::AttemptRecord record, int* pending_in_pass);
  // A claimed delivery is done with (recorded, lost or abandoned).
  void Release(const std::string& delivery_id, int* pending_in_pass)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Flush(std::vector<ToRecord> batch);
  // The pre-batch path, one delivery at a time: when a batch fails.
  bool RecordOne(const storage::AttemptRecord& record);

  struct Metrics {
    explicit Metrics(metrics::Registry* registry);
    metrics::CounterFamily& deliveries;
    metrics::Histogram& send_duration;
    metrics::Histogram& first_attempt_lag;
    metrics::CounterFamily& errors;
  };

  // What this dispatcher holds, by state, read at each scrape.
  int CountHeld(absl::string_view state);
  int WaitingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  storage::WebhookDispatchStore* store_;
  WebhookSender* sender_;
  const WebhookDispatcherOptions options_;
  const storage::ClaimCaps caps_;
  Metrics metrics_;

  absl::Mutex mu_;
  bool stopping_claims_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int busy_ ABSL_GUARDED_BY(mu_) = 0;  // claimed, not yet recorded (or given up)
  // Outcomes recorded so far: the claimer waits for some after a partial
  // claim (a count, so a flush during the pass is not missed).
  int64_t recorded_ ABSL_GUARDED_BY(mu_) = 0;
  // Events fanned out so far: a claimer waiting for work wakes on it.
  int64_t fanned_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<ToRecord> to_record_ ABSL_GUARDED_BY(mu_);
  // Sends in flight: delivery id -> the sender's ticket (0 until known).
  absl::flat_hash_map<std::string, uint64_t> in_flight_ ABSL_GUARDED_BY(mu_);
  // Endpoint id -> its sends; an endpoint with none open is not here.
  absl::flat_hash_map<std::string, EndpointSends> endpoints_ ABSL_GUARDED_BY(mu_);
  // Waited for no longer by their endpoint, for the starter to send.
  std::deque<ToSend> ready_ ABSL_GUARDED_BY(mu_);
  // Stop gave up waiting: nothing more is sent.
  bool abandoning_ ABSL_GUARDED_BY(mu_) = false;
  // The leases to keep alive: delivery id -> the attempt its claim counted.
  absl::flat_hash_map<std::string, int> held_ ABSL_GUARDED_BY(mu_);
  // After the state they read: unregistered before it goes.
  std::vector<metrics::CallbackRegistration> held_gauges_;
  std::thread recorder_;
  std::thread lease_keeper_;
  std::thread starter_;
  std::thread fan_outer_;
  std::thread claimer_;
};

// The buckets of affonso_webhook_first_attempt_lag_seconds (seconds): the
// 1 s target in the middle.
std::vector<double> FirstAttemptLagBuckets();

// When the next attempt is due after `attempt` failed (nullopt: give up).
std::optional<absl::Time> NextAttemptAt(const WebhookDispatcherOptions& options, int attempt,
                                        int status_code, const std::string& retry_after,
                                        absl::Time now, double jitter /* in [-1, 1] */);

}  // namespace affonso::services

#endif  // AFFONSO_SERVICES_WEBHOOKS_WEBHOOK_DISPATCHER_H_

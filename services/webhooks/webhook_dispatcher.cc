#include "services/webhooks/webhook_dispatcher.h"

#include <algorithm>
#include <memory>
#include <random>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "common/log.h"
#include "common/metrics.h"
#include "services/webhooks/webhook_signing.h"

namespace affonso::services {
namespace {

const char* ResultLabel(storage::DeliveryOutcome outcome) {
  switch (outcome) {
    case storage::DeliveryOutcome::kSucceeded:
      return "delivered";
    case storage::DeliveryOutcome::kRetry:
      return "retrying";
    case storage::DeliveryOutcome::kGaveUp:
      return "gave_up";
    case storage::DeliveryOutcome::kGone:
      return "gone";
    case storage::DeliveryOutcome::kCanceled:
      return "canceled";
  }
  return "unknown";
}

}  // namespace

std::vector<double> FirstAttemptLagBuckets() {
  return {0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300};
}

std::vector<absl::Duration> WebhookDispatcherOptions::DefaultRetrySchedule() {
  return {absl::Seconds(5),  absl::Seconds(30), absl::Minutes(2), absl::Minutes(10),
          absl::Minutes(30), absl::Hours(1),    absl::Hours(2),   absl::Hours(4),
          absl::Hours(8),    absl::Hours(12),   absl::Hours(24),  absl::Hours(24)};
}

std::optional<absl::Time> NextAttemptAt(const WebhookDispatcherOptions& options, int attempt,
                                        int status_code, const std::string& retry_after,
                                        absl::Time now, double jitter) {
  if (attempt > static_cast<int>(options.retry_schedule.size())) return std::nullopt;
  int seconds = 0;
  if ((status_code == 429 || status_code == 503) && absl::SimpleAtoi(retry_after, &seconds) &&
      seconds >= 0) {
    return now + std::min(absl::Seconds(seconds), options.max_retry_after);
  }
  const absl::Duration base = options.retry_schedule[attempt - 1];
  return now + base + base * (0.2 * jitter);
}

namespace {

storage::ClaimCaps CapsFor(const WebhookDispatcherOptions& options) {
  storage::ClaimCaps caps;
  caps.per_endpoint = std::max(1, options.per_endpoint_cap);
  // Below the workers: one team's slow endpoints never hold all of them.
  caps.per_team = std::max(1, std::min(options.per_team_cap, options.workers - 1));
  return caps;
}

}  // namespace

WebhookDispatcher::Metrics::Metrics(metrics::Registry* registry)
    : deliveries(registry->AddCounter(
          "affonso_webhook_deliveries_total",
          "Webhook delivery attempts by result: delivered (2xx), retrying (failed, another "
          "attempt is scheduled), gave_up (failed, retries exhausted), gone (410: endpoint "
          "disabled), canceled (endpoint disabled or deleted meanwhile: nothing sent).",
          {"result"})),
      send_duration(registry
                        ->AddHistogram("affonso_webhook_send_duration_seconds",
                                       "Time of one webhook POST, connect to response (or "
                                       "failure).")
                        .WithLabels({})),
      first_attempt_lag(registry
                            ->AddHistogram("affonso_webhook_first_attempt_lag_seconds",
                                           "From an event's commit to its first attempt's "
                                           "outcome being recorded, per delivery.",
                                           {}, FirstAttemptLagBuckets())
                            .WithLabels({})),
      errors(registry->AddCounter(
          "affonso_webhook_dispatcher_errors_total",
          "Dispatcher database steps that failed (fan_out, claim, lease, record, backlog); the "
          "work is retried later.",
          {"stage"})) {}

WebhookDispatcher::WebhookDispatcher(storage::WebhookDispatchStore* store, WebhookSender* sender,
                                     WebhookDispatcherOptions options, metrics::Registry* registry)
    : store_(store),
      sender_(sender),
      options_(std::move(options)),
      caps_(CapsFor(options_)),
      metrics_(registry) {
  metrics::GaugeFamily& held = registry->AddGauge(
      "affonso_webhook_dispatcher_deliveries",
      "Deliveries this dispatcher holds (claimed, not yet recorded) by state: waiting (for "
      "one of their endpoint's sends), sending, recording (sent, outcome not yet stored).",
      {"state"});
  for (const char* state : {"waiting", "sending", "recording"}) {
    held_gauges_.push_back(held.SetCallback({state}, [this, state] { return CountHeld(state); }));
  }
  recorder_ = std::thread([this] { Recorder(); });
  lease_keeper_ = std::thread([this] { LeaseKeeper(); });
  starter_ = std::thread([this] { Starter(); });
}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

int WebhookDispatcher::WaitingLocked() {
  size_t waiting = ready_.size();
  for (const auto& [endpoint_id, sends] : endpoints_) waiting += sends.waiting.size();
  return static_cast<int>(waiting);
}

int WebhookDispatcher::CountHeld(absl::string_view state) {
  absl::MutexLock lock(&mu_);
  const int sending = static_cast<int>(in_flight_.size());
  if (state == "sending") return sending;
  const int waiting = WaitingLocked();
  if (state == "waiting") return waiting;
  return std::max(0, busy_ - sending - waiting);  // recording (or about to be sent)
}

void WebhookDispatcher::Start() {
  if (!fan_outer_.joinable()) fan_outer_ = std::thread([this] { FanOuter(); });
  if (!claimer_.joinable()) claimer_ = std::thread([this] { Claimer(); });
}

void WebhookDispatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_claims_ = true;
  }
  if (fan_outer_.joinable()) fan_outer_.join();
  if (claimer_.joinable()) claimer_.join();
  std::vector<uint64_t> abandon;
  {
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return busy_ == 0; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&idle), options_.stop_grace)) {
      abandoning_ = true;
      // Never sent, never recorded: their leases run out as the abandoned
      // sends' do.
      auto drop = [this](std::deque<ToSend>& unsent) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        for (const ToSend& send : unsent) Release(send.delivery.delivery_id, send.pending_in_pass);
        unsent.clear();
      };
      for (auto& [endpoint_id, sends] : endpoints_) drop(sends.waiting);
      drop(ready_);
      for (const auto& [delivery_id, ticket] : in_flight_) {
        if (ticket != 0) abandon.push_back(ticket);
      }
    }
  }
  if (!abandon.empty()) {
    AFFONSO_LOG(kInfo, "webhook dispatcher stopping: abandoning ", abandon.size(),
                " sends in flight (sent again when their leases run out)");
    // Without mu_: the sender calls OnSent for each before it returns.
    sender_->Abandon(abandon);
  }
  {
    absl::MutexLock lock(&mu_);
    // What finished is being recorded (bounded by the pool's timeouts).
    auto idle = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return busy_ == 0; };
    mu_.Await(absl::Condition(&idle));
    stopping_ = true;
  }
  if (recorder_.joinable()) recorder_.join();
  if (lease_keeper_.joinable()) lease_keeper_.join();
  if (starter_.joinable()) starter_.join();
}

int WebhookDispatcher::FanOutOnce() {
  auto fanned = store_->FanOut(options_.fan_out_batch);
  if (fanned.ok()) return *fanned;
  metrics_.errors.WithLabels({"fan_out"}).Increment();
  AFFONSO_LOG(kWarning, "webhook fan-out: ", fanned.status().ToString());
  return 0;
}

void WebhookDispatcher::FanOuter() {
  while (true) {
    const int events = FanOutOnce();
    absl::MutexLock lock(&mu_);
    if (stopping_claims_) return;
    fanned_ += events;
    // A full batch leaves more behind: go again at once. Events found: more
    // are being committed, so look again after a short pause that lets them
    // gather into a batch (a poll interval here put 100 ms on the mean lag
    // under load). None: wait a poll interval.
    if (events >= options_.fan_out_batch) continue;
    auto stop = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stopping_claims_; };
    mu_.AwaitWithTimeout(absl::Condition(&stop),
                         events > 0 ? std::min(options_.busy_poll_interval, options_.poll_interval)
                                    : options_.poll_interval);
    if (stopping_claims_) return;
  }
}

void WebhookDispatcher::Claimer() {
  // A claim that fills its batch (or the idle workers) is followed by
  // another at once: there is more due work. Short of full, the due work is
  // taken (or endpoints and teams are at their caps), so wait a poll
  // interval, until outcomes are recorded (that frees capped endpoints and
  // teams; recording is batched, so this wakes at most once a statement), or
  // until events are fanned out.
  // A full dispatcher waits for outcomes, and claims again once a quarter of
  // a batch is idle, so its claims stay batches.
  const int top_up = std::max(1, std::min(options_.claim_batch, options_.workers) / 4);
  while (true) {
    int64_t recorded_before;
    int64_t fanned_before;
    {
      absl::MutexLock lock(&mu_);
      recorded_before = recorded_;
      fanned_before = fanned_;
    }
    const Pass pass = RunPass(/*fan_out=*/false, nullptr);
    absl::MutexLock lock(&mu_);
    if (stopping_claims_) return;
    const bool full = pass.requested > 0 && pass.claimed == pass.requested;
    if (full && options_.workers - busy_ >= top_up) continue;
    auto wake = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return stopping_claims_ || (options_.workers - busy_ >= top_up &&
                                  (recorded_ > recorded_before || fanned_ > fanned_before));
    };
    if (full) {
      // More is due: wait for room, however long.
      mu_.Await(absl::Condition(&wake));
    } else {
      mu_.AwaitWithTimeout(absl::Condition(&wake), options_.poll_interval);
    }
    if (stopping_claims_) return;
  }
}

int WebhookDispatcher::RunOnce() {
  int pending = 0;
  const Pass pass = RunPass(/*fan_out=*/true, &pending);
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return pending == 0; };
  mu_.Await(absl::Condition(&done));
  return pass.work;
}

WebhookDispatcher::Pass WebhookDispatcher::RunPass(bool fan_out, int* pending_in_pass) {
  Pass pass;
  if (fan_out) pass.work += FanOutOnce();
  int idle;
  {
    absl::MutexLock lock(&mu_);
    idle = options_.workers - busy_;
  }
  // Never more than the idle workers: every claimed delivery is sent at
  // once, so none waits behind another while its lease runs.
  if (idle <= 0) return pass;
  pass.requested = std::min(options_.claim_batch, idle);
  auto claimed = store_->Claim(pass.requested, options_.lease, caps_);
  if (!claimed.ok()) {
    pass.requested = 0;
    metrics_.errors.WithLabels({"claim"}).Increment();
    AFFONSO_LOG(kWarning, "webhook claim: ", claimed.status().ToString());
    return pass;
  }
  pass.claimed = static_cast<int>(claimed->size());
  pass.work += pass.claimed;
  {
    absl::MutexLock lock(&mu_);
    for (const storage::ClaimedDelivery& delivery : *claimed) {
      held_[delivery.delivery_id] = delivery.attempt;
      ++busy_;
      if (pending_in_pass != nullptr) ++*pending_in_pass;
    }
  }
  for (storage::ClaimedDelivery& delivery : *claimed) {
    Dispatch(std::move(delivery), pending_in_pass);
  }
  return pass;
}

void WebhookDispatcher::Dispatch(storage::ClaimedDelivery delivery, int* pending_in_pass) {
  thread_local std::mt19937 rng{std::random_device{}()};
  if (!delivery.endpoint_active || delivery.secret_unavailable) {
    storage::AttemptRecord record;
    if (!delivery.endpoint_active) {
      record.outcome = storage::DeliveryOutcome::kCanceled;
    } else {
      // Never sent unsigned: a failed attempt on the usual schedule, so the
      // delivery goes out once the operator configures the key again.
      record.error = "signing secret unavailable";
      std::uniform_real_distribution<double> jitter(-1.0, 1.0);
      auto next = NextAttemptAt(options_, delivery.attempt, 0, "", absl::Now(), jitter(rng));
      record.outcome = next ? storage::DeliveryOutcome::kRetry : storage::DeliveryOutcome::kGaveUp;
      if (next) record.next_attempt_at = *next;
    }
    record.delivery = std::move(delivery);
    Enqueue(std::move(record), pending_in_pass);
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    EndpointSends& sends = endpoints_[delivery.endpoint_id];
    if (sends.open >= std::max(1, options_.max_sends_per_endpoint)) {
      sends.waiting.push_back({std::move(delivery), pending_in_pass});
      return;
    }
    ++sends.open;
  }
  Send({std::move(delivery), pending_in_pass});
}

void WebhookDispatcher::SendNext(const std::string& endpoint_id) {
  absl::MutexLock lock(&mu_);
  auto it = endpoints_.find(endpoint_id);
  if (it == endpoints_.end()) return;
  EndpointSends& sends = it->second;
  if (!sends.waiting.empty()) {
    // The send's slot passes to the next; the starter sends it, as this may
    // be the sender's I/O thread, which must not resolve names. (Stop empties
    // the queues when it abandons, and Send refuses what is still on its way.)
    ready_.push_back(std::move(sends.waiting.front()));
    sends.waiting.pop_front();
    return;
  }
  if (--sends.open <= 0) endpoints_.erase(it);
}

void WebhookDispatcher::Starter() {
  while (true) {
    std::deque<ToSend> ready;
    {
      absl::MutexLock lock(&mu_);
      auto woken = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stopping_ || !ready_.empty(); };
      mu_.Await(absl::Condition(&woken));
      if (ready_.empty()) return;  // stopping, and nothing is left to send
      ready.swap(ready_);
    }
    for (ToSend& send : ready) Send(std::move(send));
  }
}

void WebhookDispatcher::Send(ToSend send) {
  storage::ClaimedDelivery& delivery = send.delivery;
  // Signed as it goes out, not when claimed: a delivery that waited for its
  // endpoint still carries a fresh timestamp.
  const absl::Time now = absl::Now();
  const SignedHeaders signed_headers =
      SignWebhook(delivery.secret, delivery.event_id, absl::ToUnixSeconds(now), delivery.payload);
  PostRequest request;
  request.url = delivery.url;
  request.body = delivery.payload;
  request.headers = {
      {"Content-Type", "application/json"},
      {"X-Affonso-Signature", signed_headers.affonso_signature},
      {"webhook-id", signed_headers.webhook_id},
      {"webhook-timestamp", signed_headers.webhook_timestamp},
      {"webhook-signature", signed_headers.webhook_signature},
      {"X-Affonso-Event", delivery.event_type},
  };
  const std::string delivery_id = delivery.delivery_id;
  {
    absl::MutexLock lock(&mu_);
    if (abandoning_) {
      // Stop gave up on the sends: this one is never started (its lease
      // runs out, and another dispatcher sends it).
      Release(delivery_id, send.pending_in_pass);
      return;
    }
    in_flight_[delivery_id] = 0;
  }
  // The delivery travels with the callback; the sender may call it before
  // Send returns (a refused destination), so no lock is held here.
  auto shared = std::make_shared<storage::ClaimedDelivery>(std::move(delivery));
  int* pending_in_pass = send.pending_in_pass;
  const uint64_t ticket =
      sender_->Send(std::move(request), [this, shared, pending_in_pass](PostResult result) {
        OnSent(*shared, pending_in_pass, result);
        SendNext(shared->endpoint_id);
      });
  absl::MutexLock lock(&mu_);
  auto it = in_flight_.find(delivery_id);
  if (it != in_flight_.end()) it->second = ticket;  // still in flight: Stop may abandon it
}

void WebhookDispatcher::OnSent(const storage::ClaimedDelivery& delivery, int* pending_in_pass,
                               const PostResult& result) {
  thread_local std::mt19937 rng{std::random_device{}()};
  if (result.abandoned) {
    // Unrecorded: the lease runs out and the delivery is sent again.
    absl::MutexLock lock(&mu_);
    in_flight_.erase(delivery.delivery_id);
    Release(delivery.delivery_id, pending_in_pass);
    return;
  }
  metrics_.send_duration.Observe(result.duration);
  storage::AttemptRecord record;
  record.delivery = delivery;
  record.status_code = result.status_code;
  record.error = result.error;
  record.duration_ms = static_cast<int>(absl::ToInt64Milliseconds(result.duration));
  record.response_excerpt = result.response_excerpt;
  if (result.status_code >= 200 && result.status_code <= 299) {
    record.outcome = storage::DeliveryOutcome::kSucceeded;
  } else if (result.status_code == 410) {
    record.outcome = storage::DeliveryOutcome::kGone;
  } else {
    std::uniform_real_distribution<double> jitter(-1.0, 1.0);
    auto next = NextAttemptAt(options_, delivery.attempt, result.status_code, result.retry_after,
                              absl::Now(), jitter(rng));
    if (next) {
      record.outcome = storage::DeliveryOutcome::kRetry;
      record.next_attempt_at = *next;
    } else {
      record.outcome = storage::DeliveryOutcome::kGaveUp;
    }
  }
  // Ids and codes only: the URL may carry a token, the secret never goes
  // out. A failed send's detail (addresses curl saw) is for us, not the
  // tenant's delivery log.
  if (result.status_code == 0) {
    AFFONSO_LOG(kInfo, "webhook ", delivery.event_id, " to ", delivery.endpoint_id, " attempt ",
                delivery.attempt, " failed after ", record.duration_ms, " ms: ", result.detail);
  } else {
    AFFONSO_LOG(kDebug, "webhook ", delivery.event_id, " to ", delivery.endpoint_id, " attempt ",
                delivery.attempt, " status ", result.status_code, " ms ", record.duration_ms);
  }
  Enqueue(std::move(record), pending_in_pass);
}

void WebhookDispatcher::Enqueue(storage::AttemptRecord record, int* pending_in_pass) {
  absl::MutexLock lock(&mu_);
  in_flight_.erase(record.delivery.delivery_id);
  to_record_.push_back({std::move(record), pending_in_pass});
}

void WebhookDispatcher::Release(const std::string& delivery_id, int* pending_in_pass) {
  held_.erase(delivery_id);
  --busy_;
  if (pending_in_pass != nullptr) --*pending_in_pass;
}

void WebhookDispatcher::Recorder() {
  while (true) {
    std::vector<ToRecord> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_NO_THREAD_SAFETY_ANALYSIS { return stopping_ || !to_record_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (to_record_.empty()) return;  // stopping, and nothing is left to record
      // The first outcome waits a short window for others to share its
      // statement; a full batch goes at once.
      auto full = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return stopping_ || static_cast<int>(to_record_.size()) >= options_.record_batch;
      };
      mu_.AwaitWithTimeout(absl::Condition(&full), options_.record_window);
      const size_t take =
          std::min(to_record_.size(), static_cast<size_t>(std::max(1, options_.record_batch)));
      batch.assign(std::make_move_iterator(to_record_.begin()),
                   std::make_move_iterator(to_record_.begin() + take));
      to_record_.erase(to_record_.begin(), to_record_.begin() + take);
    }
    Flush(std::move(batch));
  }
}

void WebhookDispatcher::Flush(std::vector<ToRecord> batch) {
  std::vector<storage::AttemptRecord> records;
  records.reserve(batch.size());
  for (const ToRecord& item : batch) records.push_back(item.record);
  std::vector<bool> counted(batch.size(), false);
  auto moved = store_->RecordBatch(records, options_.disable_after);
  if (moved.ok()) {
    const absl::flat_hash_set<std::string> ids(moved->begin(), moved->end());
    for (size_t i = 0; i < batch.size(); ++i) {
      if (ids.contains(records[i].delivery.delivery_id)) {
        counted[i] = true;
      } else {
        // Another claim owns the delivery now and records its own attempt.
        metrics_.errors.WithLabels({"lease_lost"}).Increment();
        AFFONSO_LOG(kInfo, "webhook record ", records[i].delivery.delivery_id,
                    ": the delivery's lease was lost (re-claimed, redelivered or canceled)");
      }
    }
  } else {
    // One record the database refuses must not hold back the others: each
    // goes on its own, as before batching (counted per record there).
    AFFONSO_LOG(kWarning, "webhook record batch of ", records.size(), ": ",
                moved.status().ToString(), "; recording one by one");
    for (size_t i = 0; i < batch.size(); ++i) counted[i] = RecordOne(records[i]);
  }
  // Counted once stored, so the metric never reports what the log lacks.
  const absl::Time now = absl::Now();
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!counted[i]) continue;
    metrics_.deliveries.WithLabels({ResultLabel(records[i].outcome)}).Increment();
    if (records[i].delivery.attempt == 1 &&
        records[i].outcome != storage::DeliveryOutcome::kCanceled) {
      metrics_.first_attempt_lag.Observe(now - records[i].delivery.event_created_at);
    }
  }
  absl::MutexLock lock(&mu_);
  for (const ToRecord& item : batch) {
    Release(item.record.delivery.delivery_id, item.pending_in_pass);
  }
  recorded_ += static_cast<int64_t>(batch.size());
}

bool WebhookDispatcher::RecordOne(const storage::AttemptRecord& record) {
  const storage::ClaimedDelivery& delivery = record.delivery;
  absl::Status recorded = store_->Record(record, options_.disable_after);
  if (absl::IsFailedPrecondition(recorded)) {
    metrics_.errors.WithLabels({"lease_lost"}).Increment();
    AFFONSO_LOG(kInfo, "webhook record ", delivery.delivery_id, ": ", recorded.message());
    return false;
  }
  if (!recorded.ok()) {
    metrics_.errors.WithLabels({"record"}).Increment();
    AFFONSO_LOG(kWarning, "webhook record ", delivery.delivery_id, ": ", recorded.ToString(),
                "; moving the delivery on without its attempt row");
    recorded = store_->RecordOutcomeOnly(record);
    if (!recorded.ok()) {
      metrics_.errors.WithLabels({"record"}).Increment();
      // The lease runs out and the delivery is attempted again, counted as
      // the next attempt: at least once, and still within its schedule.
      AFFONSO_LOG(kWarning, "webhook record ", delivery.delivery_id,
                  " (outcome only): ", recorded.ToString());
      return false;
    }
  }
  return true;
}

void WebhookDispatcher::LeaseKeeper() {
  // Three extensions per lease: a send outlives its lease only when two in
  // a row failed (the database unreachable).
  const absl::Duration every = options_.lease / 3;
  while (true) {
    std::vector<storage::HeldLease> held;
    {
      absl::MutexLock lock(&mu_);
      auto stop = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stop), every);
      if (stopping_) return;
      held.reserve(held_.size());
      for (const auto& [delivery_id, attempt] : held_) held.push_back({delivery_id, attempt});
    }
    if (held.empty()) continue;
    auto extended = store_->ExtendLeases(held, options_.lease);
    if (!extended.ok()) {
      metrics_.errors.WithLabels({"lease"}).Increment();
      AFFONSO_LOG(kWarning, "webhook lease extension: ", extended.status().ToString());
    }
  }
}

}  // namespace affonso::services

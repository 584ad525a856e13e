#include "services/webhooks/webhook_dispatcher.h"

#include <algorithm>
#include <random>

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
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this] { Worker(); });
  }
  lease_keeper_ = std::thread([this] { LeaseKeeper(); });
}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

void WebhookDispatcher::Start() {
  if (!claimer_.joinable()) claimer_ = std::thread([this] { Claimer(); });
}

void WebhookDispatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_claims_ = true;
  }
  if (claimer_.joinable()) claimer_.join();
  {
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return busy_ == 0; };
    mu_.Await(absl::Condition(&idle));
    stopping_ = true;
  }
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
  if (lease_keeper_.joinable()) lease_keeper_.join();
}

void WebhookDispatcher::Claimer() {
  while (true) {
    int64_t ended_before_pass;
    {
      absl::MutexLock lock(&mu_);
      ended_before_pass = sends_ended_;
    }
    const int work = Pass(nullptr);
    absl::MutexLock lock(&mu_);
    if (stopping_claims_) return;
    // Busy with every worker taken: go on as soon as one is free. Nothing
    // claimed while sends are in flight: they may be what holds an endpoint
    // or team at its cap, so try again as soon as one of them ends. Idle:
    // wait a poll interval (or for Stop).
    // A send that ended while the pass ran counts too: the pass may have
    // found its endpoint still at the cap (it waited a poll interval).
    if (work == 0 || busy_ >= options_.workers) {
      auto wake = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return stopping_claims_ || (work > 0 && busy_ < options_.workers) ||
               (work == 0 && sends_ended_ > ended_before_pass);
      };
      mu_.AwaitWithTimeout(absl::Condition(&wake), options_.poll_interval);
      if (stopping_claims_) return;
    }
  }
}

int WebhookDispatcher::RunOnce() {
  int pending = 0;
  const int work = Pass(&pending);
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return pending == 0; };
  mu_.Await(absl::Condition(&done));
  return work;
}

int WebhookDispatcher::Pass(int* pending_in_pass) {
  int work = 0;
  auto fanned = store_->FanOut(options_.fan_out_batch);
  if (fanned.ok()) {
    work += *fanned;
  } else {
    metrics_.errors.WithLabels({"fan_out"}).Increment();
    AFFONSO_LOG(kWarning, "webhook fan-out: ", fanned.status().ToString());
  }
  int idle;
  {
    absl::MutexLock lock(&mu_);
    idle = options_.workers - busy_;
  }
  // Never more than the idle workers: every claimed delivery is sent at
  // once, so none waits behind another while its lease runs.
  if (idle <= 0) return work;
  auto claimed = store_->Claim(std::min(options_.claim_batch, idle), options_.lease, caps_);
  if (!claimed.ok()) {
    metrics_.errors.WithLabels({"claim"}).Increment();
    AFFONSO_LOG(kWarning, "webhook claim: ", claimed.status().ToString());
    return work;
  }
  absl::MutexLock lock(&mu_);
  for (storage::ClaimedDelivery& delivery : *claimed) {
    held_[delivery.delivery_id] = delivery.attempt;
    queue_.push_back({std::move(delivery), pending_in_pass});
    ++busy_;
    if (pending_in_pass != nullptr) ++*pending_in_pass;
  }
  return work + static_cast<int>(claimed->size());
}

void WebhookDispatcher::Worker() {
  while (true) {
    Job job;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stopping_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and nothing claimed is left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Deliver(job.delivery);
    absl::MutexLock lock(&mu_);
    held_.erase(job.delivery.delivery_id);
    --busy_;
    ++sends_ended_;
    if (job.pending_in_pass != nullptr) --*job.pending_in_pass;
  }
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

void WebhookDispatcher::Deliver(const storage::ClaimedDelivery& delivery) {
  thread_local std::mt19937 rng{std::random_device{}()};
  storage::AttemptRecord record;
  record.delivery = delivery;
  if (!delivery.endpoint_active) {
    record.outcome = storage::DeliveryOutcome::kCanceled;
  } else if (delivery.secret_unavailable) {
    // Never sent unsigned: a failed attempt on the usual schedule, so the
    // delivery goes out once the operator configures the key again.
    record.error = "signing secret unavailable";
    std::uniform_real_distribution<double> jitter(-1.0, 1.0);
    auto next = NextAttemptAt(options_, delivery.attempt, 0, "", absl::Now(), jitter(rng));
    record.outcome = next ? storage::DeliveryOutcome::kRetry : storage::DeliveryOutcome::kGaveUp;
    if (next) record.next_attempt_at = *next;
  } else {
    const absl::Time now = absl::Now();
    const SignedHeaders signed_headers =
        SignWebhook(delivery.secret, delivery.event_id, absl::ToUnixSeconds(now), delivery.payload);
    const std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"},
        {"X-Affonso-Signature", signed_headers.affonso_signature},
        {"webhook-id", signed_headers.webhook_id},
        {"webhook-timestamp", signed_headers.webhook_timestamp},
        {"webhook-signature", signed_headers.webhook_signature},
        {"X-Affonso-Event", delivery.event_type},
    };
    const PostResult result = sender_->Post(delivery.url, headers, delivery.payload);
    metrics_.send_duration.Observe(result.duration);
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
  }
  absl::Status recorded = store_->Record(record, options_.disable_after);
  if (absl::IsFailedPrecondition(recorded)) {
    // Another claim owns the delivery now and records its own attempt.
    metrics_.errors.WithLabels({"lease_lost"}).Increment();
    AFFONSO_LOG(kInfo, "webhook record ", delivery.delivery_id, ": ", recorded.message());
    return;
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
      return;
    }
  }
  // Counted once stored, so the metric never reports what the log lacks.
  metrics_.deliveries.WithLabels({ResultLabel(record.outcome)}).Increment();
}

}  // namespace affonso::services

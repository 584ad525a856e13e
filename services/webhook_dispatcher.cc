#include "services/webhook_dispatcher.h"

#include <random>

#include "absl/strings/numbers.h"
#include "common/log.h"
#include "common/metrics.h"
#include "services/webhook_signing.h"

namespace affonso::services {
namespace {

struct DispatcherMetrics {
  metrics::CounterFamily& deliveries = metrics::DefaultRegistry().AddCounter(
      "affonso_webhook_deliveries_total",
      "Webhook delivery attempts by result: delivered (2xx), retrying (failed, another attempt "
      "is scheduled), gave_up (failed, retries exhausted), gone (410: endpoint disabled), "
      "canceled (endpoint disabled or deleted meanwhile: nothing sent).",
      {"result"});
  metrics::Histogram& send_duration =
      metrics::DefaultRegistry()
          .AddHistogram("affonso_webhook_send_duration_seconds",
                        "Time of one webhook POST, connect to response (or failure).")
          .WithLabels({});
  metrics::CounterFamily& errors = metrics::DefaultRegistry().AddCounter(
      "affonso_webhook_dispatcher_errors_total",
      "Dispatcher database steps that failed (fan_out, claim, record, backlog); the work is "
      "retried later.",
      {"stage"});
};

DispatcherMetrics& Metrics() {
  static DispatcherMetrics* metrics = new DispatcherMetrics();
  return *metrics;
}

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

WebhookDispatcher::WebhookDispatcher(storage::WebhookDispatchStore* store, WebhookSender* sender,
                                     WebhookDispatcherOptions options)
    : store_(store), sender_(sender), options_(std::move(options)) {}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

void WebhookDispatcher::Start() {
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { Work(); });
}

void WebhookDispatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

void WebhookDispatcher::Work() {
  while (true) {
    const int work = RunOnce();
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    // Busy: go again at once, so a backlog drains at full speed. Idle: wait a
    // poll interval (or for Stop).
    if (work == 0) {
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.poll_interval);
      if (stopping_) return;
    }
  }
}

int WebhookDispatcher::RunOnce() {
  int work = 0;
  auto fanned = store_->FanOut(options_.fan_out_batch);
  if (fanned.ok()) {
    work += *fanned;
  } else {
    Metrics().errors.WithLabels({"fan_out"}).Increment();
    AFFONSO_LOG(kWarning, "webhook fan-out: ", fanned.status().ToString());
  }
  auto claimed = store_->Claim(options_.claim_batch, options_.lease, options_.per_endpoint_cap);
  if (!claimed.ok()) {
    Metrics().errors.WithLabels({"claim"}).Increment();
    AFFONSO_LOG(kWarning, "webhook claim: ", claimed.status().ToString());
    return work;
  }
  for (const storage::ClaimedDelivery& delivery : *claimed) Deliver(delivery);
  return work + static_cast<int>(claimed->size());
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
    Metrics().send_duration.Observe(result.duration);
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
      auto next = NextAttemptAt(options_, delivery.attempt, result.status_code,
                                result.retry_after, absl::Now(), jitter(rng));
      if (next) {
        record.outcome = storage::DeliveryOutcome::kRetry;
        record.next_attempt_at = *next;
      } else {
        record.outcome = storage::DeliveryOutcome::kGaveUp;
      }
    }
    // Ids and codes only: the URL may carry a token, the secret never goes out.
    AFFONSO_LOG(kDebug, "webhook ", delivery.event_id, " to ", delivery.endpoint_id, " attempt ",
                delivery.attempt, " status ", result.status_code, " ms ", record.duration_ms,
                result.error.empty() ? "" : " error ", result.error);
  }
  Metrics().deliveries.WithLabels({ResultLabel(record.outcome)}).Increment();
  absl::Status recorded = store_->Record(record, options_.disable_after);
  if (!recorded.ok()) {
    Metrics().errors.WithLabels({"record"}).Increment();
    // The lease runs out and the delivery is attempted again: at least once.
    AFFONSO_LOG(kWarning, "webhook record ", delivery.delivery_id, ": ", recorded.ToString());
  }
}

}  // namespace affonso::services

#include "services/webhooks/outbox_monitor.h"

#include "common/log.h"

namespace affonso::services {
namespace {

metrics::GaugeFamily& Pending(metrics::Registry* registry) {
  return registry->AddGauge(
      "affonso_webhook_outbox_pending",
      "Webhook work waiting, by stage: fan_out (events not yet turned into deliveries), due "
      "(deliveries whose attempt is due now, including those in flight), retry_wait "
      "(deliveries waiting for a later retry). Refreshed every few seconds; capped.",
      {"stage"});
}

metrics::GaugeFamily& OldestAge(metrics::Registry* registry) {
  return registry->AddGauge(
      "affonso_webhook_outbox_oldest_age_seconds",
      "Age of the oldest waiting work, by stage: fan_out (oldest event not fanned out), due "
      "(time since the most overdue delivery became due). 0 when none.",
      {"stage"});
}

}  // namespace

OutboxMonitor::OutboxMonitor(storage::WebhookDispatchStore* store, OutboxMonitorOptions options,
                             metrics::Registry* registry)
    : store_(store),
      options_(options),
      events_pending_(Pending(registry).WithLabels({"fan_out"})),
      deliveries_due_(Pending(registry).WithLabels({"due"})),
      deliveries_waiting_(Pending(registry).WithLabels({"retry_wait"})),
      oldest_event_age_(OldestAge(registry).WithLabels({"fan_out"})),
      oldest_due_age_(OldestAge(registry).WithLabels({"due"})),
      errors_(registry
                  ->AddCounter("affonso_webhook_dispatcher_errors_total",
                               "Dispatcher database steps that failed (fan_out, claim, record, "
                               "backlog); the work is retried later.",
                               {"stage"})
                  .WithLabels({"backlog"})) {}

OutboxMonitor::~OutboxMonitor() { Stop(); }

void OutboxMonitor::Start() {
  thread_ = std::thread([this] { Run(); });
}

void OutboxMonitor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status OutboxMonitor::RefreshOnce() {
  auto backlog = store_->Backlog(options_.count_cap);
  if (!backlog.ok()) {
    errors_.Increment();
    return backlog.status();
  }
  events_pending_.Set(static_cast<double>(backlog->events_pending));
  deliveries_due_.Set(static_cast<double>(backlog->deliveries_due));
  deliveries_waiting_.Set(static_cast<double>(backlog->deliveries_waiting));
  oldest_event_age_.Set(backlog->oldest_event_age_seconds);
  oldest_due_age_.Set(backlog->oldest_due_age_seconds);
  return absl::OkStatus();
}

void OutboxMonitor::Run() {
  while (true) {
    absl::Status refreshed = RefreshOnce();
    if (!refreshed.ok()) AFFONSO_LOG(kWarning, "webhook backlog: ", refreshed.ToString());
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.interval);
    if (stopping_) return;
  }
}

}  // namespace affonso::services

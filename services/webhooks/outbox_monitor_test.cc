#include "services/webhooks/outbox_monitor.h"

#include <atomic>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace affonso::services {
namespace {

using ::affonso::matchers::StatusIs;

class FakeBacklogStore : public storage::WebhookDispatchStore {
 public:
  absl::StatusOr<int> FanOut(int) override { return 0; }
  absl::StatusOr<std::vector<storage::ClaimedDelivery>> Claim(int, absl::Duration,
                                                              const storage::ClaimCaps&) override {
    return std::vector<storage::ClaimedDelivery>();
  }
  absl::StatusOr<int> ExtendLeases(const std::vector<storage::HeldLease>&,
                                   absl::Duration) override {
    return 0;
  }
  absl::Status Record(const storage::AttemptRecord&, absl::Duration) override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> RecordBatch(const std::vector<storage::AttemptRecord>&,
                                                       absl::Duration) override {
    return std::vector<std::string>();
  }
  absl::Status RecordOutcomeOnly(const storage::AttemptRecord&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<storage::OutboxBacklog> Backlog(int64_t count_cap) override {
    ++calls;
    last_cap = count_cap;
    return next;
  }
  absl::StatusOr<storage::OutboxBacklog> next = storage::OutboxBacklog{};
  std::atomic<int> calls{0};
  int64_t last_cap = 0;
};

TEST(OutboxMonitorTest, RefreshSetsGaugesAndAFailureKeepsThem) {
  FakeBacklogStore store;
  metrics::Registry registry;
  OutboxMonitorOptions options;
  options.count_cap = 500;
  OutboxMonitor monitor(&store, options, &registry);
  storage::OutboxBacklog backlog;
  backlog.events_pending = 3;
  backlog.oldest_event_age_seconds = 1.5;
  backlog.deliveries_due = 7;
  backlog.deliveries_waiting = 11;
  backlog.oldest_due_age_seconds = 42;
  store.next = backlog;
  ASSERT_OK(monitor.RefreshOnce());
  EXPECT_EQ(store.last_cap, 500);
  std::string text = registry.Render();
  for (const char* line : {"affonso_webhook_outbox_pending{stage=\"fan_out\"} 3\n",
                           "affonso_webhook_outbox_pending{stage=\"due\"} 7\n",
                           "affonso_webhook_outbox_pending{stage=\"retry_wait\"} 11\n",
                           "affonso_webhook_outbox_oldest_age_seconds{stage=\"fan_out\"} 1.5\n",
                           "affonso_webhook_outbox_oldest_age_seconds{stage=\"due\"} 42\n",
                           "affonso_webhook_dispatcher_errors_total{stage=\"backlog\"} 0\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  }
  store.next = absl::UnavailableError("db down");
  EXPECT_THAT(monitor.RefreshOnce(), StatusIs(absl::StatusCode::kUnavailable));
  text = registry.Render();
  EXPECT_NE(text.find("affonso_webhook_outbox_pending{stage=\"due\"} 7\n"), std::string::npos);
  EXPECT_NE(text.find("affonso_webhook_dispatcher_errors_total{stage=\"backlog\"} 1\n"),
            std::string::npos);
}

TEST(OutboxMonitorTest, RefreshesOnItsOwnTimerUntilStopped) {
  FakeBacklogStore store;
  metrics::Registry registry;
  OutboxMonitorOptions options;
  options.interval = absl::Milliseconds(10);
  OutboxMonitor monitor(&store, options, &registry);
  monitor.Start();
  for (int i = 0; i < 500 && store.calls < 3; ++i) absl::SleepFor(absl::Milliseconds(10));
  monitor.Stop();
  EXPECT_GE(store.calls, 3);
  const int after_stop = store.calls.load();
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(store.calls, after_stop);
}

}  // namespace
}  // namespace affonso::services

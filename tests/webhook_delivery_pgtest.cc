// The webhook dispatcher against real PostgreSQL and a real local HTTP
// receiver: signatures, retries, Retry-After, 410, giving up, leases after a
// crashed dispatcher, two dispatchers sharing the work.
#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/ids.h"
#include "common/metrics.h"
#include "gateway/http_server.h"
#include "gtest/gtest.h"
#include "services/outbox_monitor.h"
#include "services/webhook_dispatcher.h"
#include "services/webhook_signing.h"
#include "storage/pg_webhook_dispatch_store.h"
#include "storage/testing/fixtures.h"

namespace affonso::tests {
namespace {

using services::WebhookDispatcher;
using services::WebhookDispatcherOptions;

// Records every request; answers with the next scripted status (then 200).
class Receiver : public gateway::HttpHandler {
 public:
  struct Seen {
    std::string event_id, timestamp, signature, affonso_signature, body;
  };
  void Handle(gateway::HttpRequest request,
              std::function<void(gateway::HttpResponse)> respond) override {
    gateway::HttpResponse response;
    {
      absl::MutexLock lock(&mu_);
      seen_.push_back({request.Header("webhook-id"), request.Header("webhook-timestamp"),
                       request.Header("webhook-signature"), request.Header("x-affonso-signature"),
                       request.body});
      if (!script_.empty()) {
        response.status = script_.front().first;
        if (!script_.front().second.empty()) {
          response.headers.emplace_back("Retry-After", script_.front().second);
        }
        script_.erase(script_.begin());
      }
    }
    response.body = "{}";
    respond(std::move(response));
  }
  void Script(std::vector<std::pair<int, std::string>> statuses) {
    absl::MutexLock lock(&mu_);
    script_ = std::move(statuses);
  }
  std::vector<Seen> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  absl::Mutex mu_;
  std::vector<Seen> seen_;
  std::vector<std::pair<int, std::string>> script_;
};

class WebhookDeliveryTest : public storage::testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    gateway::HttpServerOptions http;
    http.address = "127.0.0.1";
    http.port = 0;
    auto server = gateway::HttpServer::Start(http, &receiver_);
    ASSERT_TRUE(server.ok()) << server.status();
    http_ = *std::move(server);
    store_ = std::make_unique<storage::PgWebhookDispatchStore>(&db_->pool());
    services::CurlSenderOptions sending;
    sending.allow_private_destinations = true;  // the receiver is on loopback
    sending.timeout = absl::Seconds(2);
    sender_ = std::make_unique<services::CurlSender>(sending);
  }
  void TearDown() override { http_->Shutdown(absl::Seconds(1)); }

  std::string Endpoint(const std::string& events = "{referral.lead,transaction.created}",
                       const std::string& team = "") {
    std::string id = NewId("whk");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO webhook_endpoints (id, team_id, url, events, secret) VALUES ('", id, "', '",
        team.empty() ? a_.team_id : team, "', 'http://127.0.0.1:", http_->port(), "/hooks', '",
        events, "', '", kSecret, "')"));
    return id;
  }
  std::string Event(const std::string& type = "referral.lead", const std::string& team = "") {
    std::string id = NewId("evt");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO outbox_events (id, team_id, type, payload) VALUES ('", id, "', '",
        team.empty() ? a_.team_id : team, "', '", type, "', jsonb_build_object('id', '", id,
        "', 'type', '", type, "', 'data', jsonb_build_object('referralId', '", id, "')))"));
    return id;
  }
  WebhookDispatcherOptions Fast() {
    WebhookDispatcherOptions options;
    options.retry_schedule = {absl::Milliseconds(1), absl::Milliseconds(1), absl::Milliseconds(1)};
    options.poll_interval = absl::Milliseconds(10);
    return options;
  }
  // Drives one dispatcher until nothing is left to attempt.
  void Drain(WebhookDispatcher& dispatcher) {
    for (int i = 0; i < 200; ++i) {
      if (dispatcher.RunOnce() == 0) {
        absl::SleepFor(absl::Milliseconds(5));
        if (dispatcher.RunOnce() == 0) return;
      }
    }
  }
  std::string Query(const std::string& sql) { return db_->QueryValue(sql); }

  static constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  Receiver receiver_;
  std::unique_ptr<gateway::HttpServer> http_;
  std::unique_ptr<storage::PgWebhookDispatchStore> store_;
  std::unique_ptr<services::CurlSender> sender_;
};

TEST_F(WebhookDeliveryTest, DeliversSignedEventsOnce) {
  Endpoint();
  const std::string event = Event();
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), Fast());
  Drain(dispatcher);
  auto seen = receiver_.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event_id, event);
  int64_t timestamp = std::stoll(seen[0].timestamp);
  EXPECT_NEAR(timestamp, absl::ToUnixSeconds(absl::Now()), 60);
  const auto expected = services::SignWebhook(kSecret, event, timestamp, seen[0].body);
  EXPECT_EQ(seen[0].signature, expected.webhook_signature);
  EXPECT_EQ(seen[0].affonso_signature, expected.affonso_signature);
  EXPECT_EQ(seen[0].body.find(event) != std::string::npos, true);
  EXPECT_EQ(Query("SELECT status || attempts FROM webhook_deliveries"), "succeeded1");
  EXPECT_EQ(Query("SELECT status_code FROM webhook_attempts"), "200");
  EXPECT_EQ(Query("SELECT count(*) FROM outbox_events WHERE dispatched_at IS NULL"), "0");
}

TEST_F(WebhookDeliveryTest, RetriesAfterServerErrorsWithTheSameEventId) {
  Endpoint();
  const std::string event = Event();
  receiver_.Script({{500, ""}, {502, ""}});
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), Fast());
  Drain(dispatcher);
  auto seen = receiver_.seen();
  ASSERT_EQ(seen.size(), 3u);
  for (const auto& request : seen) EXPECT_EQ(request.event_id, event);
  EXPECT_EQ(Query("SELECT string_agg(status_code::text, ',' ORDER BY attempt) FROM webhook_attempts"),
            "500,502,200");
  EXPECT_EQ(Query("SELECT status FROM webhook_deliveries"), "succeeded");
  EXPECT_EQ(Query("SELECT failing_since IS NULL FROM webhook_endpoints"), "t");
}

uint64_t Deliveries(const char* result) {
  return metrics::DefaultRegistry()
      .AddCounter("affonso_webhook_deliveries_total", "", {"result"})
      .WithLabels({result})
      .Value();
}

TEST_F(WebhookDeliveryTest, CountsAttemptsByResultAndTimesSends) {
  Endpoint();
  Event();
  receiver_.Script({{500, ""}, {502, ""}});
  const uint64_t delivered = Deliveries("delivered"), retrying = Deliveries("retrying");
  const uint64_t sends = metrics::DefaultRegistry()
                             .AddHistogram("affonso_webhook_send_duration_seconds", "")
                             .WithLabels({})
                             .Read()
                             .count;
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), Fast());
  Drain(dispatcher);
  EXPECT_EQ(Deliveries("delivered") - delivered, 1u);
  EXPECT_EQ(Deliveries("retrying") - retrying, 2u);
  EXPECT_EQ(metrics::DefaultRegistry()
                    .AddHistogram("affonso_webhook_send_duration_seconds", "")
                    .WithLabels({})
                    .Read()
                    .count -
                sends,
            3u);
}

TEST_F(WebhookDeliveryTest, BacklogMeasuresBothQueues) {
  auto empty = store_->Backlog(1000);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->events_pending, 0);
  EXPECT_EQ(empty->oldest_event_age_seconds, 0);
  EXPECT_EQ(empty->deliveries_due, 0);
  EXPECT_EQ(empty->oldest_due_age_seconds, 0);

  Endpoint();
  for (int i = 0; i < 3; ++i) Event();
  Query("UPDATE outbox_events SET created_at = now() - interval '90 seconds'");
  auto events = store_->Backlog(1000);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(events->events_pending, 3);
  EXPECT_NEAR(events->oldest_event_age_seconds, 90, 5);
  EXPECT_EQ(store_->Backlog(2)->events_pending, 2);  // capped

  ASSERT_TRUE(store_->FanOut(10).ok());
  Query("UPDATE webhook_deliveries SET next_attempt_at = now() - interval '30 seconds' WHERE id = "
        "(SELECT min(id) FROM webhook_deliveries)");
  Query("UPDATE webhook_deliveries SET next_attempt_at = now() + interval '1 hour' WHERE id = "
        "(SELECT max(id) FROM webhook_deliveries)");
  auto deliveries = store_->Backlog(1000);
  ASSERT_TRUE(deliveries.ok()) << deliveries.status();
  EXPECT_EQ(deliveries->events_pending, 0);
  EXPECT_EQ(deliveries->oldest_event_age_seconds, 0);
  EXPECT_EQ(deliveries->deliveries_due, 2);
  EXPECT_EQ(deliveries->deliveries_waiting, 1);
  EXPECT_NEAR(deliveries->oldest_due_age_seconds, 30, 5);

  metrics::Registry registry;
  services::OutboxMonitor monitor(store_.get(), {}, &registry);
  ASSERT_TRUE(monitor.RefreshOnce().ok());
  const std::string text = registry.Render();
  EXPECT_NE(text.find("\naffonso_webhook_outbox_pending{stage=\"due\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("\naffonso_webhook_outbox_pending{stage=\"retry_wait\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("\naffonso_webhook_outbox_pending{stage=\"fan_out\"} 0\n"),
            std::string::npos);
}

TEST_F(WebhookDeliveryTest, HonoursRetryAfter) {
  Endpoint();
  Event();
  receiver_.Script({{429, "120"}});
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), Fast());
  dispatcher.RunOnce();
  EXPECT_EQ(Query("SELECT next_attempt_at BETWEEN now() + interval '115 seconds' AND now() + "
                  "interval '125 seconds' FROM webhook_deliveries"),
            "t");
  EXPECT_EQ(dispatcher.RunOnce(), 0);  // not due yet
}

TEST_F(WebhookDeliveryTest, GoneDisablesTheEndpoint) {
  Endpoint();
  Event();
  receiver_.Script({{410, ""}});
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), Fast());
  Drain(dispatcher);
  EXPECT_EQ(Query("SELECT enabled::text || disabled_reason FROM webhook_endpoints"), "falsegone");
  EXPECT_EQ(Query("SELECT status FROM webhook_deliveries"), "failed");
  Event();
  Drain(dispatcher);
  EXPECT_EQ(receiver_.seen().size(), 1u);  // nothing more to a disabled endpoint
}

TEST_F(WebhookDeliveryTest, GivesUpAfterTheScheduleAndDisablesAnEndpointFailingTooLong) {
  Endpoint();
  Event();
  receiver_.Script({{500, ""}, {500, ""}, {500, ""}, {500, ""}});
  WebhookDispatcherOptions options = Fast();
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), options);
  Drain(dispatcher);
  EXPECT_EQ(receiver_.seen().size(), 4u);  // the first attempt and three retries
  EXPECT_EQ(Query("SELECT status || attempts FROM webhook_deliveries"), "failed4");
  // Failing since long ago: the next failure disables it.
  Query("UPDATE webhook_endpoints SET failing_since = now() - interval '4 days'");
  Event();
  receiver_.Script({{500, ""}});
  dispatcher.RunOnce();
  EXPECT_EQ(Query("SELECT enabled::text || disabled_reason FROM webhook_endpoints"),
            "falsefailing");
}

TEST_F(WebhookDeliveryTest, ADispatcherThatDiesMidFlightLosesNothing) {
  Endpoint();
  const std::string event = Event();
  ASSERT_TRUE(store_->FanOut(10).ok());
  // A dispatcher claims with a short lease, then dies before recording.
  auto claimed = store_->Claim(10, absl::Milliseconds(300), 4);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  WebhookDispatcher survivor(store_.get(), sender_.get(), Fast());
  EXPECT_EQ(survivor.RunOnce(), 0);  // still leased
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ(survivor.RunOnce(), 1);
  auto seen = receiver_.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event_id, event);
  EXPECT_EQ(Query("SELECT status || attempts FROM webhook_deliveries"), "succeeded2");
}

TEST_F(WebhookDeliveryTest, TwoDispatchersShareTheWorkWithoutDoubleSending) {
  Endpoint();
  Endpoint("{referral.lead}");
  constexpr int kEvents = 150;
  for (int i = 0; i < kEvents; ++i) Event();
  WebhookDispatcherOptions options = Fast();
  options.per_endpoint_cap = 100;
  WebhookDispatcher first(store_.get(), sender_.get(), options);
  WebhookDispatcher second(store_.get(), sender_.get(), options);
  first.Start();
  second.Start();
  for (int i = 0; i < 300 && receiver_.seen().size() < 2 * kEvents; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  first.Stop();
  second.Stop();
  auto seen = receiver_.seen();
  EXPECT_EQ(seen.size(), 2u * kEvents);
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'"),
            std::to_string(2 * kEvents));
  EXPECT_EQ(Query("SELECT max(attempts) FROM webhook_deliveries"), "1");
}

TEST_F(WebhookDeliveryTest, OnlySubscribedEndpointsOfTheTeamReceive) {
  Endpoint("{transaction.created}");
  Endpoint("{referral.lead}", b_.team_id);
  Event("referral.lead");
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), Fast());
  Drain(dispatcher);
  EXPECT_EQ(receiver_.seen().size(), 0u);
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_deliveries"), "0");
}

TEST_F(WebhookDeliveryTest, PrivateDestinationsAreRefusedUnlessAllowed) {
  Endpoint();
  Event();
  services::CurlSender strict({});
  WebhookDispatcher dispatcher(store_.get(), &strict, Fast());
  dispatcher.RunOnce();
  EXPECT_EQ(receiver_.seen().size(), 0u);
  EXPECT_NE(Query("SELECT error FROM webhook_attempts"), "");
  EXPECT_EQ(Query("SELECT status_code FROM webhook_attempts"), "0");
}

TEST(RetryScheduleTest, CoversAboutThreeDaysAndHonoursRetryAfter) {
  WebhookDispatcherOptions options;
  absl::Duration total;
  for (absl::Duration step : options.retry_schedule) total += step;
  EXPECT_GT(total, absl::Hours(70));
  EXPECT_LT(total, absl::Hours(80));
  const absl::Time now = absl::FromUnixSeconds(1000);
  EXPECT_EQ(*services::NextAttemptAt(options, 1, 500, "", now, 0), now + absl::Seconds(5));
  EXPECT_EQ(*services::NextAttemptAt(options, 1, 500, "", now, 1), now + absl::Seconds(6));
  EXPECT_EQ(*services::NextAttemptAt(options, 3, 503, "30", now, 0), now + absl::Seconds(30));
  EXPECT_EQ(*services::NextAttemptAt(options, 3, 429, "999999", now, 0), now + absl::Hours(24));
  EXPECT_FALSE(services::NextAttemptAt(options, 13, 500, "", now, 0).has_value());
}

}  // namespace
}  // namespace affonso::tests

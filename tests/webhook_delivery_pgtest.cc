// The webhook dispatcher against real PostgreSQL and a real local HTTP
// receiver: signatures, retries, Retry-After, 410, giving up, leases after a
// crashed dispatcher, two dispatchers sharing the work.
#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/ids.h"
#include "common/metrics.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "services/webhooks/outbox_monitor.h"
#include "services/webhooks/webhook_dispatcher.h"
#include "services/webhooks/webhook_signing.h"
#include "storage/pg_webhook_dispatch_store.h"
#include "storage/testing/fixtures.h"
#include "tests/testing/webhook_receiver.h"

namespace affonso::tests {
namespace {

using ::affonso::matchers::StatusIs;
using services::WebhookDispatcher;
using services::WebhookDispatcherOptions;

class WebhookDeliveryTest : public storage::testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    auto receiver = WebhookReceiver::Start();
    ASSERT_OK(receiver);
    receiver_ = *std::move(receiver);
    store_ = std::make_unique<storage::PgWebhookDispatchStore>(&db_->pool());
    services::CurlSenderOptions sending;
    sending.allow_private_destinations = true;  // the receiver is on loopback
    sending.timeout = absl::Seconds(2);
    sender_ = std::make_unique<services::CurlSender>(sending);
  }
  void TearDown() override {
    if (receiver_) receiver_->Shutdown();
  }

  std::string Endpoint(const std::string& events = "{referral.lead,transaction.created}",
                       const std::string& team = "", const std::string& path = "/hooks") {
    return InsertWebhookEndpoint(*db_, team.empty() ? a_.team_id : team, receiver_->Url(path),
                                 events, kSecret);
  }
  std::string Event(const std::string& type = "referral.lead", const std::string& team = "") {
    std::string id = NewId("evt");
    db_->QueryValue(absl::StrCat("INSERT INTO outbox_events (id, team_id, type, payload) VALUES ('",
                                 id, "', '", team.empty() ? a_.team_id : team, "', '", type,
                                 "', jsonb_build_object('id', '", id, "', 'type', '", type,
                                 "', 'data', jsonb_build_object('referralId', '", id, "')))"));
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

  // The dispatchers' metrics, read from the registry they were given.
  uint64_t Deliveries(const char* result) {
    return registry_.AddCounter("affonso_webhook_deliveries_total", "", {"result"})
        .WithLabels({result})
        .Value();
  }
  uint64_t DispatcherErrors(const char* stage) {
    return registry_.AddCounter("affonso_webhook_dispatcher_errors_total", "", {"stage"})
        .WithLabels({stage})
        .Value();
  }
  // Stop gives up on sends soon, and their leases run out soon after.
  WebhookDispatcherOptions QuickToAbandon() {
    WebhookDispatcherOptions options = Fast();
    options.stop_grace = absl::Milliseconds(200);
    options.lease = absl::Milliseconds(600);
    return options;
  }
  void WaitForASendUnder(absl::string_view prefix) {
    for (int i = 0; i < 500 && receiver_->CountUnder(prefix) == 0; ++i) {
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  // What the dispatchers hold in `state`, as /metrics shows it.
  int Held(absl::string_view state) {
    const std::string text = registry_.Render();
    const std::string series =
        absl::StrCat("affonso_webhook_dispatcher_deliveries{state=\"", state, "\"} ");
    const size_t at = text.find(series);
    int value = -1;
    if (at != std::string::npos) {
      const size_t start = at + series.size();
      (void)absl::SimpleAtoi(text.substr(start, text.find('\n', start) - start), &value);
    }
    return value;
  }
  uint64_t Sends() {
    return registry_.AddHistogram("affonso_webhook_send_duration_seconds", "")
        .WithLabels({})
        .Read()
        .count;
  }

  static constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  metrics::Registry registry_;  // declared first: outlives every dispatcher
  std::unique_ptr<WebhookReceiver> receiver_;
  std::unique_ptr<storage::PgWebhookDispatchStore> store_;
  std::unique_ptr<services::CurlSender> sender_;
};

TEST_F(WebhookDeliveryTest, DeliversSignedEventsOnce) {
  Endpoint();
  const std::string event = Event();
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), Fast(), &registry_);
  Drain(dispatcher);
  auto seen = receiver_->deliveries();
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
  receiver_->Script({{500, ""}, {502, ""}});
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), Fast(), &registry_);
  Drain(dispatcher);
  auto seen = receiver_->deliveries();
  ASSERT_EQ(seen.size(), 3u);
  for (const auto& request : seen) EXPECT_EQ(request.event_id, event);
  EXPECT_EQ(
      Query("SELECT string_agg(status_code::text, ',' ORDER BY attempt) FROM webhook_attempts"),
      "500,502,200");
  EXPECT_EQ(Query("SELECT status FROM webhook_deliveries"), "succeeded");
  EXPECT_EQ(Query("SELECT failing_since IS NULL FROM webhook_endpoints"), "t");
}

TEST_F(WebhookDeliveryTest, CountsAttemptsByResultAndTimesSends) {
  Endpoint();
  Event();
  receiver_->Script({{500, ""}, {502, ""}});
  const uint64_t delivered = Deliveries("delivered"), retrying = Deliveries("retrying");
  const uint64_t sends = Sends();
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), Fast(), &registry_);
  Drain(dispatcher);
  EXPECT_EQ(Deliveries("delivered") - delivered, 1u);
  EXPECT_EQ(Deliveries("retrying") - retrying, 2u);
  EXPECT_EQ(Sends() - sends, 3u);
}

TEST_F(WebhookDeliveryTest, BacklogMeasuresBothQueues) {
  auto empty = store_->Backlog(1000);
  ASSERT_OK(empty);
  EXPECT_EQ(empty->events_pending, 0);
  EXPECT_EQ(empty->oldest_event_age_seconds, 0);
  EXPECT_EQ(empty->deliveries_due, 0);
  EXPECT_EQ(empty->oldest_due_age_seconds, 0);

  Endpoint();
  for (int i = 0; i < 3; ++i) Event();
  Query("UPDATE outbox_events SET created_at = now() - interval '90 seconds'");
  auto events = store_->Backlog(1000);
  ASSERT_OK(events);
  EXPECT_EQ(events->events_pending, 3);
  EXPECT_NEAR(events->oldest_event_age_seconds, 90, 5);
  EXPECT_EQ(store_->Backlog(2)->events_pending, 2);  // capped

  ASSERT_OK(store_->FanOut(10));
  Query(
      "UPDATE webhook_deliveries SET next_attempt_at = now() - interval '30 seconds' WHERE id = "
      "(SELECT min(id) FROM webhook_deliveries)");
  Query(
      "UPDATE webhook_deliveries SET next_attempt_at = now() + interval '1 hour' WHERE id = "
      "(SELECT max(id) FROM webhook_deliveries)");
  auto deliveries = store_->Backlog(1000);
  ASSERT_OK(deliveries);
  EXPECT_EQ(deliveries->events_pending, 0);
  EXPECT_EQ(deliveries->oldest_event_age_seconds, 0);
  EXPECT_EQ(deliveries->deliveries_due, 2);
  EXPECT_EQ(deliveries->deliveries_waiting, 1);
  EXPECT_NEAR(deliveries->oldest_due_age_seconds, 30, 5);

  metrics::Registry registry;
  services::OutboxMonitor monitor(store_.get(), {}, &registry);
  ASSERT_OK(monitor.RefreshOnce());
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
  receiver_->Script({{429, "120"}});
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), Fast(), &registry_);
  dispatcher.RunOnce();
  EXPECT_EQ(Query("SELECT next_attempt_at BETWEEN now() + interval '115 seconds' AND now() + "
                  "interval '125 seconds' FROM webhook_deliveries"),
            "t");
  EXPECT_EQ(dispatcher.RunOnce(), 0);  // not due yet
}

TEST_F(WebhookDeliveryTest, GoneDisablesTheEndpoint) {
  Endpoint();
  Event();
  receiver_->Script({{410, ""}});
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), Fast(), &registry_);
  Drain(dispatcher);
  EXPECT_EQ(Query("SELECT enabled::text || disabled_reason FROM webhook_endpoints"), "falsegone");
  EXPECT_EQ(Query("SELECT status FROM webhook_deliveries"), "failed");
  Event();
  Drain(dispatcher);
  EXPECT_EQ(receiver_->deliveries().size(), 1u);  // nothing more to a disabled endpoint
}

TEST_F(WebhookDeliveryTest, GivesUpAfterTheScheduleAndDisablesAnEndpointFailingTooLong) {
  Endpoint();
  Event();
  receiver_->Script({{500, ""}, {500, ""}, {500, ""}, {500, ""}});
  WebhookDispatcherOptions options = Fast();
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), options, &registry_);
  Drain(dispatcher);
  EXPECT_EQ(receiver_->deliveries().size(), 4u);  // the first attempt and three retries
  EXPECT_EQ(Query("SELECT status || attempts FROM webhook_deliveries"), "failed4");
  // Failing since long ago: the next failure disables it.
  Query("UPDATE webhook_endpoints SET failing_since = now() - interval '4 days'");
  Event();
  receiver_->Script({{500, ""}});
  dispatcher.RunOnce();
  EXPECT_EQ(Query("SELECT enabled::text || disabled_reason FROM webhook_endpoints"),
            "falsefailing");
}

TEST_F(WebhookDeliveryTest, ADispatcherThatDiesMidFlightLosesNothing) {
  Endpoint();
  const std::string event = Event();
  ASSERT_OK(store_->FanOut(10));
  // A dispatcher claims with a short lease, then dies before recording.
  auto claimed = store_->Claim(10, absl::Milliseconds(300), storage::ClaimCaps{4, 4});
  ASSERT_OK(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  WebhookDispatcher survivor(store_.get(), sender_.get(), Fast(), &registry_);
  EXPECT_EQ(survivor.RunOnce(), 0);  // still leased
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ(survivor.RunOnce(), 1);
  auto seen = receiver_->deliveries();
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
  WebhookDispatcher first(store_.get(), sender_.get(), options, &registry_);
  WebhookDispatcher second(store_.get(), sender_.get(), options, &registry_);
  first.Start();
  second.Start();
  for (int i = 0; i < 300 && receiver_->deliveries().size() < 2 * kEvents; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  first.Stop();
  second.Stop();
  auto seen = receiver_->deliveries();
  EXPECT_EQ(seen.size(), 2u * kEvents);
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'"),
            std::to_string(2 * kEvents));
  EXPECT_EQ(Query("SELECT max(attempts) FROM webhook_deliveries"), "1");
}

TEST_F(WebhookDeliveryTest, OnlySubscribedEndpointsOfTheTeamReceive) {
  Endpoint("{transaction.created}");
  Endpoint("{referral.lead}", b_.team_id);
  Event("referral.lead");
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), Fast(), &registry_);
  Drain(dispatcher);
  EXPECT_EQ(receiver_->deliveries().size(), 0u);
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_deliveries"), "0");
}

TEST_F(WebhookDeliveryTest, PrivateDestinationsAreRefusedUnlessAllowed) {
  Endpoint();
  Event();
  services::CurlSender strict({});
  WebhookDispatcher dispatcher(store_.get(), &strict, Fast(), &registry_);
  dispatcher.RunOnce();
  EXPECT_EQ(receiver_->deliveries().size(), 0u);
  EXPECT_NE(Query("SELECT error FROM webhook_attempts"), "");
  EXPECT_EQ(Query("SELECT status_code FROM webhook_attempts"), "0");
  // A failed attempt like any other: retried on the schedule.
  EXPECT_EQ(Query("SELECT error FROM webhook_attempts"),
            "could not resolve host to an allowed address");
  EXPECT_EQ(Query("SELECT status || attempts FROM webhook_deliveries"), "pending1");
  EXPECT_EQ(Query("SELECT (next_retry_at IS NOT NULL)::text FROM webhook_attempts"), "true");
}

constexpr char kReplacement[] = "\xef\xbf\xbd";  // U+FFFD

TEST_F(WebhookDeliveryTest, UntrustedResponseBytesAreStoredAndNeverResent) {
  // Invalid UTF-8, a NUL and a control character, a body whose 512-byte
  // excerpt ends inside a two-byte character, and a failure in invalid UTF-8.
  receiver_->Answer("/invalid", 200, "ok \xff\xfe\xc3( end");
  receiver_->Answer("/nul", 200, std::string("nul\0byte\x01", 9));
  receiver_->Answer("/cut", 200, std::string(511, 'a') + "\xc3\xa9" + std::string(100, 'b'));
  receiver_->Answer("/failing", 500, "\xc0\xaf oops");
  const std::string invalid = Endpoint("{referral.lead}", "", "/invalid");
  const std::string nul = Endpoint("{referral.lead}", "", "/nul");
  const std::string cut = Endpoint("{referral.lead}", "", "/cut");
  const std::string failing = Endpoint("{referral.lead}", "", "/failing");
  Event();
  const uint64_t delivered = Deliveries("delivered");
  WebhookDispatcherOptions options = Fast();
  options.lease = absl::Milliseconds(200);
  options.retry_schedule = {absl::Milliseconds(1), absl::Hours(1)};
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), options, &registry_);
  dispatcher.Start();
  absl::SleepFor(absl::Milliseconds(1500));  // over seven leases
  dispatcher.Stop();

  EXPECT_EQ(receiver_->CountUnder("/invalid"), 1u);
  EXPECT_EQ(receiver_->CountUnder("/nul"), 1u);
  EXPECT_EQ(receiver_->CountUnder("/cut"), 1u);
  EXPECT_EQ(receiver_->CountUnder("/failing"), 2u);  // the first attempt, the 1 ms retry; then 1 h
  EXPECT_EQ(Deliveries("delivered") - delivered, 3u);
  auto excerpts = [&](const std::string& endpoint) {
    return Query(
        "SELECT string_agg(response_excerpt, '|' ORDER BY attempt) FROM "
        "webhook_attempts WHERE endpoint_id = '" +
        endpoint + "'");
  };
  auto state = [&](const std::string& endpoint) {
    return Query("SELECT status || attempts FROM webhook_deliveries WHERE endpoint_id = '" +
                 endpoint + "'");
  };
  EXPECT_EQ(excerpts(invalid),
            absl::StrCat("ok ", kReplacement, kReplacement, kReplacement, "( end"));
  EXPECT_EQ(excerpts(nul), absl::StrCat("nul", kReplacement, "byte", kReplacement));
  EXPECT_EQ(excerpts(cut), std::string(511, 'a'));
  const std::string oops = absl::StrCat(kReplacement, kReplacement, " oops");
  EXPECT_EQ(excerpts(failing), absl::StrCat(oops, "|", oops));
  EXPECT_EQ(state(invalid), "succeeded1");
  EXPECT_EQ(state(nul), "succeeded1");
  EXPECT_EQ(state(cut), "succeeded1");
  EXPECT_EQ(state(failing), "pending2");
  EXPECT_EQ(Query("SELECT next_attempt_at > now() + interval '45 minutes' FROM webhook_deliveries "
                  "WHERE endpoint_id = '" +
                  failing + "'"),
            "t");
}

TEST_F(WebhookDeliveryTest, AnAttemptThatCannotBeRecordedStillMovesTheDeliveryOn) {
  // Whatever makes the attempt row fail, the delivery follows its schedule.
  Query(
      "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
      "$$BEGIN RAISE EXCEPTION 'refused'; END$$");
  Query(
      "CREATE TRIGGER refuse BEFORE INSERT ON webhook_attempts "
      "FOR EACH ROW EXECUTE FUNCTION refuse()");
  const std::string ok = Endpoint("{referral.lead}", "", "/ok");
  const std::string failing = Endpoint("{referral.lead}", "", "/failing");
  receiver_->Answer("/failing", 503, "");
  Event();
  const uint64_t delivered = Deliveries("delivered"), retrying = Deliveries("retrying");
  const uint64_t errors = DispatcherErrors("record");
  WebhookDispatcherOptions options = Fast();
  options.lease = absl::Milliseconds(200);
  options.retry_schedule = {absl::Hours(1)};
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), options, &registry_);
  dispatcher.Start();
  absl::SleepFor(absl::Milliseconds(1000));  // five leases
  dispatcher.Stop();
  EXPECT_EQ(receiver_->CountUnder("/ok"), 1u);
  EXPECT_EQ(receiver_->CountUnder("/failing"), 1u);
  EXPECT_EQ(
      Query("SELECT status || attempts FROM webhook_deliveries WHERE endpoint_id = '" + ok + "'"),
      "succeeded1");
  EXPECT_EQ(Query("SELECT status || attempts || (next_attempt_at > now() + interval '45 minutes') "
                  "FROM webhook_deliveries WHERE endpoint_id = '" +
                  failing + "'"),
            "pending1true");
  EXPECT_EQ(Deliveries("delivered") - delivered, 1u);
  EXPECT_EQ(Deliveries("retrying") - retrying, 1u);
  EXPECT_EQ(DispatcherErrors("record") - errors, 2u);
}

TEST_F(WebhookDeliveryTest, ADeliveryIsCountedOnlyOnceItsOutcomeIsStored) {
  Query(
      "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
      "$$BEGIN RAISE EXCEPTION 'refused'; END$$");
  Query(
      "CREATE TRIGGER refuse BEFORE UPDATE ON webhook_deliveries FOR EACH ROW "
      "WHEN (NEW.status = 'succeeded') EXECUTE FUNCTION refuse()");
  Endpoint();
  Event();
  const uint64_t delivered = Deliveries("delivered");
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), Fast(), &registry_);
  EXPECT_EQ(dispatcher.RunOnce(), 2);  // one event fanned out, one delivery sent
  EXPECT_EQ(receiver_->deliveries().size(), 1u);
  EXPECT_EQ(Deliveries("delivered") - delivered, 0u);
  // Still leased: sent again (at least once) when the lease runs out.
  EXPECT_EQ(Query("SELECT status || attempts || (lease_until > now()) FROM webhook_deliveries"),
            "pending1true");
}

TEST_F(WebhookDeliveryTest, OneTeamsSlowEndpointsDoNotDelayAnothersDeliveries) {
  // The case, scaled down: team A's four endpoints answer after 1.5 s
  // and have a backlog; team B's one endpoint answers at once.
  receiver_->Answer("/slow", 200, "{}", absl::Milliseconds(1500));
  for (int i = 0; i < 4; ++i) Endpoint("{referral.lead}", a_.team_id, absl::StrCat("/slow/", i));
  Endpoint("{referral.lead}", b_.team_id, "/fast");
  for (int i = 0; i < 16; ++i) Event("referral.lead", a_.team_id);  // 64 slow deliveries
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), Fast(), &registry_);
  dispatcher.Start();
  for (int i = 0; i < 500 && receiver_->CountUnder("/slow") < 4; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_GE(receiver_->CountUnder("/slow"), 4u);
  const absl::Time queued = absl::Now();
  Event("referral.lead", b_.team_id);
  for (int i = 0; i < 6000 && receiver_->CountUnder("/fast") == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  const size_t slow_sent = receiver_->CountUnder("/slow");
  dispatcher.Stop();
  absl::Duration delay = absl::InfiniteDuration();
  for (const WebhookReceiver::Delivery& seen : receiver_->deliveries()) {
    if (seen.target == "/fast") delay = seen.at - queued;
  }
  std::cout << "team B's delivery took " << delay << " while team A's slow endpoints had "
            << slow_sent << " requests\n";
  EXPECT_LT(delay, absl::Milliseconds(500));
}

// An endpoint at its in-flight cap is claimed again as soon as one of its
// sends ends, not a poll interval later: one endpoint's backlog drains at
// the pace of its receiver.
TEST_F(WebhookDeliveryTest, AnEndpointAtItsCapIsClaimedAgainAsSoonAsASendEnds) {
  Endpoint("{referral.lead}", a_.team_id, "/capped");
  for (int i = 0; i < 40; ++i) Event("referral.lead", a_.team_id);
  WebhookDispatcherOptions options = Fast();
  // Waiting a poll interval at the cap would deliver 2 a minute (20 minutes
  // for all 40): the bound below tells that from claiming again at once with
  // a wide margin for a loaded machine (it takes a few seconds unloaded).
  options.poll_interval = absl::Seconds(60);
  options.per_endpoint_cap = 2;
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), options, &registry_);
  const absl::Time start = absl::Now();
  dispatcher.Start();
  while (receiver_->CountUnder("/capped") < 40 && absl::Now() - start < absl::Seconds(50)) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  const absl::Duration took = absl::Now() - start;
  dispatcher.Stop();
  std::cout << "40 deliveries through a cap of 2 took " << took << "\n";
  EXPECT_EQ(receiver_->CountUnder("/capped"), 40u);
  EXPECT_LT(took, absl::Seconds(45)) << "waited poll intervals while the endpoint was at its cap";
  EXPECT_LE(receiver_->max_open(), 1) << "never the same delivery twice at once";
}

// A dispatcher holds more deliveries for an endpoint than it sends to it at
// once: the rest wait in the dispatcher and go out, one for each send that
// ends, without another claim or poll.
TEST_F(WebhookDeliveryTest, AnEndpointHasAtMostItsSendsOpenAndTheRestGoAsTheyEnd) {
  receiver_->Answer("/limited", 200, "{}", absl::Milliseconds(200));
  Endpoint("{referral.lead}", a_.team_id, "/limited");
  for (int i = 0; i < 12; ++i) Event("referral.lead", a_.team_id);
  WebhookDispatcherOptions options = Fast();
  options.max_sends_per_endpoint = 3;
  options.poll_interval = absl::Seconds(60);  // a poll would hide a queue that stalls
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), options, &registry_);
  dispatcher.Start();
  const char* kDone = "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'";
  int most_waiting = 0;
  int most_sending = 0;
  for (int i = 0; i < 1500 && Query(kDone) != "12"; ++i) {
    most_waiting = std::max(most_waiting, Held("waiting"));
    most_sending = std::max(most_sending, Held("sending"));
    absl::SleepFor(absl::Milliseconds(10));
  }
  dispatcher.Stop();
  EXPECT_EQ(Query(kDone), "12");
  EXPECT_EQ(most_sending, 3);
  EXPECT_GT(most_waiting, 0) << "the gauge never showed the deliveries waiting their turn";
  EXPECT_EQ(Held("waiting") + Held("sending") + Held("recording"), 0);
  EXPECT_EQ(receiver_->CountUnder("/limited"), 12u);
  EXPECT_EQ(receiver_->max_open_per_target(), 3) << "the endpoint's sends, all of them in use";
  EXPECT_EQ(Query("SELECT max(attempts) FROM webhook_deliveries"), "1");
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_attempts"), "12");
}

// Stop gives deliveries waiting for their endpoint the same grace as the
// sends before them; past it they are dropped unsent and unrecorded, and
// sent again once their leases run out.
TEST_F(WebhookDeliveryTest, StopDropsDeliveriesWaitingForTheirEndpointAndTheyAreSentAgain) {
  receiver_->Answer("/slow", 200, "{}", absl::Seconds(5));
  Endpoint("{referral.lead}", "", "/slow");
  for (int i = 0; i < 3; ++i) Event();
  WebhookDispatcherOptions options = QuickToAbandon();
  options.max_sends_per_endpoint = 1;
  {
    WebhookDispatcher dispatcher(store_.get(), sender_.get(), options, &registry_);
    dispatcher.Start();
    WaitForASendUnder("/slow");
    ASSERT_EQ(Query("SELECT count(*) FROM webhook_deliveries WHERE lease_until > now()"), "3");
    const absl::Time stopping = absl::Now();
    dispatcher.Stop();
    EXPECT_LT(absl::Now() - stopping, absl::Seconds(3)) << "Stop waited for the slow receiver";
  }
  EXPECT_EQ(receiver_->CountUnder("/slow"), 1u) << "the waiting ones were never sent";
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_attempts"), "0");
  Query("UPDATE webhook_endpoints SET url = '" + receiver_->Url("/fast") + "'");
  absl::SleepFor(absl::Milliseconds(700));  // the leases run out
  WebhookDispatcher survivor(store_.get(), sender_.get(), Fast(), &registry_);
  EXPECT_EQ(survivor.RunOnce(), 3);
  EXPECT_EQ(Query("SELECT string_agg(status || attempts, ',') FROM webhook_deliveries"),
            "succeeded2,succeeded2,succeeded2");
  EXPECT_EQ(receiver_->CountUnder("/fast"), 3u);
}

// A send that outlived its lease must not write over the claim that took
// the delivery since: no attempt row, no failure run, no outcome counted.
TEST_F(WebhookDeliveryTest, AClaimThatLostItsLeaseRecordsNothing) {
  const std::string endpoint = Endpoint();
  Event();
  ASSERT_OK(store_->FanOut(100));
  auto first = store_->Claim(1, absl::Milliseconds(50), storage::ClaimCaps{});
  ASSERT_OK(first);
  ASSERT_EQ(first->size(), 1u);
  absl::SleepFor(absl::Milliseconds(100));
  auto second = store_->Claim(1, absl::Seconds(30), storage::ClaimCaps{});
  ASSERT_OK(second);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].attempt, 2);

  storage::AttemptRecord stale;
  stale.delivery = (*first)[0];
  stale.outcome = storage::DeliveryOutcome::kRetry;
  stale.status_code = 500;
  stale.next_attempt_at = absl::Now() + absl::Hours(1);
  EXPECT_THAT(store_->Record(stale, absl::Hours(72)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_attempts"), "0");
  EXPECT_EQ(
      Query("SELECT failing_since IS NULL FROM webhook_endpoints WHERE id = '" + endpoint + "'"),
      "t");
  EXPECT_EQ(Query("SELECT lease_until IS NOT NULL FROM webhook_deliveries"), "t");

  storage::AttemptRecord owned;
  owned.delivery = (*second)[0];
  owned.outcome = storage::DeliveryOutcome::kSucceeded;
  owned.status_code = 200;
  EXPECT_OK(store_->Record(owned, absl::Hours(72)));
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_attempts"), "1");
  EXPECT_EQ(Query("SELECT status FROM webhook_deliveries"), "succeeded");
}

TEST_F(WebhookDeliveryTest, ClaimsTakeTeamsInTurnAndHoldTheCapsExactly) {
  const std::string a1 = Endpoint("{referral.lead}", a_.team_id, "/a1");
  const std::string a2 = Endpoint("{referral.lead}", a_.team_id, "/a2");
  Endpoint("{referral.lead}", b_.team_id, "/b");
  for (int i = 0; i < 30; ++i) Event("referral.lead", a_.team_id);
  ASSERT_OK(store_->FanOut(100));
  // Team A's 60 deliveries have waited a minute when team B's one comes.
  Query("UPDATE webhook_deliveries SET next_attempt_at = now() - interval '1 minute'");
  Event("referral.lead", b_.team_id);
  ASSERT_OK(store_->FanOut(100));

  const storage::ClaimCaps caps{2, 3};
  std::map<std::string, int> per_team, per_endpoint;
  auto claim = [&](int max) {
    auto claimed = store_->Claim(max, absl::Seconds(60), caps);
    EXPECT_OK(claimed);
    for (const storage::ClaimedDelivery& delivery : *claimed) {
      ++per_team[delivery.team_id];
      ++per_endpoint[delivery.endpoint_id];
    }
    return claimed->size();
  };
  EXPECT_EQ(claim(2), 2u);
  EXPECT_EQ(per_team[b_.team_id], 1);  // B's turn comes before A's second
  EXPECT_EQ(claim(16), 2u);
  EXPECT_EQ(per_team[a_.team_id], 3);  // the team cap, however old its backlog
  EXPECT_LE(per_endpoint[a1], 2);
  EXPECT_LE(per_endpoint[a2], 2);
  EXPECT_EQ(claim(16), 0u);  // still leased: A is at its cap, B has nothing left
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_deliveries WHERE lease_until > now()"), "4");
}

TEST_F(WebhookDeliveryTest, SendsSlowerThanTheLeaseAreNeverSentTwiceAtOnce) {
  // Every send outlives the lease by half; a lease of 1 s leaves 2/3 s for a
  // late extension on a loaded machine (300 ms failed in a parallel run).
  receiver_->Answer("/slow", 200, "{}", absl::Milliseconds(1500));
  Endpoint("{referral.lead}", "", "/slow/1");
  Endpoint("{referral.lead}", "", "/slow/2");
  for (int i = 0; i < 6; ++i) Event();
  WebhookDispatcherOptions options = Fast();
  options.lease = absl::Seconds(1);
  WebhookDispatcher first(store_.get(), sender_.get(), options, &registry_);
  WebhookDispatcher second(store_.get(), sender_.get(), options, &registry_);
  first.Start();
  second.Start();
  const char* kDone = "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'";
  for (int i = 0; i < 1500 && Query(kDone) != "12"; ++i) absl::SleepFor(absl::Milliseconds(20));
  first.Stop();
  second.Stop();
  EXPECT_EQ(receiver_->max_open(), 1);
  EXPECT_EQ(receiver_->CountUnder("/slow"), 12u);
  EXPECT_EQ(Query(kDone), "12");
  EXPECT_EQ(Query("SELECT max(attempts) FROM webhook_deliveries"), "1");
}

TEST_F(WebhookDeliveryTest, DeliveryLogErrorsRevealNoInternalDetail) {
  auto endpoint_at = [&](const std::string& url) {
    std::string id = NewId("whk");
    Query(absl::StrCat("INSERT INTO webhook_endpoints (id, team_id, url, events, secret) VALUES ('",
                       id, "', '", a_.team_id, "', '", url, "', '{referral.lead}', '", kSecret,
                       "')"));
    return id;
  };
  auto error = [&](const std::string& endpoint) {
    return Query("SELECT error FROM webhook_attempts WHERE endpoint_id = '" + endpoint + "'");
  };
  // A name that exists inside (it resolves to loopback) and one that does not
  // resolve at all read the same: the log is no oracle for internal names.
  const std::string internal =
      endpoint_at(absl::StrCat("http://localhost:", receiver_->port(), "/"));
  const std::string unknown = endpoint_at("http://no-such-host.invalid/hooks");
  Event();
  services::CurlSender strict({});
  WebhookDispatcher refusing(store_.get(), &strict, Fast(), &registry_);
  refusing.RunOnce();
  EXPECT_EQ(error(internal), "could not resolve host to an allowed address");
  EXPECT_EQ(error(unknown), "could not resolve host to an allowed address");

  // Private destinations allowed: connect and read failures, in fixed words.
  Query("UPDATE webhook_endpoints SET enabled = false");
  const std::string closed = endpoint_at("http://127.0.0.1:1/hooks");
  receiver_->Answer("/slow", 200, "{}", absl::Seconds(1));
  const std::string slow = Endpoint("{referral.lead}", "", "/slow");
  Event();
  services::CurlSenderOptions quick;
  quick.allow_private_destinations = true;
  quick.connect_timeout = absl::Milliseconds(200);
  quick.timeout = absl::Milliseconds(200);
  services::CurlSender impatient(quick);
  WebhookDispatcher dispatcher(store_.get(), &impatient, Fast(), &registry_);
  dispatcher.RunOnce();
  EXPECT_EQ(error(closed), "could not connect");
  EXPECT_EQ(error(slow), "timed out");
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_attempts WHERE error ~ '127\\.0\\.0\\.1|localhost|"
                  "port|::1'"),
            "0");
}

// Replicas claiming batches side by side, with sends that outlive the lease
// unless it is extended: no delivery is sent twice at once, none is sent
// twice at all, and every one is recorded once.
TEST_F(WebhookDeliveryTest, ThreeDispatchersClaimingBatchesNeverSendADeliveryTwice) {
  // Each send outlives its lease, so only the extensions (every lease / 3) keep it: a lease of
  // 1 s leaves 2/3 s for a late extension on a loaded machine (300 ms failed under load 5-7).
  receiver_->Answer("/slow", 200, "{}", absl::Milliseconds(1200));
  for (int i = 0; i < 4; ++i) Endpoint("{referral.lead}", "", absl::StrCat("/slow/", i));
  constexpr int kEvents = 10;
  for (int i = 0; i < kEvents; ++i) Event();
  WebhookDispatcherOptions options = Fast();
  options.lease = absl::Seconds(1);  // kept alive only by its extensions
  options.claim_batch = 8;
  options.per_endpoint_cap = 16;
  options.per_team_cap = 100;
  std::vector<std::unique_ptr<WebhookDispatcher>> dispatchers;
  for (int i = 0; i < 3; ++i) {
    dispatchers.push_back(
        std::make_unique<WebhookDispatcher>(store_.get(), sender_.get(), options, &registry_));
    dispatchers.back()->Start();
  }
  const char* kDone = "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'";
  const std::string all = std::to_string(4 * kEvents);
  for (int i = 0; i < 1500 && Query(kDone) != all; ++i) absl::SleepFor(absl::Milliseconds(20));
  for (auto& dispatcher : dispatchers) dispatcher->Stop();
  EXPECT_EQ(Query(kDone), all);
  EXPECT_EQ(receiver_->max_open(), 1);
  EXPECT_EQ(receiver_->CountUnder("/slow"), static_cast<size_t>(4 * kEvents));
  EXPECT_EQ(Query("SELECT max(attempts) FROM webhook_deliveries"), "1");
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_attempts"), all);
}

// Issue 18's budget: at most 4 statements per delivered webhook, claim and
// record included, counted by the pool (BEGIN and COMMIT would count too).
TEST_F(WebhookDeliveryTest, ABacklogCostsAtMostFourStatementsPerDelivery) {
  for (int i = 0; i < 4; ++i) Endpoint("{referral.lead}", "", absl::StrCat("/e", i));
  constexpr int kEvents = 100;
  for (int i = 0; i < kEvents; ++i) Event();
  WebhookDispatcherOptions options = Fast();
  options.per_endpoint_cap = 100;
  options.per_team_cap = 1000;
  options.workers = 200;
  options.poll_interval = absl::Seconds(1);  // idle polls are not what this measures
  auto lags = [&] {
    return registry_
        .AddHistogram("affonso_webhook_first_attempt_lag_seconds", "", {},
                      services::FirstAttemptLagBuckets())
        .WithLabels({})
        .Read()
        .count;
  };
  const uint64_t lags_before = lags();
  const int64_t before = db_->pool().statements_sent();
  const absl::Time start = absl::Now();
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), options, &registry_);
  dispatcher.Start();
  const char* kDone = "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'";
  const std::string all = std::to_string(4 * kEvents);
  for (int i = 0; i < 3000 && Query(kDone) != all; ++i) absl::SleepFor(absl::Milliseconds(5));
  const int64_t statements = db_->pool().statements_sent() - before;
  const absl::Duration took = absl::Now() - start;  // printed, never asserted
  dispatcher.Stop();
  ASSERT_EQ(Query(kDone), all);
  const double per_delivery = static_cast<double>(statements) / (4 * kEvents);
  std::cout << statements << " statements for " << 4 * kEvents << " deliveries: " << per_delivery
            << " per delivery, in " << took << "\n";
  EXPECT_LE(per_delivery, 4.0);
  EXPECT_EQ(receiver_->count(), static_cast<size_t>(4 * kEvents));
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_attempts"), all);
  EXPECT_EQ(lags() - lags_before, static_cast<uint64_t>(4 * kEvents));  // one per first attempt
}

// Outcomes are recorded as sends finish: a fast receiver's delivery is done
// while a slow one in the same claim is still waiting for its answer.
TEST_F(WebhookDeliveryTest, ASlowReceiverDoesNotHoldBackTheRestOfItsClaim) {
  receiver_->Answer("/slow", 200, "{}", absl::Seconds(4));
  const std::string slow = Endpoint("{referral.lead}", "", "/slow");
  const std::string fast = Endpoint("{referral.lead}", "", "/fast");
  Event();
  WebhookDispatcher dispatcher(store_.get(), sender_.get(), Fast(), &registry_);
  dispatcher.Start();
  auto state = [&](const std::string& endpoint) {
    return Query("SELECT status FROM webhook_deliveries WHERE endpoint_id = '" + endpoint + "'");
  };
  for (int i = 0; i < 350 && state(fast) != "succeeded"; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(state(fast), "succeeded");
  EXPECT_EQ(state(slow), "pending");  // its answer is still on its way
  EXPECT_EQ(receiver_->CountUnder("/slow"), 1u);
  dispatcher.Stop();  // within its grace: the slow one finishes
  EXPECT_EQ(state(slow), "succeeded");
}

// Stop waits for sends in flight only so long, and what it abandons is not
// lost: sent again, with the same event id, once the lease runs out.
TEST_F(WebhookDeliveryTest, StopAbandonsSlowSendsAfterItsGraceAndTheyAreSentAgain) {
  receiver_->Answer("/slow", 200, "{}", absl::Seconds(5));
  const std::string endpoint = Endpoint("{referral.lead}", "", "/slow");
  const std::string event = Event();
  {
    WebhookDispatcher dispatcher(store_.get(), sender_.get(), QuickToAbandon(), &registry_);
    dispatcher.Start();
    WaitForASendUnder("/slow");
    ASSERT_EQ(receiver_->CountUnder("/slow"), 1u);
    const absl::Time stopping = absl::Now();
    dispatcher.Stop();
    const absl::Duration took = absl::Now() - stopping;
    std::cout << "Stop took " << took << " with a send answering after 5 s\n";
    EXPECT_LT(took, absl::Seconds(3)) << "Stop waited for the slow receiver";
  }
  EXPECT_EQ(Query("SELECT status || attempts FROM webhook_deliveries"), "pending1");
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_attempts"), "0");  // never recorded
  Query("UPDATE webhook_endpoints SET url = '" + receiver_->Url("/fast") + "'");
  absl::SleepFor(absl::Milliseconds(700));  // the lease runs out
  WebhookDispatcher survivor(store_.get(), sender_.get(), Fast(), &registry_);
  EXPECT_EQ(survivor.RunOnce(), 1);
  EXPECT_EQ(Query("SELECT status || attempts FROM webhook_deliveries"), "succeeded2");
  EXPECT_EQ(receiver_->CountUnder("/fast"), 1u);
  for (const WebhookReceiver::Delivery& seen : receiver_->deliveries()) {
    EXPECT_EQ(seen.event_id, event);
  }
}

// A dispatcher that sent but crashed before recording: nothing of it
// reached the database, and the next one sends again.
class ForgetfulStore : public storage::WebhookDispatchStore {
 public:
  explicit ForgetfulStore(storage::WebhookDispatchStore* real) : real_(real) {}
  absl::StatusOr<int> FanOut(int max_events) override { return real_->FanOut(max_events); }
  absl::StatusOr<std::vector<storage::ClaimedDelivery>> Claim(
      int max, absl::Duration lease, const storage::ClaimCaps& caps) override {
    return real_->Claim(max, lease, caps);
  }
  absl::StatusOr<int> ExtendLeases(const std::vector<storage::HeldLease>&,
                                   absl::Duration) override {
    return absl::UnavailableError("crashed");
  }
  absl::Status Record(const storage::AttemptRecord&, absl::Duration) override {
    return absl::UnavailableError("crashed");
  }
  absl::StatusOr<std::vector<std::string>> RecordBatch(const std::vector<storage::AttemptRecord>&,
                                                       absl::Duration) override {
    return absl::UnavailableError("crashed");
  }
  absl::Status RecordOutcomeOnly(const storage::AttemptRecord&) override {
    return absl::UnavailableError("crashed");
  }
  absl::StatusOr<storage::OutboxBacklog> Backlog(int64_t cap) override {
    return real_->Backlog(cap);
  }

 private:
  storage::WebhookDispatchStore* real_;
};

TEST_F(WebhookDeliveryTest, ACrashBetweenSendAndRecordSendsAgain) {
  Endpoint();
  Endpoint("{referral.lead}", "", "/second");
  const std::string event = Event();
  ForgetfulStore crashing(store_.get());
  WebhookDispatcherOptions options = Fast();
  options.lease = absl::Milliseconds(300);
  WebhookDispatcher doomed(&crashing, sender_.get(), options, &registry_);
  EXPECT_EQ(doomed.RunOnce(), 3);  // one event fanned out, two deliveries sent
  EXPECT_EQ(receiver_->count(), 2u);
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_attempts"), "0");
  WebhookDispatcher survivor(store_.get(), sender_.get(), Fast(), &registry_);
  EXPECT_EQ(survivor.RunOnce(), 0);  // still leased
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ(survivor.RunOnce(), 2);
  EXPECT_EQ(receiver_->count(), 4u);
  for (const std::string& id : receiver_->event_ids()) EXPECT_EQ(id, event);
  EXPECT_EQ(Query("SELECT string_agg(status || attempts, ',') FROM webhook_deliveries"),
            "succeeded2,succeeded2");
}

// RecordBatch treats each record as Record would; an endpoint's failure run
// follows its last outcome in the batch; a lost lease is reported and left
// alone.
TEST_F(WebhookDeliveryTest, RecordBatchMovesEachDeliveryAndFollowsTheLastOutcome) {
  const std::string recovering = Endpoint("{referral.lead}", "", "/recovering");
  const std::string relapsing = Endpoint("{referral.lead}", "", "/relapsing");
  const std::string gone = Endpoint("{referral.lead}", "", "/gone");
  Query("UPDATE webhook_endpoints SET failing_since = now() - interval '1 hour' WHERE id = '" +
        recovering + "'");
  Event();
  Event();
  ASSERT_OK(store_->FanOut(10));
  auto claimed = store_->Claim(10, absl::Seconds(30), storage::ClaimCaps{10, 10});
  ASSERT_OK(claimed);
  ASSERT_EQ(claimed->size(), 6u);
  std::map<std::string, std::vector<storage::ClaimedDelivery>> by_endpoint;
  for (const auto& delivery : *claimed) by_endpoint[delivery.endpoint_id].push_back(delivery);
  auto record = [](const storage::ClaimedDelivery& delivery, storage::DeliveryOutcome outcome,
                   int status) {
    storage::AttemptRecord r;
    r.delivery = delivery;
    r.outcome = outcome;
    r.status_code = status;
    r.next_attempt_at = absl::Now() + absl::Hours(1);
    return r;
  };
  using storage::DeliveryOutcome;
  storage::ClaimedDelivery stale = by_endpoint[gone][1];
  stale.attempt = 7;  // another claim's
  const std::vector<storage::AttemptRecord> batch = {
      record(by_endpoint[recovering][0], DeliveryOutcome::kRetry, 500),
      record(by_endpoint[recovering][1], DeliveryOutcome::kSucceeded, 200),
      record(by_endpoint[relapsing][0], DeliveryOutcome::kSucceeded, 200),
      record(by_endpoint[relapsing][1], DeliveryOutcome::kRetry, 503),
      record(by_endpoint[gone][0], DeliveryOutcome::kGone, 410),
      record(stale, DeliveryOutcome::kSucceeded, 200),
  };
  auto moved = store_->RecordBatch(batch, absl::Hours(72));
  ASSERT_OK(moved);
  EXPECT_EQ(moved->size(), 5u);
  EXPECT_EQ(std::count(moved->begin(), moved->end(), stale.delivery_id), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_attempts"), "5");
  auto endpoint = [&](const std::string& id) {
    return Query(
        "SELECT enabled::text || ',' || coalesce(disabled_reason, '') || ',' || "
        "coalesce((failing_since > now() - interval '1 minute')::text, 'none') "
        "FROM webhook_endpoints WHERE id = '" +
        id + "'");
  };
  EXPECT_EQ(endpoint(recovering), "true,,none");
  EXPECT_EQ(endpoint(relapsing), "true,,true");
  EXPECT_EQ(endpoint(gone), "false,gone,true");
  EXPECT_EQ(Query("SELECT string_agg(status, ',' ORDER BY status) FROM webhook_deliveries"),
            "failed,pending,pending,pending,succeeded,succeeded");
}

// A lease extension used to wait for rows a record batch held, and the two,
// locking the same rows in different orders, could deadlock until
// PostgreSQL's deadlock_timeout (1 s) broke it: a second-long stall of sends.
TEST_F(WebhookDeliveryTest, ExtendingLeasesNeverWaitsForARowAnotherTransactionHolds) {
  Endpoint();
  Event();
  Event();
  ASSERT_OK(store_->FanOut(10));
  auto claimed = store_->Claim(10, absl::Seconds(30), storage::ClaimCaps{});
  ASSERT_OK(claimed);
  ASSERT_EQ(claimed->size(), 2u);
  const storage::ClaimedDelivery& busy = (*claimed)[0];
  const storage::ClaimedDelivery& free = (*claimed)[1];
  const std::vector<storage::HeldLease> held = {{busy.delivery_id, busy.attempt},
                                                {free.delivery_id, free.attempt}};
  auto lease_over_a_minute = [&](const std::string& id) {
    return Query(
        "SELECT lease_until > now() + interval '1 minute' FROM webhook_deliveries "
        "WHERE id = '" +
        id + "'");
  };

  pqxx::connection conn(db_->url());
  pqxx::work holder(conn);
  holder.exec("SELECT 1 FROM webhook_deliveries WHERE id = " + holder.quote(busy.delivery_id) +
              " FOR NO KEY UPDATE");
  std::atomic<bool> done{false};
  absl::StatusOr<int> extended = 0;
  std::thread extender([&] {
    extended = store_->ExtendLeases(held, absl::Minutes(5));
    done = true;
  });
  for (int i = 0; i < 500 && !done; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_TRUE(done) << "the extension waited for the held row";
  holder.abort();  // lets a waiting extension finish, so the thread can be joined
  extender.join();
  ASSERT_OK(extended);
  EXPECT_EQ(*extended, 1);
  EXPECT_EQ(lease_over_a_minute(free.delivery_id), "t");
  EXPECT_EQ(lease_over_a_minute(busy.delivery_id), "f");

  // Released, the skipped lease is extended by the next round.
  auto again = store_->ExtendLeases(held, absl::Minutes(5));
  ASSERT_OK(again);
  EXPECT_EQ(*again, 2);
  EXPECT_EQ(lease_over_a_minute(busy.delivery_id), "t");
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

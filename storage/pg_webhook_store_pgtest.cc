#include "storage/pg_webhook_store.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/testing/api_error_matchers.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/fixtures.h"
#include "storage/testing/test_database.h"

namespace affonso::storage {
namespace {

using ::affonso::matchers::HasApiError;
using ::affonso::matchers::StatusIs;
using affonso::v1::CreateWebhookRequest;
using affonso::v1::ListWebhookDeliveriesRequest;
using affonso::v1::ListWebhookDeliveriesResponse;
using affonso::v1::UpdateWebhookRequest;
using affonso::v1::WebhookEndpoint;

std::vector<std::string> Ids(const ListWebhookDeliveriesResponse& page) {
  std::vector<std::string> ids;
  for (const auto& delivery : page.data()) ids.push_back(delivery.id());
  return ids;
}

class PgWebhookStoreTest : public testing::TwoTenantTest {
 protected:
  void SetUp() override {
    TwoTenantTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgWebhookStore>(&db_->pool());
  }

  WebhookEndpoint MustCreate(const testing::Tenant& tenant,
                             const std::string& url = "https://example.com/hook",
                             std::vector<std::string> events = {"referral.lead"}) {
    CreateWebhookRequest request;
    request.set_url(url);
    for (std::string& event : events) request.add_events(std::move(event));
    request.set_description("orders");
    auto created = store_->CreateWebhook(tenant.team_id, request);
    EXPECT_OK(created);
    return created.ok() ? *created : WebhookEndpoint();
  }

  // Events and the dispatcher's rows come from other code; plain SQL here.
  std::string InsertEvent(const testing::Tenant& tenant,
                          const std::string& type = "referral.lead") {
    const std::string id = NewId("evt");
    db_->QueryValue(absl::StrCat("INSERT INTO outbox_events (id, team_id, type, payload) VALUES ('",
                                 id, "', '", tenant.team_id, "', '", type, "', '{}')"));
    return id;
  }

  std::string InsertDelivery(const testing::Tenant& tenant, const std::string& event,
                             const std::string& endpoint, const std::string& status,
                             int attempts = 0) {
    const std::string id = NewId("whd");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO webhook_deliveries (id, team_id, event_id, endpoint_id, status, attempts, "
        "next_attempt_at, lease_until) VALUES ('",
        id, "', '", tenant.team_id, "', '", event, "', '", endpoint, "', '", status, "', ",
        attempts, ", now() + interval '1 hour', now() + interval '30 seconds')"));
    return id;
  }

  std::string InsertAttempt(const testing::Tenant& tenant, const std::string& delivery,
                            const std::string& endpoint, const std::string& event, int attempt,
                            int status_code, int seconds_ago, bool retry_scheduled = false) {
    const std::string id = NewId("wha");
    db_->QueryValue(absl::StrCat(
        "INSERT INTO webhook_attempts (id, team_id, delivery_id, endpoint_id, event_id, attempt, "
        "status_code, error, duration_ms, response_excerpt, next_retry_at, created_at) VALUES ('",
        id, "', '", tenant.team_id, "', '", delivery, "', '", endpoint, "', '", event, "', ",
        attempt, ", ", status_code, ", '", status_code == 0 ? "connect timeout" : "", "', ",
        40 + attempt, ", 'ok', ", retry_scheduled ? "now() + interval '1 minute'" : "NULL",
        ", now() - interval '", seconds_ago, " seconds')"));
    return id;
  }

  std::string Column(const std::string& table, const std::string& column, const std::string& id) {
    return db_->QueryValue(
        absl::StrCat("SELECT ", column, " FROM ", table, " WHERE id = '", id, "'"));
  }

  ListWebhookDeliveriesResponse MustList(const ListWebhookDeliveriesRequest& request,
                                         const testing::Tenant& tenant) {
    auto page = store_->ListWebhookDeliveries(tenant.team_id, request);
    EXPECT_OK(page);
    return page.ok() ? *page : ListWebhookDeliveriesResponse();
  }

  std::unique_ptr<PgWebhookStore> store_;
};

TEST_F(PgWebhookStoreTest, CreateReturnsTheSecretOnlyOnce) {
  WebhookEndpoint created =
      MustCreate(a_, "https://example.com/hook", {"transaction.created", "referral.lead"});
  EXPECT_TRUE(absl::StartsWith(created.id(), "whk_")) << created.id();
  EXPECT_EQ(created.url(), "https://example.com/hook");
  ASSERT_EQ(created.events_size(), 2);
  EXPECT_EQ(created.events(0), "transaction.created");
  EXPECT_EQ(created.events(1), "referral.lead");
  EXPECT_EQ(created.description(), "orders");
  EXPECT_TRUE(created.enabled());
  EXPECT_GT(created.created_at().seconds(), 0);
  EXPECT_GT(created.updated_at().seconds(), 0);

  ASSERT_TRUE(absl::StartsWith(created.secret(), "whsec_")) << created.secret();
  std::string key;
  ASSERT_TRUE(absl::Base64Unescape(created.secret().substr(6), &key));
  EXPECT_EQ(key.size(), 24u);
  EXPECT_EQ(created.secret().size(), 6u + 32u);
  EXPECT_EQ(Column("webhook_endpoints", "secret", created.id()), created.secret());
  EXPECT_NE(MustCreate(a_).secret(), created.secret());

  auto got = store_->GetWebhook(a_.team_id, created.id());
  ASSERT_OK(got);
  EXPECT_TRUE(got->secret().empty());
  EXPECT_EQ(got->events_size(), 2);
  auto page = store_->ListWebhooks(a_.team_id, WebhookListQuery{1, 10});
  ASSERT_OK(page);
  for (const WebhookEndpoint& webhook : page->webhooks) EXPECT_TRUE(webhook.secret().empty());
}

TEST_F(PgWebhookStoreTest, ListIsOldestFirstInOffsetPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(MustCreate(a_).id());
  // Distinct creation times, newest inserted first, so the order is the clock's.
  for (int i = 0; i < 3; ++i) {
    db_->QueryValue(absl::StrCat("UPDATE webhook_endpoints SET created_at = now() - interval '",
                                 10 - i, " minutes' WHERE id = '", ids[i], "'"));
  }
  MustCreate(b_);

  auto first = store_->ListWebhooks(a_.team_id, WebhookListQuery{1, 2});
  ASSERT_OK(first);
  EXPECT_EQ(first->total, 3);
  ASSERT_EQ(first->webhooks.size(), 2u);
  EXPECT_EQ(first->webhooks[0].id(), ids[0]);
  EXPECT_EQ(first->webhooks[1].id(), ids[1]);
  auto second = store_->ListWebhooks(a_.team_id, WebhookListQuery{2, 2});
  ASSERT_OK(second);
  ASSERT_EQ(second->webhooks.size(), 1u);
  EXPECT_EQ(second->webhooks[0].id(), ids[2]);
  EXPECT_EQ(second->total, 3);
  auto past_end = store_->ListWebhooks(a_.team_id, WebhookListQuery{5, 2});
  ASSERT_OK(past_end);
  EXPECT_TRUE(past_end->webhooks.empty());
  EXPECT_EQ(past_end->total, 3);

  ASSERT_OK(store_->DeleteWebhook(a_.team_id, ids[1]));
  auto after_delete = store_->ListWebhooks(a_.team_id, WebhookListQuery{1, 10});
  ASSERT_OK(after_delete);
  EXPECT_EQ(after_delete->total, 2);
  auto of_b = store_->ListWebhooks(b_.team_id, WebhookListQuery{1, 10});
  ASSERT_OK(of_b);
  EXPECT_EQ(of_b->total, 1);
}

TEST_F(PgWebhookStoreTest, UpdateChangesOnlyPresentFields) {
  WebhookEndpoint created = MustCreate(a_);
  db_->QueryValue(
      "UPDATE webhook_endpoints SET updated_at = now() - interval '1 hour' WHERE id = '" +
      created.id() + "'");

  UpdateWebhookRequest description;
  description.set_id(created.id());
  description.set_description("");
  auto updated = store_->UpdateWebhook(a_.team_id, description);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->description(), "");
  EXPECT_EQ(updated->url(), created.url());
  ASSERT_EQ(updated->events_size(), 1);
  EXPECT_TRUE(updated->enabled());
  EXPECT_TRUE(updated->secret().empty());
  EXPECT_EQ(Column("webhook_endpoints", "updated_at > now() - interval '1 minute'", created.id()),
            "t");

  UpdateWebhookRequest replace;
  replace.set_id(created.id());
  replace.set_url("https://other.example.com/in");
  replace.add_events("transaction.created");
  replace.set_enabled(false);
  updated = store_->UpdateWebhook(a_.team_id, replace);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->url(), "https://other.example.com/in");
  ASSERT_EQ(updated->events_size(), 1);
  EXPECT_EQ(updated->events(0), "transaction.created");
  EXPECT_FALSE(updated->enabled());
  EXPECT_EQ(Column("webhook_endpoints", "secret", created.id()),
            created.secret());  // never rotated by an update
}

TEST_F(PgWebhookStoreTest, ReenablingClearsTheServiceReasonAndFailureRun) {
  WebhookEndpoint created = MustCreate(a_);
  db_->QueryValue(
      "UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'gone', "
      "failing_since = now() - interval '2 days' WHERE id = '" +
      created.id() + "'");
  UpdateWebhookRequest untouched;
  untouched.set_id(created.id());
  untouched.set_description("still off");
  ASSERT_OK(store_->UpdateWebhook(a_.team_id, untouched));
  EXPECT_EQ(Column("webhook_endpoints", "disabled_reason", created.id()), "gone");

  UpdateWebhookRequest enable;
  enable.set_id(created.id());
  enable.set_enabled(true);
  auto updated = store_->UpdateWebhook(a_.team_id, enable);
  ASSERT_OK(updated);
  EXPECT_TRUE(updated->enabled());
  EXPECT_EQ(Column("webhook_endpoints", "disabled_reason", created.id()), "");
  EXPECT_EQ(Column("webhook_endpoints", "failing_since", created.id()), "");
  EXPECT_EQ(Column("webhook_endpoints", "description", created.id()), "still off");
}

TEST_F(PgWebhookStoreTest, DeleteIsSoftAndCancelsOnlyItsPendingDeliveries) {
  WebhookEndpoint doomed = MustCreate(a_);
  WebhookEndpoint kept = MustCreate(a_);
  const std::string event = InsertEvent(a_);
  const std::string other_event = InsertEvent(a_);
  const std::string pending = InsertDelivery(a_, event, doomed.id(), "pending", 2);
  const std::string succeeded = InsertDelivery(a_, other_event, doomed.id(), "succeeded", 1);
  const std::string elsewhere = InsertDelivery(a_, event, kept.id(), "pending");

  ASSERT_OK(store_->DeleteWebhook(a_.team_id, doomed.id()));
  EXPECT_NE(Column("webhook_endpoints", "deleted_at", doomed.id()), "");
  EXPECT_EQ(Column("webhook_deliveries", "status", pending), "canceled");
  EXPECT_EQ(Column("webhook_deliveries", "lease_until", pending), "");
  EXPECT_EQ(Column("webhook_deliveries", "attempts", pending), "2");
  EXPECT_EQ(Column("webhook_deliveries", "status", succeeded), "succeeded");
  EXPECT_EQ(Column("webhook_deliveries", "status", elsewhere), "pending");

  EXPECT_THAT(store_->GetWebhook(a_.team_id, doomed.id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteWebhook(a_.team_id, doomed.id()),
              StatusIs(absl::StatusCode::kNotFound));
  UpdateWebhookRequest update;
  update.set_id(doomed.id());
  update.set_enabled(true);
  EXPECT_THAT(store_->UpdateWebhook(a_.team_id, update), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgWebhookStoreTest, RedeliverRequeuesTheExistingDeliveryKeepingItsAttempts) {
  WebhookEndpoint webhook = MustCreate(a_);
  const std::string event = InsertEvent(a_);
  const std::string delivery = InsertDelivery(a_, event, webhook.id(), "failed", 7);

  auto queued = store_->RedeliverEvent(a_.team_id, webhook.id(), event);
  ASSERT_OK(queued);
  EXPECT_EQ(queued->webhook_id(), webhook.id());
  EXPECT_EQ(queued->event_id(), event);
  EXPECT_TRUE(queued->queued());
  EXPECT_EQ(Column("webhook_deliveries", "status", delivery), "pending");
  EXPECT_EQ(Column("webhook_deliveries", "attempts", delivery), "7");
  EXPECT_EQ(Column("webhook_deliveries", "lease_until", delivery), "");
  EXPECT_EQ(Column("webhook_deliveries", "next_attempt_at <= now()", delivery), "t");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM webhook_deliveries"), "1");
}

TEST_F(PgWebhookStoreTest, RedeliverLeavesASendInFlightItsLease) {
  WebhookEndpoint webhook = MustCreate(a_);
  const std::string event = InsertEvent(a_);
  const std::string delivery = InsertDelivery(a_, event, webhook.id(), "pending", 3);
  db_->QueryValue(
      "UPDATE webhook_deliveries SET lease_until = now() + interval '30 seconds' "
      "WHERE id = '" +
      delivery + "'");
  ASSERT_OK(store_->RedeliverEvent(a_.team_id, webhook.id(), event));
  EXPECT_EQ(Column("webhook_deliveries", "lease_until > now()", delivery), "t");
  EXPECT_EQ(Column("webhook_deliveries", "attempts", delivery), "3");
  EXPECT_EQ(Column("webhook_deliveries", "status", delivery), "pending");
  // An expired lease is released as before.
  db_->QueryValue(
      "UPDATE webhook_deliveries SET lease_until = now() - interval '1 second' "
      "WHERE id = '" +
      delivery + "'");
  ASSERT_OK(store_->RedeliverEvent(a_.team_id, webhook.id(), event));
  EXPECT_EQ(Column("webhook_deliveries", "lease_until", delivery), "");
}

TEST_F(PgWebhookStoreTest, RedeliverCreatesADeliveryWhenThereIsNone) {
  WebhookEndpoint webhook = MustCreate(a_);
  const std::string event = InsertEvent(a_, "transaction.created");
  ASSERT_OK(store_->RedeliverEvent(a_.team_id, webhook.id(), event));
  const std::string id = db_->QueryValue("SELECT id FROM webhook_deliveries WHERE event_id = '" +
                                         event + "' AND endpoint_id = '" + webhook.id() + "'");
  ASSERT_TRUE(absl::StartsWith(id, "whd_")) << id;
  EXPECT_EQ(Column("webhook_deliveries", "team_id", id), a_.team_id);
  EXPECT_EQ(Column("webhook_deliveries", "status", id), "pending");
  EXPECT_EQ(Column("webhook_deliveries", "attempts", id), "0");
  // A second call requeues the same row.
  ASSERT_OK(store_->RedeliverEvent(a_.team_id, webhook.id(), event));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM webhook_deliveries"), "1");
}

TEST_F(PgWebhookStoreTest, RedeliverNeedsTheTeamsEventAndLiveEnabledEndpoint) {
  WebhookEndpoint webhook = MustCreate(a_);
  const std::string event = InsertEvent(a_);
  const std::string event_of_b = InsertEvent(b_);
  WebhookEndpoint webhook_of_b = MustCreate(b_);

  auto foreign_event = store_->RedeliverEvent(a_.team_id, webhook.id(), event_of_b);
  EXPECT_THAT(foreign_event, StatusIs(absl::StatusCode::kNotFound));
  auto missing_event = store_->RedeliverEvent(a_.team_id, webhook.id(), NewId("evt"));
  EXPECT_THAT(missing_event, StatusIs(absl::StatusCode::kNotFound));
  auto foreign_endpoint = store_->RedeliverEvent(a_.team_id, webhook_of_b.id(), event);
  EXPECT_THAT(foreign_endpoint, StatusIs(absl::StatusCode::kNotFound));
  auto b_on_a = store_->RedeliverEvent(b_.team_id, webhook.id(), event);
  EXPECT_THAT(b_on_a, StatusIs(absl::StatusCode::kNotFound));

  db_->QueryValue("UPDATE webhook_endpoints SET enabled = false WHERE id = '" + webhook.id() + "'");
  auto disabled = store_->RedeliverEvent(a_.team_id, webhook.id(), event);
  EXPECT_THAT(disabled, HasApiError("VALIDATION_ERROR", "webhook_id"));
  EXPECT_EQ(disabled.status().message(), "endpoint is disabled");

  db_->QueryValue("UPDATE webhook_endpoints SET enabled = true, deleted_at = now() WHERE id = '" +
                  webhook.id() + "'");
  EXPECT_THAT(store_->RedeliverEvent(a_.team_id, webhook.id(), event),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM webhook_deliveries"), "0");
}

class DeliveriesLogTest : public PgWebhookStoreTest {
 protected:
  void SetUp() override {
    PgWebhookStoreTest::SetUp();
    if (HasFatalFailure()) return;
    webhook_ = MustCreate(a_);
    lead_ = InsertEvent(a_, "referral.lead");
    sale_ = InsertEvent(a_, "transaction.created");
    const std::string lead_delivery = InsertDelivery(a_, lead_, webhook_.id(), "succeeded");
    const std::string sale_delivery = InsertDelivery(a_, sale_, webhook_.id(), "pending");
    // Oldest to newest: lead fails then succeeds, sale times out, gets a 500, a 204.
    attempts_.push_back(InsertAttempt(a_, lead_delivery, webhook_.id(), lead_, 1, 503, 50, true));
    attempts_.push_back(InsertAttempt(a_, lead_delivery, webhook_.id(), lead_, 2, 200, 40));
    attempts_.push_back(InsertAttempt(a_, sale_delivery, webhook_.id(), sale_, 1, 0, 30, true));
    attempts_.push_back(InsertAttempt(a_, sale_delivery, webhook_.id(), sale_, 2, 500, 20, true));
    attempts_.push_back(InsertAttempt(a_, sale_delivery, webhook_.id(), sale_, 3, 204, 10));
    // Noise: another endpoint of A and an endpoint of B.
    WebhookEndpoint other = MustCreate(a_);
    const std::string other_delivery = InsertDelivery(a_, lead_, other.id(), "succeeded");
    other_attempt_ = InsertAttempt(a_, other_delivery, other.id(), lead_, 1, 200, 5);
    WebhookEndpoint of_b = MustCreate(b_);
    const std::string event_of_b = InsertEvent(b_);
    InsertAttempt(b_, InsertDelivery(b_, event_of_b, of_b.id(), "succeeded"), of_b.id(), event_of_b,
                  1, 200, 1);
  }

  ListWebhookDeliveriesRequest Request(int limit = 0) {
    ListWebhookDeliveriesRequest request;
    request.set_webhook_id(webhook_.id());
    request.set_limit(limit);
    return request;
  }

  WebhookEndpoint webhook_;
  std::string lead_, sale_, other_attempt_;
  std::vector<std::string> attempts_;  // oldest first
};

TEST_F(DeliveriesLogTest, NewestFirstWithEveryColumnMapped) {
  ListWebhookDeliveriesResponse page = MustList(Request(), a_);
  EXPECT_EQ(Ids(page), (std::vector<std::string>{attempts_[4], attempts_[3], attempts_[2],
                                                 attempts_[1], attempts_[0]}));
  EXPECT_FALSE(page.has_more());

  const auto& newest = page.data(0);
  EXPECT_EQ(newest.webhook_id(), webhook_.id());
  EXPECT_EQ(newest.event_id(), sale_);
  EXPECT_EQ(newest.event_type(), "transaction.created");
  EXPECT_EQ(newest.attempt(), 3);
  EXPECT_EQ(newest.status_code(), 204);
  EXPECT_TRUE(newest.success());
  EXPECT_EQ(newest.error(), "");
  EXPECT_EQ(newest.duration_ms(), 43);
  EXPECT_FALSE(newest.has_next_retry_at());
  EXPECT_GT(newest.created_at().seconds(), 0);

  const auto& timeout = page.data(2);
  EXPECT_EQ(timeout.status_code(), 0);
  EXPECT_FALSE(timeout.success());
  EXPECT_EQ(timeout.error(), "connect timeout");
  EXPECT_TRUE(timeout.has_next_retry_at());
  EXPECT_EQ(page.data(4).event_type(), "referral.lead");
  EXPECT_FALSE(page.data(4).success());  // a 503
}

TEST_F(DeliveriesLogTest, CursorPagesBothWaysAndInAscendingOrder) {
  ListWebhookDeliveriesResponse first = MustList(Request(2), a_);
  EXPECT_EQ(Ids(first), (std::vector<std::string>{attempts_[4], attempts_[3]}));
  EXPECT_TRUE(first.has_more());
  ListWebhookDeliveriesRequest next = Request(2);
  next.set_starting_after(attempts_[3]);
  ListWebhookDeliveriesResponse second = MustList(next, a_);
  EXPECT_EQ(Ids(second), (std::vector<std::string>{attempts_[2], attempts_[1]}));
  EXPECT_TRUE(second.has_more());
  next.set_starting_after(attempts_[1]);
  ListWebhookDeliveriesResponse last = MustList(next, a_);
  EXPECT_EQ(Ids(last), (std::vector<std::string>{attempts_[0]}));
  EXPECT_FALSE(last.has_more());

  ListWebhookDeliveriesRequest back = Request(2);
  back.set_ending_before(attempts_[1]);
  EXPECT_EQ(Ids(MustList(back, a_)), (std::vector<std::string>{attempts_[3], attempts_[2]}));

  ListWebhookDeliveriesRequest ascending = Request(3);
  ascending.set_order(affonso::v1::LIST_ORDER_ASC);
  ascending.set_starting_after(attempts_[0]);
  ListWebhookDeliveriesResponse asc = MustList(ascending, a_);
  EXPECT_EQ(Ids(asc), (std::vector<std::string>{attempts_[1], attempts_[2], attempts_[3]}));
  EXPECT_TRUE(asc.has_more());
}

TEST_F(DeliveriesLogTest, EventAndSuccessFilters) {
  ListWebhookDeliveriesRequest by_event = Request();
  by_event.set_event_id(lead_);
  EXPECT_EQ(Ids(MustList(by_event, a_)), (std::vector<std::string>{attempts_[1], attempts_[0]}));

  ListWebhookDeliveriesRequest succeeded = Request();
  succeeded.set_success(true);
  EXPECT_EQ(Ids(MustList(succeeded, a_)), (std::vector<std::string>{attempts_[4], attempts_[1]}));
  ListWebhookDeliveriesRequest failed = Request();
  failed.set_success(false);
  EXPECT_EQ(Ids(MustList(failed, a_)),
            (std::vector<std::string>{attempts_[3], attempts_[2], attempts_[0]}));

  ListWebhookDeliveriesRequest both = Request();
  both.set_event_id(sale_);
  both.set_success(false);
  EXPECT_EQ(Ids(MustList(both, a_)), (std::vector<std::string>{attempts_[3], attempts_[2]}));
  both.set_event_id(NewId("evt"));
  EXPECT_TRUE(MustList(both, a_).data().empty());
}

TEST_F(DeliveriesLogTest, ForeignCursorsAndEndpointsAreRefused) {
  ListWebhookDeliveriesRequest unknown = Request();
  unknown.set_starting_after(NewId("wha"));
  auto page = store_->ListWebhookDeliveries(a_.team_id, unknown);
  EXPECT_EQ(ApiErrorField(page.status()), "starting_after");
  ListWebhookDeliveriesRequest other_endpoint = Request();
  other_endpoint.set_ending_before(other_attempt_);
  page = store_->ListWebhookDeliveries(a_.team_id, other_endpoint);
  EXPECT_EQ(ApiErrorField(page.status()), "ending_before");

  EXPECT_THAT(store_->ListWebhookDeliveries(b_.team_id, Request()),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(store_->DeleteWebhook(a_.team_id, webhook_.id()));
  EXPECT_THAT(store_->ListWebhookDeliveries(a_.team_id, Request()),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgWebhookStoreTest, AnotherTeamsEndpointIsNotFoundEverywhereAndUntouched) {
  WebhookEndpoint webhook = MustCreate(a_);
  const std::string event = InsertEvent(a_);
  const std::string delivery = InsertDelivery(a_, event, webhook.id(), "pending");
  const std::string before =
      db_->QueryValue("SELECT url || enabled || description || updated_at FROM webhook_endpoints");

  EXPECT_THAT(store_->GetWebhook(b_.team_id, webhook.id()), StatusIs(absl::StatusCode::kNotFound));
  UpdateWebhookRequest update;
  update.set_id(webhook.id());
  update.set_url("https://attacker.example.com/");
  update.set_enabled(false);
  EXPECT_THAT(store_->UpdateWebhook(b_.team_id, update), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteWebhook(b_.team_id, webhook.id()),
              StatusIs(absl::StatusCode::kNotFound));
  ListWebhookDeliveriesRequest deliveries;
  deliveries.set_webhook_id(webhook.id());
  EXPECT_THAT(store_->ListWebhookDeliveries(b_.team_id, deliveries),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->RedeliverEvent(b_.team_id, webhook.id(), event),
              StatusIs(absl::StatusCode::kNotFound));
  auto b_list = store_->ListWebhooks(b_.team_id, WebhookListQuery{1, 10});
  ASSERT_OK(b_list);
  EXPECT_EQ(b_list->total, 0);

  EXPECT_EQ(
      db_->QueryValue("SELECT url || enabled || description || updated_at FROM webhook_endpoints"),
      before);
  EXPECT_EQ(Column("webhook_endpoints", "deleted_at", webhook.id()), "");
  EXPECT_EQ(Column("webhook_deliveries", "status", delivery), "pending");
}

TEST_F(PgWebhookStoreTest, ATeamCannotHaveMoreEndpointsThanTheCap) {
  PgWebhookStore capped(&db_->pool(), 3);
  CreateWebhookRequest request;
  request.set_url("https://example.com/hook");
  request.add_events("referral.lead");
  for (int i = 0; i < 3; ++i) ASSERT_OK(capped.CreateWebhook(a_.team_id, request));
  auto over = capped.CreateWebhook(a_.team_id, request);
  EXPECT_THAT(over, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ApiErrorCode(over.status()), "VALIDATION_ERROR");
  EXPECT_TRUE(absl::StrContains(over.status().message(), "at most 3")) << over.status();
  EXPECT_OK(capped.CreateWebhook(b_.team_id, request));  // per team
  // A deleted endpoint frees its place.
  auto page = capped.ListWebhooks(a_.team_id, {});
  ASSERT_OK(page);
  ASSERT_OK(capped.DeleteWebhook(a_.team_id, page->webhooks[0].id()));
  EXPECT_OK(capped.CreateWebhook(a_.team_id, request));
  EXPECT_THAT(capped.CreateWebhook(a_.team_id, request),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(PgWebhookStoreTest, RacingCreatesDoNotPassTheCap) {
  PgWebhookStore capped(&db_->pool(), 5);
  CreateWebhookRequest request;
  request.set_url("https://example.com/hook");
  request.add_events("referral.lead");
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 3; ++k) {
        if (capped.CreateWebhook(a_.team_id, request).ok()) ++created;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(created.load(), 5);
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM webhook_endpoints WHERE team_id = '" +
                            a_.team_id + "' AND deleted_at IS NULL"),
            "5");
}

}  // namespace
}  // namespace affonso::storage

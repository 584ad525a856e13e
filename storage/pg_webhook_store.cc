#include "storage/pg_webhook_store.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "storage/pg_values.h"
#include "storage/query_one.h"
#include "storage/webhook_secrets.h"

namespace affonso::storage {
namespace {

using affonso::v1::ListWebhookDeliveriesRequest;
using affonso::v1::ListWebhookDeliveriesResponse;
using affonso::v1::RedeliverEventResponse;
using affonso::v1::WebhookDelivery;
using affonso::v1::WebhookEndpoint;

// Event types cross as one comma-separated parameter (string_to_array): the
// known types never contain a comma, and libpqxx 6.4 has no array parameters.
// The select list is under the names ReadWebhook reads.
#define AFFONSO_WEBHOOK_COLUMNS                                                           \
  "w.id, w.url, array_to_string(w.events, ',') AS events, w.description, "                \
  "w.enabled, " AFFONSO_SQL_MICROS("w.created_at") " AS created_at, " AFFONSO_SQL_MICROS( \
      "w.updated_at") " AS updated_at"

// $1 id, $2 team, $3 url, $4 events, $5 description, $6 plaintext secret,
// $7 sealed secret (one of the two is NULL).
constexpr Statement kInsertWebhook{
    "webhook_insert",
    "INSERT INTO webhook_endpoints AS w (id, team_id, url, events, description, secret, "
    "  secret_sealed) "
    "VALUES ($1, $2, $3, string_to_array($4, ','), $5, $6, $7) "
    "RETURNING " AFFONSO_WEBHOOK_COLUMNS};

// Creates of one team queue on its row (NO KEY UPDATE: inserts elsewhere that
// reference the team are not held up), so the count that follows, a statement
// of its own, sees every endpoint committed before: racing creates cannot
// pass the cap. $1 team.
constexpr Statement kLockTeamForWebhookCreate{
    "webhook_create_lock_team", "SELECT 1 FROM teams WHERE id = $1 FOR NO KEY UPDATE"};

// $1 id, $2 team (also kSoftDeleteWebhook, kCancelPendingDeliveries,
// kLiveWebhookExists and kLockWebhookForRedelivery).
constexpr Statement kSelectWebhook{"webhook_select",
                                   "SELECT " AFFONSO_WEBHOOK_COLUMNS
                                   " FROM webhook_endpoints w "
                                   "WHERE w.id = $1 AND w.team_id = $2 AND w.deleted_at IS NULL"};

// The total rides along with the page; only a page past the end needs
// kCountWebhooks. $1 team, $2 limit, $3 offset.
constexpr Statement kListWebhooks{"webhook_list",
                                  "SELECT " AFFONSO_WEBHOOK_COLUMNS
                                  ", count(*) OVER () AS total FROM webhook_endpoints w "
                                  "WHERE w.team_id = $1 AND w.deleted_at IS NULL "
                                  "ORDER BY w.created_at, w.id LIMIT $2::int OFFSET $3::bigint"};

constexpr Statement kCountWebhooks{
    "webhook_count",
    "SELECT count(*) AS total FROM webhook_endpoints WHERE team_id = $1 AND deleted_at IS NULL"};

// A NULL parameter keeps the column. Any explicit `enabled` is the user's
// decision, so the service's reason for disabling goes; re-enabling also
// starts the failure clock afresh (else the dispatcher would disable it again
// at once). $1 id, $2 team, $3 url, $4 events, $5 description, $6 enabled.
constexpr Statement kUpdateWebhook{
    "webhook_update",
    "UPDATE webhook_endpoints AS w SET "
    "  url = COALESCE($3::text, w.url), "
    "  events = COALESCE(string_to_array($4::text, ','), w.events), "
    "  description = COALESCE($5::text, w.description), "
    "  enabled = COALESCE($6::boolean, w.enabled), "
    "  disabled_reason = CASE WHEN $6::boolean IS NULL THEN w.disabled_reason END, "
    "  failing_since = CASE WHEN $6::boolean THEN NULL ELSE w.failing_since END, "
    "  updated_at = now() "
    "WHERE w.id = $1 AND w.team_id = $2 AND w.deleted_at IS NULL "
    "RETURNING " AFFONSO_WEBHOOK_COLUMNS};

constexpr Statement kSoftDeleteWebhook{
    "webhook_soft_delete",
    "UPDATE webhook_endpoints SET deleted_at = now(), updated_at = now() "
    "WHERE id = $1 AND team_id = $2 AND deleted_at IS NULL"};

// Runs after kSoftDeleteWebhook in the same transaction; as a statement of its
// own it sees a delivery a concurrent redelivery committed while the delete
// waited for the endpoint's row lock.
constexpr Statement kCancelPendingDeliveries{
    "webhook_cancel_pending",
    "UPDATE webhook_deliveries SET status = 'canceled', lease_until = NULL, updated_at = now() "
    "WHERE endpoint_id = $1 AND team_id = $2 AND status = 'pending'"};

constexpr Statement kLiveWebhookExists{
    "webhook_live_exists",
    "SELECT 1 FROM webhook_endpoints WHERE id = $1 AND team_id = $2 AND deleted_at IS NULL"};

// FOR SHARE: a concurrent delete waits for the redelivery to commit, then
// cancels the delivery it queued.
constexpr Statement kLockWebhookForRedelivery{
    "webhook_lock_for_redelivery",
    "SELECT enabled FROM webhook_endpoints "
    "WHERE id = $1 AND team_id = $2 AND deleted_at IS NULL FOR SHARE"};

// $1 event, $2 team.
constexpr Statement kEventExists{"webhook_event_exists",
                                 "SELECT 1 FROM outbox_events WHERE id = $1 AND team_id = $2"};

// Attempts already made stay counted: attempt numbers keep increasing.
// $1 id if it is new, $2 team, $3 event, $4 endpoint.
constexpr Statement kUpsertDelivery{
    "webhook_delivery_requeue",
    "INSERT INTO webhook_deliveries (id, team_id, event_id, endpoint_id) "
    "VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (event_id, endpoint_id) DO UPDATE SET status = 'pending', "
    "  next_attempt_at = now(), updated_at = now(), "
    // A send in flight keeps its lease: releasing it would let another
    // dispatcher send the same delivery at the same time, and stop the
    // owner's lease extensions. The owner's record then decides what follows.
    "  lease_until = CASE WHEN webhook_deliveries.status = 'pending' "
    "    AND webhook_deliveries.lease_until > now() "
    "    THEN webhook_deliveries.lease_until END "
    "WHERE webhook_deliveries.team_id = EXCLUDED.team_id"};

// The attempts log. $1 team, $2 endpoint, $3 event filter, $4 success filter
// (NULL = off), $5 limit, $6 cursor. The cursor's created_at is looked up
// within the endpoint, so a foreign cursor compares with NULL: no rows. The
// select list is under the names ReadDelivery reads.
#define AFFONSO_ATTEMPT_COLUMNS                                                      \
  "a.id, a.endpoint_id, a.event_id, COALESCE(e.type, '') AS event_type, a.attempt, " \
  "a.status_code, a.error, a.duration_ms, " AFFONSO_SQL_MICROS(                      \
      "a.next_retry_at") " AS next_retry_at, " AFFONSO_SQL_MICROS("a.created_at") " AS created_at"
#define AFFONSO_ATTEMPT_FILTERS                                               \
  " FROM webhook_attempts a "                                                 \
  "LEFT JOIN outbox_events e ON e.id = a.event_id AND e.team_id = a.team_id " \
  "WHERE a.team_id = $1 AND a.endpoint_id = $2 "                              \
  "  AND ($3::text IS NULL OR a.event_id = $3::text) "                        \
  "  AND ($4::boolean IS NULL OR (a.status_code BETWEEN 200 AND 299) = $4::boolean) "
#define AFFONSO_ATTEMPT_CURSOR(op)                      \
  "  AND (a.created_at, a.id) " op                      \
  " ((SELECT cur.created_at FROM webhook_attempts cur " \
  "   WHERE cur.id = $6 AND cur.team_id = $1 AND cur.endpoint_id = $2), $6::text) "

constexpr Statement kAttemptsAsc{"webhook_attempts_asc",
                                 "SELECT " AFFONSO_ATTEMPT_COLUMNS AFFONSO_ATTEMPT_FILTERS
                                 "ORDER BY a.created_at ASC, a.id ASC LIMIT $5"};
constexpr Statement kAttemptsDesc{"webhook_attempts_desc",
                                  "SELECT " AFFONSO_ATTEMPT_COLUMNS AFFONSO_ATTEMPT_FILTERS
                                  "ORDER BY a.created_at DESC, a.id DESC LIMIT $5"};
constexpr Statement kAttemptsAscAfter{
    "webhook_attempts_asc_after",
    "SELECT " AFFONSO_ATTEMPT_COLUMNS AFFONSO_ATTEMPT_FILTERS AFFONSO_ATTEMPT_CURSOR(
        ">") "ORDER BY a.created_at ASC, a.id ASC LIMIT $5"};
constexpr Statement kAttemptsDescBefore{
    "webhook_attempts_desc_before",
    "SELECT " AFFONSO_ATTEMPT_COLUMNS AFFONSO_ATTEMPT_FILTERS AFFONSO_ATTEMPT_CURSOR(
        "<") "ORDER BY a.created_at DESC, a.id DESC LIMIT $5"};

// $1 attempt, $2 team, $3 endpoint.
constexpr Statement kAttemptExists{
    "webhook_attempt_exists",
    "SELECT 1 FROM webhook_attempts WHERE id = $1 AND team_id = $2 AND endpoint_id = $3"};

#undef AFFONSO_ATTEMPT_CURSOR
#undef AFFONSO_ATTEMPT_FILTERS
#undef AFFONSO_ATTEMPT_COLUMNS
#undef AFFONSO_WEBHOOK_COLUMNS

constexpr int kSecretBytes = 24;

WebhookEndpoint ReadWebhook(const pqxx::row& row) {
  WebhookEndpoint webhook;
  webhook.set_id(ReadText(row["id"]));
  webhook.set_url(ReadText(row["url"]));
  for (absl::string_view event : absl::StrSplit(ReadText(row["events"]), ',', absl::SkipEmpty())) {
    webhook.add_events(std::string(event));
  }
  webhook.set_description(ReadText(row["description"]));
  webhook.set_enabled(row["enabled"].as<bool>());
  ReadTimestamp(row["created_at"], webhook.mutable_created_at());
  ReadTimestamp(row["updated_at"], webhook.mutable_updated_at());
  return webhook;
}

WebhookDelivery ReadDelivery(const pqxx::row& row) {
  WebhookDelivery delivery;
  delivery.set_id(ReadText(row["id"]));
  delivery.set_webhook_id(ReadText(row["endpoint_id"]));
  delivery.set_event_id(ReadText(row["event_id"]));
  delivery.set_event_type(ReadText(row["event_type"]));
  delivery.set_attempt(row["attempt"].as<int>());
  delivery.set_status_code(row["status_code"].as<int>());
  delivery.set_error(ReadText(row["error"]));
  delivery.set_duration_ms(row["duration_ms"].as<int>());
  delivery.set_success(delivery.status_code() >= 200 && delivery.status_code() <= 299);
  // Unset, not epoch, when no retry is scheduled (mutable_ would mark it set).
  const pqxx::field next_retry_at = row["next_retry_at"];
  if (!next_retry_at.is_null()) ReadTimestamp(next_retry_at, delivery.mutable_next_retry_at());
  ReadTimestamp(row["created_at"], delivery.mutable_created_at());
  return delivery;
}

// "whsec_" + standard base64 of CSPRNG bytes (the Standard Webhooks form).
absl::StatusOr<std::string> NewSigningSecret() {
  unsigned char bytes[kSecretBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    AFFONSO_LOG(kWarning, "create_webhook: RAND_bytes failed");
    return absl::InternalError("internal error");
  }
  return absl::StrCat("whsec_", absl::Base64Escape(absl::string_view(
                                    reinterpret_cast<const char*>(bytes), sizeof bytes)));
}

const char* IfPresent(bool present, const std::string& value) {
  return present ? value.c_str() : nullptr;
}

}  // namespace

absl::StatusOr<WebhookEndpoint> PgWebhookStore::CreateWebhook(
    absl::string_view team_id, const affonso::v1::CreateWebhookRequest& request) {
  const std::string team(team_id);
  const std::string id = NewId("whk");
  const std::string events = absl::StrJoin(request.events(), ",");
  absl::StatusOr<std::string> secret = NewSigningSecret();
  if (!secret.ok()) return secret.status();
  absl::StatusOr<StoredWebhookSecret> stored = StoreWebhookSecret(keyring_, team, id, *secret);
  if (!stored.ok()) {
    AFFONSO_LOG(kError, "create_webhook: cannot seal the secret: ", stored.status().ToString());
    return absl::InternalError("internal error");
  }
  absl::StatusOr<WebhookEndpoint> created =
      pool_->InTransaction("create_webhook", [&](Tx& tx) -> absl::StatusOr<WebhookEndpoint> {
        tx.Exec(kLockTeamForWebhookCreate, team);
        if (tx.Exec(kCountWebhooks, team)[0]["total"].as<int>() >= max_endpoints_per_team_) {
          return absl::FailedPreconditionError(
              absl::StrCat("a team can have at most ", max_endpoints_per_team_,
                           " webhook endpoints; delete one first"));
        }
        pqxx::result rows =
            tx.Exec(kInsertWebhook, id, team, request.url(), events, request.description(),
                    NullIfEmpty(stored->plaintext), NullIfEmpty(stored->sealed));
        return ReadWebhook(rows[0]);
      });
  if (created.ok()) created->set_secret(*secret);
  return created;
}

absl::StatusOr<WebhookEndpoint> PgWebhookStore::GetWebhook(absl::string_view team_id,
                                                           absl::string_view id) {
  return pool_->Autocommit("get_webhook", [&](Tx& tx) {
    return QueryOne(tx, kSelectWebhook, ReadWebhook, "webhook", id, team_id);
  });
}

absl::StatusOr<WebhookPage> PgWebhookStore::ListWebhooks(absl::string_view team_id,
                                                         const WebhookListQuery& query) {
  const std::string team(team_id);
  const int64_t offset = (static_cast<int64_t>(query.page) - 1) * query.limit;
  return pool_->Autocommit("list_webhooks", [&](Tx& tx) -> absl::StatusOr<WebhookPage> {
    WebhookPage page;
    pqxx::result rows = tx.Exec(kListWebhooks, team, query.limit, offset);
    if (rows.empty()) {
      if (offset > 0) page.total = tx.Exec(kCountWebhooks, team)[0]["total"].as<int>();
      return page;
    }
    page.total = rows[0]["total"].as<int>();
    page.webhooks.reserve(rows.size());
    for (const pqxx::row& row : rows) page.webhooks.push_back(ReadWebhook(row));
    return page;
  });
}

absl::StatusOr<WebhookEndpoint> PgWebhookStore::UpdateWebhook(
    absl::string_view team_id, const affonso::v1::UpdateWebhookRequest& request) {
  const std::string events = absl::StrJoin(request.events(), ",");
  const char* enabled = request.has_enabled() ? (request.enabled() ? "true" : "false") : nullptr;
  return pool_->Autocommit("update_webhook", [&](Tx& tx) {
    return QueryOne(tx, kUpdateWebhook, ReadWebhook, "webhook", request.id(), team_id,
                    IfPresent(request.has_url(), request.url()), NullIfEmpty(events),
                    IfPresent(request.has_description(), request.description()), enabled);
  });
}

absl::Status PgWebhookStore::DeleteWebhook(absl::string_view team_id, absl::string_view id) {
  const std::string team(team_id);
  const std::string webhook_id(id);
  return pool_->InTransaction("delete_webhook", [&](Tx& tx) -> absl::Status {
    AFFONSO_RETURN_IF_ERROR(RequireRow(tx, kSoftDeleteWebhook, "webhook", webhook_id, team));
    tx.Exec(kCancelPendingDeliveries, webhook_id, team);
    return absl::OkStatus();
  });
}

absl::StatusOr<ListWebhookDeliveriesResponse> PgWebhookStore::ListWebhookDeliveries(
    absl::string_view team_id, const ListWebhookDeliveriesRequest& request) {
  const std::string team(team_id);
  const int limit = request.limit() == 0 ? kDefaultWebhookDeliveryPageSize : request.limit();
  const bool descending = request.order() != affonso::v1::LIST_ORDER_ASC;
  // ending_before walks away from the cursor against the requested order,
  // then the page is put back in order.
  const bool backward = !request.ending_before().empty();
  const std::string& cursor = backward ? request.ending_before() : request.starting_after();
  const char* cursor_field = backward ? "ending_before" : "starting_after";
  const bool scan_ascending = descending == backward;
  const Statement& statement = cursor.empty()
                                   ? (scan_ascending ? kAttemptsAsc : kAttemptsDesc)
                                   : (scan_ascending ? kAttemptsAscAfter : kAttemptsDescBefore);
  const char* event_filter = request.has_event_id() ? NullIfEmpty(request.event_id()) : nullptr;
  const char* success_filter =
      request.has_success() ? (request.success() ? "true" : "false") : nullptr;

  return pool_->Autocommit(
      "list_webhook_deliveries", [&](Tx& tx) -> absl::StatusOr<ListWebhookDeliveriesResponse> {
        AFFONSO_RETURN_IF_ERROR(
            RequireRow(tx, kLiveWebhookExists, "webhook", request.webhook_id(), team));
        pqxx::result rows;
        if (cursor.empty()) {
          rows = tx.Exec(statement, team, request.webhook_id(), event_filter, success_filter,
                         limit + 1);
        } else {
          rows = tx.Exec(statement, team, request.webhook_id(), event_filter, success_filter,
                         limit + 1, cursor);
        }
        // An empty page is the only place an unknown cursor could hide.
        if (rows.empty() && !cursor.empty() &&
            tx.Exec(kAttemptExists, cursor, team, request.webhook_id()).empty()) {
          return ValidationError(cursor_field,
                                 absl::StrCat(cursor_field, " is not a delivery of this webhook"));
        }
        ListWebhookDeliveriesResponse response;
        const int kept = std::min<int>(static_cast<int>(rows.size()), limit);
        for (int i = 0; i < kept; ++i) *response.add_data() = ReadDelivery(rows[i]);
        response.set_has_more(static_cast<int>(rows.size()) > limit);
        if (backward) {
          std::reverse(response.mutable_data()->begin(), response.mutable_data()->end());
        }
        return response;
      });
}

absl::StatusOr<RedeliverEventResponse> PgWebhookStore::RedeliverEvent(absl::string_view team_id,
                                                                      absl::string_view webhook_id,
                                                                      absl::string_view event_id) {
  const std::string team(team_id);
  const std::string endpoint(webhook_id);
  const std::string event(event_id);
  const std::string delivery_id = NewId("whd");
  return pool_->InTransaction(
      "redeliver_event", [&](Tx& tx) -> absl::StatusOr<RedeliverEventResponse> {
        pqxx::result found = tx.Exec(kLockWebhookForRedelivery, endpoint, team);
        if (found.empty()) return NotFoundError("webhook");
        AFFONSO_RETURN_IF_ERROR(RequireRow(tx, kEventExists, "event", event, team));
        if (!found[0]["enabled"].as<bool>()) {
          return ValidationError("webhook_id", "endpoint is disabled");
        }
        tx.Exec(kUpsertDelivery, delivery_id, team, event, endpoint);
        RedeliverEventResponse response;
        response.set_webhook_id(endpoint);
        response.set_event_id(event);
        response.set_queued(true);
        return response;
      });
}

}  // namespace affonso::storage

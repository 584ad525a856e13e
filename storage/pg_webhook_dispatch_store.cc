#include "storage/pg_webhook_dispatch_store.h"

#include <utility>

#include "common/ids.h"
#include "common/log.h"
#include "storage/pg_values.h"
#include "storage/webhook_secrets.h"

namespace affonso::storage {
namespace {

constexpr Statement kFanOut{
    "webhook_fan_out",
    "WITH ev AS ( "
    "  SELECT id, team_id, type FROM outbox_events WHERE dispatched_at IS NULL "
    "  ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED), "
    "fan AS ( "
    "  INSERT INTO webhook_deliveries (id, team_id, event_id, endpoint_id) "
    "  SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), ev.team_id, ev.id, e.id "
    "  FROM ev JOIN webhook_endpoints e ON e.team_id = ev.team_id AND e.enabled "
    "    AND e.deleted_at IS NULL AND ev.type = ANY (e.events) "
    "  ON CONFLICT (event_id, endpoint_id) DO NOTHING) "
    "UPDATE outbox_events o SET dispatched_at = now() FROM ev WHERE o.id = ev.id"};

// The cap counts leases already out; one claim can add up to `max` more for
// an endpoint, so the bound is the cap plus one claim batch.
constexpr Statement kClaim{
    "webhook_claim",
    "UPDATE webhook_deliveries d SET "
    "  lease_until = now() + $2 * interval '1 millisecond', "
    "  attempts = d.attempts + 1, updated_at = now() "
    "FROM ( "
    // Sends in flight per endpoint, counted once: a count per candidate row
    // made a backlog of n deliveries to one endpoint cost n^2 row visits
    // once that endpoint was at its cap.
    "  WITH busy AS ( "
    "    SELECT endpoint_id, count(*) AS n FROM webhook_deliveries "
    "    WHERE status = 'pending' AND lease_until > now() GROUP BY endpoint_id) "
    "  SELECT x.id FROM webhook_deliveries x LEFT JOIN busy b ON b.endpoint_id = x.endpoint_id "
    "  WHERE x.status = 'pending' AND x.next_attempt_at <= now() "
    "    AND (x.lease_until IS NULL OR x.lease_until < now()) "
    "    AND coalesce(b.n, 0) < $3 "
    "  ORDER BY x.next_attempt_at LIMIT $1 FOR UPDATE OF x SKIP LOCKED) c, "
    "  outbox_events ev, webhook_endpoints e "
    "WHERE d.id = c.id AND ev.id = d.event_id AND e.id = d.endpoint_id "
    "RETURNING d.id, d.team_id, d.event_id, ev.type, ev.payload::text, e.id, e.url, e.secret, "
    "  d.attempts, e.enabled AND e.deleted_at IS NULL, e.secret_sealed"};

// One statement: the attempt row, the delivery's next state, the endpoint's
// failure run. $9: succeeded / pending / failed / canceled.
constexpr Statement kRecord{
    "webhook_record",
    "WITH a AS ( "
    "  INSERT INTO webhook_attempts (id, team_id, delivery_id, endpoint_id, event_id, attempt, "
    "    status_code, error, duration_ms, response_excerpt, next_retry_at) "
    "  SELECT $1, $2, $3, $4, $5, $6, $7, $8, $10, $11, "
    "    CASE WHEN $9 = 'pending' THEN timestamptz 'epoch' + $12::bigint * interval '1 microsecond' END "
    "  WHERE $9 <> 'canceled'), "
    "d AS ( "
    "  UPDATE webhook_deliveries SET status = $9, lease_until = NULL, updated_at = now(), "
    "    next_attempt_at = CASE WHEN $9 = 'pending' "
    "      THEN timestamptz 'epoch' + $12::bigint * interval '1 microsecond' "
    "      ELSE next_attempt_at END "
    // A delivery canceled (endpoint deleted) or redelivered meanwhile is not
    // ours to move any more.
    "  WHERE id = $3 AND status = 'pending') "
    "UPDATE webhook_endpoints SET "
    "  failing_since = CASE WHEN $9 = 'succeeded' THEN NULL "
    "    WHEN $9 = 'canceled' THEN failing_since ELSE COALESCE(failing_since, now()) END, "
    "  enabled = CASE WHEN $13 THEN false "
    "    WHEN $9 NOT IN ('succeeded', 'canceled') AND failing_since < now() - $14 * interval '1 second' "
    "    THEN false ELSE enabled END, "
    "  disabled_reason = CASE WHEN $13 THEN 'gone' "
    "    WHEN $9 NOT IN ('succeeded', 'canceled') AND failing_since < now() - $14 * interval '1 second' "
    "    THEN 'failing' ELSE disabled_reason END, "
    "  updated_at = now() "
    // Only when its state changes: a success on a healthy endpoint (the
    // common case) takes no lock on the endpoint row, which every delivery to
    // that endpoint would otherwise queue on.
    "WHERE id = $4 AND ($13 OR ($9 = 'succeeded' AND failing_since IS NOT NULL) "
    "  OR $9 NOT IN ('succeeded', 'canceled'))"};

// Each part is an index-only scan of a partial index
// (outbox_events_undispatched, webhook_deliveries_due): min() reads one
// entry, the counts at most $1.
constexpr Statement kBacklog{
    "webhook_backlog",
    "SELECT "
    "  (SELECT count(*) FROM (SELECT 1 FROM outbox_events WHERE dispatched_at IS NULL "
    "     LIMIT $1) x), "
    "  (SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 "
    "     FROM outbox_events WHERE dispatched_at IS NULL), "
    "  (SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries WHERE status = 'pending' "
    "     AND next_attempt_at <= now() LIMIT $1) x), "
    "  (SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries WHERE status = 'pending' "
    "     AND next_attempt_at > now() LIMIT $1) x), "
    "  (SELECT GREATEST(COALESCE(EXTRACT(EPOCH FROM now() - min(next_attempt_at)), 0), 0)::float8 "
    "     FROM webhook_deliveries WHERE status = 'pending')"};

// The dispatcher's own bookkeeping commits without waiting for the WAL flush:
// if a crash loses the last of it, a delivery is sent again, which
// at-least-once delivery allows; the events themselves were committed
// durably by the conversions. This takes an fsync off every delivery.
constexpr char kAsyncCommit[] = "SET LOCAL synchronous_commit = off";

const char* StatusFor(DeliveryOutcome outcome) {
  switch (outcome) {
    case DeliveryOutcome::kSucceeded:
      return "succeeded";
    case DeliveryOutcome::kRetry:
      return "pending";
    case DeliveryOutcome::kCanceled:
      return "canceled";
    default:
      return "failed";
  }
}

}  // namespace

absl::StatusOr<int> PgWebhookDispatchStore::FanOut(int max_events) {
  return pool_->InTransaction("webhook_fan_out", [&](Tx& tx) -> absl::StatusOr<int> {
    tx.ExecUnprepared(kAsyncCommit);
    return static_cast<int>(tx.Exec(kFanOut, max_events).affected_rows());
  });
}

absl::StatusOr<std::vector<ClaimedDelivery>> PgWebhookDispatchStore::Claim(
    int max, absl::Duration lease, int per_endpoint_cap) {
  const int64_t lease_ms = absl::ToInt64Milliseconds(lease);
  return pool_->InTransaction(
      "webhook_claim", [&](Tx& tx) -> absl::StatusOr<std::vector<ClaimedDelivery>> {
        tx.ExecUnprepared(kAsyncCommit);
        std::vector<ClaimedDelivery> claimed;
        for (const auto& row : tx.Exec(kClaim, max, lease_ms, per_endpoint_cap)) {
          ClaimedDelivery delivery;
          delivery.delivery_id = ReadText(row[0]);
          delivery.team_id = ReadText(row[1]);
          delivery.event_id = ReadText(row[2]);
          delivery.event_type = ReadText(row[3]);
          delivery.payload = ReadText(row[4]);
          delivery.endpoint_id = ReadText(row[5]);
          delivery.url = ReadText(row[6]);
          absl::StatusOr<std::string> secret = ReadWebhookSecret(
              keyring_, delivery.team_id, delivery.endpoint_id, row[7], row[10]);
          if (secret.ok()) {
            delivery.secret = *std::move(secret);
          } else {
            delivery.secret_unavailable = true;
            AFFONSO_LOG(kError, "webhook endpoint ", delivery.endpoint_id,
                        ": signing secret unavailable: ", secret.status().ToString());
          }
          delivery.attempt = row[8].as<int>();
          delivery.endpoint_active = row[9].as<bool>();
          claimed.push_back(std::move(delivery));
        }
        return claimed;
      });
}

absl::Status PgWebhookDispatchStore::Record(const AttemptRecord& record,
                                            absl::Duration disable_after) {
  const ClaimedDelivery& d = record.delivery;
  const std::string attempt_id = NewId("wha");
  const int64_t next_micros = absl::ToUnixMicros(record.next_attempt_at);
  return pool_->InTransaction("webhook_record", [&](Tx& tx) {
    tx.ExecUnprepared(kAsyncCommit);
    tx.Exec(kRecord, attempt_id, d.team_id, d.delivery_id, d.endpoint_id, d.event_id, d.attempt,
            record.status_code, record.error, StatusFor(record.outcome), record.duration_ms,
            record.response_excerpt, next_micros, record.outcome == DeliveryOutcome::kGone,
            absl::ToInt64Seconds(disable_after));
    return absl::OkStatus();
  });
}

absl::StatusOr<OutboxBacklog> PgWebhookDispatchStore::Backlog(int64_t count_cap) {
  return pool_->Autocommit("webhook_backlog", [&](Tx& tx) -> absl::StatusOr<OutboxBacklog> {
    const pqxx::row row = tx.Exec(kBacklog, count_cap)[0];
    OutboxBacklog backlog;
    backlog.events_pending = row[0].as<int64_t>();
    backlog.oldest_event_age_seconds = row[1].as<double>();
    backlog.deliveries_due = row[2].as<int64_t>();
    backlog.deliveries_waiting = row[3].as<int64_t>();
    backlog.oldest_due_age_seconds = row[4].as<double>();
    return backlog;
  });
}

}  // namespace affonso::storage

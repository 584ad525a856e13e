#include "storage/pg_webhook_dispatch_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/json_escape.h"
#include "common/log.h"
#include "common/untrusted_text.h"
#include "storage/pg_values.h"
#include "storage/webhook_secrets.h"

namespace affonso::storage {
namespace {

// $1 how many events at most.
constexpr Statement kFanOut{
    "webhook_fan_out",
    "WITH async_commit AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true)), "
    "ev AS ( "
    "  SELECT id, team_id, type FROM outbox_events WHERE dispatched_at IS NULL "
    "  ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED), "
    "fan AS ( "
    "  INSERT INTO webhook_deliveries (id, team_id, event_id, endpoint_id) "
    "  SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), ev.team_id, ev.id, e.id "
    "  FROM ev JOIN webhook_endpoints e ON e.team_id = ev.team_id AND e.enabled "
    "    AND e.deleted_at IS NULL AND ev.type = ANY (e.events) "
    "  ON CONFLICT (event_id, endpoint_id) DO NOTHING) "
    "UPDATE outbox_events o SET dispatched_at = now() FROM ev, async_commit WHERE o.id = ev.id"};

// $1 max, $2 lease ms, $3 per-endpoint cap, $4 per-team cap, $5 how many due
// deliveries to consider. Sends in flight are counted once per endpoint
// (a count per candidate row made a backlog of n deliveries to one endpoint
// cost n^2 row visits once that endpoint was at its cap); endpoints and teams
// at their cap are skipped in the scan itself. Among the candidates each
// endpoint and team gets what its cap leaves, and teams take turns: slot k of
// a team (its sends in flight plus its rank) goes before slot k + 1 of any
// other. A team whose candidates fill the window this time is at its cap the
// next, and its rows are skipped then. The candidates are locked SKIP LOCKED,
// so replicas claiming at the same moment take disjoint ones and never wait
// for each other (a claim walks past the due rows of teams at their cap, so it
// can take a while behind a big backlog); each reads the sends in flight
// committed before it, so together they can pass a cap by what the others
// are claiming at that moment.
// (Reading the candidates without a lock and locking only the chosen ones,
// SKIP LOCKED, was tried on 2026-12-04: `./dev bench`'s deliveries fell from
// 600/s to 11/s at 4 signup clients. Keep the lock in the scan.)
constexpr Statement kClaim{
    "webhook_claim",
    "WITH async_commit AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true)), "
    "claimed AS ( "
    "UPDATE webhook_deliveries d SET "
    "  lease_until = now() + $2 * interval '1 millisecond', "
    "  attempts = d.attempts + 1, updated_at = now() "
    "FROM async_commit "
    // The chosen ids as an array, computed once, and nothing else joined:
    // d is reached by its primary key whatever the planner thinks of the
    // table (joined to the endpoint, it walked all the endpoint's deliveries).
    "WHERE d.id = ANY (ARRAY( "
    "  WITH busy AS ( "
    "    SELECT endpoint_id, team_id, count(*) AS n FROM webhook_deliveries "
    "    WHERE status = 'pending' AND lease_until IS NOT NULL AND lease_until > now() "
    "    GROUP BY endpoint_id, team_id), "
    "  busy_team AS (SELECT team_id, sum(n)::bigint AS n FROM busy GROUP BY team_id), "
    // Endpoints and teams at their cap are filtered by hashed lookups, not
    // joins, so the scan walks webhook_deliveries_due in next_attempt_at
    // order and stops at its window: a join lost that order, and every claim
    // sorted the whole backlog (external merge, 185 ms at 58,000 due).
    "  due_locked AS ( "
    "    SELECT x.id, x.endpoint_id, x.team_id, x.next_attempt_at FROM webhook_deliveries x "
    "    WHERE x.status = 'pending' AND x.next_attempt_at <= now() "
    "      AND (x.lease_until IS NULL OR x.lease_until < now()) "
    "      AND x.endpoint_id NOT IN (SELECT endpoint_id FROM busy WHERE n >= $3) "
    "      AND x.team_id NOT IN (SELECT team_id FROM busy_team WHERE n >= $4) "
    "    ORDER BY x.next_attempt_at LIMIT $5 FOR UPDATE OF x SKIP LOCKED), "
    "  due AS ( "
    "    SELECT x.*, coalesce(be.n, 0) AS endpoint_busy, coalesce(bt.n, 0) AS team_busy "
    "    FROM due_locked x "
    "    LEFT JOIN busy be ON be.endpoint_id = x.endpoint_id "
    "    LEFT JOIN busy_team bt ON bt.team_id = x.team_id), "
    "  endpoint_slots AS ( "
    "    SELECT id, team_id, next_attempt_at, team_busy, endpoint_busy + row_number() OVER "
    "      (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS slot FROM due), "
    "  team_slots AS ( "
    "    SELECT id, next_attempt_at, team_busy + row_number() OVER "
    "      (PARTITION BY team_id ORDER BY next_attempt_at, id) AS slot "
    "    FROM endpoint_slots WHERE slot <= $3) "
    "  SELECT id FROM team_slots WHERE slot <= $4 "
    "  ORDER BY slot, next_attempt_at LIMIT $1)) "
    // No recheck of d's state here: due_locked locked each candidate after
    // rechecking it, so it is still pending and unleased. A recheck (and a
    // join to the chosen ids) let the planner, misled by statistics that lag
    // a backlog, scan every pending row for each candidate: 7.1 s a claim at
    // 100,000 due, 13 ms without.
    "RETURNING d.id, d.team_id, d.event_id, d.endpoint_id, d.attempts) "
    "SELECT c.id AS delivery_id, c.team_id, c.event_id, ev.type AS event_type, "
    "  ev.payload::text AS payload, e.id AS endpoint_id, e.url, e.secret, e.secret_sealed, "
    "  c.attempts, e.enabled AND e.deleted_at IS NULL AS endpoint_active, "
    "  EXTRACT(EPOCH FROM now() - ev.created_at)::float8 AS event_age_seconds "
    "FROM claimed c JOIN outbox_events ev ON ev.id = c.event_id "
    "  JOIN webhook_endpoints e ON e.id = c.endpoint_id"};

// $1 delivery ids, $2 their attempts (comma-separated: libpqxx 6.4 has no
// array parameters; ids never hold a comma), $3 lease ms. A delivery recorded
// or re-claimed by another (attempts moved on) is left alone, and so is one
// whose row another transaction holds (SKIP LOCKED): that is nearly always
// its record batch, which clears the lease anyway. Waiting instead made a
// deadlock with a record batch locking the same rows in another order, which
// PostgreSQL breaks only after deadlock_timeout (1 s), stalling the batch's
// sends that long. A skipped lease has two more extensions before it runs out.
constexpr Statement kExtendLeases{
    "webhook_extend_leases",
    "WITH mine AS ( "
    "  SELECT d.id FROM webhook_deliveries d "
    "  JOIN unnest(string_to_array($1, ','), string_to_array($2, ',')::int[]) AS h(id, attempt) "
    "    ON d.id = h.id AND d.attempts = h.attempt "
    "  WHERE d.status = 'pending' AND d.lease_until IS NOT NULL "
    "  FOR NO KEY UPDATE OF d SKIP LOCKED) "
    "UPDATE webhook_deliveries d SET lease_until = now() + $3 * interval '1 millisecond' "
    "FROM mine WHERE d.id = mine.id"};

// One statement: the delivery's next state, then, only if it was still ours
// to move, the attempt row and the endpoint's failure run. Answers how many
// deliveries it moved (0 or 1). $1 attempt id, $2 team, $3 delivery,
// $4 endpoint, $5 event, $6 attempt number, $7 HTTP status, $8 error,
// $9 the delivery's next status (succeeded / pending / failed / canceled),
// $10 duration ms, $11 response excerpt, $12 next attempt (epoch micros),
// $13 gone (disable now), $14 disable after this many seconds failing.
constexpr Statement kRecord{
    "webhook_record",
    "WITH d AS ( "
    "  UPDATE webhook_deliveries SET status = $9, lease_until = NULL, updated_at = now(), "
    "    next_attempt_at = CASE WHEN $9 = 'pending' "
    "      THEN timestamptz 'epoch' + $12::bigint * interval '1 microsecond' "
    "      ELSE next_attempt_at END "
    // A delivery canceled (endpoint deleted), re-claimed (our lease ran
    // out) or redelivered meanwhile is not ours to move any more.
    "  WHERE id = $3 AND status = 'pending' AND attempts = $6::int RETURNING id), "
    "a AS ( "
    "  INSERT INTO webhook_attempts (id, team_id, delivery_id, endpoint_id, event_id, attempt, "
    "    status_code, error, duration_ms, response_excerpt, next_retry_at) "
    "  SELECT $1, $2, $3, $4, $5, $6, $7, $8, $10, $11, "
    "    CASE WHEN $9 = 'pending' THEN timestamptz 'epoch' + $12::bigint * interval '1 "
    "microsecond' END "
    "  WHERE $9 <> 'canceled' AND EXISTS (SELECT 1 FROM d)), "
    "e AS ( "
    "UPDATE webhook_endpoints SET "
    "  failing_since = CASE WHEN $9 = 'succeeded' THEN NULL "
    "    WHEN $9 = 'canceled' THEN failing_since ELSE COALESCE(failing_since, now()) END, "
    "  enabled = CASE WHEN $13 THEN false "
    "    WHEN $9 NOT IN ('succeeded', 'canceled') AND failing_since < now() - $14 * interval '1 "
    "second' "
    "    THEN false ELSE enabled END, "
    "  disabled_reason = CASE WHEN $13 THEN 'gone' "
    "    WHEN $9 NOT IN ('succeeded', 'canceled') AND failing_since < now() - $14 * interval '1 "
    "second' "
    "    THEN 'failing' ELSE disabled_reason END, "
    "  updated_at = now() "
    // Only when its state changes: a success on a healthy endpoint (the
    // common case) takes no lock on the endpoint row, which every delivery to
    // that endpoint would otherwise queue on.
    "WHERE id = $4 AND EXISTS (SELECT 1 FROM d) "
    "  AND ($13 OR ($9 = 'succeeded' AND failing_since IS NOT NULL) "
    "  OR $9 NOT IN ('succeeded', 'canceled'))) "
    "SELECT count(*) AS moved FROM d"};

// Record for a batch, in one statement. $1 a JSON array of records (libpqxx
// 6.4 has no array parameters), each with seq (its order in the batch),
// attempt_id, team_id, delivery_id, endpoint_id, event_id, attempt,
// status_code, error, status (the delivery's next), duration_ms, excerpt,
// next_micros (next attempt, epoch micros) and gone; $2 disable after this
// many seconds failing. Answers the ids of the deliveries it moved. An
// endpoint's failure run follows its last outcome in the batch (a success
// before a failure restarts the run); a success on a healthy endpoint takes
// no lock on its row. Endpoint rows are locked in id order, so two batches
// touching the same endpoints cannot deadlock, and FOR NO KEY UPDATE (what
// the UPDATE takes anyway), which leaves the attempt rows' foreign-key checks
// (KEY SHARE) free to go on.
constexpr Statement kRecordBatch{
    "webhook_record_batch",
    "WITH async_commit AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true)), "
    "r AS ( "
    "  SELECT r.* FROM async_commit, json_to_recordset($1::json) AS r(seq int, attempt_id text, "
    "    team_id text, delivery_id text, endpoint_id text, event_id text, attempt int, "
    "    status_code int, error text, status text, duration_ms int, excerpt text, "
    "    next_micros bigint, gone bool)), "
    "d AS ( "
    "  UPDATE webhook_deliveries w SET status = r.status, lease_until = NULL, "
    "    updated_at = now(), next_attempt_at = CASE WHEN r.status = 'pending' "
    "      THEN timestamptz 'epoch' + r.next_micros * interval '1 microsecond' "
    "      ELSE w.next_attempt_at END "
    "  FROM r WHERE w.id = r.delivery_id AND w.team_id = r.team_id "
    "    AND w.status = 'pending' AND w.attempts = r.attempt "
    "  RETURNING w.id), "
    "moved AS (SELECT r.* FROM r JOIN d ON d.id = r.delivery_id), "
    "a AS ( "
    "  INSERT INTO webhook_attempts (id, team_id, delivery_id, endpoint_id, event_id, attempt, "
    "    status_code, error, duration_ms, response_excerpt, next_retry_at) "
    "  SELECT attempt_id, team_id, delivery_id, endpoint_id, event_id, attempt, status_code, "
    "    error, duration_ms, excerpt, CASE WHEN status = 'pending' "
    "      THEN timestamptz 'epoch' + next_micros * interval '1 microsecond' END "
    "  FROM moved WHERE status <> 'canceled'), "
    "p AS ( "
    "  SELECT endpoint_id, team_id, bool_or(gone) AS gone, "
    "    bool_or(status = 'succeeded') AS any_ok, bool_or(status <> 'succeeded') AS any_failed, "
    "    (array_agg(status ORDER BY seq DESC))[1] = 'succeeded' AS last_ok "
    "  FROM moved WHERE status <> 'canceled' GROUP BY endpoint_id, team_id), "
    "locked AS ( "
    "  SELECT x.id, p.gone, p.any_ok, p.last_ok, "
    "    NOT p.last_ok AND NOT p.any_ok "
    "      AND x.failing_since < now() - $2 * interval '1 second' AS too_long "
    "  FROM webhook_endpoints x JOIN p ON p.endpoint_id = x.id AND p.team_id = x.team_id "
    "  WHERE p.gone OR p.any_failed OR x.failing_since IS NOT NULL "
    "  ORDER BY x.id FOR NO KEY UPDATE OF x), "
    "e AS ( "
    "  UPDATE webhook_endpoints x SET "
    "    failing_since = CASE WHEN l.last_ok THEN NULL WHEN l.any_ok THEN now() "
    "      ELSE COALESCE(x.failing_since, now()) END, "
    "    enabled = CASE WHEN l.gone OR l.too_long THEN false ELSE x.enabled END, "
    "    disabled_reason = CASE WHEN l.gone THEN 'gone' WHEN l.too_long THEN 'failing' "
    "      ELSE x.disabled_reason END, "
    "    updated_at = now() "
    "  FROM locked l WHERE x.id = l.id) "
    "SELECT delivery_id FROM moved"};

// Record's fallback: ids, a status and a time, nothing a receiver sent.
// $1 delivery, $2 next status, $3 attempt number, $4 next attempt (epoch
// micros).
constexpr Statement kRecordOutcomeOnly{
    "webhook_record_outcome_only",
    "UPDATE webhook_deliveries SET status = $2, lease_until = NULL, updated_at = now(), "
    "  next_attempt_at = CASE WHEN $2 = 'pending' "
    "    THEN timestamptz 'epoch' + $4::bigint * interval '1 microsecond' "
    "    ELSE next_attempt_at END "
    "WHERE id = $1 AND status = 'pending' AND attempts = $3"};

// Each part is an index-only scan of a partial index
// (outbox_events_undispatched, webhook_deliveries_due): min() reads one
// entry, the counts at most $1 (the cap).
constexpr Statement kBacklog{
    "webhook_backlog",
    "SELECT "
    "  (SELECT count(*) FROM (SELECT 1 FROM outbox_events WHERE dispatched_at IS NULL "
    "     LIMIT $1) x) AS events_pending, "
    "  (SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 "
    "     FROM outbox_events WHERE dispatched_at IS NULL) AS oldest_event_age_seconds, "
    "  (SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries WHERE status = 'pending' "
    "     AND next_attempt_at <= now() LIMIT $1) x) AS deliveries_due, "
    "  (SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries WHERE status = 'pending' "
    "     AND next_attempt_at > now() LIMIT $1) x) AS deliveries_waiting, "
    "  (SELECT GREATEST(COALESCE(EXTRACT(EPOCH FROM now() - min(next_attempt_at)), 0), 0)::float8 "
    "     FROM webhook_deliveries WHERE status = 'pending') AS oldest_due_age_seconds"};

// The dispatcher's own bookkeeping commits without waiting for the WAL flush:
// if a crash loses the last of it, a delivery is sent again, which
// at-least-once delivery allows; the events themselves were committed
// durably by the conversions. This takes an fsync off every delivery.
constexpr char kAsyncCommit[] = "SET LOCAL synchronous_commit = off";

// The claim, the lease extension and the record reach webhook_deliveries by
// its indexes, in index order, whatever the statistics say. They lag:
// prepared in a fresh database, the claim's cached plan assumed an empty
// table and scanned all of it (350 ms at 22,000 rows, 1.3 s a few seconds
// later, in `./dev bench`); sampled while deliveries were nearly all
// succeeded, they estimate a sudden backlog of pending ones at a few rows, and
// the planner took a bitmap scan of every due row and a sort (185 ms at 58,000
// due, against 3 ms in index order). Set in each statement's own transaction
// (one round trip for both): their plans are only ever made under it.
constexpr char kIndexPathsOnly[] =
    "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off";

constexpr size_t kMaxErrorBytes = 500;
constexpr size_t kMaxExcerptBytes = 2048;

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

// FanOut, Claim, ExtendLeases and RecordBatch are one statement each. FanOut
// runs without a transaction block (no BEGIN / COMMIT round trips); the others
// are in one only for their planner settings (kIndexPathsOnly). Nothing is
// locked beyond the statement's own transaction. Each commits without waiting
// for the WAL flush, as kAsyncCommit below says why: their async_commit CTE
// sets it for the transaction (set_config's is_local), and is joined so that
// it runs whenever the statement changes a row.
absl::StatusOr<int> PgWebhookDispatchStore::FanOut(int max_events) {
  return pool_->Autocommit("webhook_fan_out", [&](Tx& tx) -> absl::StatusOr<int> {
    return static_cast<int>(tx.Exec(kFanOut, max_events).affected_rows());
  });
}

absl::StatusOr<std::vector<ClaimedDelivery>> PgWebhookDispatchStore::Claim(int max,
                                                                           absl::Duration lease,
                                                                           const ClaimCaps& caps) {
  const int64_t lease_ms = absl::ToInt64Milliseconds(lease);
  // Enough candidates for every team in them to fill its share. Each is
  // locked, so not many more: a window of 8 x 512 locked 4,096 rows to take
  // 512 from one endpoint's backlog.
  const int window = std::max(4 * max, 128);
  return pool_->InTransaction(
      "webhook_claim", [&](Tx& tx) -> absl::StatusOr<std::vector<ClaimedDelivery>> {
        tx.ExecUnprepared(kIndexPathsOnly);
        std::vector<ClaimedDelivery> claimed;
        const absl::Time claimed_at = absl::Now();
        for (const auto& row :
             tx.Exec(kClaim, max, lease_ms, caps.per_endpoint, caps.per_team, window)) {
          ClaimedDelivery delivery;
          delivery.delivery_id = ReadText(row["delivery_id"]);
          delivery.team_id = ReadText(row["team_id"]);
          delivery.event_id = ReadText(row["event_id"]);
          delivery.event_type = ReadText(row["event_type"]);
          delivery.payload = ReadText(row["payload"]);
          delivery.endpoint_id = ReadText(row["endpoint_id"]);
          delivery.url = ReadText(row["url"]);
          // The signing secret, as the endpoint row holds it: sealed, or
          // plaintext from before encryption was configured.
          absl::StatusOr<std::string> secret =
              ReadWebhookSecret(keyring_, delivery.team_id, delivery.endpoint_id, row["secret"],
                                row["secret_sealed"]);
          if (secret.ok()) {
            delivery.secret = *std::move(secret);
          } else {
            delivery.secret_unavailable = true;
            AFFONSO_LOG(kError, "webhook endpoint ", delivery.endpoint_id,
                        ": signing secret unavailable: ", secret.status().ToString());
          }
          delivery.attempt = row["attempts"].as<int>();
          delivery.endpoint_active = row["endpoint_active"].as<bool>();
          delivery.event_created_at =
              claimed_at - absl::Seconds(row["event_age_seconds"].as<double>());
          claimed.push_back(std::move(delivery));
        }
        return claimed;
      });
}

absl::StatusOr<int> PgWebhookDispatchStore::ExtendLeases(const std::vector<HeldLease>& held,
                                                         absl::Duration lease) {
  if (held.empty()) return 0;
  std::string ids, attempts;
  for (const HeldLease& lease_held : held) {
    absl::StrAppend(&ids, ids.empty() ? "" : ",", lease_held.delivery_id);
    absl::StrAppend(&attempts, attempts.empty() ? "" : ",", lease_held.attempt);
  }
  const int64_t lease_ms = absl::ToInt64Milliseconds(lease);
  return pool_->InTransaction("webhook_extend_leases", [&](Tx& tx) -> absl::StatusOr<int> {
    tx.ExecUnprepared(kIndexPathsOnly);
    return static_cast<int>(tx.Exec(kExtendLeases, ids, attempts, lease_ms).affected_rows());
  });
}

absl::Status PgWebhookDispatchStore::Record(const AttemptRecord& record,
                                            absl::Duration disable_after) {
  const ClaimedDelivery& d = record.delivery;
  const std::string attempt_id = NewId("wha");
  const int64_t next_micros = absl::ToUnixMicros(record.next_attempt_at);
  // Whoever filled the record, what a receiver sent cannot make this fail.
  const std::string error = SanitizeUntrustedText(record.error, kMaxErrorBytes);
  const std::string excerpt = SanitizeUntrustedText(record.response_excerpt, kMaxExcerptBytes);
  return pool_->InTransaction("webhook_record", [&](Tx& tx) {
    tx.ExecUnprepared(kAsyncCommit);
    const pqxx::result moved = tx.Exec(
        kRecord, attempt_id, d.team_id, d.delivery_id, d.endpoint_id, d.event_id, d.attempt,
        record.status_code, error, StatusFor(record.outcome), record.duration_ms, excerpt,
        next_micros, record.outcome == DeliveryOutcome::kGone, absl::ToInt64Seconds(disable_after));
    if (moved[0]["moved"].as<int64_t>() == 0) {
      return absl::FailedPreconditionError(
          "the delivery's lease was lost (re-claimed, redelivered or canceled)");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::string>> PgWebhookDispatchStore::RecordBatch(
    const std::vector<AttemptRecord>& records, absl::Duration disable_after) {
  if (records.empty()) return std::vector<std::string>();
  std::string json = "[";
  int seq = 0;
  for (const AttemptRecord& record : records) {
    const ClaimedDelivery& d = record.delivery;
    // Whoever filled the record, what a receiver sent cannot make this fail
    // (and JsonEscape makes any bytes valid JSON).
    absl::StrAppend(
        &json, seq == 0 ? "" : ",", "{\"seq\":", seq, ",\"attempt_id\":", JsonEscape(NewId("wha")),
        ",\"team_id\":", JsonEscape(d.team_id), ",\"delivery_id\":", JsonEscape(d.delivery_id),
        ",\"endpoint_id\":", JsonEscape(d.endpoint_id), ",\"event_id\":", JsonEscape(d.event_id),
        ",\"attempt\":", d.attempt, ",\"status_code\":", record.status_code,
        ",\"error\":", JsonEscape(SanitizeUntrustedText(record.error, kMaxErrorBytes)),
        ",\"status\":", JsonEscape(StatusFor(record.outcome)),
        ",\"duration_ms\":", record.duration_ms, ",\"excerpt\":",
        JsonEscape(SanitizeUntrustedText(record.response_excerpt, kMaxExcerptBytes)),
        ",\"next_micros\":", absl::ToUnixMicros(record.next_attempt_at),
        ",\"gone\":", record.outcome == DeliveryOutcome::kGone ? "true" : "false", "}");
    ++seq;
  }
  json += "]";
  return pool_->InTransaction(
      "webhook_record_batch", [&](Tx& tx) -> absl::StatusOr<std::vector<std::string>> {
        tx.ExecUnprepared(kIndexPathsOnly);
        std::vector<std::string> moved;
        for (const auto& row : tx.Exec(kRecordBatch, json, absl::ToInt64Seconds(disable_after))) {
          moved.push_back(ReadText(row["delivery_id"]));
        }
        return moved;
      });
}

absl::Status PgWebhookDispatchStore::RecordOutcomeOnly(const AttemptRecord& record) {
  const int64_t next_micros = absl::ToUnixMicros(record.next_attempt_at);
  return pool_->Autocommit("webhook_record_outcome_only", [&](Tx& tx) {
    tx.Exec(kRecordOutcomeOnly, record.delivery.delivery_id, StatusFor(record.outcome),
            record.delivery.attempt, next_micros);
    return absl::OkStatus();
  });
}

absl::StatusOr<OutboxBacklog> PgWebhookDispatchStore::Backlog(int64_t count_cap) {
  return pool_->Autocommit("webhook_backlog", [&](Tx& tx) -> absl::StatusOr<OutboxBacklog> {
    const pqxx::row row = tx.Exec(kBacklog, count_cap)[0];
    OutboxBacklog backlog;
    backlog.events_pending = row["events_pending"].as<int64_t>();
    backlog.oldest_event_age_seconds = row["oldest_event_age_seconds"].as<double>();
    backlog.deliveries_due = row["deliveries_due"].as<int64_t>();
    backlog.deliveries_waiting = row["deliveries_waiting"].as<int64_t>();
    backlog.oldest_due_age_seconds = row["oldest_due_age_seconds"].as<double>();
    return backlog;
  });
}

}  // namespace affonso::storage

#!/usr/bin/env bash
# The body of `./dev crash-test` (which installs, builds and starts a
# throwaway PostgreSQL): a steady REST click + signup load, with webhooks
# (every event the load causes) and pay-per-lead commissions on, and
# after each signup a sale (POST /v1/conversions, retried until acknowledged,
# then repeated once) and on every other one a partial refund, while the
# server is killed with SIGKILL at random moments and restarted. Then it
# checks, and prints the counts it checked:
#   - every signup answered 2xx is stored (by its click id);
#   - every conversion and refund answered 2xx is stored, none twice, each
#     repeat answered as a replay, and every sale commission equals 10% of
#     what remains of its sale (recomputed from the rows);
#   - no commission without its referral, none twice for one referral;
#   - every committed event was delivered at least once;
#   - no click converted twice.
#
# Env: ADMIN_URL (postgresql://.../postgres), BIN (bazel-bin), PG_BIN,
#      KILLS (5), LOAD_SECONDS (40), CONCURRENCY (16), SEED (random).
set -euo pipefail

KILLS=${KILLS:-5}
LOAD_SECONDS=${LOAD_SECONDS:-40}
CONCURRENCY=${CONCURRENCY:-16}
SEED=${SEED:-$RANDOM}
RANDOM=$SEED
GRPC_PORT=20095 HTTP_PORT=8095 HOOK_PORT=8096
SERVER_PID= LOAD_PID= RECEIVER_PID=
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
running_pids() { echo $SERVER_PID $LOAD_PID $RECEIVER_PID; }

ops_begin crash
psql_db <<SQL
INSERT INTO incentives (id, team_id, program_id, group_id, name, type, amount)
  SELECT 'inc_crash', '$TEAM_ID', '$PROGRAM_ID', id, 'Lead bonus', 'lead', 5
  FROM affiliate_groups WHERE program_id = '$PROGRAM_ID' AND is_default;
INSERT INTO incentives (id, team_id, program_id, group_id, name, type, amount, is_percentage)
  SELECT 'inc_crash_sale', '$TEAM_ID', '$PROGRAM_ID', id, 'Sales', 'sale', 10, true
  FROM affiliate_groups WHERE program_id = '$PROGRAM_ID' AND is_default;
INSERT INTO webhook_endpoints (id, team_id, url, events, secret)
  VALUES ('whk_crash', '$TEAM_ID', 'http://127.0.0.1:$HOOK_PORT/hooks',
          '{referral.lead,referral.converted,transaction.created,transaction.updated}',
          'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
SQL

start_receiver "$HOOK_PORT"

start_server() {
  DATABASE_URL=$DB_URL "$BIN/services/server/affonso_server" --grpc_port="$GRPC_PORT" \
    --http_port="$HTTP_PORT" --metrics_port=0 --webhook_allow_private \
    --webhook_timeout_ms=2000 --webhook_lease_ms=4000 --shutdown_drain_delay_ms=0 \
    --log_level=warning >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "$HTTP_PORT" "$WORK/server.log"
}

start_server
echo "$(stamp) load: $CONCURRENCY workers for ${LOAD_SECONDS}s; $KILLS kills (seed $SEED)"
"$BIN/tools/ops/rolling_load" --name=crash_load --targets="127.0.0.1:$HTTP_PORT" --api_key="$API_KEY" \
  --program_id="$PROGRAM_ID" --tracking_id="$(json_get "$DEMO" tracking_id)" \
  --concurrency="$CONCURRENCY" --seconds="$LOAD_SECONDS" --ack_file="$WORK/acked.ids" \
  --conversions --conversion_ack_file="$WORK/sales.ids" --refund_ack_file="$WORK/refunds.ids" \
  --expect_failures >"$WORK/load.out" 2>"$WORK/load.err" &
LOAD_PID=$!

# Kill k at a random moment of the k-th of KILLS + 1 equal slices of the
# load (never in the last one), so every kill lands under load.
LOAD_START_MS=$(now_ms)
slice=$((LOAD_SECONDS * 1000 / (KILLS + 1)))
for ((k = 1; k <= KILLS; k++)); do
  target=$(((k - 1) * slice + slice / 4 + RANDOM % (slice / 2)))
  wait_ms=$((target - ($(now_ms) - LOAD_START_MS)))
  ((wait_ms <= 0)) || sleep "$(awk -v ms="$wait_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
  kill -0 "$LOAD_PID" 2>/dev/null || { echo "FAIL: kill $k would come after the load"; exit 1; }
  kill -KILL "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  echo "$(stamp) SIGKILL $k of $KILLS"
  start_server
done
wait "$LOAD_PID" || true
LOAD_PID=
grep '^RESULT' "$WORK/load.out"

# Let the dispatcher finish: leases of killed sends run out, retries land.
for ((waited = 0; waited < 300; waited++)); do
  pending=$(psql_db -c "SELECT (SELECT count(*) FROM webhook_deliveries WHERE status <> 'succeeded')
    + (SELECT count(*) FROM outbox_events WHERE dispatched_at IS NULL)")
  ((pending == 0)) && break
  ((waited % 10 == 0)) && echo "$(stamp) webhook backlog: $pending" \
    "($(psql_db -c "SELECT string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n
       FROM webhook_deliveries GROUP BY status) t"))"
  sleep 1
done

psql_db -c "CREATE TEMP TABLE acked (click_id text)" \
  -c "\\copy acked FROM '$WORK/acked.ids'" \
  -c "CREATE TEMP TABLE delivered (event_id text)" \
  -c "\\copy delivered FROM '$WORK/delivered.ids'" \
  -c "SELECT
  (SELECT count(*) FROM acked),
  (SELECT count(*) FROM acked a LEFT JOIN referrals r ON r.click_id = a.click_id WHERE r.id IS NULL),
  (SELECT count(*) FROM referrals),
  (SELECT count(*) FROM commissions),
  (SELECT count(*) FROM commissions c LEFT JOIN referrals r ON r.id = c.referral_id WHERE r.id IS NULL),
  (SELECT count(*) FROM (SELECT referral_id FROM commissions WHERE earning_type = 'lead'
     GROUP BY referral_id HAVING count(*) > 1) t),
  (SELECT count(*) FROM referrals r WHERE r.status IN ('lead', 'active') AND NOT EXISTS (
     SELECT 1 FROM commissions c WHERE c.referral_id = r.id AND c.earning_type = 'lead')),
  (SELECT count(*) FROM outbox_events),
  (SELECT count(*) FROM outbox_events e WHERE NOT EXISTS (SELECT 1 FROM delivered d WHERE d.event_id = e.id)),
  (SELECT count(*) FROM delivered),
  (SELECT count(DISTINCT event_id) FROM delivered),
  (SELECT count(*) FROM (SELECT click_id FROM referrals WHERE click_id IS NOT NULL
     GROUP BY click_id HAVING count(*) > 1) t)" | tr '|' ' ' >"$WORK/counts"
read -r ACKED MISSING REFERRALS COMMISSIONS ORPHANS DOUBLES UNPAID EVENTS UNDELIVERED \
  DELIVERIES DISTINCT TWICE <"$WORK/counts"

# Sales and refunds: each acknowledged one stored once, every sale commission
# 10% of what remains of its sale, every refund counted once in it.
psql_db -c "CREATE TEMP TABLE sales (event_id text)" -c "\\copy sales FROM '$WORK/sales.ids'" \
  -c "CREATE TEMP TABLE refunds (event_id text)" -c "\\copy refunds FROM '$WORK/refunds.ids'" \
  -c "SELECT
  (SELECT count(*) FROM sales),
  (SELECT count(*) FROM sales s WHERE NOT EXISTS (
     SELECT 1 FROM commissions c WHERE c.external_event_id = s.event_id)),
  (SELECT count(*) FROM commissions WHERE earning_type = 'sale'),
  (SELECT count(*) FROM refunds),
  (SELECT count(*) FROM refunds f WHERE NOT EXISTS (
     SELECT 1 FROM conversion_refunds r WHERE r.external_event_id = f.event_id)),
  (SELECT count(*) FROM commissions c WHERE c.earning_type = 'sale'
     AND c.commission_amount <> round(0.10 * (c.sale_amount - c.refunded_amount), 2)),
  (SELECT count(*) FROM commissions c WHERE c.earning_type = 'sale' AND c.refunded_amount <>
     (SELECT coalesce(sum(r.amount), 0) FROM conversion_refunds r WHERE r.commission_id = c.id)),
  (SELECT count(*) FROM commissions c WHERE c.earning_type = 'sale' AND c.refunded_amount > 10)" |
  tr '|' ' ' >"$WORK/sale_counts"
read -r SALES SALES_MISSING SALE_COMMISSIONS REFUNDS REFUNDS_MISSING MISCOMPUTED UNBALANCED \
  REFUNDED_TWICE <"$WORK/sale_counts"
NOT_REPLAYED=$(sed -n 's/^FAILURE count=\([0-9]*\) a repeated conversion was not answered as replayed.*/\1/p' \
  "$WORK/load.out")
NOT_REPLAYED=${NOT_REPLAYED:-0}

echo "signups acknowledged (2xx):         $ACKED, missing from the database: $MISSING"
echo "referrals stored:                   $REFERRALS (some unacknowledged: cut by a kill)"
echo "commissions:                        $COMMISSIONS, without their referral: $ORPHANS, twice for one referral: $DOUBLES"
echo "lead referrals without commission:  $UNPAID"
echo "events committed:                   $EVENTS, never delivered: $UNDELIVERED"
echo "deliveries received:                $DELIVERIES ($DISTINCT distinct events; repeats are at-least-once)"
echo "clicks converted twice:             $TWICE"
echo "sales acknowledged (2xx):           $SALES, missing: $SALES_MISSING; sale commissions: $SALE_COMMISSIONS"
echo "refunds acknowledged (2xx):         $REFUNDS, missing: $REFUNDS_MISSING, applied twice: $REFUNDED_TWICE"
echo "sale commissions not 10% of what remains: $MISCOMPUTED; refunded amount not the refunds' sum: $UNBALANCED"
echo "repeated sales not answered replayed: $NOT_REPLAYED"
echo "server kills:                       $KILLS"

STATUS=0
((ACKED > 0)) || { echo "FAIL: nothing was acknowledged"; STATUS=1; }
((MISSING == 0)) || { echo "FAIL: acknowledged signups lost"; STATUS=1; }
((ORPHANS == 0 && DOUBLES == 0)) || { echo "FAIL: commission invariants"; STATUS=1; }
((UNPAID == 0)) || { echo "FAIL: a lead without its pay-per-lead commission"; STATUS=1; }
((UNDELIVERED == 0)) || { echo "FAIL: committed events never delivered"; STATUS=1; }
((TWICE == 0)) || { echo "FAIL: a click converted twice"; STATUS=1; }
((SALES > 0 && REFUNDS > 0)) || { echo "FAIL: no sale or no refund was acknowledged"; STATUS=1; }
((SALES_MISSING == 0 && REFUNDS_MISSING == 0)) || { echo "FAIL: acknowledged sales or refunds lost"; STATUS=1; }
((SALE_COMMISSIONS <= SALES + CONCURRENCY)) || { echo "FAIL: more sale commissions than sales sent"; STATUS=1; }
((MISCOMPUTED == 0 && UNBALANCED == 0 && REFUNDED_TWICE == 0)) || { echo "FAIL: sale money invariants"; STATUS=1; }
((NOT_REPLAYED == 0)) || { echo "FAIL: a repeated sale was not answered as a replay"; STATUS=1; }
((STATUS == 0)) && echo "PASS: nothing acknowledged was lost across $KILLS SIGKILLs (signups, sales, refunds)"
((STATUS == 0)) || { echo "-- server log (last lines):"; tail -20 "$WORK/server.log"; }
exit "$STATUS"

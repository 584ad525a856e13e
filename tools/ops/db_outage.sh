#!/usr/bin/env bash
# The body of `./dev db-outage` (which installs, builds and starts a
# throwaway PostgreSQL): REST click + signup load with a webhook endpoint,
# PostgreSQL stopped (pg_ctl stop -m fast) for OUTAGE_SECONDS and started
# again. Passes when, meanwhile, every failed call was a 503 answered fast
# (no 500, no hang, no crash), calls succeed again within RECOVERY_SECONDS of
# the restart and keep succeeding, every acknowledged signup is stored, and
# the dispatcher delivers every event after the outage.
#
# Env: ADMIN_URL, BIN, PG_BIN, PG_STOP, PG_START (commands),
#      OUTAGE_SECONDS (5), RECOVERY_SECONDS (2), CONCURRENCY (16).
set -euo pipefail

OUTAGE_SECONDS=${OUTAGE_SECONDS:-5}
RECOVERY_SECONDS=${RECOVERY_SECONDS:-2}
CONCURRENCY=${CONCURRENCY:-16}
LOAD_SECONDS=$((OUTAGE_SECONDS + 16))
HTTP_PORT=8097 GRPC_PORT=20097 HOOK_PORT=8098
SERVER_PID= LOAD_PID= RECEIVER_PID=
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
running_pids() { echo $SERVER_PID $LOAD_PID $RECEIVER_PID; }

ops_begin outage
psql_db <<SQL
INSERT INTO webhook_endpoints (id, team_id, url, events, secret)
  VALUES ('whk_outage', '$TEAM_ID', 'http://127.0.0.1:$HOOK_PORT/hooks', '{referral.lead}',
          'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
SQL
start_receiver "$HOOK_PORT"

DATABASE_URL=$DB_URL "$BIN/services/server/affonso_server" --grpc_port="$GRPC_PORT" \
  --http_port="$HTTP_PORT" --metrics_port=0 --webhook_allow_private --log_level=warning \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
wait_ready "$HTTP_PORT" "$WORK/server.log"

START_MS=$(now_ms)
"$BIN/tools/ops/rolling_load" --name=db_outage --targets="127.0.0.1:$HTTP_PORT" --api_key="$API_KEY" \
  --program_id="$PROGRAM_ID" --tracking_id="$(json_get "$DEMO" tracking_id)" \
  --concurrency="$CONCURRENCY" --seconds="$LOAD_SECONDS" --timeline --expect_failures \
  --ack_file="$WORK/acked.ids" --timeout_ms=30000 >"$WORK/load.out" 2>"$WORK/load.err" &
LOAD_PID=$!
sleep 5
echo "$(stamp) stopping PostgreSQL"
$PG_STOP
DOWN_S=$((($(now_ms) - START_MS) / 1000))
sleep "$OUTAGE_SECONDS"
echo "$(stamp) starting PostgreSQL"
$PG_START
UP_S=$((($(now_ms) - START_MS) / 1000))
wait "$LOAD_PID" || true
LOAD_PID=

echo "seconds (t=0 at load start; database down at t=$DOWN_S, back at t=$UP_S):"
grep '^SECOND' "$WORK/load.out" | sed 's/^SECOND /  /'
RESULT=$(grep '^RESULT' "$WORK/load.out")
echo "$RESULT"
grep '^FAILURE' "$WORK/load.out" | sort -t= -k2 -rn | head -5 || true
value() { sed -En "s/(^|.* )$1=([0-9]+).*/\2/p" <<<"$2"; }

# First second from the restart on with an OK, and any failure after the
# recovery window.
FIRST_OK=-1 LATE_FAILURES=0 OTHER_FAILURES=0 OUTAGE_503=0
while read -r line; do
  t=$(value t "$line")
  failed=$(($(value 503 "$line") + $(value other_5xx "$line") + $(value 4xx "$line") + $(value no_answer "$line")))
  OTHER_FAILURES=$((OTHER_FAILURES + $(value other_5xx "$line") + $(value 4xx "$line") + $(value no_answer "$line")))
  if ((t >= UP_S && FIRST_OK < 0 && $(value ok "$line") > 0)); then FIRST_OK=$t; fi
  if ((t > UP_S + RECOVERY_SECONDS)); then LATE_FAILURES=$((LATE_FAILURES + failed)); fi
  if ((t > DOWN_S && t < UP_S)); then OUTAGE_503=$((OUTAGE_503 + $(value 503 "$line"))); fi
done < <(grep '^SECOND' "$WORK/load.out" | sed 's/^SECOND / /')

# The dispatcher catches up on its own.
for _ in $(seq 60); do
  pending=$(psql_db -c "SELECT (SELECT count(*) FROM webhook_deliveries WHERE status <> 'succeeded')
    + (SELECT count(*) FROM outbox_events WHERE dispatched_at IS NULL)")
  ((pending == 0)) && break
  sleep 1
done
psql_db -c "CREATE TEMP TABLE acked (click_id text)" -c "\\copy acked FROM '$WORK/acked.ids'" \
  -c "CREATE TEMP TABLE delivered (event_id text)" -c "\\copy delivered FROM '$WORK/delivered.ids'" \
  -c "SELECT (SELECT count(*) FROM acked a LEFT JOIN referrals r ON r.click_id = a.click_id
              WHERE r.id IS NULL),
             (SELECT count(*) FROM outbox_events e
              WHERE NOT EXISTS (SELECT 1 FROM delivered d WHERE d.event_id = e.id)),
             (SELECT count(*) FROM outbox_events)" | tr '|' ' ' >"$WORK/counts"
read -r MISSING UNDELIVERED EVENTS <"$WORK/counts"

SLOWEST=$(value slowest_failure_ms "$RESULT")
echo "failed calls other than 503: $OTHER_FAILURES; slowest failed call: ${SLOWEST} ms"
echo "first success $((FIRST_OK - UP_S)) s after the restart; failures after t=$((UP_S + RECOVERY_SECONDS)): $LATE_FAILURES"
echo "acknowledged signups missing: $MISSING; events $EVENTS, undelivered after the outage: $UNDELIVERED"

STATUS=0
kill -0 "$SERVER_PID" 2>/dev/null || { echo "FAIL: the server died"; STATUS=1; }
((OUTAGE_503 > 0)) || { echo "FAIL: no 503 while the database was down: was it?"; STATUS=1; }
((OTHER_FAILURES == 0)) || { echo "FAIL: failures other than 503"; STATUS=1; }
((SLOWEST < 5000)) || { echo "FAIL: a failed call took ${SLOWEST} ms"; STATUS=1; }
((FIRST_OK >= 0 && FIRST_OK - UP_S <= RECOVERY_SECONDS)) || { echo "FAIL: slow recovery"; STATUS=1; }
((LATE_FAILURES == 0)) || { echo "FAIL: failures after recovery"; STATUS=1; }
((MISSING == 0 && UNDELIVERED == 0)) || { echo "FAIL: lost writes or events"; STATUS=1; }
((STATUS == 0)) && echo "PASS: ${OUTAGE_SECONDS}s outage: only fast 503s, recovered by itself"
((STATUS == 0)) || { echo "-- server log:"; tail -15 "$WORK/server.log"; }
exit "$STATUS"

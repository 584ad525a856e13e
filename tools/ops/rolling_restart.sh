#!/usr/bin/env bash
# The body of `./dev rolling-restart` (which installs, builds and starts a
# throwaway PostgreSQL): two replicas behind a readiness-aware client, REST
# click + signup load, and each replica in turn restarted with SIGTERM while
# the load runs. Passes only if no request failed and every acknowledged
# click and signup is in the database.
#
# Env: ADMIN_URL (postgresql://.../postgres), BIN (bazel-bin), PG_BIN,
#      LOAD_SECONDS (30), CONCURRENCY (16), DRAIN_DELAY_MS (2000).
set -euo pipefail

LOAD_SECONDS=${LOAD_SECONDS:-30}
CONCURRENCY=${CONCURRENCY:-16}
DRAIN_DELAY_MS=${DRAIN_DELAY_MS:-2000}
PIDS=()
LOAD_PID=
# Below the kernel's ephemeral range (32768-60999), where an outgoing
# connection left by an earlier run could hold a port this replica must bind.
GRPC_PORTS=(20091 20092)
HTTP_PORTS=(8091 8092)
METRICS_PORTS=(9191 9192)

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
running_pids() { echo "${PIDS[@]}" $LOAD_PID; }

ops_begin rolling

start_replica() {  # start_replica INDEX
  local i=$1
  DATABASE_URL=$DB_URL MIGRATE=0 METRICS_PORT=${METRICS_PORTS[i]} \
    "$BIN/services/server/affonso_server" --grpc_port="${GRPC_PORTS[i]}" \
    --http_port="${HTTP_PORTS[i]}" --shutdown_drain_delay_ms="$DRAIN_DELAY_MS" \
    --shutdown_grace_ms=10000 --log_level=info >>"$WORK/replica$i.log" 2>&1 &
  PIDS[i]=$!
  wait_ready "${HTTP_PORTS[i]}" "$WORK/replica$i.log"
}

restart_replica() {  # restart_replica INDEX
  local i=$1 start end
  echo "$(stamp) SIGTERM replica $i (pid ${PIDS[i]})"
  start=$(date +%s%N)
  kill -TERM "${PIDS[i]}"
  wait "${PIDS[i]}" || { echo "replica $i exited with status $?" >&2; return 1; }
  end=$(date +%s%N)
  echo "$(stamp) replica $i exited cleanly after $(((end - start) / 1000000)) ms"
  start_replica "$i"
  echo "$(stamp) replica $i restarted and ready"
}

start_replica 0
start_replica 1
echo "$(stamp) two replicas ready; load: $CONCURRENCY workers for ${LOAD_SECONDS}s"

"$BIN/tools/ops/rolling_load" --name=rolling_restart \
  --targets="127.0.0.1:${HTTP_PORTS[0]},127.0.0.1:${HTTP_PORTS[1]}" --api_key="$API_KEY" \
  --program_id="$(json_get "$DEMO" program_id)" --tracking_id="$(json_get "$DEMO" tracking_id)" \
  --concurrency="$CONCURRENCY" --seconds="$LOAD_SECONDS" --ack_file="$WORK/acked.ids" \
  >"$WORK/load.out" &
LOAD_PID=$!

third=$((LOAD_SECONDS / 3))
sleep "$third"
restart_replica 0
sleep "$third"
restart_replica 1
LOAD_RC=0
wait "$LOAD_PID" || LOAD_RC=$?
cat "$WORK/load.out"

RESULT=$(grep '^RESULT' "$WORK/load.out")
value() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$RESULT"; }
STORED_CLICKS=$(psql_db -c "SELECT count(*) FROM clicks")
STORED_SIGNUPS=$(psql_db -c "SELECT count(*) FROM referrals")
# Exactly the acknowledged signups, by click id: none lost, and none written
# by a request the client never saw answered (a silent resend).
MISMATCHED=$(psql_db -c "CREATE TEMP TABLE acked (click_id text)" \
  -c "\\copy acked FROM '$WORK/acked.ids'" \
  -c "SELECT count(*) FROM acked a FULL JOIN referrals r ON r.click_id = a.click_id
      WHERE a.click_id IS NULL OR r.id IS NULL" | tail -1)
echo "acknowledged clicks $(value clicks), stored $STORED_CLICKS;" \
  "acknowledged signups $(value signups), stored $STORED_SIGNUPS"
for i in 0 1; do
  echo "-- replica $i shutdown log:"
  grep -E "signal|closing listeners|stopped" "$WORK/replica$i.log" || true
done

STATUS=0
((LOAD_RC == 0 && $(value failed) == 0)) || { echo "FAIL: requests failed"; STATUS=1; }
# No request failed, so the database holds exactly what was acknowledged.
((STORED_CLICKS == $(value clicks))) || { echo "FAIL: stored clicks differ from acknowledged"; STATUS=1; }
((STORED_SIGNUPS == $(value signups) && MISMATCHED == 0)) ||
  { echo "FAIL: stored signups differ from acknowledged ($MISMATCHED by click id)"; STATUS=1; }
((STATUS == 0)) && echo "PASS: $(value requests) requests, 0 failed, while each of 2 replicas restarted"
exit "$STATUS"

# Sourced by the ops scripts (crash_safety.sh, db_outage.sh,
# rolling_restart.sh): their shared set-up and helpers. Needs ADMIN_URL
# (postgresql://.../postgres), BIN (bazel-bin) and PG_BIN; the script defines
# running_pids, which lists the processes it still has running.

psql_db() { "$PG_BIN/psql" -q -t -A -v ON_ERROR_STOP=1 "$DB_URL" "$@"; }
json_get() { sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" <<<"$1"; }
stamp() { date -u +%H:%M:%S.%3N; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

ops_cleanup() {
  local pid
  for pid in $(running_pids); do
    kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}

# ops_begin NAME: a work directory removed on exit (with every process still
# running killed), and database NAME beside ADMIN_URL's, created afresh,
# migrated and seeded with the demo team. The demo key's rate limit is lifted
# out of the load's reach; rate limiting itself stays on. Sets WORK, DB_URL,
# DEMO, API_KEY, TEAM_ID, PROGRAM_ID.
ops_begin() {
  local name=$1
  WORK=$(mktemp -d)
  trap ops_cleanup EXIT
  DB_URL=${ADMIN_URL%/*}/$name
  "$PG_BIN/psql" -q -v ON_ERROR_STOP=1 "$ADMIN_URL" \
    -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name"
  "$BIN/tools/ctl" --database_url="$DB_URL" migrate >/dev/null
  DEMO=$("$BIN/tools/ctl" --database_url="$DB_URL" demo-seed)
  API_KEY=$(json_get "$DEMO" api_key)
  TEAM_ID=$(json_get "$DEMO" team_id)
  PROGRAM_ID=$(json_get "$DEMO" program_id)
  psql_db -c "UPDATE api_keys SET rate_limit_per_minute = 10000000,
                rate_limit_per_second = 1000000 WHERE team_id = '$TEAM_ID'"
}

# start_receiver PORT: the webhook receiver, writing every delivered
# webhook-id to $WORK/delivered.ids. Sets RECEIVER_PID.
start_receiver() {
  "$BIN/tools/bench/webhook_receiver" --port="$1" --seconds=100000 \
    --ids_file="$WORK/delivered.ids" >/dev/null &
  RECEIVER_PID=$!
  sleep 0.3
  kill -0 "$RECEIVER_PID" 2>/dev/null || { echo "the webhook receiver did not start (port $1?)" >&2; return 1; }
}

# wait_ready PORT LOG: until the server on PORT answers /readyz (10 s at
# most); otherwise the tail of its LOG, and failure.
wait_ready() {
  local _
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0
    sleep 0.1
  done
  echo "the server on port $1 did not become ready" >&2
  tail -n 20 "$2" >&2
  return 1
}

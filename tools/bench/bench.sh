#!/usr/bin/env bash
# The body of `./dev bench` (which installs, builds with -c opt, and starts a
# throwaway PostgreSQL with fsync and synchronous_commit on): runs each
# scenario against the server on loopback and prints one table.
#
# Env: ADMIN_URL (postgresql://.../postgres), BIN (bazel-out/k8-opt/bin), PG_BIN,
#      PG_DIR (the cluster's data dir: CPU accounting), CONCURRENCY (64), BENCH_SECONDS (20),
#      POOL (16), RESULTS (file to keep rows), SWEEP_SECONDS (5), SWEEP_LEVELS
#      ("1 4 16 64 256"), ALLOCATORS (space-separated, empty: no allocator section),
#      ALLOC_BIN_DIR (affonso_server.<build> per allocator build), GLIBC_ENV, ALLOC_SECONDS (10),
#      BURST_SECONDS (8).
set -euo pipefail

CONCURRENCY=${CONCURRENCY:-64}
SECONDS_PER_RUN=${BENCH_SECONDS:-20}
POOL=${POOL:-16}
GRPC_PORT=${BENCH_GRPC_PORT:-20071}
HTTP_PORT=${BENCH_HTTP_PORT:-8071}
WRK_THREADS=2
SWEEP_SECONDS=${SWEEP_SECONDS:-5}
SWEEP_LEVELS=${SWEEP_LEVELS:-1 4 16 64 256}
ALLOC_SECONDS=${ALLOC_SECONDS:-10}
BURST_SECONDS=${BURST_SECONDS:-8}
SERVER_BIN=$BIN/services/server/affonso_server
SERVER_ENV=()
BENCH_START=$SECONDS
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
DB_URL=${ADMIN_URL%/*}/bench
SERVER_PID=

cleanup() {
  [[ -n $SERVER_PID ]] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

psql_admin() { "$PG_BIN/psql" -q -v ON_ERROR_STOP=1 "$ADMIN_URL" "$@"; }
psql_bench() { "$PG_BIN/psql" -q -t -A -v ON_ERROR_STOP=1 "$DB_URL" "$@"; }
json_get() { sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" <<<"$1"; }

# Pre-tracked clicks <prefix><1..count> for the demo affiliate, in one statement,
# then ANALYZE: a table that grew by hundreds of thousands of rows in one go has
# no statistics for them until autovacuum comes by, and the first run after
# would measure the planner's guess instead of the service.
make_clicks() {
  psql_bench -c "INSERT INTO clicks (id, team_id, program_id, affiliate_id, tracking_id)
    SELECT '$1' || n, '$TEAM_ID', '$PROGRAM_ID', '$AFFILIATE_ID', '$TRACKING_ID'
    FROM generate_series(1, $2) n" -c "ANALYZE clicks"
}

rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status"; }

# CPU accounting from /proc/PID/stat (utime, stime; cutime, cstime: children
# reaped), in clock ticks. PostgreSQL: the postmaster with what it reaped
# (backends of closed connections, pgbench's among them) plus its live
# children, so one phase's ticks are after - before.
CLK_TCK=$(getconf CLK_TCK)
proc_fields() {  # proc_fields PID: the fields after "(comm)", from state on
  local line
  read -r line 2>/dev/null <"/proc/$1/stat" || return 1
  echo "${line##*) }"
}
server_ticks() { local f; read -ra f <<<"$(proc_fields "$SERVER_PID")"; echo $((f[11] + f[12])); }
pg_ticks() {
  local pm stat f total=0
  pm=$(head -n 1 "$PG_DIR/postmaster.pid")
  read -ra f <<<"$(proc_fields "$pm")"
  total=$((f[11] + f[12] + f[13] + f[14]))
  for stat in /proc/[0-9]*/stat; do
    stat=${stat%/stat}
    stat=$(proc_fields "${stat#/proc/}") || continue
    read -ra f <<<"$stat"
    [[ ${f[1]} == "$pm" ]] && total=$((total + f[11] + f[12]))
  done
  echo "$total"
}
# Every process on the machine, the load generator and the kernel included:
# the busy fields of /proc/stat's cpu line (user nice system irq softirq steal).
machine_ticks() { local f; read -ra f </proc/stat; echo $((f[1] + f[2] + f[3] + f[6] + f[7] + f[8])); }
cpu_mark() { CPU_SERVER0=$(server_ticks); CPU_PG0=$(pg_ticks); CPU_MACHINE0=$(machine_ticks); }
cpu_mark_pg() { CPU_SERVER0=0; CPU_PG0=$(pg_ticks); }
# cpu_per_call CALLS [with_server]: "SERVER_US PG_US" per call since cpu_mark.
cpu_per_call() {
  local server=0 pg
  [[ -z ${2:-} ]] || server=$(($(server_ticks) - CPU_SERVER0))
  pg=$(($(pg_ticks) - CPU_PG0))
  awk -v s="$server" -v p="$pg" -v n="$1" -v hz="$CLK_TCK" \
    'BEGIN { n = n > 0 ? n : 1; printf "%.0f %.0f", s * 1e6 / hz / n, p * 1e6 / hz / n }'
}
# machine_per_call CALLS: µs of the whole machine per call since cpu_mark.
machine_per_call() {
  awk -v m="$(($(machine_ticks) - CPU_MACHINE0))" -v n="$1" -v hz="$CLK_TCK" \
    'BEGIN { n = n > 0 ? n : 1; printf "%.0f", m * 1e6 / hz / n }'
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }
# pgbench_latencies LOG...: "N P50_MS P99_MS P999_MS" of pgbench -l logs (µs in column 3).
pgbench_latencies() {
  cat "$@" 2>/dev/null | sort -n -k3 | awk '{ lat[NR] = $3 } END {
    printf "%d %.3f %.3f %.3f", NR, lat[int(NR*0.5)]/1000, lat[int(NR*0.99)]/1000, lat[int(NR*0.999)]/1000 }'
}
# rest_signups PREFIX SECONDS: wrk's RESULT line for REST signups converting
# PREFIX<n> clicks (signup.lua; THINK_MS and BENCH_NAME pass through from the caller).
rest_signups() {
  CLICK_PREFIX=$1 WRK_THREADS=$WRK_THREADS API_KEY=$API_KEY \
    wrk -t"$WRK_THREADS" -c"$CONCURRENCY" -d"$2s" -s "$HERE/signup.lua" \
    "http://127.0.0.1:$HTTP_PORT" | grep RESULT
}
peak_rss_mb() { awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status"; }

# Quiet the database between runs so one scenario's dirty pages and
# autovacuum do not bill the next, and plan on statistics of what is there.
settle() { psql_bench -c "ANALYZE" -c "CHECKPOINT" >/dev/null; sleep 1; }

declare -a ROWS
record() {  # record RESULT-line
  local line=$1 extra=${2:-}
  ROWS+=("$line rss_mb=$(rss_mb)$extra")
  echo "$line rss_mb=$(rss_mb)$extra"
}

psql_admin -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
"$BIN/tools/ctl" --database_url="$DB_URL" migrate >/dev/null
DEMO=$("$BIN/tools/ctl" --database_url="$DB_URL" demo-seed)
API_KEY=$(json_get "$DEMO" api_key)
TEAM_ID=$(json_get "$DEMO" team_id)
PROGRAM_ID=$(json_get "$DEMO" program_id)
AFFILIATE_ID=$(json_get "$DEMO" affiliate_id)
TRACKING_ID=$(json_get "$DEMO" tracking_id)
CLICKS=$((12000 * (SECONDS_PER_RUN + 3)))  # headroom: no run converts 12k/s

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "== concurrency $CONCURRENCY, $SECONDS_PER_RUN s per run, server pool $POOL"

# 0. What one commit costs on this machine's disk: pgbench, 1 client, a
# one-row INSERT per transaction (fsync and synchronous_commit on), 5 s. Read
# with the REST latency below: a tail far above it is queueing for the CPU,
# not the disk.
psql_bench -c "CREATE TABLE bench_commit_probe (n int)"
echo "INSERT INTO bench_commit_probe VALUES (1);" >"$WORK/probe.sql"
(cd "$WORK" && "$PG_BIN/pgbench" -n -M prepared -c 1 -T 5 -f probe.sql -l --log-prefix=probe \
  "$DB_URL" >/dev/null 2>&1) || true
read -r n p50 p99 p999 <<<"$(pgbench_latencies "$WORK"/probe.[0-9]*)"
COMMIT_LINE=
((n == 0)) || printf -v COMMIT_LINE "%d commits, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms" \
  "$n" "$p50" "$p99" "$p999"
rm -f "$WORK"/probe.[0-9]*
psql_bench -c "DROP TABLE bench_commit_probe"

# 1. Baseline: pgbench runs the very statements a signup executes in the
# service (tools/bench/print_signup_sql), prepared, at the same concurrency:
# the facts query, then the write (referral and outbox event in one
# statement), for one conversion per transaction, where the service batches.
# The click and event ids come from a sequence inside the statements
# (pgbench has no per-transaction counter), as scalar subqueries so they run
# once per statement and the click is still found by index; that is the only
# difference from what the service sends.
make_clicks clk_pgb "$CLICKS"
psql_bench -c "CREATE SEQUENCE bench_click_seq"
# Each statement takes the batch as one JSON array ($1::json): here a batch of one.
one() { printf "json_build_array(json_build_object(%s))" "$1"; }
CLICK="(SELECT 'clk_pgb' || currval('bench_click_seq'))"
FACTS=$("$BIN/tools/bench/print_signup_sql" facts)
FACTS=${FACTS//\$1::json/$(one "'click_id', (SELECT 'clk_pgb' || nextval('bench_click_seq')), 'team_id', :team::text")}
WRITE=$("$BIN/tools/bench/print_signup_sql" write)
WRITE=${WRITE//\$1::json/$(one "'referral_id', $CLICK, 'team_id', :team::text, 'email', :email::text,
  'external_user_id', :ext::text, 'name', :name::text, 'status', 'lead', 'fraud_flags', '[]'::json,
  'lead_event_id', (SELECT 'evt_pgb' || currval('bench_click_seq'))")}
printf '%s;\n%s;\n' "$FACTS" "$WRITE" >"$WORK/signup.sql"
settle
cpu_mark_pg
(cd "$WORK" && "$PG_BIN/pgbench" -n -M prepared -c "$CONCURRENCY" -j 2 -T "$SECONDS_PER_RUN" \
  -D team="$TEAM_ID" -D email=lead@example.com -D ext=user-1 -D name=Lee \
  -f signup.sql -l --log-prefix=pgb "$DB_URL" >"$WORK/pgbench.out" 2>&1) || {
  cat "$WORK/pgbench.out"; exit 1; }
TPS=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$WORK/pgbench.out")
FAILED=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/pgbench.out")
PGB_TX=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/pgbench.out")
read -r _ PGB_PG_US <<<"$(cpu_per_call "${PGB_TX:-0}")"
read -r n p50 p99 p999 <<<"$(pgbench_latencies "$WORK"/pgb.*)"
printf "RESULT name=pgbench_baseline calls=%d errors=%d throughput=%.1f p50_ms=%s p99_ms=%s p999_ms=%s\n" \
  "$n" "${FAILED:-0}" "$TPS" "$p50" "$p99" "$p999" >"$WORK/baseline.line"
# pgbench's referrals stay: the first signup run after would otherwise start on an empty,
# freshly analyzed referrals table, and the planner, sure it is empty, scans it for every
# signup as it grows (grpc_signup_no_limit ran at a sixth of grpc_signup that way). A
# production table is never empty; the outbox events are marked dispatched (no endpoint yet).
psql_bench -c "UPDATE outbox_events SET dispatched_at = now() WHERE dispatched_at IS NULL" >/dev/null

# The server, built -c opt, with fresh state. Rate limiting stays on at its
# defaults, as in production; the demo key's own limit is set out of reach so
# the runs measure what the limiter costs, not what it refuses.
# `start_server [extra flags]` / `stop_server` (SIGTERM, drained).
start_server() {
  env "${SERVER_ENV[@]}" DATABASE_URL="$DB_URL" "$SERVER_BIN" --grpc_port="$GRPC_PORT" \
    --http_port="$HTTP_PORT" --metrics_port=0 --db_pool_size="$POOL" --log_level=warning \
    --webhook_allow_private "$@" &
  SERVER_PID=$!
  for _ in $(seq 50); do "$PG_BIN/pg_isready" -q -d "$DB_URL" && curl -sf "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null && break; sleep 0.2; done
}
stop_server() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=; }
psql_bench -c "UPDATE api_keys SET rate_limit_per_minute = 1000000000, rate_limit_per_second = 100000000
  WHERE team_id = '$TEAM_ID'" >/dev/null
ROWS+=("$(cat "$WORK/baseline.line") rss_mb=-")
echo "${ROWS[0]}"

LOAD=("$BIN/tools/bench/load" --addr="127.0.0.1:$GRPC_PORT" --api_key="$API_KEY"
  --concurrency="$CONCURRENCY" --seconds="$SECONDS_PER_RUN")

# 1b. What rate limiting costs: gRPC signups and clicks on servers with it off
# (--rate_limit_per_minute=0) and on, alternating (off/on, then on/off, ...),
# each server fresh with fresh clicks, RL_SECONDS per run, so that the drift
# of a long run (the tables grow, the disk warms) falls on both sides alike.
# One server of each kind run once (as before) measured the order as much as
# the limiter.
RL_PAIRS=${RL_PAIRS:-4}
RL_SECONDS=${RL_SECONDS:-8}
RL_CLICKS=$((12000 * (RL_SECONDS + 3)))
declare -a RL_ROWS
for pair in $(seq "$RL_PAIRS"); do
  order="off on"
  ((pair % 2 == 1)) || order="on off"
  for mode in $order; do
    if [[ $mode == off ]]; then start_server --rate_limit_per_minute=0; else start_server; fi
    make_clicks "clk_rl${pair}${mode}n" "$RL_CLICKS"; settle
    RL_SIGNUP=$("${LOAD[@]}" --seconds="$RL_SECONDS" --mode=signup --name=rl_signup \
      --click_prefix="clk_rl${pair}${mode}n" --clicks="$RL_CLICKS" | grep RESULT)
    settle
    RL_CLICK=$("${LOAD[@]}" --seconds="$RL_SECONDS" --mode=click --name=rl_click \
      --program_id="$PROGRAM_ID" --tracking_id="$TRACKING_ID" | grep RESULT)
    stop_server
    echo "rate limiting $mode (pair $pair): $RL_SIGNUP; $RL_CLICK"
    RL_ROWS+=("$pair $mode $(field throughput "$RL_SIGNUP") $(field throughput "$RL_CLICK")")
  done
done
start_server

# 2. gRPC signups, each converting a fresh click.
make_clicks clk_grpcn "$CLICKS"; settle
record "$("${LOAD[@]}" --mode=signup --name=grpc_signup --click_prefix=clk_grpcn --clicks="$CLICKS" | grep RESULT)"

# 3. The same over REST through the in-process gateway (wrk, keep-alive).
# wrk counts HTTP >= 400 as errors; that every answered request converted
# its own click (201, never a 200 repeat) is checked in the database: at least
# one referral per completed request.
# The CPU it costs is measured over the run: the server, PostgreSQL, and the
# whole machine (the rest is wrk and the kernel).
make_clicks clk_restn "$CLICKS"; settle
cpu_mark
REST_LINE=$(rest_signups clk_restn "$SECONDS_PER_RUN")
REST_CALLS=$(field calls "$REST_LINE")
read -r REST_SERVER_US REST_PG_US <<<"$(cpu_per_call "$REST_CALLS" with_server)"
REST_MACHINE_US=$(machine_per_call "$REST_CALLS")
CONVERTED=$(psql_bench -c "SELECT count(*) FROM referrals WHERE id LIKE 'clk_restn%'")
MISSING=$((REST_CALLS > CONVERTED ? REST_CALLS - CONVERTED : 0))
record "$REST_LINE" " unconverted=$MISSING"

# 3b. The same 64 clients below saturation: each waits an exponential think
# time (mean twice the saturated cycle, 2 x CONCURRENCY / throughput) before
# each request, so they offer a little under half the saturated rate. This is
# the latency of a loaded but not overloaded service; the saturated p99 above
# is mostly queueing (Little's law, printed with the results).
THINK_MS=$(awk -v c="$CONCURRENCY" -v x="$(field throughput "$REST_LINE")" \
  'BEGIN { printf "%.1f", (x > 0 ? 2000 * c / x : 20) }')
make_clicks clk_restp "$CLICKS"; settle
REST_PACED_LINE=$(THINK_MS=$THINK_MS BENCH_NAME=rest_signup_paced \
  rest_signups clk_restp "$SECONDS_PER_RUN")
echo "$REST_PACED_LINE think_ms=$THINK_MS"

# 4. Duplicate-heavy: 90% of calls re-convert an already converted click.
make_clicks clk_mixn "$CLICKS"; settle
record "$("${LOAD[@]}" --mode=mix --duplicate_percent=90 --name=mix_90pct_duplicates \
  --click_prefix=clk_mixn --clicks="$CLICKS" | grep RESULT)"

# 5. TrackClick alone.
settle
record "$("${LOAD[@]}" --mode=click --name=track_click --program_id="$PROGRAM_ID" \
  --tracking_id="$TRACKING_ID" | grep RESULT)"

# 5c. The concurrency sweep (printed with the results): SWEEP_SECONDS per point, no
# warm-up so that CPU over the point is CPU for its calls. sweep_point WORKLOAD CLIENTS
# runs one point and adds "workload clients throughput p50 p99 errors server_us pg_us".
declare -a SWEEP_ROWS
SWEEP_CLICKS=$((12000 * (SWEEP_SECONDS + 1)))
sweep_point() {
  local workload=$1 clients=$2 line threads
  case $workload in
    grpc_signup) make_clicks "clk_sw${clients}n" "$SWEEP_CLICKS" ;;
  esac
  settle
  cpu_mark
  case $workload in
    grpc_signup)
      line=$("${LOAD[@]}" --mode=signup --name=sweep --concurrency="$clients" \
        --seconds="$SWEEP_SECONDS" --warmup_seconds=0 --click_prefix="clk_sw${clients}n" \
        --clicks="$SWEEP_CLICKS" | grep RESULT) ;;
    grpc_track_click)
      line=$("${LOAD[@]}" --mode=click --name=sweep --concurrency="$clients" \
        --seconds="$SWEEP_SECONDS" --warmup_seconds=0 --program_id="$PROGRAM_ID" \
        --tracking_id="$TRACKING_ID" | grep RESULT) ;;
    rest_pixel_track)
      threads=$((clients < WRK_THREADS ? clients : WRK_THREADS))
      line=$(PROGRAM_ID=$PROGRAM_ID TRACKING_ID=$TRACKING_ID DUP_PERCENT=$TRACK_DUP_PERCENT \
        BENCH_NAME=sweep wrk -t"$threads" -c"$clients" -d"${SWEEP_SECONDS}s" \
        -s "$HERE/track.lua" "http://127.0.0.1:$HTTP_PORT" | grep RESULT) ;;
  esac
  local cpu
  cpu=$(cpu_per_call "$(field calls "$line")" with_server)
  SWEEP_ROWS+=("$workload $clients $(field throughput "$line") $(field p50_ms "$line") $(field p99_ms "$line") $(field errors "$line") $cpu")
  echo "sweep $workload $clients clients: $line cpu_us=$cpu"
}
TRACK_DUP_PERCENT=${TRACK_DUP_PERCENT:-70}
for clients in $SWEEP_LEVELS; do sweep_point grpc_signup "$clients"; done
for clients in $SWEEP_LEVELS; do sweep_point grpc_track_click "$clients"; done

# 5a. The pixel's public POST /v1/track over REST (wrk, keep-alive, no key):
# the highest-volume call there is (12-50 clicks per signup). TRACK_DUP_PERCENT
# (70) of the calls are repeat visits within the window, which the server
# de-duplicates (same click, no row); the rest are new visitors, each a new
# click. The page's origin is on the program's allowed domains, so the check
# runs. A server of its own: every call comes from 127.0.0.1, so the per-IP
# limit is off and the per-program one set out of reach (it still runs).
stop_server
start_server --public_rate_limit_per_ip_per_minute=0 \
  --public_rate_limit_per_program_per_minute=1000000000
psql_bench -c "INSERT INTO program_pixel_settings (team_id, program_id, allowed_domains)
  VALUES ('$TEAM_ID', '$PROGRAM_ID', '{*.shop.example}')
  ON CONFLICT (team_id, program_id) DO UPDATE SET allowed_domains = excluded.allowed_domains" \
  >/dev/null
BEFORE=$(psql_bench -c "SELECT count(*) FROM clicks WHERE visitor_hash IS NOT NULL")
settle
TRACK_LINE=$(PROGRAM_ID=$PROGRAM_ID TRACKING_ID=$TRACKING_ID DUP_PERCENT=$TRACK_DUP_PERCENT \
  BENCH_NAME=rest_pixel_track wrk -t"$WRK_THREADS" -c"$CONCURRENCY" -d"${SECONDS_PER_RUN}s" \
  -s "$HERE/track.lua" "http://127.0.0.1:$HTTP_PORT" | grep RESULT)
# Answered calls only: a failed one (counted in errors) wrote nothing either.
TRACK_CALLS=$(sed -n 's/.* calls=\([0-9]*\).*/\1/p' <<<"$TRACK_LINE")
TRACK_ERRORS=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' <<<"$TRACK_LINE")
TRACK_CALLS=$((TRACK_CALLS - ${TRACK_ERRORS:-0}))
NEW_CLICKS=$(( $(psql_bench -c "SELECT count(*) FROM clicks WHERE visitor_hash IS NOT NULL") - BEFORE ))
DEDUP_HIT=$(awk -v calls="$TRACK_CALLS" -v rows="$NEW_CLICKS" \
  'BEGIN { printf "%.1f", (calls > 0 ? 100 * (calls - rows) / calls : 0) }')
record "$TRACK_LINE" " dedup_hit_pct=$DEDUP_HIT"
echo "pixel track: $TRACK_CALLS calls, $NEW_CLICKS new clicks: ${DEDUP_HIT}% de-duplicated" \
  "(stated share of repeat visits: ${TRACK_DUP_PERCENT}%)"
for clients in $SWEEP_LEVELS; do sweep_point rest_pixel_track "$clients"; done
stop_server
start_server

# 5b. Sales: each call records a conversion (its own external_event_id) on
# one of the referrals the gRPC signups above created, with a 20% sale
# incentive, so every call computes and writes a commission and its
# transaction.created event.
psql_bench -c "INSERT INTO incentives (id, team_id, program_id, group_id, name, type, amount,
    is_percentage, hold_period_days)
  SELECT 'inc_bench_sale', '$TEAM_ID', '$PROGRAM_ID', id, 'Sales', 'sale', 20, true, 30
  FROM affiliate_groups WHERE program_id = '$PROGRAM_ID' AND is_default" >/dev/null
REFERRALS=$(psql_bench -c "SELECT count(*) FROM referrals WHERE id LIKE 'clk_grpcn%'")
settle
record "$("${LOAD[@]}" --mode=conversion --name=grpc_conversion --click_prefix=clk_grpcn \
  --clicks="$REFERRALS" | grep RESULT)"
UNRECORDED=$(psql_bench -c "SELECT count(*) FROM commissions WHERE external_event_id LIKE 'bench_sale_%'
  AND commission_amount <> 10.00")
echo "conversions whose commission is not 20% of 49.99 (10.00): $UNRECORDED"

# 6. Webhooks while signups saturate the machine: an endpoint on a local receiver
# subscribed to referral.lead, signups from HOOK_CONCURRENCY (CONCURRENCY) clients for
# HOOK_SECONDS (60); the receiver prints deliveries/s and the lag from each event's createdAt
# to its arrival. Keeping pace: the backlog left when the signups stop (events not yet
# delivered) is under 1 s of their production.
HOOK_PORT=${BENCH_HOOK_PORT:-8072}
HOOK_CONCURRENCY=${HOOK_CONCURRENCY:-$CONCURRENCY}
HOOK_SECONDS=${HOOK_SECONDS:-60}
psql_bench -c "INSERT INTO webhook_endpoints (id, team_id, url, events, secret)
  VALUES ('whk_bench', '$TEAM_ID', 'http://127.0.0.1:$HOOK_PORT/hooks', '{referral.lead}',
          'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')"
HOOK_CLICKS=$((12000 * (HOOK_SECONDS + 3)))
make_clicks clk_hookn "$HOOK_CLICKS"; settle
# SQL per delivery: pg_stat_statements (preloaded by ./dev bench, tracking off
# until now) counts this section's statements only.
psql_bench -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
pgss_track() {
  psql_admin -c "ALTER SYSTEM SET pg_stat_statements.track = '$1'" -c "SELECT pg_reload_conf()" >/dev/null
}
pgss_track top
psql_bench -c "SELECT pg_stat_statements_reset()" >/dev/null
"$BIN/tools/bench/webhook_receiver" --port="$HOOK_PORT" --seconds=$((HOOK_SECONDS + 4)) \
  >"$WORK/receiver.out" &
RECEIVER_PID=$!
sleep 1
HOOK_LOAD=$("${LOAD[@]}" --mode=signup --name=signup_with_webhooks --concurrency="$HOOK_CONCURRENCY" \
  --seconds="$HOOK_SECONDS" --click_prefix=clk_hookn --clicks="$HOOK_CLICKS" | grep RESULT)
# The backlog the moment the signups stop: lead events not yet delivered, undispatched or
# pending, in seconds of the signups' own rate.
HOOK_BACKLOG=$(psql_bench -c "SELECT (SELECT count(*) FROM outbox_events
    WHERE dispatched_at IS NULL AND type = 'referral.lead')
  + (SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = 'whk_bench' AND status = 'pending')")
HOOK_BACKLOG_S=$(awk -v b="$HOOK_BACKLOG" -v r="$(field throughput "$HOOK_LOAD")" \
  'BEGIN { printf "%.2f", (r > 0 ? b / r : 0) }')
record "$HOOK_LOAD"
wait "$RECEIVER_PID"
pgss_track none
HOOK_LINE=$(grep RESULT "$WORK/receiver.out")
DELIVERIES=$(field deliveries "$HOOK_LINE")
# Matched by table name, not by statement text: the webhook SQL changes.
# webhook: touches a webhook_* table; outbox: the dispatcher's bookkeeping on
# outbox_events alone (the signups' own write, which touches referrals, is not).
psql_bench -F $'\t' -c "SELECT CASE WHEN query ~* '\\mwebhook_[a-z_]+' THEN 'webhook' ELSE 'outbox' END,
    sum(calls), left(regexp_replace(query, '\\s+', ' ', 'g'), 90),
    round((sum(total_exec_time) / greatest(sum(calls), 1))::numeric, 2)
  FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
  WHERE d.datname = current_database()
    AND (query ~* '\\mwebhook_[a-z_]+'
         OR (query ~* '\\moutbox_events\\M' AND query !~* '\\mreferrals\\M'
             AND query !~* 'pg_stat_statements'))
  GROUP BY 1, 3 ORDER BY 1 DESC, 2 DESC" >"$WORK/pgss.tsv"

echo "$HOOK_LINE"
PENDING=$(psql_bench -c "SELECT count(*) FROM webhook_deliveries WHERE status <> 'succeeded'")

PEAK=$(peak_rss_mb)
echo
echo "== results (ratio = throughput / pgbench baseline; server peak RSS ${PEAK} MB)"
printf '%-22s %10s %8s %9s %9s %9s %7s %8s\n' scenario "calls/s" ratio p50_ms p99_ms p999_ms errors rss_mb
for row in "${ROWS[@]}"; do
  awk -v base="$TPS" '{
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "%-22s %10.1f %7.2fx %9.3f %9.3f %9.3f %7d %8s\n",
      v["name"], v["throughput"], v["throughput"] / base, v["p50_ms"], v["p99_ms"], v["p999_ms"],
      v["errors"] + v["unconverted"], v["rss_mb"] }' <<<"$row"
done
echo
echo "== webhooks (signups at concurrency $HOOK_CONCURRENCY for $HOOK_SECONDS s while delivering; not yet succeeded at the end: $PENDING)"
echo "$HOOK_LINE"
echo "backlog when the signups stopped: $HOOK_BACKLOG events, ${HOOK_BACKLOG_S} s of production;" \
  "target < 1 s: $(awk -v s="$HOOK_BACKLOG_S" 'BEGIN { print (s < 1 ? "met" : "NOT met") }')"

# A closed loop of C clients has mean latency C / throughput (Little's law):
# the p99 of REST signups at C clients is normally not under that, however
# fast a single call is; and the throughput is bounded by the CPU a signup
# costs (the server's and PostgreSQL's, even if the load generator cost nothing).
echo
echo "== REST signup latency at $CONCURRENCY clients (target p99 <= 10 ms)"
awk -v c="$CONCURRENCY" -v x="$(field throughput "$REST_LINE")" -v p50="$(field p50_ms "$REST_LINE")" \
  -v p="$(field p99_ms "$REST_LINE")" -v su="$REST_SERVER_US" -v pu="$REST_PG_US" \
  -v mu="$REST_MACHINE_US" -v cores="$(nproc)" 'BEGIN {
  if (x <= 0) exit
  printf "saturated (no think time): %.0f/s, p50 %.1f ms, p99 %.1f ms; the mean is %d / %.0f/s = %.1f ms (Little'"'"'s law), so a 10 ms p99 needs over %.0f/s with almost no spread: %s\n",
    x, p50, p, c, x, 1000 * c / x, c / 0.010, (p <= 10 ? "met" : "NOT met")
  printf "CPU per signup: server %d µs, PostgreSQL %d µs, the rest of the machine (wrk, kernel) %d µs; %d cores allow at most %.0f/s with the load generator free, a mean of at least %.1f ms at %d clients\n",
    su, pu, mu - su - pu, cores, cores * 1e6 / (su + pu), 1000 * c * (su + pu) / (cores * 1e6), c }'
awk -v c="$CONCURRENCY" -v sat="$(field throughput "$REST_LINE")" -v x="$(field throughput "$REST_PACED_LINE")" \
  -v think="$THINK_MS" -v p50="$(field p50_ms "$REST_PACED_LINE")" -v p="$(field p99_ms "$REST_PACED_LINE")" \
  -v p999="$(field p999_ms "$REST_PACED_LINE")" -v e="$(field errors "$REST_PACED_LINE")" 'BEGIN {
  if (x <= 0 || sat <= 0) exit
  printf "below saturation (%d clients, exponential think time of mean %.1f ms): %.0f/s (%.0f%% of saturated), p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, errors %d; p99 <= 10 ms there: %s\n",
    c, think, x, 100 * x / sat, p50, p, p999, e, (p <= 10 ? "met" : "NOT met") }'
echo "a commit on this disk (pgbench, 1 client, one-row INSERT, 5 s): ${COMMIT_LINE:-not measured}"
echo
echo "== rate limiting's cost (gRPC at concurrency $CONCURRENCY, $RL_PAIRS alternating pairs of $RL_SECONDS s runs; cost = 1 - on / off)"
printf '%-6s %14s %14s %8s %14s %14s %8s\n' pair signups_off signups_on cost clicks_off clicks_on cost
printf '%s\n' ${RL_ROWS[@]+"${RL_ROWS[@]}"} | awk '
  { t[$1, $2, "s"] = $3; t[$1, $2, "c"] = $4; if ($1 > n) n = $1 }
  END {
    for (p = 1; p <= n; p++) {
      so = t[p, "off", "s"]; sn = t[p, "on", "s"]; co = t[p, "off", "c"]; cn = t[p, "on", "c"]
      printf "%-6d %14.1f %14.1f %7.1f%% %14.1f %14.1f %7.1f%%\n", p, so, sn,
        (so > 0 ? 100 * (1 - sn / so) : 0), co, cn, (co > 0 ? 100 * (1 - cn / co) : 0)
      sso += so; ssn += sn; sco += co; scn += cn
    }
    if (sso <= 0 || sco <= 0) { print "all pairs: no run off to compare with"; exit }
    s = 100 * (1 - ssn / sso); c = 100 * (1 - scn / sco)
    printf "all pairs: signups %.1f%%, clicks %.1f%% (throughput summed over the pairs); target <= 5%%: %s\n",
      s, c, (s <= 5 && c <= 5 ? "met" : "NOT met") }'
echo
echo "== concurrency sweep ($SWEEP_SECONDS s per point, no warm-up; CPU per call in µs from /proc utime+stime)"
printf '%-18s %7s %10s %9s %9s %7s %10s %8s\n' workload clients "calls/s" p50_ms p99_ms errors server_us pg_us
for row in "${SWEEP_ROWS[@]}"; do
  printf '%-18s %7s %10s %9s %9s %7s %10s %8s\n' $row
done
for workload in grpc_signup grpc_track_click rest_pixel_track; do
  printf '%s\n' "${SWEEP_ROWS[@]}" | awk -v w="$workload" '
    $1 == w { if ($3 > peak) { peak = $3; at = $2 } if ($2 == 256) last = $3 }
    END { if (peak > 0) printf "%s: 256 clients at %.0f%% of the peak (%.1f/s at %d clients); target >= 90%%: %s\n",
      w, 100 * last / peak, peak, at, (last >= 0.9 * peak ? "met" : "NOT met") }'
done

# CPU per call at CONCURRENCY clients (the sweep point; 64 when CONCURRENCY is not one).
CPU_AT=64
[[ " $SWEEP_LEVELS " != *" $CONCURRENCY "* ]] || CPU_AT=$CONCURRENCY
echo
echo "== CPU per call at $CPU_AT clients (µs of utime+stime; PostgreSQL: every process of the cluster)"
printf '%-18s %10s %12s %8s\n' call server postgresql total
for row in "${SWEEP_ROWS[@]}"; do
  read -r w c _ _ _ _ su pu <<<"$row"
  [[ $c == "$CPU_AT" ]] && printf '%-18s %10s %12s %8s\n' "$w" "$su" "$pu" $((su + pu))
done
printf '%-18s %10s %12s %8s\n' pgbench_baseline - "$PGB_PG_US" "$PGB_PG_US"
echo "(pgbench_baseline: PostgreSQL per transaction of one conversion, at $CONCURRENCY clients, $SECONDS_PER_RUN s)"

echo
echo "== SQL statements per delivered webhook (pg_stat_statements over section 6; $DELIVERIES deliveries; per delivery, then mean ms per call)"
awk -F '\t' -v n="${DELIVERIES:-0}" '
  { total[$1] += $2; printf "  %-7s %8.2f %9.2f ms  %s\n", $1, (n > 0 ? $2 / n : 0), $4, $3 }
  END { printf "webhook tables: %.2f per delivery; outbox bookkeeping: %.2f; together %.2f\n",
    (n > 0 ? total["webhook"] / n : 0), (n > 0 ? total["outbox"] / n : 0),
    (n > 0 ? (total["webhook"] + total["outbox"]) / n : 0) }' "$WORK/pgss.tsv"
[[ -z ${RESULTS:-} ]] || printf '%s\n' "${ROWS[@]}" "$HOOK_LINE" "peak_rss_mb=$PEAK" >"$RESULTS"

# 7. Allocators (./dev bench --allocators=LIST): for each, a fresh server built
# with it (glibc_env: the glibc build with GLIBC_ENV's malloc settings), its
# RSS idle, a REST signup run (the highest RSS under it, sampled every 0.2 s),
# then tools/bench/hostile_burst.py (1 MB bodies, slow-loris connections,
# pipelining clients) and its RSS: highest during the burst, at its end, 1 s
# and 10 s later. Webhooks are off here: the endpoint of section 6 and its
# backlog would bill whichever allocator runs first.
rss_or_dash() { rss_mb 2>/dev/null || echo -; }
sample_rss() { while :; do { rss_or_dash; echo; } >>"$1"; sleep 0.2; done; }
max_of() { local m; m=$(grep -v -- - "$1" | sort -n | tail -n 1) || true; echo "${m:--}"; }
if [[ -n ${ALLOCATORS:-} ]]; then
  stop_server
  psql_bench -c "TRUNCATE webhook_endpoints CASCADE" \
    -c "UPDATE outbox_events SET dispatched_at = now() WHERE dispatched_at IS NULL" >/dev/null
  ALLOC_CLICKS=$((12000 * (ALLOC_SECONDS + 3)))
  declare -a ALLOC_ROWS
  ALLOC_INDEX=0
  for alloc in $ALLOCATORS; do
    ALLOC_INDEX=$((ALLOC_INDEX + 1))
    prefix=clk_al${ALLOC_INDEX}n  # click ids are letters, digits and one underscore
    build=$alloc SERVER_ENV=()
    if [[ $alloc == glibc_env ]]; then build=glibc; read -ra SERVER_ENV <<<"$GLIBC_ENV"; fi
    SERVER_BIN=$ALLOC_BIN_DIR/affonso_server.$build
    make_clicks "$prefix" "$ALLOC_CLICKS"; settle
    start_server
    sleep 2
    IDLE=$(rss_or_dash)
    sample_rss "$WORK/rss_load.$alloc" &
    SAMPLER=$!
    ALLOC_LINE=$(rest_signups "$prefix" "$ALLOC_SECONDS") || true
    kill "$SAMPLER"; wait "$SAMPLER" 2>/dev/null || true
    sample_rss "$WORK/rss_burst.$alloc" &
    SAMPLER=$!
    BURST_LINE=$(python3 "$HERE/hostile_burst.py" --port="$HTTP_PORT" --api_key="$API_KEY" \
      --program_id="$PROGRAM_ID" --seconds="$BURST_SECONDS" | grep RESULT) || true
    kill "$SAMPLER"; wait "$SAMPLER" 2>/dev/null || true
    AFTER=$(rss_or_dash); sleep 1
    PLUS1=$(rss_or_dash); sleep 9
    PLUS10=$(rss_or_dash)
    echo "allocator $alloc: $ALLOC_LINE; $BURST_LINE; rss idle=$IDLE after=$AFTER +1s=$PLUS1 +10s=$PLUS10"
    ALLOC_ROWS+=("$alloc $(field throughput "$ALLOC_LINE") $(field p99_ms "$ALLOC_LINE") $IDLE $(max_of "$WORK/rss_load.$alloc") $(max_of "$WORK/rss_burst.$alloc") $AFTER $PLUS1 $PLUS10")
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "allocator $alloc: the server died"; SERVER_PID=; }
    [[ -z $SERVER_PID ]] || stop_server
  done
  SERVER_BIN=$BIN/services/server/affonso_server SERVER_ENV=()
  echo
  echo "== allocators (REST signups at $CONCURRENCY clients for $ALLOC_SECONDS s, then a $BURST_SECONDS s hostile burst; RSS in MB)"
  printf '%-11s %9s %8s %8s %9s %10s %10s %8s %8s\n' allocator "calls/s" p99_ms rss_idle \
    rss_load rss_burst rss_after rss_+1s rss_+10s
  for row in "${ALLOC_ROWS[@]}"; do
    printf '%-11s %9s %8s %8s %9s %10s %10s %8s %8s\n' $row
  done
  echo "(glibc_env: $GLIBC_ENV; rss_load, rss_burst: the highest sample; rss_after: at the burst's end)"
fi
echo
echo "== bench.sh took $((SECONDS - BENCH_START)) s (builds not included)"

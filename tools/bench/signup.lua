-- wrk script: POST /v1/signups, each request converting a fresh pre-tracked
-- click <prefix><n>. wrk runs one Lua state per thread: thread t of T uses
-- n = t, t+T, t+2T, ... so no two requests share a click.
-- No response() hook: running Lua per response costs CPU on the machine the
-- server shares; bench.sh checks instead that every request converted its
-- click, in the database.
-- THINK_MS: when set, each connection waits an exponentially distributed
-- time of that mean before each request (arrivals close to Poisson, so the
-- 64 clients do not march in step); wrk's latencies leave the wait out.
-- BENCH_NAME names the RESULT line (rest_signup).
local thread_index = 0
local think_ms = tonumber(os.getenv("THINK_MS") or "")
local name = os.getenv("BENCH_NAME") or "rest_signup"

function setup(thread)
  thread_index = thread_index + 1
  thread:set("index", thread_index)
end

function init(args)
  prefix = os.getenv("CLICK_PREFIX")
  stride = tonumber(os.getenv("WRK_THREADS"))
  key = os.getenv("API_KEY")
  n = index
  math.randomseed(index)
end

if think_ms and think_ms > 0 then
  function delay()
    return -think_ms * math.log(1 - math.random())
  end
end

function request()
  local body = '{"click_id":"' .. prefix .. n .. '","email":"lead' .. n .. '@example.com"}'
  n = n + stride
  return wrk.format("POST", "/v1/signups",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout + summary.errors.status
  io.write(string.format(
    "RESULT name=%s calls=%d errors=%d throughput=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f\n",
    name, summary.requests, errors, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000))
end

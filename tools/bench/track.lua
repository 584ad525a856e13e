-- wrk script: POST /v1/track as the pixel sends it (no key, an Origin, the
-- visitor's User-Agent), with a stated share of repeat visits. Request k of a
-- thread is a repeat (a visitor this thread has already sent, so the
-- server's de-duplication answers it with the same click and no new row) when
-- k % 100 < DUP_PERCENT, else a first visit of a new visitor. Visitors differ
-- by user agent (every request comes from 127.0.0.1). bench.sh measures the
-- hit rate it got from the rows written.
local thread_index = 0

function setup(thread)
  thread_index = thread_index + 1
  thread:set("index", thread_index)
end

function init(args)
  program = os.getenv("PROGRAM_ID")
  tracking = os.getenv("TRACKING_ID")
  dup_percent = tonumber(os.getenv("DUP_PERCENT"))
  k = 0
  fresh = 0
end

function request()
  local visitor
  if k % 100 < dup_percent and fresh > 0 then
    -- One of this thread's last 50 new visitors: within the window.
    visitor = fresh - (k % math.min(fresh, 50))
  else
    fresh = fresh + 1
    visitor = fresh
  end
  k = k + 1
  local body = '{"programId":"' .. program .. '","landingQuery":"via=' .. tracking ..
    '&utm_source=bench","referrer":"https://news.example/post"}'
  return wrk.format("POST", "/v1/track", {
    ["Content-Type"] = "application/json",
    ["Origin"] = "https://www.shop.example",
    ["User-Agent"] = "Mozilla/5.0 (bench; t" .. index .. "; v" .. visitor .. ")",
  }, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout + summary.errors.status
  io.write(string.format(
    "RESULT name=%s calls=%d errors=%d throughput=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f\n",
    os.getenv("BENCH_NAME"), summary.requests, errors, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000))
end

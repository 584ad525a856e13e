// What instrumentation costs per call: the metrics library's operations
// beside a bare relaxed atomic increment (the floor for any shared counter),
// on 1 and 2 threads, plus a scrape. Run -c opt:
//   bazel run -c opt //tools/bench:metrics_bench
#include <atomic>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/metrics.h"

namespace {

using affonso::metrics::Registry;

// Nanoseconds per operation with `threads` threads each running `op` `n` times.
double NanosPerOp(int threads, int n, const std::function<void(int)>& op) {
  std::vector<std::thread> pool;
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < n; ++i) op(t);
    });
  }
  for (std::thread& thread : pool) thread.join();
  return absl::ToDoubleNanoseconds(absl::Now() - start) / n;
}

}  // namespace

int main() {
  constexpr int kOps = 2000000;
  Registry registry;
  auto& counters = registry.AddCounter("bench_total", "", {"method", "code"});
  auto& histograms = registry.AddHistogram("bench_seconds", "", {"method", "code"});
  affonso::metrics::Counter& cached_counter = counters.WithLabels({"RecordSignup", "OK"});
  affonso::metrics::Histogram& cached_histogram = histograms.WithLabels({"RecordSignup", "OK"});
  std::atomic<uint64_t> bare{0};
  std::atomic<uint64_t> sink{0};

  struct Case {
    const char* name;
    std::function<void(int)> op;
  };
  const std::vector<Case> cases = {
      {"baseline: atomic fetch_add (relaxed)",
       [&](int) { bare.fetch_add(1, std::memory_order_relaxed); }},
      {"Counter::Increment (cached series)", [&](int) { cached_counter.Increment(); }},
      {"Histogram::Observe (cached series)", [&](int i) { cached_histogram.Observe(0.003 * i); }},
      {"WithLabels lookup + Increment",
       [&](int) { counters.WithLabels({"RecordSignup", "OK"}).Increment(); }},
      {"RpcRunner::End's work (2 lookups, code name, count, observe)",
       [&](int) {
         const std::string code = absl::StatusCodeToString(absl::StatusCode::kOk);
         counters.WithLabels({"RecordSignup", code}).Increment();
         histograms.WithLabels({"RecordSignup", code}).Observe(0.002);
       }},
      {"baseline: absl::Now() (RpcRunner already reads the clock)",
       [&](int) { sink.fetch_add(absl::ToUnixNanos(absl::Now()) & 1, std::memory_order_relaxed); }},
  };
  std::printf("%-62s %12s %12s\n", "operation", "1 thread ns", "2 threads ns");
  for (const Case& c : cases) {
    const double one = NanosPerOp(1, kOps, c.op);
    const double two = NanosPerOp(2, kOps, c.op);
    std::printf("%-62s %12.1f %12.1f\n", c.name, one, two);
  }

  // A scrape of a realistic registry: ~40 routes x 3 statuses as histograms.
  Registry big;
  auto& http = big.AddHistogram("http_seconds", "", {"route", "status"});
  for (int route = 0; route < 40; ++route) {
    for (const char* status : {"200", "400", "404"}) {
      http.WithLabels({absl::StrCat("POST /v1/route_", route), status}).Observe(0.01);
    }
  }
  std::string text;
  const absl::Time start = absl::Now();
  constexpr int kScrapes = 200;
  for (int i = 0; i < kScrapes; ++i) text = big.Render();
  std::printf("Render: 120 histogram series (%zu bytes): %.1f us per scrape\n", text.size(),
              absl::ToDoubleMicroseconds(absl::Now() - start) / kScrapes);
  return sink.load() == 42 ? 1 : 0;  // keeps the clock reads
}

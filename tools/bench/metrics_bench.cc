// One workload against two Prometheus clients: ours (common/metrics) and
// prometheus-cpp 1.0.1 (Debian's prometheus-cpp-dev), for
// docs/decisions/0001-metrics.md. Run -c opt:
//   bazel run -c opt //tools/bench:metrics_bench [-- --repeats=5]
//
// The per-request work is RpcRunner's CountRpc (services/call/rpc_runner.cc;
// the gateway's CountHttp has the same shape): a (method, code) counter
// incremented and a histogram observed, the code's name made per call, over
// the server's 33 methods x 4 codes, every series already created (the
// steady state). prometheus-cpp runs it twice: naively (Family::Add with a
// labels map per call, as its documentation shows) and with the series cached
// behind a method-keyed map, as CountRpc would have to after a switch; ours
// also runs behind that same cache, to tell the library from the lookup.
// Each case runs on 1 and 4 threads. "cpu ns" (the threads' CPU time over all
// operations) is the figure to compare; "wall ns" (wall time over one
// thread's operations) mostly measures whatever else the machine runs, but
// only it includes time spent blocked on a lock. Medians over the repeats;
// allocations are counted by this binary's operator new.
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/metrics.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

ABSL_FLAG(int, repeats, 5, "runs of each case; the table shows medians");
ABSL_FLAG(int, ops, 1000000, "operations per thread per run");
ABSL_FLAG(bool, show_scrape, false, "print the start of both scrapes, to compare the text");

// ---------------------------------------------------------- allocation count

namespace {
thread_local uint64_t thread_allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  ++thread_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

namespace ours = affonso::metrics;

// --------------------------------------------------------------- the workload

// Every method the services pass to RpcRunner.
const char* const kMethods[] = {
    "RecordSignup",
    "CreateAffiliate",
    "CreateCommissionOverride",
    "CreateGroup",
    "CreateIncentive",
    "CreateReferral",
    "CreateWebhook",
    "DeleteAffiliate",
    "DeleteCommissionOverride",
    "DeleteGroup",
    "DeleteIncentive",
    "DeleteWebhook",
    "GetAffiliate",
    "GetCommission",
    "GetFraudRules",
    "GetGroup",
    "GetReferral",
    "GetTrackingSettings",
    "GetWebhook",
    "ListAffiliates",
    "ListCommissions",
    "ListGroups",
    "ListReferrals",
    "ListWebhookDeliveries",
    "ListWebhooks",
    "RedeliverEvent",
    "TrackClick",
    "UpdateAffiliate",
    "UpdateFraudRules",
    "UpdateGroup",
    "UpdateReferral",
    "UpdateTrackingSettings",
    "UpdateWebhook",
};
constexpr int kMethodCount = sizeof(kMethods) / sizeof(kMethods[0]);
// "INVALID_ARGUMENT" and "UNAUTHENTICATED" are past std::string's inline
// capacity: naming them allocates, as in the server.
constexpr absl::StatusCode kCodes[] = {absl::StatusCode::kOk, absl::StatusCode::kInvalidArgument,
                                       absl::StatusCode::kNotFound,
                                       absl::StatusCode::kUnauthenticated};
constexpr int kCodeCount = 4;

// The i-th request of a thread: every method, then the next code.
absl::string_view MethodOf(int i) { return kMethods[i % kMethodCount]; }
absl::StatusCode CodeOf(int i) { return kCodes[(i / kMethodCount) % kCodeCount]; }
double SecondsOf(int i) { return 0.0002 * (i % 64); }  // 0 to 12.6 ms: several buckets

constexpr char kCounterName[] = "affonso_grpc_requests_total";
constexpr char kCounterHelp[] = "gRPC calls answered, by method and status code.";
constexpr char kHistogramName[] = "affonso_grpc_request_duration_seconds";
constexpr char kHistogramHelp[] =
    "Time from the start of a gRPC call to its answer, by method and status code.";

// ---------------------------------------------------------- ours: as the code

struct Ours {
  ours::Registry registry;
  ours::CounterFamily& requests =
      registry.AddCounter(kCounterName, kCounterHelp, {"method", "code"});
  ours::HistogramFamily& durations =
      registry.AddHistogram(kHistogramName, kHistogramHelp, {"method", "code"});

  // CountRpc, line for line.
  void Count(absl::string_view method, absl::StatusCode code, double seconds) {
    const std::string code_name = absl::StatusCodeToString(code);
    requests.WithLabels({method, code_name}).Increment();
    durations.WithLabels({method, code_name}).Observe(seconds);
  }
};

// What CountRpc would become with either library: series found by method
// (heterogeneous lookup, no allocation) and code index, under a reader lock;
// made by `make(code_name)` on first use. One cache for both, so the
// cached rows compare the libraries, not two caches.
template <typename CounterT, typename HistogramT>
class SeriesCache {
 public:
  struct Series {
    CounterT* counter = nullptr;
    HistogramT* histogram = nullptr;
  };

  template <typename Make>
  Series Get(absl::string_view method, absl::StatusCode code, Make&& make) {
    const int index = static_cast<int>(code);
    {
      absl::ReaderMutexLock lock(&mu_);
      auto it = cache_.find(method);
      if (it != cache_.end() && it->second[index].counter != nullptr) return it->second[index];
    }
    absl::MutexLock lock(&mu_);
    Series& slot = cache_[method][index];
    if (slot.counter == nullptr) slot = make(absl::StatusCodeToString(code));
    return slot;
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::array<Series, 17>> cache_ ABSL_GUARDED_BY(mu_);
};

// The same cache in front of ours: shows what the lookup strategy is worth
// apart from the library.
struct OursCached {
  Ours& o;
  SeriesCache<ours::Counter, ours::Histogram> cache;

  void Count(absl::string_view method, absl::StatusCode code, double seconds) {
    const auto series = cache.Get(method, code, [&](const std::string& code_name) {
      return decltype(cache)::Series{&o.requests.WithLabels({method, code_name}),
                                     &o.durations.WithLabels({method, code_name})};
    });
    series.counter->Increment();
    series.histogram->Observe(seconds);
  }
};

// ------------------------------------------------------------- prometheus-cpp

struct Prom {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter().Name(kCounterName).Help(kCounterHelp).Register(*registry);
  prometheus::Family<prometheus::Histogram>& durations =
      prometheus::BuildHistogram().Name(kHistogramName).Help(kHistogramHelp).Register(*registry);
  const prometheus::Histogram::BucketBoundaries buckets = ours::DefaultLatencyBuckets();

  // The documented way: Add returns the existing series for known labels
  // (it still builds a Histogram, with its buckets, to throw away).
  void CountNaive(absl::string_view method, absl::StatusCode code, double seconds) {
    const std::string code_name = absl::StatusCodeToString(code);
    const prometheus::Labels labels = {{"method", std::string(method)}, {"code", code_name}};
    requests.Add(labels).Increment();
    durations.Add(labels, buckets).Observe(seconds);
  }

  // What CountRpc would become: the cache above, series created through
  // Family::Add on first use.
  SeriesCache<prometheus::Counter, prometheus::Histogram> cache;

  void CountCached(absl::string_view method, absl::StatusCode code, double seconds) {
    const auto series = cache.Get(method, code, [&](const std::string& code_name) {
      const prometheus::Labels labels = {{"method", std::string(method)}, {"code", code_name}};
      return decltype(cache)::Series{&requests.Add(labels), &durations.Add(labels, buckets)};
    });
    series.counter->Increment();
    series.histogram->Observe(seconds);
  }
};

// ------------------------------------------------------------------- harness

double ThreadCpuNanos() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct Sample {
  double wall_ns = 0;  // wall time / operations per thread
  double cpu_ns = 0;   // CPU time of all threads / all operations
  double allocs = 0;   // allocations / all operations
};

Sample Run(int threads, int n, const std::function<void(int)>& op) {
  std::atomic<uint64_t> allocations{0};
  std::atomic<uint64_t> cpu{0};
  std::vector<std::thread> pool;
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const uint64_t allocs_before = thread_allocations;
      const double cpu_before = ThreadCpuNanos();
      for (int i = 0; i < n; ++i) op(i + t * 7);  // threads start on different series
      cpu.fetch_add(static_cast<uint64_t>(ThreadCpuNanos() - cpu_before));
      allocations.fetch_add(thread_allocations - allocs_before);
    });
  }
  for (std::thread& thread : pool) thread.join();
  const double total = static_cast<double>(threads) * n;
  return {absl::ToDoubleNanoseconds(absl::Now() - start) / n, cpu.load() / total,
          allocations.load() / total};
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

Sample MedianOf(int repeats, const std::function<Sample()>& run) {
  std::vector<double> wall, cpu, allocs;
  for (int r = 0; r < repeats; ++r) {
    const Sample s = run();
    wall.push_back(s.wall_ns);
    cpu.push_back(s.cpu_ns);
    allocs.push_back(s.allocs);
  }
  return {Median(wall), Median(cpu), Median(allocs)};
}

// Scrape: 33 methods x 4 codes for gRPC and 33 routes x 4 statuses for REST,
// each a counter and a 14-bucket histogram: 264 counters, 264 histograms.
void FillOurs(ours::Registry& registry) {
  auto& grpc_requests = registry.AddCounter(kCounterName, kCounterHelp, {"method", "code"});
  auto& grpc_durations = registry.AddHistogram(kHistogramName, kHistogramHelp, {"method", "code"});
  auto& http_requests =
      registry.AddCounter("affonso_http_requests_total", "REST requests.", {"route", "status"});
  auto& http_durations = registry.AddHistogram("affonso_http_request_duration_seconds",
                                               "REST request time.", {"route", "status"});
  for (int m = 0; m < kMethodCount; ++m) {
    for (int c = 0; c < kCodeCount; ++c) {
      const std::string code = absl::StatusCodeToString(kCodes[c]);
      grpc_requests.WithLabels({kMethods[m], code}).Increment(m + c);
      grpc_durations.WithLabels({kMethods[m], code}).Observe(SecondsOf(m * 5 + c));
      const std::string route = absl::StrCat("POST /v1/", kMethods[m]);
      const std::string status = std::to_string(200 + 100 * c);
      http_requests.WithLabels({route, status}).Increment(m + c);
      http_durations.WithLabels({route, status}).Observe(SecondsOf(m * 5 + c));
    }
  }
}

void FillProm(prometheus::Registry& registry) {
  const prometheus::Histogram::BucketBoundaries buckets = ours::DefaultLatencyBuckets();
  auto& grpc_requests =
      prometheus::BuildCounter().Name(kCounterName).Help(kCounterHelp).Register(registry);
  auto& grpc_durations =
      prometheus::BuildHistogram().Name(kHistogramName).Help(kHistogramHelp).Register(registry);
  auto& http_requests = prometheus::BuildCounter()
                            .Name("affonso_http_requests_total")
                            .Help("REST requests.")
                            .Register(registry);
  auto& http_durations = prometheus::BuildHistogram()
                             .Name("affonso_http_request_duration_seconds")
                             .Help("REST request time.")
                             .Register(registry);
  for (int m = 0; m < kMethodCount; ++m) {
    for (int c = 0; c < kCodeCount; ++c) {
      const std::string code = absl::StatusCodeToString(kCodes[c]);
      grpc_requests.Add({{"method", kMethods[m]}, {"code", code}}).Increment(m + c);
      grpc_durations.Add({{"method", kMethods[m]}, {"code", code}}, buckets)
          .Observe(SecondsOf(m * 5 + c));
      const std::string route = absl::StrCat("POST /v1/", kMethods[m]);
      const std::string status = std::to_string(200 + 100 * c);
      http_requests.Add({{"route", route}, {"status", status}}).Increment(m + c);
      http_durations.Add({{"route", route}, {"status", status}}, buckets)
          .Observe(SecondsOf(m * 5 + c));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int repeats = absl::GetFlag(FLAGS_repeats);
  const int n = absl::GetFlag(FLAGS_ops);

  Ours o;
  Prom p;
  OursCached oc{o};
  // Steady state: every series exists before timing.
  for (int i = 0; i < kMethodCount * kCodeCount; ++i) {
    o.Count(MethodOf(i), CodeOf(i), 0);
    p.CountCached(MethodOf(i), CodeOf(i), 0);
    oc.Count(MethodOf(i), CodeOf(i), 0);
  }
  ours::Counter& o_counter = o.requests.WithLabels({"RecordSignup", "OK"});
  ours::Histogram& o_histogram = o.durations.WithLabels({"RecordSignup", "OK"});
  prometheus::Counter& p_counter = p.requests.Add({{"method", "RecordSignup"}, {"code", "OK"}});
  prometheus::Histogram& p_histogram =
      p.durations.Add({{"method", "RecordSignup"}, {"code", "OK"}}, p.buckets);
  std::atomic<uint64_t> bare{0};

  struct Case {
    const char* name;
    std::function<void(int)> op;
  };
  const std::vector<Case> cases = {
      {"floor: relaxed atomic fetch_add",
       [&](int) { bare.fetch_add(1, std::memory_order_relaxed); }},
      {"ours: held series, Increment + Observe",
       [&](int i) {
         o_counter.Increment();
         o_histogram.Observe(SecondsOf(i));
       }},
      {"prometheus-cpp: held series, Increment + Observe",
       [&](int i) {
         p_counter.Increment();
         p_histogram.Observe(SecondsOf(i));
       }},
      {"ours: CountRpc (WithLabels per call)",
       [&](int i) { o.Count(MethodOf(i), CodeOf(i), SecondsOf(i)); }},
      {"prometheus-cpp: CountRpc, naive Family::Add per call",
       [&](int i) { p.CountNaive(MethodOf(i), CodeOf(i), SecondsOf(i)); }},
      {"prometheus-cpp: CountRpc, cached series",
       [&](int i) { p.CountCached(MethodOf(i), CodeOf(i), SecondsOf(i)); }},
      {"ours: CountRpc, the same cache in front",
       [&](int i) { oc.Count(MethodOf(i), CodeOf(i), SecondsOf(i)); }},
  };

  std::printf("median of %d runs, %d ops per thread; %u hardware threads\n", repeats, n,
              std::thread::hardware_concurrency());
  std::printf("%-54s | %8s %8s %7s | %8s %8s %7s\n", "", "1 thread", "", "", "4 threads", "", "");
  std::printf("%-54s | %8s %8s %7s | %8s %8s %7s\n", "operation", "wall ns", "cpu ns", "allocs",
              "wall ns", "cpu ns", "allocs");
  for (const Case& c : cases) {
    const Sample one = MedianOf(repeats, [&] { return Run(1, n, c.op); });
    const Sample four = MedianOf(repeats, [&] { return Run(4, n, c.op); });
    std::printf("%-54s | %8.1f %8.1f %7.2f | %8.1f %8.1f %7.2f\n", c.name, one.wall_ns, one.cpu_ns,
                one.allocs, four.wall_ns, four.cpu_ns, four.allocs);
  }

  // Scrapes. The outputs differ only in order and float formatting.
  ours::Registry o_big;
  FillOurs(o_big);
  prometheus::Registry p_big;
  FillProm(p_big);
  constexpr int kScrapes = 200;
  std::string text;
  const auto scrape = [&](const std::function<std::string()>& render) {
    return MedianOf(repeats, [&] {
      const uint64_t allocs_before = thread_allocations;
      const double cpu_before = ThreadCpuNanos();
      const absl::Time start = absl::Now();
      for (int i = 0; i < kScrapes; ++i) text = render();
      return Sample{absl::ToDoubleMicroseconds(absl::Now() - start) / kScrapes,
                    (ThreadCpuNanos() - cpu_before) / 1000 / kScrapes,
                    static_cast<double>(thread_allocations - allocs_before) / kScrapes};
    });
  };
  const Sample o_scrape = scrape([&] { return o_big.Render(); });
  const size_t o_bytes = text.size();
  const Sample p_scrape =
      scrape([&] { return prometheus::TextSerializer().Serialize(p_big.Collect()); });
  const size_t p_bytes = text.size();
  if (absl::GetFlag(FLAGS_show_scrape)) {
    std::printf("--- ours\n%.1200s\n--- prometheus-cpp\n%.1200s\n", o_big.Render().c_str(),
                text.c_str());
  }
  std::printf(
      "scrape, 264 counters + 264 histograms (wall / cpu us, allocs): ours %.0f / %.0f us, %.0f "
      "allocs (%zu bytes); prometheus-cpp %.0f / %.0f us, %.0f allocs (%zu bytes)\n",
      o_scrape.wall_ns, o_scrape.cpu_ns, o_scrape.allocs, o_bytes, p_scrape.wall_ns,
      p_scrape.cpu_ns, p_scrape.allocs, p_bytes);
  return bare.load() == 0 ? 1 : 0;
}

#include "common/metrics.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace affonso::metrics {
namespace {

TEST(MetricsTest, RendersTheTextExpositionFormat) {
  Registry registry;
  CounterFamily& requests =
      registry.AddCounter("test_requests_total", "Requests handled.", {"method", "code"});
  requests.WithLabels({"Get", "OK"}).Increment();
  requests.WithLabels({"Get", "OK"}).Increment(2);
  requests.WithLabels({"Create", "NOT_FOUND"}).Increment();
  registry.AddGauge("test_temperature", "Current temperature.").WithLabels({}).Set(-1.5);
  HistogramFamily& latency =
      registry.AddHistogram("test_latency_seconds", "Latency.", {"method"}, {0.25, 1, 2.5});
  latency.WithLabels({"Get"}).Observe(0.125);
  latency.WithLabels({"Get"}).Observe(0.25);  // `le` is inclusive
  latency.WithLabels({"Get"}).Observe(absl::Milliseconds(1500));
  latency.WithLabels({"Get"}).Observe(30);
  registry.AddCounter("test_empty_total", "Never incremented.", {"x"});

  EXPECT_EQ(registry.Render(),
            "# HELP test_empty_total Never incremented.\n"
            "# TYPE test_empty_total counter\n"
            "# HELP test_latency_seconds Latency.\n"
            "# TYPE test_latency_seconds histogram\n"
            "test_latency_seconds_bucket{method=\"Get\",le=\"0.25\"} 2\n"
            "test_latency_seconds_bucket{method=\"Get\",le=\"1\"} 2\n"
            "test_latency_seconds_bucket{method=\"Get\",le=\"2.5\"} 3\n"
            "test_latency_seconds_bucket{method=\"Get\",le=\"+Inf\"} 4\n"
            "test_latency_seconds_sum{method=\"Get\"} 31.875\n"
            "test_latency_seconds_count{method=\"Get\"} 4\n"
            "# HELP test_requests_total Requests handled.\n"
            "# TYPE test_requests_total counter\n"
            "test_requests_total{method=\"Create\",code=\"NOT_FOUND\"} 1\n"
            "test_requests_total{method=\"Get\",code=\"OK\"} 3\n"
            "# HELP test_temperature Current temperature.\n"
            "# TYPE test_temperature gauge\n"
            "test_temperature -1.5\n");
}

TEST(MetricsTest, HistogramWithoutLabels) {
  Registry registry;
  registry.AddHistogram("h", "H.", {}, {1}).WithLabels({}).Observe(0.5);
  EXPECT_EQ(registry.Render(),
            "# HELP h H.\n# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 0.5\nh_count 1\n");
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry.AddCounter("escaped_total", "Help with \\ and\nnewline \"quoted\".", {"v"})
      .WithLabels({"a\\b\"c\nd"})
      .Increment();
  EXPECT_EQ(registry.Render(),
            "# HELP escaped_total Help with \\\\ and\\nnewline \"quoted\".\n"
            "# TYPE escaped_total counter\n"
            "escaped_total{v=\"a\\\\b\\\"c\\nd\"} 1\n");
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeLabelValue("\\\"\n"), "\\\\\\\"\\n");
}

TEST(MetricsTest, FormatsValuesShortestExact) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(1), "1");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(0.0005), "0.0005");
  EXPECT_EQ(FormatValue(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatValue(1234567), "1234567");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(MetricsTest, WithLabelsReturnsTheSameSeries) {
  Registry registry;
  CounterFamily& family = registry.AddCounter("c_total", "C.", {"a"});
  Counter& first = family.WithLabels({"x"});
  EXPECT_EQ(&first, &family.WithLabels({"x"}));
  EXPECT_NE(&first, &family.WithLabels({"y"}));
  // The same name, type and labels is the same family.
  EXPECT_EQ(&family, &registry.AddCounter("c_total", "other help", {"a"}));
}

TEST(MetricsTest, CountsExactlyUnderConcurrency) {
  Registry registry;
  CounterFamily& counters = registry.AddCounter("n_total", "N.", {"thread_group"});
  GaugeFamily& gauges = registry.AddGauge("g", "G.");
  HistogramFamily& histograms = registry.AddHistogram("h_seconds", "H.", {}, {0.5});
  constexpr int kThreads = 8;
  constexpr int kIterations = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Half look the series up every time (racing on creation), half cache it.
      Counter& cached = counters.WithLabels({"cached"});
      for (int i = 0; i < kIterations; ++i) {
        if (t % 2 == 0) {
          counters.WithLabels({"looked_up"}).Increment();
          counters.WithLabels({absl::StrCat("series_", i % 50)}).Increment();
        } else {
          cached.Increment();
        }
        gauges.WithLabels({}).Add(1);
        gauges.WithLabels({}).Add(-0.5);
        histograms.WithLabels({}).Observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const uint64_t half = uint64_t{kThreads / 2} * kIterations;
  EXPECT_EQ(counters.WithLabels({"looked_up"}).Value(), half);
  EXPECT_EQ(counters.WithLabels({"cached"}).Value(), half);
  uint64_t spread = 0;
  for (int s = 0; s < 50; ++s) spread += counters.WithLabels({absl::StrCat("series_", s)}).Value();
  EXPECT_EQ(spread, half);
  EXPECT_EQ(gauges.WithLabels({}).Value(), 0.5 * kThreads * kIterations);  // exact in binary
  const Histogram::Snapshot h = histograms.WithLabels({}).Read();
  EXPECT_EQ(h.count, uint64_t{kThreads} * kIterations);
  EXPECT_EQ(h.cumulative[0], h.count / 2);
  EXPECT_EQ(h.sum, kThreads * kIterations / 2 * 1.25);
}

TEST(MetricsTest, RendersWhileSeriesAreAdded) {
  Registry registry;
  CounterFamily& family = registry.AddCounter("grow_total", "G.", {"n"});
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 5000; ++i) family.WithLabels({absl::StrCat("series_", i)}).Increment();
    done = true;
  });
  size_t renders = 0;
  while (!done.load()) {
    EXPECT_EQ(registry.Render().rfind("# HELP grow_total G.\n", 0), 0u);
    ++renders;
  }
  writer.join();
  const std::string text = registry.Render();
  EXPECT_NE(text.find("\ngrow_total{n=\"series_4999\"} 1\n"), std::string::npos);
  EXPECT_GT(renders, 0u);
}

TEST(MetricsTest, CallbackGaugesReadAtScrapeUntilUnregistered) {
  Registry registry;
  GaugeFamily& pool = registry.AddGauge("pool_in_use", "In use.", {"pool"});
  pool.WithLabels({"b"}).Set(7);
  double value = 3;
  {
    CallbackRegistration registration = pool.SetCallback({"a"}, [&] { return value; });
    value = 4;
    EXPECT_EQ(registry.Render(),
              "# HELP pool_in_use In use.\n# TYPE pool_in_use gauge\n"
              "pool_in_use{pool=\"a\"} 4\npool_in_use{pool=\"b\"} 7\n");
    // A second owner of the same series replaces the first; the first's
    // unregistration then leaves the second in place.
    CallbackRegistration replacement = pool.SetCallback({"a"}, [] { return 9.0; });
    CallbackRegistration moved = std::move(registration);
    moved.Reset();
    EXPECT_EQ(registry.Render(),
              "# HELP pool_in_use In use.\n# TYPE pool_in_use gauge\n"
              "pool_in_use{pool=\"a\"} 9\npool_in_use{pool=\"b\"} 7\n");
  }
  EXPECT_EQ(registry.Render(),
            "# HELP pool_in_use In use.\n# TYPE pool_in_use gauge\npool_in_use{pool=\"b\"} 7\n");
}

TEST(MetricsTest, DefaultLatencyBucketsIncrease) {
  const std::vector<double> buckets = DefaultLatencyBuckets();
  ASSERT_FALSE(buckets.empty());
  for (size_t i = 1; i < buckets.size(); ++i) EXPECT_LT(buckets[i - 1], buckets[i]);
}

TEST(MetricsDeathTest, MisuseAborts) {
  Registry registry;
  CounterFamily& family = registry.AddCounter("d_total", "D.", {"a", "b"});
  EXPECT_DEATH(family.WithLabels({"only one"}), "2 label names");
  EXPECT_DEATH(registry.AddGauge("d_total", "D.", {"a", "b"}), "registered twice");
  EXPECT_DEATH(registry.AddCounter("d_total", "D.", {"a"}), "registered twice");
  EXPECT_DEATH(registry.AddCounter("bad-name", "B."), "invalid metric name");
  EXPECT_DEATH(registry.AddCounter("ok_total", "B.", {"__reserved"}), "invalid label name");
  EXPECT_DEATH(registry.AddHistogram("h", "H.", {"le"}), "reserved");
  EXPECT_DEATH(registry.AddHistogram("h2", "H.", {}, {1, 1}), "strictly increasing");
  registry.AddHistogram("h3", "H.", {}, {1, 2});
  EXPECT_DEATH(registry.AddHistogram("h3", "H.", {}, {1, 3}), "other buckets");
}

}  // namespace
}  // namespace affonso::metrics

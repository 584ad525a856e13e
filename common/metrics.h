#ifndef AFFONSO_COMMON_METRICS_H_
#define AFFONSO_COMMON_METRICS_H_

// A small Prometheus client: counters, gauges and histograms in families with
// fixed label names, rendered in the text exposition format 0.0.4.
//
//   // In a constructor, from the metrics::Registry* it was handed:
//   metrics::CounterFamily& requests_ = registry->AddCounter(
//       "affonso_things_total", "Things done.", {"result"});
//   requests_.WithLabels({"ok"}).Increment();
//
// main.cc owns the one registry its ops port serves and hands it down; tests
// give each object a registry of their own and read it.
//
// Updating a series is a few atomic operations and takes no lock; finding (or
// creating) a series takes its family's lock, so hot paths may keep the
// reference WithLabels returns: series live as long as their registry.
// Misuse (a wrong number of label values, an invalid name, one name registered
// twice with different types or labels) is a programming error and aborts.

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/inlined_vector.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace affonso::metrics {

// Only goes up. Integer increments: everything we count is a whole number.
class Counter {
 public:
  void Increment(uint64_t amount = 1) { value_.fetch_add(amount, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double amount);
  void Increment() { Add(1); }
  void Decrement() { Add(-1); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into buckets by upper bound (inclusive, as Prometheus's
// `le`), plus their sum. A scrape racing Observe may see the sum of one more
// or one fewer observation than the counts; the counts agree with each other.
class Histogram {
 public:
  // `bounds` strictly increasing and finite; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);

  void Observe(double value);
  void Observe(absl::Duration duration) { Observe(absl::ToDoubleSeconds(duration)); }

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (== count)
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot Read() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 (last: +Inf)
  std::atomic<double> sum_{0};
};

// Request latencies in seconds, 0.5 ms to 10 s.
std::vector<double> DefaultLatencyBuckets();

using Labels = std::vector<std::string>;  // values, in the family's label-name order

namespace internal {
// A lookup key borrows the caller's strings: finding a series allocates nothing.
using LabelsView = absl::InlinedVector<absl::string_view, 4>;
size_t HashLabels(const LabelsView& values);
struct LabelsHash {
  using is_transparent = void;
  size_t operator()(const LabelsView& values) const { return HashLabels(values); }
  size_t operator()(const Labels& values) const {
    return HashLabels(LabelsView(values.begin(), values.end()));
  }
};
struct LabelsEq {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (absl::string_view(a[i]) != absl::string_view(b[i])) return false;
    }
    return true;
  }
};

// What every family shares: name, help, label names, and rendering.
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         const char* type);
  virtual ~Family() = default;
  const std::string& name() const { return name_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  const char* type() const { return type_; }
  // Appends HELP, TYPE and every series, ordered by label values.
  void Render(std::string* out) const;

 protected:
  // Aborts unless `values` has one value per label name.
  void CheckArity(size_t count) const;
  // Every series' sample lines.
  virtual void RenderSeries(std::string* out) const = 0;
  // `{name="value",...}` (nothing without labels); `extra` is one more
  // already formatted pair, such as le="0.5".
  void AppendLabels(std::string* out, const Labels& values, absl::string_view extra = {}) const;

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const char* const type_;
};

// Series by label values, created on first use and never removed.
template <typename T>
class SeriesMap {
 public:
  template <typename Make>
  T& GetOrCreate(std::initializer_list<absl::string_view> values, Make make) {
    const LabelsView key(values.begin(), values.end());
    {
      absl::ReaderMutexLock lock(&mu_);
      auto it = series_.find(key);
      if (it != series_.end()) return *it->second;
    }
    absl::MutexLock lock(&mu_);
    auto it = series_.find(key);
    if (it != series_.end()) return *it->second;
    Labels owned(values.begin(), values.end());
    return *series_.emplace(std::move(owned), make()).first->second;
  }
  // Sorted by label values, for a stable exposition.
  std::vector<std::pair<const Labels*, const T*>> Sorted() const;

 private:
  mutable absl::Mutex mu_;
  // Node-based: a key's address is stable, so Sorted() hands out pointers.
  absl::node_hash_map<Labels, std::unique_ptr<T>, LabelsHash, LabelsEq> series_
      ABSL_GUARDED_BY(mu_);
};
}  // namespace internal

class CounterFamily final : public internal::Family {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> label_names)
      : Family(std::move(name), std::move(help), std::move(label_names), "counter") {}
  Counter& WithLabels(std::initializer_list<absl::string_view> values);

 private:
  void RenderSeries(std::string* out) const override;
  internal::SeriesMap<Counter> series_;
};

// Unregisters its callback when destroyed (or reset); move-only. Destroying
// it waits for a scrape running the callback, so the callback may use
// anything that outlives the registration.
class CallbackRegistration {
 public:
  CallbackRegistration() = default;
  CallbackRegistration(CallbackRegistration&& other) noexcept { *this = std::move(other); }
  CallbackRegistration& operator=(CallbackRegistration&& other) noexcept;
  CallbackRegistration(const CallbackRegistration&) = delete;
  CallbackRegistration& operator=(const CallbackRegistration&) = delete;
  ~CallbackRegistration() { Reset(); }
  void Reset();

 private:
  friend class GaugeFamily;
  CallbackRegistration(class GaugeFamily* family, Labels values, uint64_t id)
      : family_(family), values_(std::move(values)), id_(id) {}
  class GaugeFamily* family_ = nullptr;
  Labels values_;
  uint64_t id_ = 0;
};

class GaugeFamily final : public internal::Family {
 public:
  GaugeFamily(std::string name, std::string help, std::vector<std::string> label_names)
      : Family(std::move(name), std::move(help), std::move(label_names), "gauge") {}
  Gauge& WithLabels(std::initializer_list<absl::string_view> values);

  // A series whose value `read()` gives at each scrape, for state that
  // already lives elsewhere (pool occupancy). It runs under the family's
  // lock: it must be quick and must not use this registry. Registering the
  // same label values again replaces the callback (the latest owner wins);
  // a label set is either a callback or a WithLabels gauge, not both.
  CallbackRegistration SetCallback(std::initializer_list<absl::string_view> values,
                                   std::function<double()> read);

 private:
  friend class CallbackRegistration;
  struct Callback {
    uint64_t id;
    std::function<double()> read;
  };
  void RenderSeries(std::string* out) const override;
  void RemoveCallback(const Labels& values, uint64_t id);

  internal::SeriesMap<Gauge> series_;
  mutable absl::Mutex callbacks_mu_;
  std::map<Labels, Callback> callbacks_ ABSL_GUARDED_BY(callbacks_mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(callbacks_mu_) = 1;
};

class HistogramFamily final : public internal::Family {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> bounds);
  Histogram& WithLabels(std::initializer_list<absl::string_view> values);
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  void RenderSeries(std::string* out) const override;
  const std::vector<double> bounds_;
  internal::SeriesMap<Histogram> series_;
};

// Owns families; thread-safe. Adding a name that exists returns the existing
// family when type, label names (and buckets) match, so independent owners
// (several servers in one test process) can share a metric.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  CounterFamily& AddCounter(const std::string& name, const std::string& help,
                            std::vector<std::string> label_names = {});
  GaugeFamily& AddGauge(const std::string& name, const std::string& help,
                        std::vector<std::string> label_names = {});
  HistogramFamily& AddHistogram(const std::string& name, const std::string& help,
                                std::vector<std::string> label_names = {},
                                std::vector<double> bounds = DefaultLatencyBuckets());

  // Text exposition format 0.0.4, families ordered by name.
  std::string Render() const;

 private:
  template <typename F, typename Make>
  F& Add(const std::string& name, const std::vector<std::string>& label_names, Make make);

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<internal::Family>> families_ ABSL_GUARDED_BY(mu_);
};

// The Content-Type of Render's output.
inline constexpr char kExpositionContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Exposed for tests: value formatting and label-value escaping.
std::string FormatValue(double value);
std::string EscapeLabelValue(absl::string_view value);

}  // namespace affonso::metrics

#endif  // AFFONSO_COMMON_METRICS_H_

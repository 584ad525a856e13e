#include "common/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace affonso::metrics {
namespace {

[[noreturn]] void Fail(absl::string_view message) {
  std::fprintf(stderr, "metrics: %.*s\n", static_cast<int>(message.size()), message.data());
  std::abort();
}

bool IsValidName(absl::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = name[i];
    const bool ok = absl::ascii_isalpha(c) || c == '_' || (allow_colon && c == ':') ||
                    (i > 0 && absl::ascii_isdigit(c));
    if (!ok) return false;
  }
  return true;
}

// HELP text escapes backslash and line feed (not quotes).
std::string EscapeHelp(absl::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // The shortest of %.15g / %.17g that reads back exactly: 0.1, not 0.10000000000000001.
  std::string text = absl::StrFormat("%.15g", value);
  if (std::strtod(text.c_str(), nullptr) != value) text = absl::StrFormat("%.17g", value);
  return text;
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

void Gauge::Add(double amount) {
  double current = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  // First bound >= value (`le` is inclusive); NaN counts only toward +Inf.
  const size_t bucket =
      std::isnan(value) ? bounds_.size()
                        : std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  double sum = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(sum, sum + value, std::memory_order_relaxed)) {
  }
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  snapshot.cumulative.reserve(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(running);
  }
  snapshot.count = running;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

namespace internal {

size_t HashLabels(const LabelsView& values) {
  size_t hash = values.size();
  for (absl::string_view value : values) {
    hash = hash * 1000003 ^ absl::Hash<absl::string_view>()(value);
  }
  return hash;
}

template <typename T>
std::vector<std::pair<const Labels*, const T*>> SeriesMap<T>::Sorted() const {
  std::vector<std::pair<const Labels*, const T*>> out;
  {
    absl::ReaderMutexLock lock(&mu_);
    out.reserve(series_.size());
    for (const auto& [labels, series] : series_) out.emplace_back(&labels, series.get());
  }
  // Keys (map nodes) and series never move or go away, so sorting outside
  // the lock is safe while other threads add series.
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  return out;
}

Family::Family(std::string name, std::string help, std::vector<std::string> label_names,
               const char* type)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      type_(type) {}

void Family::CheckArity(size_t count) const {
  if (count != label_names_.size()) {
    Fail(absl::StrCat(name_, ": ", count, " label values for ", label_names_.size(),
                      " label names"));
  }
}

void Family::AppendLabels(std::string* out, const Labels& values, absl::string_view extra) const {
  if (values.empty() && extra.empty()) return;
  out->push_back('{');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out->push_back(',');
    absl::StrAppend(out, label_names_[i], "=\"", EscapeLabelValue(values[i]), "\"");
  }
  if (!extra.empty()) {
    if (!values.empty()) out->push_back(',');
    out->append(extra.data(), extra.size());
  }
  out->push_back('}');
}

void Family::Render(std::string* out) const {
  absl::StrAppend(out, "# HELP ", name_, " ", EscapeHelp(help_), "\n# TYPE ", name_, " ", type_,
                  "\n");
  RenderSeries(out);
}

}  // namespace internal

Counter& CounterFamily::WithLabels(std::initializer_list<absl::string_view> values) {
  CheckArity(values.size());
  return series_.GetOrCreate(values, [] { return std::make_unique<Counter>(); });
}

void CounterFamily::RenderSeries(std::string* out) const {
  for (const auto& [labels, counter] : series_.Sorted()) {
    out->append(name());
    AppendLabels(out, *labels);
    absl::StrAppend(out, " ", counter->Value(), "\n");
  }
}

Gauge& GaugeFamily::WithLabels(std::initializer_list<absl::string_view> values) {
  CheckArity(values.size());
  return series_.GetOrCreate(values, [] { return std::make_unique<Gauge>(); });
}

CallbackRegistration GaugeFamily::SetCallback(std::initializer_list<absl::string_view> values,
                                              std::function<double()> read) {
  CheckArity(values.size());
  Labels labels(values.begin(), values.end());
  absl::MutexLock lock(&callbacks_mu_);
  const uint64_t id = next_id_++;
  callbacks_[labels] = Callback{id, std::move(read)};
  return CallbackRegistration(this, std::move(labels), id);
}

void GaugeFamily::RemoveCallback(const Labels& values, uint64_t id) {
  absl::MutexLock lock(&callbacks_mu_);
  auto it = callbacks_.find(values);
  if (it != callbacks_.end() && it->second.id == id) callbacks_.erase(it);
}

void GaugeFamily::RenderSeries(std::string* out) const {
  std::vector<std::pair<const Labels*, double>> samples;
  for (const auto& [labels, gauge] : series_.Sorted()) samples.emplace_back(labels, gauge->Value());
  {
    absl::MutexLock lock(&callbacks_mu_);
    for (const auto& [labels, callback] : callbacks_) {
      samples.emplace_back(&labels, callback.read());
    }
    // Callback keys are only stable under the lock: render them here.
    std::stable_sort(samples.begin(), samples.end(),
                     [](const auto& a, const auto& b) { return *a.first < *b.first; });
    for (const auto& [labels, value] : samples) {
      out->append(name());
      AppendLabels(out, *labels);
      absl::StrAppend(out, " ", FormatValue(value), "\n");
    }
  }
}

CallbackRegistration& CallbackRegistration::operator=(CallbackRegistration&& other) noexcept {
  if (this != &other) {
    Reset();
    family_ = other.family_;
    values_ = std::move(other.values_);
    id_ = other.id_;
    other.family_ = nullptr;
  }
  return *this;
}

void CallbackRegistration::Reset() {
  if (family_ != nullptr) family_->RemoveCallback(values_, id_);
  family_ = nullptr;
}

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> label_names, std::vector<double> bounds)
    : Family(std::move(name), std::move(help), std::move(label_names), "histogram"),
      bounds_(std::move(bounds)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
      Fail(absl::StrCat(this->name(), ": buckets must be finite and strictly increasing"));
    }
  }
  for (const std::string& label : this->label_names()) {
    if (label == "le") Fail(absl::StrCat(this->name(), ": \"le\" is reserved for buckets"));
  }
}

Histogram& HistogramFamily::WithLabels(std::initializer_list<absl::string_view> values) {
  CheckArity(values.size());
  return series_.GetOrCreate(values, [this] { return std::make_unique<Histogram>(bounds_); });
}

void HistogramFamily::RenderSeries(std::string* out) const {
  std::vector<std::string> les;
  les.reserve(bounds_.size() + 1);
  for (double bound : bounds_) les.push_back(absl::StrCat("le=\"", FormatValue(bound), "\""));
  les.push_back("le=\"+Inf\"");
  for (const auto& [labels, histogram] : series_.Sorted()) {
    const Histogram::Snapshot snapshot = histogram->Read();
    for (size_t i = 0; i < les.size(); ++i) {
      absl::StrAppend(out, name(), "_bucket");
      AppendLabels(out, *labels, les[i]);
      absl::StrAppend(out, " ", snapshot.cumulative[i], "\n");
    }
    absl::StrAppend(out, name(), "_sum");
    AppendLabels(out, *labels);
    absl::StrAppend(out, " ", FormatValue(snapshot.sum), "\n");
    absl::StrAppend(out, name(), "_count");
    AppendLabels(out, *labels);
    absl::StrAppend(out, " ", snapshot.count, "\n");
  }
}

template <typename F, typename Make>
F& Registry::Add(const std::string& name, const std::vector<std::string>& label_names, Make make) {
  if (!IsValidName(name, /*allow_colon=*/true)) Fail(absl::StrCat("invalid metric name ", name));
  for (const std::string& label : label_names) {
    if (!IsValidName(label, /*allow_colon=*/false) || absl::StartsWith(label, "__")) {
      Fail(absl::StrCat(name, ": invalid label name ", label));
    }
  }
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    std::unique_ptr<F> family = make();
    F& added = *family;
    families_.emplace(name, std::move(family));
    return added;
  }
  F* existing = dynamic_cast<F*>(it->second.get());
  if (existing == nullptr || existing->label_names() != label_names) {
    Fail(absl::StrCat(name, " registered twice with different types or labels"));
  }
  return *existing;
}

CounterFamily& Registry::AddCounter(const std::string& name, const std::string& help,
                                    std::vector<std::string> label_names) {
  return Add<CounterFamily>(
      name, label_names, [&] { return std::make_unique<CounterFamily>(name, help, label_names); });
}

GaugeFamily& Registry::AddGauge(const std::string& name, const std::string& help,
                                std::vector<std::string> label_names) {
  return Add<GaugeFamily>(name, label_names,
                          [&] { return std::make_unique<GaugeFamily>(name, help, label_names); });
}

HistogramFamily& Registry::AddHistogram(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names,
                                        std::vector<double> bounds) {
  HistogramFamily& family = Add<HistogramFamily>(name, label_names, [&] {
    return std::make_unique<HistogramFamily>(name, help, label_names, bounds);
  });
  if (family.bounds() != bounds) Fail(absl::StrCat(name, " registered twice with other buckets"));
  return family;
}

std::string Registry::Render() const {
  std::string out;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, family] : families_) family->Render(&out);
  return out;
}

}  // namespace affonso::metrics

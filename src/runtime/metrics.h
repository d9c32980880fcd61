#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tenantdb::runtime {

// Prometheus metrics with labels, rendered in the text exposition format 0.0.4. Thread-safe:
// metric objects are updated lock-free (counters, gauges) or under their own lock (histograms);
// references returned by a family stay valid for the registry's lifetime, so hot paths look a
// child up once and keep the reference.
//
// Misuse (an invalid name, a name registered twice with another type or other labels, the wrong
// number of label values) is a programming error and throws std::invalid_argument.

using LabelValues = std::vector<std::string>;

class Counter {
 public:
  void Inc(double delta = 1);  // delta >= 0; negative deltas are ignored
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Inc(double delta = 1) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void Dec(double delta = 1) { value_.fetch_sub(delta, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per upper bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };

  explicit Histogram(std::vector<double> upper_bounds);  // sorted, finite, without +Inf
  void Observe(double value);
  Snapshot Snap() const;
  const std::vector<double>& upper_bounds() const { return upper_bounds_; }

 private:
  const std::vector<double> upper_bounds_;
  mutable std::mutex mu_;
  std::vector<std::uint64_t> counts_;  // per bucket, the last one is +Inf
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

// One metric name with its HELP, TYPE and label names; children per label-value tuple.
class MetricFamily {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  MetricFamily(std::string name, std::string help, Type type, std::vector<std::string> label_names)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        label_names_(std::move(label_names)) {}
  virtual ~MetricFamily() = default;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  Type type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Appends this family's HELP, TYPE and sample lines (nothing when it has no children).
  virtual void Render(std::string& out) const = 0;

 private:
  const std::string name_;
  const std::string help_;
  const Type type_;
  const std::vector<std::string> label_names_;
};

template <class Metric>
class Family final : public MetricFamily {
 public:
  Family(std::string name, std::string help, Type type, std::vector<std::string> label_names,
         std::function<std::unique_ptr<Metric>()> make)
      : MetricFamily(std::move(name), std::move(help), type, std::move(label_names)),
        make_(std::move(make)) {
    if (this->label_names().empty()) {
      children_.emplace(LabelValues{}, make_());  // an unlabelled metric is always exposed
    }
  }

  // The child for these label values (in the order of label_names()), created on first use.
  Metric& WithLabels(const LabelValues& values);
  void Render(std::string& out) const override;

 private:
  const std::function<std::unique_ptr<Metric>()> make_;
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<Metric>> children_;
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// A gauge computed at scrape time (queue depth, per-database sizes and connections).
struct GaugeSample {
  LabelValues label_values;
  double value = 0;
};
using GaugeCallback = std::function<std::vector<GaugeSample>()>;

class MetricsRegistry;

// Keeps a callback gauge registered; unregisters it on destruction. Move-only.
class CallbackGaugeRegistration {
 public:
  CallbackGaugeRegistration() = default;
  CallbackGaugeRegistration(MetricsRegistry* registry, std::string name, std::uint64_t id)
      : registry_(registry), name_(std::move(name)), id_(id) {}
  CallbackGaugeRegistration(CallbackGaugeRegistration&& other) noexcept;
  CallbackGaugeRegistration& operator=(CallbackGaugeRegistration&& other) noexcept;
  CallbackGaugeRegistration(const CallbackGaugeRegistration&) = delete;
  CallbackGaugeRegistration& operator=(const CallbackGaugeRegistration&) = delete;
  ~CallbackGaugeRegistration() { Reset(); }
  void Reset();

 private:
  MetricsRegistry* registry_ = nullptr;
  std::string name_;
  std::uint64_t id_ = 0;
};

class MetricsRegistry {
 public:
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registering an existing name with the same type and label names returns the same family.
  CounterFamily& RegisterCounter(const std::string& name, const std::string& help,
                                 const std::vector<std::string>& label_names = {});
  GaugeFamily& RegisterGauge(const std::string& name, const std::string& help,
                             const std::vector<std::string>& label_names = {});
  HistogramFamily& RegisterHistogram(const std::string& name, const std::string& help,
                                     const std::vector<std::string>& label_names,
                                     const std::vector<double>& upper_bounds);
  // Several callbacks may share one name (one per controller, say); their samples are merged.
  // The callback runs during Render() under the registry's lock: it must be quick and must not
  // use the registry.
  [[nodiscard]] CallbackGaugeRegistration RegisterCallbackGauge(
      const std::string& name, const std::string& help, const std::vector<std::string>& label_names,
      GaugeCallback callback);

  // The exposition text: families sorted by name, children by label values.
  std::string Render() const;

 private:
  friend class CallbackGaugeRegistration;
  struct CallbackFamily {
    std::string help;
    std::vector<std::string> label_names;
    std::map<std::uint64_t, GaugeCallback> callbacks;
  };
  template <class Metric>
  Family<Metric>& RegisterLocked(const std::string& name, const std::string& help,
                                 MetricFamily::Type type,
                                 const std::vector<std::string>& label_names,
                                 std::function<std::unique_ptr<Metric>()> make);
  void Unregister(const std::string& name, std::uint64_t id);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<MetricFamily>> families_;
  std::map<std::string, CallbackFamily> callback_families_;
  std::uint64_t next_callback_id_ = 1;
};

// Exposition-format helpers (exposed for tests).
std::string FormatMetricValue(double value);
std::string EscapeLabelValue(std::string_view value);
std::string EscapeHelp(std::string_view help);

// The operator's standard metrics (names prefixed tenantdb_). Constructing it registers them, or
// returns the existing families when already registered.
inline constexpr std::string_view kWorkqueueDepthMetric =
    "tenantdb_workqueue_depth";  // {controller}
std::vector<double> ReconcileDurationBuckets();

struct RuntimeMetrics {
  explicit RuntimeMetrics(MetricsRegistry& registry);

  MetricsRegistry& registry;
  CounterFamily& reconcile_total;               // {controller,result}
  CounterFamily& reconcile_errors_total;        // {controller,reason}
  HistogramFamily& reconcile_duration_seconds;  // {controller}
  CounterFamily& watch_restarts_total;          // {resource}
  CounterFamily& api_requests_total;            // {verb,code}
};

}  // namespace tenantdb::runtime

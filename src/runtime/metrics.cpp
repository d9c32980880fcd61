#include "runtime/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace tenantdb::runtime {

namespace {

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) {
      return false;
    }
  }
  return true;
}

void ValidateNames(const std::string& name, const std::vector<std::string>& label_names,
                   bool histogram) {
  if (!IsValidName(name, /*allow_colon=*/true)) {
    throw std::invalid_argument("invalid metric name: " + name);
  }
  for (const auto& label : label_names) {
    if (!IsValidName(label, /*allow_colon=*/false) || label.starts_with("__") ||
        (histogram && label == "le")) {
      throw std::invalid_argument("invalid label name for " + name + ": " + label);
    }
  }
}

std::string_view TypeName(MetricFamily::Type type) {
  switch (type) {
    case MetricFamily::Type::kCounter:
      return "counter";
    case MetricFamily::Type::kGauge:
      return "gauge";
    case MetricFamily::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void AppendHeader(std::string& out, const std::string& name, const std::string& help,
                  std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += EscapeHelp(help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// name{a="x",b="y"[,le="0.5"]} value
void AppendSample(std::string& out, std::string_view name, std::string_view suffix,
                  const std::vector<std::string>& label_names, const LabelValues& values,
                  std::string_view le, double value) {
  out += name;
  out += suffix;
  if (!label_names.empty() || !le.empty()) {
    out += '{';
    bool first = true;
    for (std::size_t i = 0; i < label_names.size(); ++i) {
      if (!first) {
        out += ',';
      }
      first = false;
      out += label_names[i];
      out += "=\"";
      out += EscapeLabelValue(values[i]);
      out += '"';
    }
    if (!le.empty()) {
      if (!first) {
        out += ',';
      }
      out += "le=\"";
      out += le;
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += FormatMetricValue(value);
  out += '\n';
}

void AppendChild(std::string& out, const MetricFamily& family, const LabelValues& values,
                 const Counter& counter) {
  AppendSample(out, family.name(), "", family.label_names(), values, "", counter.Value());
}

void AppendChild(std::string& out, const MetricFamily& family, const LabelValues& values,
                 const Gauge& gauge) {
  AppendSample(out, family.name(), "", family.label_names(), values, "", gauge.Value());
}

void AppendChild(std::string& out, const MetricFamily& family, const LabelValues& values,
                 const Histogram& histogram) {
  const Histogram::Snapshot snap = histogram.Snap();
  const auto& bounds = histogram.upper_bounds();
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    AppendSample(out, family.name(), "_bucket", family.label_names(), values,
                 FormatMetricValue(bounds[i]), static_cast<double>(snap.cumulative[i]));
  }
  AppendSample(out, family.name(), "_bucket", family.label_names(), values, "+Inf",
               static_cast<double>(snap.count));
  AppendSample(out, family.name(), "_sum", family.label_names(), values, "", snap.sum);
  AppendSample(out, family.name(), "_count", family.label_names(), values, "",
               static_cast<double>(snap.count));
}

}  // namespace

void Counter::Inc(double delta) {
  if (delta < 0) {
    return;
  }
  value_.fetch_add(delta, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), counts_(upper_bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  const auto it = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value);
  const auto bucket = static_cast<std::size_t>(it - upper_bounds_.begin());  // le is inclusive
  const std::lock_guard<std::mutex> lock(mu_);
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

Histogram::Snapshot Histogram::Snap() const {
  Snapshot snap;
  const std::lock_guard<std::mutex> lock(mu_);
  snap.cumulative.reserve(upper_bounds_.size());
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < upper_bounds_.size(); ++i) {
    running += counts_[i];
    snap.cumulative.push_back(running);
  }
  snap.sum = sum_;
  snap.count = count_;
  return snap;
}

template <class Metric>
Metric& Family<Metric>::WithLabels(const LabelValues& values) {
  if (values.size() != label_names().size()) {
    throw std::invalid_argument("wrong number of label values for " + name());
  }
  const std::lock_guard<std::mutex> lock(mu_);
  auto it = children_.find(values);
  if (it == children_.end()) {
    it = children_.emplace(values, make_()).first;
  }
  return *it->second;
}

template <class Metric>
void Family<Metric>::Render(std::string& out) const {
  const std::lock_guard<std::mutex> lock(mu_);
  if (children_.empty()) {
    return;
  }
  AppendHeader(out, name(), help(), TypeName(type()));
  for (const auto& [values, metric] : children_) {
    AppendChild(out, *this, values, *metric);
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

CallbackGaugeRegistration::CallbackGaugeRegistration(CallbackGaugeRegistration&& other) noexcept
    : registry_(std::exchange(other.registry_, nullptr)),
      name_(std::move(other.name_)),
      id_(other.id_) {}

CallbackGaugeRegistration& CallbackGaugeRegistration::operator=(
    CallbackGaugeRegistration&& other) noexcept {
  if (this != &other) {
    Reset();
    registry_ = std::exchange(other.registry_, nullptr);
    name_ = std::move(other.name_);
    id_ = other.id_;
  }
  return *this;
}

void CallbackGaugeRegistration::Reset() {
  if (registry_ != nullptr) {
    registry_->Unregister(name_, id_);
    registry_ = nullptr;
  }
}

template <class Metric>
Family<Metric>& MetricsRegistry::RegisterLocked(const std::string& name, const std::string& help,
                                                MetricFamily::Type type,
                                                const std::vector<std::string>& label_names,
                                                std::function<std::unique_ptr<Metric>()> make) {
  ValidateNames(name, label_names, type == MetricFamily::Type::kHistogram);
  if (callback_families_.contains(name)) {
    throw std::invalid_argument("metric already registered as a callback gauge: " + name);
  }
  if (const auto it = families_.find(name); it != families_.end()) {
    auto* existing = dynamic_cast<Family<Metric>*>(it->second.get());
    if (existing == nullptr || existing->type() != type || existing->label_names() != label_names) {
      throw std::invalid_argument("metric registered twice with different types or labels: " +
                                  name);
    }
    return *existing;
  }
  auto family = std::make_unique<Family<Metric>>(name, help, type, label_names, std::move(make));
  Family<Metric>& ref = *family;
  families_.emplace(name, std::move(family));
  return ref;
}

CounterFamily& MetricsRegistry::RegisterCounter(const std::string& name, const std::string& help,
                                                const std::vector<std::string>& label_names) {
  const std::lock_guard<std::mutex> lock(mu_);
  return RegisterLocked<Counter>(name, help, MetricFamily::Type::kCounter, label_names,
                                 [] { return std::make_unique<Counter>(); });
}

GaugeFamily& MetricsRegistry::RegisterGauge(const std::string& name, const std::string& help,
                                            const std::vector<std::string>& label_names) {
  const std::lock_guard<std::mutex> lock(mu_);
  return RegisterLocked<Gauge>(name, help, MetricFamily::Type::kGauge, label_names,
                               [] { return std::make_unique<Gauge>(); });
}

HistogramFamily& MetricsRegistry::RegisterHistogram(const std::string& name,
                                                    const std::string& help,
                                                    const std::vector<std::string>& label_names,
                                                    const std::vector<double>& upper_bounds) {
  if (!std::is_sorted(upper_bounds.begin(), upper_bounds.end()) ||
      std::adjacent_find(upper_bounds.begin(), upper_bounds.end()) != upper_bounds.end() ||
      std::any_of(upper_bounds.begin(), upper_bounds.end(),
                  [](double b) { return !std::isfinite(b); })) {
    throw std::invalid_argument("histogram buckets must be finite and strictly increasing: " +
                                name);
  }
  const std::lock_guard<std::mutex> lock(mu_);
  return RegisterLocked<Histogram>(
      name, help, MetricFamily::Type::kHistogram, label_names,
      [upper_bounds] { return std::make_unique<Histogram>(upper_bounds); });
}

CallbackGaugeRegistration MetricsRegistry::RegisterCallbackGauge(
    const std::string& name, const std::string& help, const std::vector<std::string>& label_names,
    GaugeCallback callback) {
  ValidateNames(name, label_names, /*histogram=*/false);
  const std::lock_guard<std::mutex> lock(mu_);
  if (families_.contains(name)) {
    throw std::invalid_argument("metric already registered: " + name);
  }
  auto [it, inserted] = callback_families_.try_emplace(name);
  CallbackFamily& family = it->second;
  if (inserted) {
    family.help = help;
    family.label_names = label_names;
  } else if (family.label_names != label_names) {
    throw std::invalid_argument("callback gauge registered twice with different labels: " + name);
  }
  const std::uint64_t id = next_callback_id_++;
  family.callbacks.emplace(id, std::move(callback));
  return CallbackGaugeRegistration(this, name, id);
}

void MetricsRegistry::Unregister(const std::string& name, std::uint64_t id) {
  const std::lock_guard<std::mutex> lock(mu_);
  const auto it = callback_families_.find(name);
  if (it == callback_families_.end()) {
    return;
  }
  it->second.callbacks.erase(id);
  if (it->second.callbacks.empty()) {
    callback_families_.erase(it);
  }
}

std::string MetricsRegistry::Render() const {
  const std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  auto families = families_.begin();
  auto callbacks = callback_families_.begin();
  // Both maps are sorted by name and share no names: merge them.
  while (families != families_.end() || callbacks != callback_families_.end()) {
    if (callbacks == callback_families_.end() ||
        (families != families_.end() && families->first < callbacks->first)) {
      families->second->Render(out);
      ++families;
      continue;
    }
    const auto& [name, family] = *callbacks;
    std::map<LabelValues, double> samples;
    for (const auto& [id, callback] : family.callbacks) {
      for (GaugeSample& sample : callback()) {
        if (sample.label_values.size() == family.label_names.size()) {
          samples[std::move(sample.label_values)] = sample.value;
        }
      }
    }
    if (!samples.empty()) {
      AppendHeader(out, name, family.help, "gauge");
      for (const auto& [values, value] : samples) {
        AppendSample(out, name, "", family.label_names, values, "", value);
      }
    }
    ++callbacks;
  }
  return out;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  if (value == 0) {
    return "0";
  }
  if (std::trunc(value) == value && std::fabs(value) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.0f", value);
    return buf;
  }
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof(buf), value);  // shortest round-trip
  return std::string(buf, result.ptr);
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<double> ReconcileDurationBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

RuntimeMetrics::RuntimeMetrics(MetricsRegistry& r)
    : registry(r),
      reconcile_total(r.RegisterCounter("tenantdb_reconcile_total",
                                        "Reconciles per controller and result (success, "
                                        "requeue_after, error, terminal_error).",
                                        {"controller", "result"})),
      reconcile_errors_total(r.RegisterCounter(
          "tenantdb_reconcile_errors_total",
          "Failed reconciles per controller and error reason (terminal errors included).",
          {"controller", "reason"})),
      reconcile_duration_seconds(r.RegisterHistogram("tenantdb_reconcile_duration_seconds",
                                                     "Time spent in one reconcile.", {"controller"},
                                                     ReconcileDurationBuckets())),
      watch_restarts_total(r.RegisterCounter("tenantdb_watch_restarts_total",
                                             "Watch streams restarted (reconnect or relist).",
                                             {"resource"})),
      api_requests_total(r.RegisterCounter("tenantdb_api_requests_total",
                                           "Kubernetes API requests per verb and HTTP status.",
                                           {"verb", "code"})) {}

}  // namespace tenantdb::runtime

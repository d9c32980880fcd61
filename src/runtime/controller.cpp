#include "runtime/controller.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <random>
#include <utility>

#include "common/error.h"
#include "common/logging.h"

namespace tenantdb::runtime {

namespace {

thread_local const ReconcileContext* current_reconcile = nullptr;

// Sets the thread's reconcile context for the lifetime of the scope.
class ScopedReconcileContext {
 public:
  explicit ScopedReconcileContext(const ReconcileContext* context)
      : previous_(std::exchange(current_reconcile, context)) {}
  ~ScopedReconcileContext() { current_reconcile = previous_; }
  ScopedReconcileContext(const ScopedReconcileContext&) = delete;
  ScopedReconcileContext& operator=(const ScopedReconcileContext&) = delete;

 private:
  const ReconcileContext* previous_;
};

std::string ApiGroupOf(std::string_view api_version) {
  const auto slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string()
                                         : std::string(api_version.substr(0, slash));
}

std::string StringAt(const nlohmann::json& obj, const nlohmann::json::json_pointer& ptr) {
  if (!obj.contains(ptr)) {
    return {};
  }
  const nlohmann::json& value = obj.at(ptr);
  return value.is_string() ? value.get<std::string>() : std::string();
}

std::string ErrorReasonLabel(const Error& error) {
  return error.reason.empty() ? std::string(ErrorCodeName(error.code)) : error.reason;
}

constexpr std::string_view kUnhandledException = "UnhandledException";

}  // namespace

const ReconcileContext* CurrentReconcile() { return current_reconcile; }

std::string ReconcileLogFields() {
  const ReconcileContext* context = current_reconcile;
  if (context == nullptr) {
    return {};
  }
  return "controller=" + context->controller + " namespace=" + context->key.ns +
         " name=" + context->key.name + " reconcile_id=" + context->reconcile_id;
}

std::string NewReconcileId() {
  thread_local std::mt19937 engine{std::random_device{}()};
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", static_cast<unsigned>(engine()));
  return buf;
}

std::optional<ObjectKey> ControllerOwnerKey(const nlohmann::json& child,
                                            std::string_view owner_kind,
                                            std::string_view owner_group, bool owner_namespaced) {
  static const nlohmann::json::json_pointer kOwnerRefs("/metadata/ownerReferences");
  if (!child.is_object() || !child.contains(kOwnerRefs) || !child.at(kOwnerRefs).is_array()) {
    return std::nullopt;
  }
  for (const nlohmann::json& ref : child.at(kOwnerRefs)) {
    if (!ref.is_object() || ref.value("controller", false) != true ||
        ref.value("kind", "") != owner_kind) {
      continue;
    }
    if (!owner_group.empty() && ApiGroupOf(ref.value("apiVersion", "")) != owner_group) {
      continue;
    }
    std::string name = ref.value("name", "");
    if (name.empty()) {
      return std::nullopt;
    }
    std::string ns = owner_namespaced
                         ? StringAt(child, nlohmann::json::json_pointer("/metadata/namespace"))
                         : "";
    return ObjectKey{std::move(ns), std::move(name)};
  }
  return std::nullopt;
}

std::optional<ObjectKey> LabelOwnerKey(const nlohmann::json& obj, std::string_view label) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) {
    return std::nullopt;
  }
  const nlohmann::json& meta = obj["metadata"];
  if (!meta.contains("labels") || !meta["labels"].is_object()) {
    return std::nullopt;
  }
  const auto it = meta["labels"].find(std::string(label));
  if (it == meta["labels"].end() || !it->is_string() || it->get<std::string>().empty()) {
    return std::nullopt;
  }
  return ObjectKey{meta.value("namespace", ""), it->get<std::string>()};
}

Controller::Controller(Reconciler& reconciler, Clock& clock, MetricsRegistry& metrics,
                       Settings settings, KeyLister lister)
    : reconciler_(reconciler),
      clock_(clock),
      settings_(std::move(settings)),
      lister_(std::move(lister)),
      metrics_(metrics),
      total_success_(metrics_.reconcile_total.WithLabels({settings_.name, "success"})),
      total_requeue_after_(metrics_.reconcile_total.WithLabels({settings_.name, "requeue_after"})),
      total_error_(metrics_.reconcile_total.WithLabels({settings_.name, "error"})),
      total_terminal_error_(
          metrics_.reconcile_total.WithLabels({settings_.name, "terminal_error"})),
      duration_(metrics_.reconcile_duration_seconds.WithLabels({settings_.name})),
      queue_(clock, MakeControllerRateLimiter(clock, settings_.rate_limiter)),
      depth_gauge_(metrics.RegisterCallbackGauge(
          std::string(kWorkqueueDepthMetric), "Keys waiting for a worker.", {"controller"},
          [this] {
            return std::vector<GaugeSample>{{{settings_.name}, static_cast<double>(queue_.Len())}};
          })),
      resync_waiter_(clock, resync_mu_, resync_cv_) {}

Controller::~Controller() { Stop(); }

void Controller::Start() {
  const std::lock_guard<std::mutex> lock(stop_mu_);
  if (started_ || stopping_) {
    return;
  }
  started_ = true;
  if (lister_ && settings_.resync_period > std::chrono::milliseconds::zero()) {
    {
      const std::lock_guard<std::mutex> resync_lock(resync_mu_);
      next_resync_ = clock_.SteadyNow() + settings_.resync_period;
    }
    resync_thread_ = std::thread([this] { ResyncLoop(); });
  }
  for (int i = 0; i < settings_.workers; ++i) {
    workers_.emplace_back([this] {
      while (ProcessNextWorkItem()) {
      }
    });
  }
  spdlog::info("Controller started controller={} workers={}", settings_.name, settings_.workers);
}

void Controller::Stop() {
  const std::lock_guard<std::mutex> lock(stop_mu_);
  stopping_ = true;
  {
    const std::lock_guard<std::mutex> resync_lock(resync_mu_);
    resync_stop_ = true;
    resync_cv_.notify_all();
  }
  queue_.ShutDown();
  for (std::thread& worker : workers_) {
    worker.join();
  }
  workers_.clear();
  if (resync_thread_.joinable()) {
    resync_thread_.join();
  }
  if (started_) {
    started_ = false;
    spdlog::info("Controller stopped controller={}", settings_.name);
  }
}

void Controller::Enqueue(const ObjectKey& key) { queue_.Add(key); }

void Controller::EnqueueAfter(const ObjectKey& key, std::chrono::milliseconds delay) {
  queue_.AddAfter(key, delay);
}

bool Controller::EnqueueOwner(const nlohmann::json& child, std::string_view owner_kind) {
  const std::optional<ObjectKey> key = ControllerOwnerKey(child, owner_kind);
  if (key) {
    queue_.Add(*key);
  }
  return key.has_value();
}

bool Controller::EnqueueByLabel(const nlohmann::json& obj, std::string_view label) {
  const std::optional<ObjectKey> key = LabelOwnerKey(obj, label);
  if (key) {
    queue_.Add(*key);
  }
  return key.has_value();
}

void Controller::Resync() {
  if (!lister_) {
    return;
  }
  const std::vector<ObjectKey> keys = lister_();
  for (const ObjectKey& key : keys) {
    queue_.Add(key);
  }
  spdlog::debug("Resync enqueued keys controller={} keys={}", settings_.name, keys.size());
}

void Controller::ResyncLoop() {
  std::unique_lock<std::mutex> lock(resync_mu_);
  while (!resync_stop_) {
    const bool stop = resync_waiter_.WaitUntil(lock, next_resync_, [this] { return resync_stop_; });
    if (stop) {
      break;
    }
    next_resync_ = clock_.SteadyNow() + settings_.resync_period;
    lock.unlock();
    Resync();
    lock.lock();
  }
}

bool Controller::ProcessNextWorkItem() {
  const std::optional<ObjectKey> key = queue_.Get();
  if (!key) {
    return false;
  }
  if (stopping_) {
    queue_.Done(*key);  // no new reconcile after Stop(): the key is dropped
    return false;
  }
  ReconcileKey(*key);
  queue_.Done(*key);
  return true;
}

void Controller::ReconcileKey(const ObjectKey& key) {
  const ReconcileContext context{settings_.name, key, NewReconcileId()};
  const ScopedReconcileContext scope(&context);
  const std::string fields = ReconcileLogFields();
  spdlog::debug("Reconcile started {}", fields);

  const auto start = clock_.SteadyNow();
  std::optional<Expected<Result>> outcome;
  std::string exception_what;
  // The exception boundary (controller-runtime RecoverPanic): a throwing reconciler is retried
  // with backoff like any error, and the worker survives.
  try {
    outcome.emplace(reconciler_.Reconcile(key));
  } catch (const std::exception& e) {
    exception_what = e.what();
  } catch (...) {
    exception_what = "unknown exception";
  }
  duration_.Observe(std::chrono::duration<double>(clock_.SteadyNow() - start).count());

  if (!outcome) {
    metrics_.reconcile_errors_total.WithLabels({settings_.name, std::string(kUnhandledException)})
        .Inc();
    total_error_.Inc();
    queue_.AddRateLimited(key);
    spdlog::error("Reconciler threw an exception {} requeues={} error={}", fields,
                  queue_.NumRequeues(key), exception_what);
    return;
  }
  if (!outcome->has_value()) {
    const Error& error = outcome->error();
    metrics_.reconcile_errors_total.WithLabels({settings_.name, ErrorReasonLabel(error)}).Inc();
    if (error.terminal) {
      total_terminal_error_.Inc();
      queue_.Forget(key);
      spdlog::error("Reconciler terminal error, not requeued {} code={} reason={} error={}", fields,
                    ErrorCodeName(error.code), error.reason, error.message);
      return;
    }
    total_error_.Inc();
    queue_.AddRateLimited(key);
    if (error.code == ErrorCode::kConflict) {
      // 409s are normal (the cache is behind): retried, not worth an error line.
      spdlog::info("Reconcile conflict, retrying {} requeues={} error={}", fields,
                   queue_.NumRequeues(key), error.message);
    } else {
      spdlog::error("Reconciler error {} code={} reason={} requeues={} error={}", fields,
                    ErrorCodeName(error.code), error.reason, queue_.NumRequeues(key),
                    error.message);
    }
    return;
  }
  const Result& result = outcome->value();
  queue_.Forget(key);
  if (result.requeue_after) {
    total_requeue_after_.Inc();
    queue_.AddAfter(key, *result.requeue_after);
    spdlog::debug("Reconcile succeeded {} requeue_after_ms={}", fields,
                  result.requeue_after->count());
    return;
  }
  total_success_.Inc();
  spdlog::debug("Reconcile succeeded {}", fields);
}

}  // namespace tenantdb::runtime

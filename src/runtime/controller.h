#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "runtime/clock.h"
#include "runtime/metrics.h"
#include "runtime/rate_limiter.h"
#include "runtime/reconciler.h"
#include "runtime/work_queue.h"

namespace tenantdb::runtime {

// The label that maps a child object to the parent named by its value (same namespace).
inline constexpr std::string_view kOwnerNameLabel = "tenantdb.io/owner-name";

// What the controller knows about the reconcile running on this thread. Reconcilers put
// ReconcileLogFields() on their own log lines so that every line of one reconcile shares the id.
struct ReconcileContext {
  std::string controller;
  ObjectKey key;
  std::string reconcile_id;
};
// nullptr outside a reconcile.
const ReconcileContext* CurrentReconcile();
// "controller=<c> namespace=<ns> name=<n> reconcile_id=<id>" (values JSON-escaped for the log
// sink), or "" outside a reconcile.
std::string ReconcileLogFields();
// 8 random hex digits.
std::string NewReconcileId();

// The key of the object that controls `child`: its ownerReference with controller=true and the
// given kind (and API group when `owner_group` is not empty). The owner lives in the child's
// namespace, or is cluster-scoped when `owner_namespaced` is false.
std::optional<ObjectKey> ControllerOwnerKey(const nlohmann::json& child,
                                            std::string_view owner_kind,
                                            std::string_view owner_group = {},
                                            bool owner_namespaced = true);
// {obj's namespace, value of `label`} when the label is set and not empty.
std::optional<ObjectKey> LabelOwnerKey(const nlohmann::json& obj,
                                       std::string_view label = kOwnerNameLabel);

// A worker pool over a rate-limited work queue that calls one Reconciler, with result handling as
// in controller-runtime (STYLE.md R8):
//   error                -> AddRateLimited (per-key exponential backoff)
//   terminal error       -> Forget, no requeue, error metric bumped
//   requeue_after set    -> Forget + AddAfter(requeue_after) (0 requeues at once)
//   success              -> Forget
//   exception thrown     -> as an error (rate-limited), reason "UnhandledException"
// Expected<Result> holds a result or an error, never both, so controller-runtime's "result
// ignored because of the error" case cannot arise.
//
// A key is never reconciled by two workers at once (the queue's processing set). A periodic resync
// enqueues every key the lister returns. Metrics: tenantdb_reconcile_total{controller,result},
// tenantdb_reconcile_errors_total{controller,reason},
// tenantdb_reconcile_duration_seconds{controller}, tenantdb_workqueue_depth{controller}.
class Controller {
 public:
  struct Settings {
    std::string name;  // "database", "role", ...: a metric label and a log field
    int workers = 4;
    // 0 disables the periodic resync.
    std::chrono::milliseconds resync_period = std::chrono::minutes(10);
    ControllerRateLimiterSettings rate_limiter;
  };
  using KeyLister = std::function<std::vector<ObjectKey>()>;

  // `lister` returns every key the controller should see (from the cache); empty: no resync.
  Controller(Reconciler& reconciler, Clock& clock, MetricsRegistry& metrics, Settings settings,
             KeyLister lister = {});
  ~Controller();  // Stop()
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Starts the workers and the resync thread. Call once.
  void Start();
  // Lets running reconciles finish, starts no new one and joins the threads. Idempotent; the
  // queue stays shut down (a stopped controller is not restarted: build a new one).
  void Stop();

  void Enqueue(const ObjectKey& key);
  void EnqueueAfter(const ObjectKey& key, std::chrono::milliseconds delay);
  // Enqueues the controlling owner of `child` when it is of `owner_kind`; returns whether it did.
  bool EnqueueOwner(const nlohmann::json& child, std::string_view owner_kind);
  // Enqueues the object named by `label` on `obj`; returns whether it did.
  bool EnqueueByLabel(const nlohmann::json& obj, std::string_view label = kOwnerNameLabel);
  // Enqueues every key of the lister.
  void Resync();

  // One worker step: takes a key (blocking), reconciles it and handles the result. False once
  // the queue is shut down (or the controller stopped). Workers loop on it; tests call it directly.
  bool ProcessNextWorkItem();

  WorkQueue& queue() { return queue_; }
  const std::string& name() const { return settings_.name; }

 private:
  void ReconcileKey(const ObjectKey& key);
  void ResyncLoop();

  Reconciler& reconciler_;
  Clock& clock_;
  const Settings settings_;
  const KeyLister lister_;
  RuntimeMetrics metrics_;
  Counter& total_success_;
  Counter& total_requeue_after_;
  Counter& total_error_;
  Counter& total_terminal_error_;
  Histogram& duration_;

  WorkQueue queue_;
  CallbackGaugeRegistration depth_gauge_;  // reads queue_: declared after it

  std::atomic<bool> stopping_{false};
  std::mutex stop_mu_;  // serialises Start() and Stop()
  bool started_ = false;
  std::vector<std::thread> workers_;

  std::mutex resync_mu_;
  std::condition_variable resync_cv_;
  bool resync_stop_ = false;
  std::chrono::steady_clock::time_point next_resync_;
  ClockWaiter resync_waiter_;
  std::thread resync_thread_;
};

}  // namespace tenantdb::runtime

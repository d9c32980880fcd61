#pragma once

// What the composition root hands to each controller's wiring function (app/wire_*.cpp): the
// shared clients, the manager, and the shared caches. Each kind is watched once (per watched
// namespace) however many controllers read it, decoded once into its api/v1alpha1 type
// (kube/typed_cache.h); event handlers fan out to every subscriber with the typed object.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include "app/options.h"
#include "controllers/common/apply_sql.h"
#include "controllers/common/event_sink.h"
#include "kube/gvr.h"
#include "kube/http_transport.h"
#include "kube/kube_api.h"
#include "kube/store.h"
#include "kube/typed_cache.h"
#include "kube/watch_runner.h"
#include "runtime/clock.h"
#include "runtime/controller.h"
#include "runtime/manager.h"
#include "runtime/metrics.h"
#include "sql/session.h"
#include "sql/sql_executor.h"

namespace tenantdb::app {

// Fault injection for the e2e tests, never set in production: true when the environment variable
// TENANTDB_TEST_CRASH_AFTER names `point` ("password-set", "role-created", "database-created")
// at start-up (logged as a warning).
bool FaultInjectionPoint(std::string_view point);

// A watched kind T (an api/v1alpha1 kind): its typed cache and the handlers called with every
// object an event carries, decoded (on the watch thread: handlers only enqueue keys). The
// `changes` handlers also get the version a MODIFIED event replaced (nullptr for any other
// event, or when the cache did not hold it).
template <class T>
struct SharedKind {
  kube::TypedCache<T> objects;
  std::vector<std::function<void(const kube::Cached<T>& object)>> handlers;
  std::vector<std::function<void(const kube::Cached<T>& object, const kube::Cached<T>* previous)>>
      changes;
};

// True when `now` differs from `previous` in its status only (and resourceVersion): the same
// generation (the CRDs have a status subresource, so every spec change bumps it), labels,
// annotations, finalizers, owners and deletion mark. A controller's own status write comes back
// as such an event; visiting the object again for it would only repeat the catalog reads of the
// visit that wrote it (controller-runtime's GenerationChangedPredicate, with the metadata a
// reconciler reads added). Drift is still found by the resync.
template <class T>
bool StatusOnlyChange(const kube::Cached<T>& previous, const kube::Cached<T>& now) {
  if (previous.invalid || now.invalid) {
    return false;
  }
  const auto& a = previous.metadata;
  const auto& b = now.metadata;
  return a.generation == b.generation && a.generation != 0 && a.uid == b.uid &&
         a.labels == b.labels && a.annotations == b.annotations && a.finalizers == b.finalizers &&
         a.deletion_timestamp == b.deletion_timestamp && a.owner_references == b.owner_references;
}

class WiringContext {
 public:
  WiringContext(const RunOptions& options, kube::HttpTransport& transport, kube::KubeApi& kube,
                sql::SqlConnector& sql, runtime::Clock& clock, runtime::MetricsRegistry& metrics,
                runtime::Manager& manager, controllers::EventSink events, std::string ca_dir);

  const RunOptions& options;
  kube::KubeApi& kube;
  sql::SqlConnector& sql;
  runtime::Clock& clock;
  runtime::MetricsRegistry& metrics;
  runtime::Manager& manager;
  controllers::EventSink events;
  std::string ca_dir;  // where CA bundles of sslRootCertSecretRef are written for libpq
  // Counts the watches' LIST/WATCH requests in tenantdb_api_requests_total (set before Watch).
  std::function<void(std::string_view verb, int code)> api_observer;
  // Set by RunOperator before the wiring functions run: PostgreSQL sessions for the reconcilers
  // (sql::PgSessionFactory over the pool) and tenantdb_sql_statements_total, registered once.
  sql::SessionFactory* sessions = nullptr;
  controllers::SqlStatementMetrics* sql_metrics = nullptr;

  // The caches of kind T (its GroupVersionKind T::kGvk), watched on first use: once for a
  // cluster-scoped kind, in every watched namespace (all, or --watch-namespaces) for a namespaced
  // one. Call before the manager runs.
  template <class T>
  SharedKind<T>& Watch();
  // Subscribes `handler` to T's events (watching it if needed).
  template <class T>
  void OnEvent(std::function<void(const kube::Cached<T>& object)> handler) {
    Watch<T>().handlers.push_back(std::move(handler));
  }

  // Constructs a T that lives as long as the process's wiring (reconcilers, pools, metrics
  // collectors the controllers refer to).
  template <class T, class... Args>
  T& Keep(Args&&... args) {
    auto owned = std::make_shared<T>(std::forward<Args>(args)...);
    owned_.push_back(owned);
    return *owned;
  }

  // Controller settings from the options (workers, resync, max backoff) under `name`.
  runtime::Controller::Settings ControllerSettings(const std::string& name) const;

  // The controller `name` of kind T: reconciles every cached T on its own events and at each
  // resync; returns it for the handlers of the kinds that wake it too.
  template <class T>
  runtime::Controller& AddController(const std::string& name, runtime::Reconciler& reconciler,
                                     SharedKind<T>& primary) {
    auto controller = std::make_unique<runtime::Controller>(
        reconciler, clock, metrics, ControllerSettings(name), [cache = primary.objects] {
          std::vector<runtime::ObjectKey> keys;
          for (const auto& object : cache.List()) {
            keys.push_back(KeyOf(*object));
          }
          return keys;
        });
    runtime::Controller& c = *controller;
    primary.changes.push_back([&c](const kube::Cached<T>& object, const kube::Cached<T>* previous) {
      if (previous == nullptr || !StatusOnlyChange(*previous, object)) {
        c.Enqueue(KeyOf(object));
      }
    });
    manager.AddController(std::move(controller));
    return c;
  }

  // The work queue key of a typed object ("" namespace for cluster-scoped kinds).
  template <class T>
  static runtime::ObjectKey KeyOf(const T& object) {
    return {object.metadata.ns, object.metadata.name};
  }

 private:
  // The namespaces a kind is watched in: {""} (all) unless namespaced and limited.
  std::vector<std::string> WatchedNamespaces(bool namespaced) const;
  // Starts (through the manager) the watch of `gvr` in `ns` (objects matching `label_selector`);
  // its runner keeps no objects of its own: `on_event` fills the typed cache.
  void StartWatch(const kube::Gvr& gvr, const std::string& ns, const std::string& label_selector,
                  kube::WatchRunner::EventHandler on_event);

  kube::HttpTransport& transport_;
  std::map<std::string, std::shared_ptr<void>> kinds_;  // SharedKind<T> by "group/version/plural#T"
  std::vector<std::shared_ptr<void>> owned_;
};

template <class T>
SharedKind<T>& WiringContext::Watch() {
  constexpr auto gvk = T::kGvk;
  const kube::Gvr gvr{std::string(gvk.group), std::string(gvk.version), std::string(gvk.plural),
                      std::string(gvk.kind), gvk.namespaced};
  // Keyed by the C++ type: two types may watch one resource (the migration and the backup Jobs,
  // each by its own label selector), and each gets its own cache of its own type.
  const std::string id =
      gvr.group + "/" + gvr.version + "/" + gvr.resource + "#" + typeid(T).name();
  if (const auto it = kinds_.find(id); it != kinds_.end()) {
    return *static_cast<SharedKind<T>*>(it->second.get());
  }
  auto kind = std::make_shared<SharedKind<T>>();
  SharedKind<T>* raw = kind.get();
  kinds_.emplace(id, kind);
  for (const auto& ns : WatchedNamespaces(gvk.namespaced)) {
    // One writer per watch, used on that watch's thread only. The handlers vector is complete
    // before the manager starts the watches.
    auto writer = std::make_shared<kube::TypedCacheWriter<T>>();
    raw->objects.Add(writer->Cache());
    std::string selector;
    if constexpr (requires { T::kLabelSelector; }) {
      selector = std::string(T::kLabelSelector);  // e.g. only the Jobs tenantdb created
    }
    StartWatch(gvr, ns, selector, [raw, writer](const kube::WatchEvent& event) {
      // The version a MODIFIED event replaces, read before Apply (this thread is the writer).
      kube::CachedPtr<T> previous;
      if (event.type == kube::WatchEventType::kModified && event.object && !raw->changes.empty()) {
        const std::string key = kube::StoreKeyOf(*event.object);
        const auto slash = key.find('/');
        previous = writer->Cache().Get(std::string_view(key).substr(0, slash),
                                       std::string_view(key).substr(slash + 1));
      }
      for (const kube::CachedPtr<T>& object : writer->Apply(event)) {
        for (const auto& handler : raw->handlers) {
          handler(*object);
        }
        for (const auto& handler : raw->changes) {
          handler(*object, previous.get());
        }
      }
    });
  }
  return *raw;
}

// One function per controller, each in its own file; RunOperator calls them in this order.
void WireServerController(WiringContext& ctx);     // app/wire_server.cpp
void WireDatabaseController(WiringContext& ctx);   // app/wire_database.cpp
void WireRoleController(WiringContext& ctx);       // app/wire_role.cpp
void WireMigrationController(WiringContext& ctx);  // app/wire_migration.cpp
void WireBackupController(WiringContext& ctx);     // app/wire_backup.cpp

}  // namespace tenantdb::app

#pragma once

// What the composition root hands to each controller's wiring function (app/wire_*.cpp): the
// shared clients, the manager, and the shared caches. Each kind is watched once (per watched
// namespace) however many controllers read it; event handlers fan out to every subscriber.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/options.h"
#include "controllers/common/event_sink.h"
#include "kube/gvr.h"
#include "kube/http_transport.h"
#include "kube/kube_api.h"
#include "kube/store.h"
#include "runtime/clock.h"
#include "runtime/controller.h"
#include "runtime/manager.h"
#include "runtime/metrics.h"
#include "sql/sql_executor.h"

namespace tenantdb::app {

// Fault injection for the e2e tests, never set in production: true when the environment variable
// TENANTDB_TEST_CRASH_AFTER names `point` ("password-set", "role-created", "database-created")
// at start-up (logged as a warning).
bool FaultInjectionPoint(std::string_view point);

// A watched kind: its cache and the handlers called with every object an event carries (on the
// watch thread: handlers only enqueue keys).
struct SharedKind {
  kube::CacheView cache;
  std::vector<std::function<void(const nlohmann::json& object)>> handlers;
};

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

  // The cache of `gvr`, watched on first use: once for a cluster-scoped kind, in every watched
  // namespace (all, or --watch-namespaces) for a namespaced one. Call before the manager runs.
  SharedKind& Watch(const kube::Gvr& gvr, bool namespaced);
  // Subscribes `handler` to `gvr`'s events (watching it if needed).
  void OnEvent(const kube::Gvr& gvr, bool namespaced,
               std::function<void(const nlohmann::json& object)> handler);

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

 private:
  kube::HttpTransport& transport_;
  std::map<std::string, std::unique_ptr<SharedKind>> kinds_;
  std::vector<std::shared_ptr<void>> owned_;
};

// One function per controller, each in its own file; RunOperator calls them in this order.
void WireServerController(WiringContext& ctx);    // app/wire_server.cpp
void WireDatabaseController(WiringContext& ctx);  // app/wire_database.cpp
void WireRoleController(WiringContext& ctx);      // app/wire_role.cpp

}  // namespace tenantdb::app

#include "app/wiring_context.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <utility>

#include "common/logging.h"
#include "kube/watch_runner.h"

namespace tenantdb::app {

bool FaultInjectionPoint(std::string_view point) {
  const char* value = std::getenv("TENANTDB_TEST_CRASH_AFTER");
  if (value == nullptr || std::string_view(value) != point) {
    return false;
  }
  spdlog::warn("Fault injection enabled variable=TENANTDB_TEST_CRASH_AFTER value={}", point);
  return true;
}

WiringContext::WiringContext(const RunOptions& options, kube::HttpTransport& transport,
                             kube::KubeApi& kube, sql::SqlConnector& sql, runtime::Clock& clock,
                             runtime::MetricsRegistry& metrics, runtime::Manager& manager,
                             controllers::EventSink events, std::string ca_dir)
    : options(options),
      kube(kube),
      sql(sql),
      clock(clock),
      metrics(metrics),
      manager(manager),
      events(std::move(events)),
      ca_dir(std::move(ca_dir)),
      transport_(transport) {}

SharedKind& WiringContext::Watch(const kube::Gvr& gvr, bool namespaced) {
  const std::string id = gvr.group + "/" + gvr.version + "/" + gvr.resource;
  if (const auto it = kinds_.find(id); it != kinds_.end()) {
    return *it->second;
  }
  auto kind = std::make_unique<SharedKind>();
  SharedKind* raw = kind.get();
  std::vector<std::string> namespaces{""};
  if (namespaced && !options.watch_namespaces.empty()) {
    namespaces = options.watch_namespaces;
  }
  for (const auto& ns : namespaces) {
    kube::WatchRunnerOptions w;
    w.watch.gvr = gvr;
    w.watch.ns = ns;
    w.name = ns.empty() ? gvr.resource : gvr.resource + "/" + ns;
    w.on_request = api_observer;
    // The handlers vector is complete before the manager starts the watches.
    auto on_event = [raw](const kube::WatchEvent& e) {
      auto deliver = [raw](const nlohmann::json& obj) {
        for (const auto& handler : raw->handlers) {
          handler(obj);
        }
      };
      if (e.object) {
        deliver(*e.object);
      }
      for (const auto& obj : e.objects) {
        if (obj) {
          deliver(*obj);
        }
      }
    };
    auto runner = std::make_unique<kube::WatchRunner>(transport_, kube::StoreWriter(),
                                                      std::move(on_event), std::move(w));
    kind->cache.Add(runner->Reader());
    manager.AddWatch(std::move(runner));
  }
  return *kinds_.emplace(id, std::move(kind)).first->second;
}

void WiringContext::OnEvent(const kube::Gvr& gvr, bool namespaced,
                            std::function<void(const nlohmann::json& object)> handler) {
  Watch(gvr, namespaced).handlers.push_back(std::move(handler));
}

runtime::Controller::Settings WiringContext::ControllerSettings(const std::string& name) const {
  runtime::Controller::Settings cs;
  cs.name = name;
  cs.workers = options.workers;
  cs.resync_period = options.resync_period;
  cs.rate_limiter.max_delay = options.max_backoff;
  return cs;
}

}  // namespace tenantdb::app

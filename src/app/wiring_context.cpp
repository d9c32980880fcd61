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

std::vector<std::string> WiringContext::WatchedNamespaces(bool namespaced) const {
  if (namespaced && !options.watch_namespaces.empty()) {
    return options.watch_namespaces;
  }
  return {""};
}

void WiringContext::StartWatch(const kube::Gvr& gvr, const std::string& ns,
                               const std::string& label_selector,
                               kube::WatchRunner::EventHandler on_event) {
  kube::WatchRunnerOptions w;
  w.watch.gvr = gvr;
  w.watch.ns = ns;
  w.watch.label_selector = label_selector;
  w.keep_objects = false;
  w.name = ns.empty() ? gvr.resource : gvr.resource + "/" + ns;
  w.on_request = api_observer;
  auto runner = std::make_unique<kube::WatchRunner>(transport_, kube::StoreWriter(),
                                                    std::move(on_event), std::move(w));
  manager.AddWatch(std::move(runner));
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

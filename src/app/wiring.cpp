#include "app/wiring.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "app/cli.h"
#include "controllers/server/server_reconciler.h"
#include "kube/cluster_config.h"
#include "kube/cpprest_http_server.h"
#include "kube/cpprest_transport.h"
#include "kube/gvr.h"
#include "kube/rest_kube_api.h"
#include "kube/watch_runner.h"
#include "runtime/clock.h"
#include "runtime/controller.h"
#include "runtime/event_recorder.h"
#include "runtime/health.h"
#include "runtime/leader_election.h"
#include "runtime/manager.h"
#include "runtime/metrics.h"
#include "sql/pqxx_executor.h"

namespace tenantdb::app {
namespace {

using runtime::ObjectKey;

// Blocks SIGTERM/SIGINT in every thread and turns them into a stop request on a dedicated
// thread (sigwait), so no thread is interrupted in the middle of a write.
class SignalStopper {
 public:
  SignalStopper() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  void Start(std::stop_source source) {
    thread_ = std::thread([this, source]() mutable {
      int sig = 0;
      sigwait(&set_, &sig);
      if (sig == SIGTERM || sig == SIGINT) {
        spdlog::info("Received signal, shutting down signal={}", sig);
        source.request_stop();
      }
    });
    thread_.detach();
  }

 private:
  sigset_t set_{};
  std::thread thread_;
};

std::unique_ptr<runtime::HttpServer> StartServer(const std::string& what,
                                                 const std::string& address,
                                                 runtime::HttpHandlers handlers, bool* failed) {
  auto parsed = ParseListenAddress(address);
  if (!parsed) {
    std::cerr << "tenantdb run: --" << what << ": " << parsed.error().message << "\n";
    *failed = true;
    return nullptr;
  }
  if (!*parsed) {
    return nullptr;
  }
  auto server = std::make_unique<kube::CpprestHttpServer>(
      (*parsed)->host.empty() ? "0.0.0.0" : (*parsed)->host, (*parsed)->port);
  if (auto started = server->Start(std::move(handlers)); !started) {
    std::cerr << "tenantdb run: cannot serve " << what << " on " << address << ": "
              << started.error().message << "\n";
    *failed = true;
    return nullptr;
  }
  spdlog::info("Serving {} address={}", what, address);
  return server;
}

// Calls `fn` with the object of an event, or every object of a relist.
template <class Fn>
void ForEachObject(const kube::WatchEvent& e, Fn&& fn) {
  if (e.object) {
    fn(*e.object);
  }
  for (const auto& obj : e.objects) {
    if (obj) {
      fn(*obj);
    }
  }
}

}  // namespace

int RunOperator(const RunOptions& options) {
  SignalStopper signals;  // first, before any thread exists
  if (!InitLogging(options.log_format, options.log_level)) {
    std::cerr << "tenantdb run: unknown --log-level \"" << options.log_level
              << "\": use trace, debug, info, warn or error\n";
    return kExitUsage;
  }

  auto config = kube::LoadClusterConfig(
      kube::ConfigLocations::FromEnvironment(options.kubeconfig, options.context));
  if (!config) {
    std::cerr << "tenantdb run: " << config.error().message << "\n";
    return kExitUsage;
  }
  auto transport = kube::CpprestTransport::Create(std::move(*config));
  if (!transport) {
    std::cerr << "tenantdb run: " << transport.error().message << "\n";
    return kExitUsage;
  }

  runtime::SystemClock clock;
  runtime::MetricsRegistry metrics;
  runtime::RuntimeMetrics runtime_metrics(metrics);
  kube::RestKubeApi kube_api(**transport);
  kube_api.SetRequestObserver([&runtime_metrics](std::string_view verb, int code) {
    runtime_metrics.api_requests_total.WithLabels({std::string(verb), std::to_string(code)}).Inc();
  });
  sql::PqxxConnector sql;
  runtime::KubeEventRecorder recorder(kube_api, clock, {});
  auto events = [&recorder](const nlohmann::json& obj, std::string_view type,
                            std::string_view reason, const std::string& note) {
    recorder.Record(obj,
                    type == "Warning" ? runtime::EventType::kWarning : runtime::EventType::kNormal,
                    reason, "Reconcile", note);
  };

  runtime::Health health(options.leader_elect);
  bool failed = false;
  auto metrics_server = StartServer("metrics-bind-address", options.metrics_bind_address,
                                    runtime::MakeProbeHandlers(health, metrics), &failed);
  auto health_server = StartServer("health-probe-bind-address", options.health_probe_bind_address,
                                   runtime::MakeProbeHandlers(health, metrics), &failed);
  if (failed) {
    return kExitUsage;
  }

  runtime::Manager manager(health, metrics, {.shutdown_timeout = options.shutdown_timeout});

  // Caches: the operator's own kinds only (never Secrets or ConfigMaps cluster-wide).
  // Set before the manager starts the watches; the event handlers read it.
  runtime::Controller* server_controller = nullptr;
  auto watch = [&](const kube::Gvr& gvr, const std::string& ns,
                   kube::WatchRunner::EventHandler on_event) {
    kube::WatchRunnerOptions w;
    w.watch.gvr = gvr;
    w.watch.ns = ns;
    w.name = ns.empty() ? gvr.resource : gvr.resource + "/" + ns;
    auto runner = std::make_unique<kube::WatchRunner>(**transport, kube::StoreWriter(),
                                                      std::move(on_event), std::move(w));
    kube::StoreReader reader = runner->Reader();
    manager.AddWatch(std::move(runner));
    return reader;
  };

  kube::StoreReader servers = watch(kube::DatabaseServersGvr(), "", [&](const kube::WatchEvent& e) {
    ForEachObject(e, [&](const nlohmann::json& obj) {
      if (server_controller != nullptr) {
        server_controller->Enqueue(ObjectKey{"", obj.at("metadata").value("name", "")});
      }
    });
  });
  // Databases are watched in every namespace (or the listed ones) to count them per server.
  std::vector<kube::StoreReader> database_readers;
  const std::vector<std::string> namespaces =
      options.watch_namespaces.empty() ? std::vector<std::string>{""} : options.watch_namespaces;
  for (const auto& ns : namespaces) {
    database_readers.push_back(watch(kube::DatabasesGvr(), ns, [&](const kube::WatchEvent& e) {
      ForEachObject(e, [&](const nlohmann::json& obj) {
        if (server_controller != nullptr) {
          const auto spec = obj.value("spec", nlohmann::json::object());
          const auto ref = spec.value("serverRef", nlohmann::json::object());
          server_controller->Enqueue(ObjectKey{"", ref.value("name", "default")});
        }
      });
    }));
  }

  const std::string ca_dir =
      std::string(std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp") +
      "/tenantdb-" + std::to_string(::getpid()) + "-ca";
  controllers::server::ServerReconciler server_reconciler(
      servers, database_readers.front(), kube_api, sql, clock, events,
      {.resync_period = options.resync_period, .ca_dir = ca_dir});
  runtime::Controller::Settings cs;
  cs.name = "databaseserver";
  cs.workers = options.workers;
  cs.resync_period = options.resync_period;
  cs.rate_limiter.max_delay = options.max_backoff;
  auto owned_server_controller =
      std::make_unique<runtime::Controller>(server_reconciler, clock, metrics, cs, [servers] {
        std::vector<ObjectKey> keys;
        for (const auto& obj : servers.List()) {
          keys.push_back({"", obj->at("metadata").value("name", "")});
        }
        return keys;
      });
  server_controller = owned_server_controller.get();
  manager.AddController(std::move(owned_server_controller));

  if (options.leader_elect) {
    runtime::LeaderElector::Settings ls;
    ls.lease_namespace = options.leader_election_namespace;
    ls.lease_name = options.leader_election_id;
    ls.identity = options.identity;
    manager.SetLeaderElector(
        std::make_unique<runtime::LeaderElector>(kube_api, clock, ls, manager.ElectorCallbacks()));
  }

  std::stop_source stop;
  signals.Start(stop);
  spdlog::info(
      "Starting tenantdb leader_elect={} workers={} namespaces={}", options.leader_elect,
      options.workers,
      options.watch_namespaces.empty() ? std::string("all") : std::to_string(namespaces.size()));
  const int code = manager.Run(stop.get_token());
  if (metrics_server) {
    metrics_server->Stop();
  }
  if (health_server) {
    health_server->Stop();
  }
  spdlog::info("Stopped exit_code={}", code);
  return code;
}

}  // namespace tenantdb::app

#include "app/wiring.h"

#include <malloc.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "app/cli.h"
#include "app/wiring_context.h"
#include "kube/cluster_config.h"
#include "kube/cpprest_http_server.h"
#include "kube/cpprest_transport.h"
#include "kube/gvr.h"
#include "kube/rest_kube_api.h"
#include "runtime/clock.h"
#include "runtime/controller.h"
#include "runtime/event_recorder.h"
#include "runtime/health.h"
#include "runtime/leader_election.h"
#include "runtime/manager.h"
#include "runtime/metrics.h"
#include "sql/pg_session.h"
#include "sql/pool.h"
#include "sql/pqxx_executor.h"

namespace tenantdb::app {
namespace {

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

}  // namespace

int RunOperator(const RunOptions& options) {
  SignalStopper signals;  // first, before any thread exists
  // Memory (issue 4's budget: a few MiB idle): glibc gives each thread its own malloc arena;
  // two arenas serve the few dozen threads here without the per-arena fragmentation, and
  // cpprest's pool needs only a few threads (see ConfigureCpprestThreads).
  mallopt(M_ARENA_MAX, 2);
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
  if (!config->ca_pem.empty() && !config->insecure_skip_tls_verify) {
    // cpprest gives every new connection a fresh SSL context with the system trust paths, which
    // parses the whole system CA bundle (~600 KiB of heap, a few ms of CPU) before the transport
    // swaps in its own context with only the cluster's CA. Pointing OpenSSL's default CA file
    // at an empty one makes that step free. Nothing else in this process reads the system trust
    // store (libpq gets sslrootcert as a file), and it is set before any thread exists.
    setenv("SSL_CERT_FILE", "/dev/null", 1);
  }
  kube::ConfigureCpprestThreads(4);
  auto transport = kube::CpprestTransport::Create(std::move(*config));
  if (!transport) {
    std::cerr << "tenantdb run: " << transport.error().message << "\n";
    return kExitUsage;
  }

  runtime::SystemClock clock;
  runtime::MetricsRegistry metrics;
  runtime::RuntimeMetrics runtime_metrics(metrics);
  kube::RestKubeApi kube_api(**transport);
  auto count_request = [&runtime_metrics](std::string_view verb, int code) {
    runtime_metrics.api_requests_total.WithLabels({std::string(verb), std::to_string(code)}).Inc();
  };
  kube_api.SetRequestObserver(count_request);
  sql::PqxxConnector pq;
  // Sessions are reused and bounded per server by DatabaseServer.spec.maxConnections.
  sql::PooledConnector sql(pq);
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

  // Caches: the operator's own kinds only (never Secrets or ConfigMaps cluster-wide); each
  // controller's wiring lives in app/wire_*.cpp.
  const std::string ca_dir =
      std::string(std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp") +
      "/tenantdb-" + std::to_string(::getpid()) + "-ca";
  WiringContext ctx(options, **transport, kube_api, sql, clock, metrics, manager, events, ca_dir);
  ctx.api_observer = count_request;
  sql::PgSessionFactory sessions(sql);
  controllers::SqlStatementMetrics sql_metrics(metrics);
  ctx.sessions = &sessions;
  ctx.sql_metrics = &sql_metrics;
  WireServerController(ctx);
  WireDatabaseController(ctx);
  WireRoleController(ctx);
  WireMigrationController(ctx);
  WireBackupController(ctx);

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
  spdlog::info("Starting tenantdb leader_elect={} workers={} namespaces={}", options.leader_elect,
               options.workers,
               options.watch_namespaces.empty() ? std::string("all")
                                                : std::to_string(options.watch_namespaces.size()));
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

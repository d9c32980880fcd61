#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/v1alpha1/database_server_types.h"
#include "api/v1alpha1/database_types.h"
#include "controllers/common/apply_sql.h"
#include "controllers/common/event_sink.h"
#include "controllers/common/report.h"
#include "controllers/database/database_plan.h"
#include "controllers/database/database_status.h"
#include "kube/kube_api.h"
#include "kube/typed_cache.h"
#include "runtime/clock.h"
#include "runtime/metrics.h"
#include "runtime/reconciler.h"
#include "sql/session.h"

namespace tenantdb::controllers::database {

inline constexpr std::string_view kDatabaseFinalizer = "tenantdb.io/database";

// Per Database, tenantdb_database_size_bytes and tenantdb_database_connections
// {namespace,name,database}: refreshed on each reconcile, exposed at scrape time, never written to
// status. (Statements are counted by controllers::SqlStatementMetrics, shared by every
// controller.)
class DatabaseMetrics {
 public:
  explicit DatabaseMetrics(runtime::MetricsRegistry& registry);
  DatabaseMetrics(const DatabaseMetrics&) = delete;
  DatabaseMetrics& operator=(const DatabaseMetrics&) = delete;

  void SetUsage(const runtime::ObjectKey& key, const std::string& database, std::int64_t size_bytes,
                std::int32_t connections);
  void Forget(const runtime::ObjectKey& key);

 private:
  struct Usage {
    std::string database;
    std::int64_t size_bytes = 0;
    std::int32_t connections = 0;
  };
  std::vector<runtime::GaugeSample> Samples(bool size) const;

  mutable std::mutex mu_;
  std::map<runtime::ObjectKey, Usage> usage_;
  runtime::CallbackGaugeRegistration size_gauge_;         // reads usage_: declared after it
  runtime::CallbackGaugeRegistration connections_gauge_;  // idem
};

// Gives each Database its own PostgreSQL database on its DatabaseServer, in the shape of every
// controller (src/controllers/README.md): Observe (caches, the Namespace, the admin Secret, the
// catalog) -> PlanVisit (pure) -> ApplySqlActions -> ReportStatus -> Finish. Deletion through the
// tenantdb.io/database finalizer honours deletionProtection and reclaimPolicy.
class DatabaseReconciler final : public runtime::Reconciler {
 public:
  struct Settings {
    std::chrono::seconds resync_period{600};
    std::string ca_dir;  // where CA bundles from sslRootCertSecretRef are written for libpq
    // Fault injection for the e2e tests: exit(137) right after a CREATE DATABASE, before its
    // marker (TENANTDB_TEST_CRASH_AFTER=database-created at start-up). Never set in production.
    bool crash_after_database_created = false;
  };
  // `statements` may be null (tests that do not look at metrics).
  DatabaseReconciler(kube::TypedCache<api::v1alpha1::Database> databases,
                     kube::TypedCache<api::v1alpha1::DatabaseServer> servers, kube::KubeApi& kube,
                     sql::SessionFactory& sessions, runtime::Clock& clock, EventSink events,
                     SqlStatementMetrics* statements, DatabaseMetrics& usage, Settings settings);

  Expected<runtime::Result> Reconcile(const runtime::ObjectKey& key) override;

 private:
  Expected<runtime::Result> Apply(const api::v1alpha1::Database& db);
  Expected<runtime::Result> Cleanup(const api::v1alpha1::Database& db);
  // reclaimPolicy Delete: log in, verify, drop the database and then its owner role.
  Expected<runtime::Result> DropOnServer(const api::v1alpha1::Database& db,
                                         const DesiredDatabase& desired);

  // Observe: the server from the cache, the namespace's admission, and, when nothing makes the
  // visit wait, the admin's sessions (`sessions`, kept for Act) and the catalog.
  Expected<ObservedDatabaseState> Observe(const api::v1alpha1::Database& db,
                                          const DesiredDatabase& desired,
                                          std::optional<ServerSessions>& sessions);
  // The catalog reads of one visit: the database, its owner role, the admin role, explicit schema
  // owners, and the objects inside the database when it is ours and open.
  Expected<ObservedCatalog> ReadCatalog(ServerSessions& sessions, const DesiredDatabase& desired,
                                        const api::v1alpha1::DatabaseServerSpec& server);
  // Observe for deletion: admission, then the database, its owner role and what that role owns.
  Expected<ObservedDatabaseState> ObserveDeletion(const api::v1alpha1::Database& db,
                                                  const DesiredDatabase& desired,
                                                  const api::v1alpha1::DatabaseServer& server,
                                                  ServerSessions& sessions);

  // What the act step reports as: Events on `db` with `reason`, the statement counter, and the
  // fault injection point.
  ApplyContext ActingFor(const api::v1alpha1::Database& db, const DesiredDatabase& desired,
                         std::string_view reason) const;
  // The usage gauges, as of the end of this visit (a database it created is measured at once).
  void RecordUsage(const api::v1alpha1::Database& db, ServerSessions& sessions,
                   const std::string& database);

  // Report and Finish: the status computed from `report`, written when it changed (one Event
  // per Ready transition), then how the visit ends.
  Expected<runtime::Result> Report(const api::v1alpha1::Database& db, const DatabaseReport& report,
                                   const VisitEnd& end);
  void Event(const api::v1alpha1::Database& db, std::string_view type, std::string_view reason,
             const std::string& note);

  kube::TypedCache<api::v1alpha1::Database> databases_;
  kube::TypedCache<api::v1alpha1::DatabaseServer> servers_;
  kube::KubeApi& kube_;
  sql::SessionFactory& sessions_;
  runtime::Clock& clock_;
  EventSink events_;
  SqlStatementMetrics* statements_;
  DatabaseMetrics& usage_;
  Settings settings_;
};

}  // namespace tenantdb::controllers::database

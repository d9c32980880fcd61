#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/v1alpha1/database_server_types.h"
#include "api/v1alpha1/database_types.h"
#include "controllers/common/event_sink.h"
#include "controllers/database/database_plan.h"
#include "controllers/database/database_status.h"
#include "kube/kube_api.h"
#include "kube/store.h"
#include "runtime/clock.h"
#include "runtime/metrics.h"
#include "runtime/reconciler.h"
#include "sql/connection.h"
#include "sql/sql_executor.h"

namespace tenantdb::controllers::database {

class Sessions;

inline constexpr std::string_view kDatabaseFinalizer = "tenantdb.io/database";

// tenantdb_sql_statements_total{kind} and, per Database, tenantdb_database_size_bytes and
// tenantdb_database_connections {namespace,name,database}: refreshed on each reconcile, exposed
// at scrape time, never written to status.
class DatabaseMetrics {
 public:
  explicit DatabaseMetrics(runtime::MetricsRegistry& registry);
  DatabaseMetrics(const DatabaseMetrics&) = delete;
  DatabaseMetrics& operator=(const DatabaseMetrics&) = delete;

  void CountStatement(std::string_view kind);
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

  runtime::CounterFamily& statements_;
  mutable std::mutex mu_;
  std::map<runtime::ObjectKey, Usage> usage_;
  runtime::CallbackGaugeRegistration size_gauge_;         // reads usage_: declared after it
  runtime::CallbackGaugeRegistration connections_gauge_;  // idem
};

// Gives each Database its own PostgreSQL database on its DatabaseServer: observe (caches, the
// Namespace, the catalog) -> PlanDatabase (pure) -> act (SQL) -> ComputeDatabaseStatus (pure) and
// one status write when it changed. Deletion through the tenantdb.io/database finalizer honours
// deletionProtection and reclaimPolicy.
class DatabaseReconciler final : public runtime::Reconciler {
 public:
  struct Settings {
    std::chrono::seconds resync_period{600};
    std::string ca_dir;  // where CA bundles from sslRootCertSecretRef are written for libpq
    // Fault injection for the e2e tests: exit(137) right after a CREATE DATABASE, before its
    // marker (TENANTDB_TEST_CRASH_AFTER=database-created at start-up). Never set in production.
    bool crash_after_database_created = false;
  };
  DatabaseReconciler(kube::CacheView databases, kube::CacheView servers, kube::KubeApi& kube,
                     sql::SqlConnector& sql, runtime::Clock& clock, EventSink events,
                     DatabaseMetrics& metrics, Settings settings);

  Expected<runtime::Result> Reconcile(const runtime::ObjectKey& key) override;

 private:
  Expected<runtime::Result> Apply(const nlohmann::json& obj);
  Expected<runtime::Result> Cleanup(const nlohmann::json& obj);
  // All reads of one visit: the database, its owner role, the admin role, explicit schema
  // owners, and the objects inside the database when it is ours and open.
  Expected<ObservedState> Observe(sql::SqlExecutor& admin, Sessions& sessions,
                                  const DesiredDatabase& desired,
                                  const api::v1alpha1::DatabaseServerSpec& server);
  // Runs one transaction (or one CREATE/DROP DATABASE outside any), logged redacted and counted;
  // a Normal Event per action once it committed.
  Expected<void> Execute(const nlohmann::json& obj, Sessions& sessions, const std::string& database,
                         const std::vector<sql::SqlAction>& transaction,
                         std::string_view event_reason);

  // Writes the status computed from `report` when it changed; Warning Event when Ready turns
  // False with a new reason.
  Expected<void> Report(const nlohmann::json& obj, const api::v1alpha1::Database& database,
                        const DatabaseReport& report);
  void Event(const nlohmann::json& obj, std::string_view type, std::string_view reason,
             const std::string& note);

  kube::CacheView databases_;
  kube::CacheView servers_;
  kube::KubeApi& kube_;
  sql::SqlConnector& sql_;
  runtime::Clock& clock_;
  EventSink events_;
  DatabaseMetrics& metrics_;
  Settings settings_;
};

}  // namespace tenantdb::controllers::database

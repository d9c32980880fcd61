#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "api/v1alpha1/database_server_types.h"
#include "controllers/common/event_sink.h"
#include "controllers/server/server_status.h"
#include "kube/kube_api.h"
#include "kube/store.h"
#include "runtime/clock.h"
#include "runtime/reconciler.h"
#include "sql/sql_executor.h"

namespace tenantdb::controllers {

namespace server {

// Reads a DatabaseServer's admin Secret (direct GET, never cached), logs in through the SQL
// layer, and reports Ready with the server version — or why not, with what to fix.
class ServerReconciler final : public runtime::Reconciler {
 public:
  struct Settings {
    std::chrono::seconds resync_period{600};
    std::string ca_dir;  // where CA bundles from sslRootCertSecretRef are written for libpq
  };
  ServerReconciler(kube::CacheView servers, kube::CacheView databases, kube::KubeApi& kube,
                   sql::SqlConnector& sql, runtime::Clock& clock, EventSink events,
                   Settings settings);

  Expected<runtime::Result> Reconcile(const runtime::ObjectKey& key) override;

 private:
  ServerObservation Observe(const api::v1alpha1::DatabaseServer& server);
  Expected<sql::ConnectionParams> ConnectionFor(const api::v1alpha1::DatabaseServer& server);
  int CountDatabases(const std::string& server_name) const;

  kube::CacheView servers_;
  kube::CacheView databases_;
  kube::KubeApi& kube_;
  sql::SqlConnector& sql_;
  runtime::Clock& clock_;
  EventSink events_;
  Settings settings_;
};

}  // namespace server
}  // namespace tenantdb::controllers

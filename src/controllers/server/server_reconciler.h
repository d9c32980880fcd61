#pragma once

#include <chrono>
#include <string>

#include "api/v1alpha1/database_server_types.h"
#include "api/v1alpha1/database_types.h"
#include "controllers/common/event_sink.h"
#include "controllers/server/server_status.h"
#include "kube/kube_api.h"
#include "kube/typed_cache.h"
#include "runtime/clock.h"
#include "runtime/reconciler.h"
#include "sql/session.h"

namespace tenantdb::controllers {

namespace server {

// Reads a DatabaseServer's admin Secret (direct GET, never cached), logs in, and reports Ready
// with the server version — or why not, with what to fix. The shape of every controller
// (src/controllers/README.md): Observe -> ComputeServerStatus (pure) -> ReportStatus -> Finish.
class ServerReconciler final : public runtime::Reconciler {
 public:
  struct Settings {
    std::chrono::seconds resync_period{600};
    std::string ca_dir;  // where CA bundles from sslRootCertSecretRef are written for libpq
  };
  ServerReconciler(kube::TypedCache<api::v1alpha1::DatabaseServer> servers,
                   kube::TypedCache<api::v1alpha1::Database> databases, kube::KubeApi& kube,
                   sql::SessionFactory& sessions, runtime::Clock& clock, EventSink events,
                   Settings settings);

  Expected<runtime::Result> Reconcile(const runtime::ObjectKey& key) override;

 private:
  // The admin Secret, a login and the server's facts; a failure is an observation (the status
  // reports it) and ends the visit with an error (backoff).
  ObservedServerState Observe(const api::v1alpha1::DatabaseServer& server);
  int CountDatabases(const std::string& server_name) const;

  kube::TypedCache<api::v1alpha1::DatabaseServer> servers_;
  kube::TypedCache<api::v1alpha1::Database> databases_;
  kube::KubeApi& kube_;
  sql::SessionFactory& sessions_;
  runtime::Clock& clock_;
  EventSink events_;
  Settings settings_;
};

}  // namespace server
}  // namespace tenantdb::controllers

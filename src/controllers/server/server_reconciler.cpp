#include "controllers/server/server_reconciler.h"

#include <utility>

#include "api/v1alpha1/object_refs.h"
#include "controllers/common/report.h"
#include "controllers/server/server_connection.h"
#include "kube/gvr.h"

namespace tenantdb::controllers::server {

namespace v1 = api::v1alpha1;

ServerReconciler::ServerReconciler(kube::TypedCache<v1::DatabaseServer> servers,
                                   kube::TypedCache<v1::Database> databases, kube::KubeApi& kube,
                                   sql::SessionFactory& sessions, runtime::Clock& clock,
                                   EventSink events, Settings settings)
    : servers_(std::move(servers)),
      databases_(std::move(databases)),
      kube_(kube),
      sessions_(sessions),
      clock_(clock),
      events_(std::move(events)),
      settings_(std::move(settings)) {}

int ServerReconciler::CountDatabases(const std::string& server_name) const {
  int n = 0;
  for (const auto& db : databases_.List()) {
    n += v1::EffectiveServerName(*db) == server_name ? 1 : 0;
  }
  return n;
}

ObservedServerState ServerReconciler::Observe(const v1::DatabaseServer& server) {
  ObservedServerState observed;
  observed.endpoint =
      server.spec.host + ":" + std::to_string(server.spec.port.value_or(v1::kDefaultPort));
  observed.databases = CountDatabases(server.metadata.name);
  auto params = ServerConnectionParams(kube_, server, settings_.ca_dir);
  if (!params) {
    observed.error = params.error();
    return observed;
  }
  observed.admin_user = params->user;
  auto session = sessions_.Connect(*params);
  if (!session) {
    observed.error = ExplainConnectError(server, observed, session.error());
    return observed;
  }
  auto info = (*session)->ReadServerInfo();
  if (!info) {
    observed.error = info.error();
    return observed;
  }
  observed.server_version = info->version;
  observed.admin_is_superuser = info->admin_is_superuser;
  return observed;
}

Expected<runtime::Result> ServerReconciler::Reconcile(const runtime::ObjectKey& key) {
  const kube::CachedPtr<v1::DatabaseServer> server = servers_.Get("", key.name);
  if (!server) {
    return runtime::Result{};  // deleted: nothing to clean up on the server
  }
  if (server->invalid) {
    return *server->invalid;
  }
  const ObservedServerState observed = Observe(*server);
  const v1::DatabaseServerStatus status =
      ComputeServerStatus(*server, observed, v1::ToTimestamp(clock_.Now()));
  TENANTDB_TRY(const bool written,
               ReportStatusOf(kube_, events_, kube::DatabaseServersGvr(), *server, status));
  if (written && events_ &&
      WarnsSuperuser(server->status.conditions, status.conditions, observed)) {
    events_(v1::EventObjectOf(*server), "Warning", v1::reason::kPermissionDenied,
            SuperuserWarning(observed.admin_user));
  }
  // An observation that failed is retried with capped exponential backoff.
  return Finish(
      VisitEnd{.error = observed.error, .blocked = false, .requeue = settings_.resync_period});
}

}  // namespace tenantdb::controllers::server

#include "controllers/server/server_reconciler.h"

#include <spdlog/spdlog.h>

#include "controllers/common/status_writer.h"
#include "controllers/server/server_connection.h"
#include "kube/gvr.h"

namespace tenantdb::controllers::server {

namespace v1 = api::v1alpha1;

ServerReconciler::ServerReconciler(kube::CacheView servers, kube::CacheView databases,
                                   kube::KubeApi& kube, sql::SqlConnector& sql,
                                   runtime::Clock& clock, EventSink events, Settings settings)
    : servers_(std::move(servers)),
      databases_(std::move(databases)),
      kube_(kube),
      sql_(sql),
      clock_(clock),
      events_(std::move(events)),
      settings_(std::move(settings)) {}

Expected<sql::ConnectionParams> ServerReconciler::ConnectionFor(const v1::DatabaseServer& server) {
  return ServerConnectionParams(kube_, server, settings_.ca_dir);
}

int ServerReconciler::CountDatabases(const std::string& server_name) const {
  int n = 0;
  for (const auto& db : databases_.List()) {
    const auto* ref = db->contains("spec") ? &(*db)["spec"] : nullptr;
    std::string name = "default";
    if (ref != nullptr && ref->contains("serverRef") && (*ref)["serverRef"].contains("name")) {
      name = (*ref)["serverRef"]["name"].get<std::string>();
    }
    n += name == server_name ? 1 : 0;
  }
  return n;
}

ServerObservation ServerReconciler::Observe(const v1::DatabaseServer& server) {
  ServerObservation obs;
  obs.endpoint = server.spec.host + ":" + std::to_string(server.spec.port.value_or(5432));
  obs.databases = CountDatabases(server.metadata.name);
  auto params = ConnectionFor(server);
  if (!params) {
    obs.error = params.error();
    return obs;
  }
  obs.admin_user = params->user;
  auto exec = sql_.Connect(*params);
  if (!exec) {
    obs.error = exec.error();
    if (obs.error->reason == "AuthenticationFailed") {
      obs.error->message =
          "PostgreSQL at " + obs.endpoint + " refused the login of \"" + params->user +
          "\": check the password in Secret " + server.spec.admin_credentials_secret_ref.ns + "/" +
          server.spec.admin_credentials_secret_ref.name + ". (" + obs.error->message + ")";
    } else if (obs.error->code == ErrorCode::kTransient) {
      obs.error->message = "Cannot reach PostgreSQL at " + obs.endpoint +
                           ": check spec.host, spec.port, spec.sslMode and that the server is "
                           "running; tenantdb retries by itself. (" +
                           obs.error->message + ")";
    }
    return obs;
  }
  auto rows =
      (*exec)->Query({"SELECT current_setting('server_version'), r.rolsuper "
                      "FROM pg_roles r WHERE r.rolname = current_user",
                      {}});
  if (!rows) {
    obs.error = rows.error();
    return obs;
  }
  if (rows->size() != 1 || !(*rows)[0][0] || !(*rows)[0][1]) {
    obs.error = Error::Internal("unexpected answer to the server version query");
    return obs;
  }
  std::string version = *(*rows)[0][0];
  if (const auto space = version.find(' '); space != std::string::npos) {
    version.resize(space);  // "15.18 (Debian 15.18-0+deb12u1)" -> "15.18"
  }
  obs.server_version = version;
  obs.admin_is_superuser = *(*rows)[0][1] == "t";
  return obs;
}

Expected<runtime::Result> ServerReconciler::Reconcile(const runtime::ObjectKey& key) {
  const auto obj = servers_.Get("", key.name);
  if (!obj) {
    return runtime::Result{};  // deleted: nothing to clean up on the server
  }
  v1::DatabaseServer server;
  TENANTDB_TRY_VOID(v1::Decode(*obj, "", server));
  v1::ApplyDefaults(server);

  const ServerObservation obs = Observe(server);
  const v1::Timestamp now = v1::ToTimestamp(clock_.Now());
  const v1::DatabaseServerStatus status = ComputeServerStatus(server, obs, now);
  const nlohmann::json current = obj->value("status", nlohmann::json::object());
  const nlohmann::json desired = v1::Encode(status);
  TENANTDB_TRY(const bool written, WriteStatusIfChanged(kube_, kube::DatabaseServersGvr(), "",
                                                        key.name, current, desired));
  const bool was_ready = v1::IsStatusConditionTrue(server.status.conditions, v1::kReady);
  const bool is_ready = v1::IsStatusConditionTrue(status.conditions, v1::kReady);
  if (written && events_) {
    const auto* ready = v1::FindStatusCondition(status.conditions, v1::kReady);
    if (is_ready && !was_ready) {
      events_(*obj, "Normal", ready->reason, ready->message);
      if (obs.admin_is_superuser) {
        events_(*obj, "Warning", v1::reason::kPermissionDenied, SuperuserWarning(obs.admin_user));
      }
    } else if (!is_ready && ready != nullptr &&
               (was_ready || server.status.conditions.empty() ||
                v1::FindStatusCondition(server.status.conditions, v1::kReady)->reason !=
                    ready->reason)) {
      events_(*obj, "Warning", ready->reason, ready->message);
    }
  }
  if (obs.error) {
    return *obs.error;  // retried with capped exponential backoff
  }
  return runtime::Result{.requeue_after = settings_.resync_period};
}

}  // namespace tenantdb::controllers::server

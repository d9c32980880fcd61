#include "controllers/server/server_status.h"

#include "controllers/common/readiness.h"

namespace tenantdb::controllers::server {

namespace v1 = api::v1alpha1;

std::string SuperuserWarning(const std::string& admin_user) {
  return "Warning: the admin role \"" + admin_user +
         "\" is a superuser; tenantdb needs only LOGIN CREATEDB CREATEROLE, so create such a "
         "role and point spec.adminCredentialsSecretRef at it.";
}

Error ExplainConnectError(const v1::DatabaseServer& server, const ObservedServerState& observed,
                          Error error) {
  if (error.reason == v1::reason::kAuthenticationFailed) {
    const auto& ref = server.spec.admin_credentials_secret_ref;
    error.message = "PostgreSQL at " + observed.endpoint + " refused the login of \"" +
                    observed.admin_user + "\": check the password in Secret " + ref.ns + "/" +
                    ref.name + ". (" + error.message + ")";
  } else if (error.code == ErrorCode::kTransient) {
    error.message = "Cannot reach PostgreSQL at " + observed.endpoint +
                    ": check spec.host, spec.port, spec.sslMode and that the server is "
                    "running; tenantdb retries by itself. (" +
                    error.message + ")";
  }
  return error;
}

v1::DatabaseServerStatus ComputeServerStatus(const v1::DatabaseServer& server,
                                             const ObservedServerState& obs, v1::Timestamp now) {
  v1::DatabaseServerStatus status = server.status;
  const std::int64_t generation = server.metadata.generation;
  status.observed_generation = generation;
  if (obs.error) {
    ApplyReadiness(status.conditions, generation, Readiness::FromError(*obs.error), now);
    return status;
  }
  std::string message = "Connected to " + obs.endpoint + " as \"" + obs.admin_user +
                        "\" (PostgreSQL " + obs.server_version + ").";
  if (obs.admin_is_superuser) {
    message += " " + SuperuserWarning(obs.admin_user);
  }
  ApplyReadiness(status.conditions, generation,
                 Readiness::Ready(std::string(v1::reason::kReconciled), message), now);
  status.server_version = obs.server_version;
  status.databases = obs.databases;
  return status;
}

bool WarnsSuperuser(const std::vector<v1::Condition>& before,
                    const std::vector<v1::Condition>& after, const ObservedServerState& observed) {
  return observed.admin_is_superuser && !v1::IsStatusConditionTrue(before, v1::kReady) &&
         v1::IsStatusConditionTrue(after, v1::kReady);
}

}  // namespace tenantdb::controllers::server

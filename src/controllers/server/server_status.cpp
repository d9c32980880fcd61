#include "controllers/server/server_status.h"

#include "controllers/common/readiness.h"

namespace tenantdb::controllers::server {

namespace v1 = api::v1alpha1;

std::string SuperuserWarning(const std::string& admin_user) {
  return "Warning: the admin role \"" + admin_user +
         "\" is a superuser; tenantdb needs only LOGIN CREATEDB CREATEROLE, so create such a "
         "role and point spec.adminCredentialsSecretRef at it.";
}

v1::DatabaseServerStatus ComputeServerStatus(const v1::DatabaseServer& server,
                                             const ServerObservation& obs, v1::Timestamp now) {
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

}  // namespace tenantdb::controllers::server

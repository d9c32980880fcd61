#include "controllers/role/role_status.h"

#include "controllers/common/readiness.h"

namespace tenantdb::controllers::role {

namespace v1 = api::v1alpha1;

namespace {

std::string JoinTargets(const std::vector<std::string>& targets) {
  std::string out;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    out += (i == 0 ? "" : (i + 1 == targets.size() ? " and " : ", ")) + targets[i];
  }
  return out;
}

}  // namespace

v1::DatabaseRoleStatus ComputeRoleStatus(const v1::DatabaseRole& role, const RoleOutcome& o,
                                         v1::Timestamp now) {
  v1::DatabaseRoleStatus status = role.status;
  const std::int64_t generation = role.metadata.generation;
  status.observed_generation = generation;
  if (!o.role_name.empty()) {
    status.role_name = o.role_name;
  }
  if (!o.server_name.empty() && !o.database_name.empty()) {
    status.server = o.server_name;
    status.database_name = o.database_name;
  }
  if (!o.secret_name.empty() && o.secret_written) {
    status.secret_name = o.secret_name;
    status.active_login = o.active_login.empty() ? o.role_name : o.active_login;
  }
  if (o.password_changed_at) {
    status.password_changed_at = o.password_changed_at;
  }
  Readiness readiness;
  if (o.error) {
    readiness = Readiness::FromError(*o.error);
  } else if (!o.missing_targets.empty()) {
    readiness = Readiness::Stalled(
        std::string(v1::reason::kGrantTargetMissing),
        "spec.grants[] names " + JoinTargets(o.missing_targets) +
            ", which does not exist in database \"" + o.database_name +
            "\": create it (e.g. with a Migration) or remove the grant; the other privileges are "
            "in place and tenantdb retries on every resync.");
  } else {
    std::string message = "Role \"" + o.role_name + "\" has " + o.privileges +
                          " access to database \"" + o.database_name +
                          "\"; its credentials are in Secret " + o.secret_name;
    if (!o.active_login.empty() && o.active_login != o.role_name) {
      message += " (login \"" + o.active_login + "\")";
    }
    message += ".";
    if (!o.retiring_logins.empty()) {
      std::vector<std::string> quoted;
      for (const auto& l : o.retiring_logins) {
        quoted.push_back("\"" + l + "\"");
      }
      message += " The previous login " + JoinTargets(quoted) +
                 " stays enabled until its sessions end, then tenantdb disables it.";
    }
    readiness = Readiness::Ready(std::string(v1::reason::kReconciled), message);
  }
  ApplyReadiness(status.conditions, generation, readiness, now);
  return status;
}

}  // namespace tenantdb::controllers::role

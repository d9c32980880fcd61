#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/v1alpha1/database_role_types.h"
#include "common/error.h"

namespace tenantdb::controllers::role {

// What one visit of a DatabaseRole found out and did.
struct RoleOutcome {
  std::optional<Error> error;  // what stopped the reconcile (its reason becomes Ready's)
  std::vector<std::string> missing_targets;  // spec.grants[] targets that do not exist
  std::string role_name;                     // effective role name ("" when not known)
  std::string secret_name;                   // effective Secret name ("" when not known)
  std::string database_name;                 // the PostgreSQL database
  std::string server_name;                   // its DatabaseServer
  std::string privileges;                    // the preset, e.g. "ReadOnly"
  bool secret_written = false;               // the credentials Secret is in place
  std::string active_login;                  // the login the Secret names ("": role_name)
  std::vector<std::string> retiring_logins;  // former logins kept until their sessions end
  // When the password now in the Secret was set on the server (absent: unknown/unchanged).
  std::optional<api::v1alpha1::Timestamp> password_changed_at;
};

// Pure: the status the DatabaseRole should have after this visit. Ready=True Reconciled when
// nothing failed; GrantTargetMissing (Stalled) naming every missing target; otherwise the
// error's reason (transient/conflict: Reconciling; the rest: Stalled); the Ready message names
// the retiring logins (AlternatingUsers) without their session counts, so that it does not change
// on every resync. roleName, secretName, server, databaseName,
// activeLogin and passwordChangedAt are kept from the previous status when this visit did not
// learn them.
api::v1alpha1::DatabaseRoleStatus ComputeRoleStatus(const api::v1alpha1::DatabaseRole& role,
                                                    const RoleOutcome& outcome,
                                                    api::v1alpha1::Timestamp now);

}  // namespace tenantdb::controllers::role

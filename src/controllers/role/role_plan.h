#pragma once

// The plan of a DatabaseRole (pure, STYLE.md R2/R3): (desired role, observed server state) ->
// the SqlActions that make the server match, in the order they must run.
//
// Memberships: tenantdb revokes only memberships it manages — the roles of spec.inRoles as
// recorded when they were granted (the `tenantdb.io/managed-memberships` annotation of the
// credentials Secret, written after the grants), plus the database owner role (granted by the
// Owner preset; any other preset must not keep it, since it is all privileges on the database).
// A membership granted by someone else (e.g. a DBA's monitoring role) is never touched.
//
// Password: the server only ever receives a SCRAM verifier, and only when the password changed:
// PostgreSQL does not let a non-superuser read a verifier back, so the SHA-256 of the password
// last set is recorded (`tenantdb.io/password-sha256` on the credentials Secret, never the
// password) and compared with the SHA-256 of the desired password.

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/v1alpha1/database_role_types.h"
#include "common/expected.h"
#include "controllers/role/privileges.h"
#include "sql/actions.h"
#include "sql/catalog.h"

namespace tenantdb::controllers::role {

// The desired state, resolved from the DatabaseRole and its Database.
struct DesiredRole {
  std::string role;      // effective role name
  std::string database;  // effective database name
  std::string owner;     // the database owner role
  bool login = true;
  std::int32_t connection_limit = -1;
  std::optional<std::string> valid_until;  // RFC 3339, as written in the spec
  std::vector<std::string> in_roles;
  api::v1alpha1::PrivilegePreset preset = api::v1alpha1::PrivilegePreset::kReadOnly;
  std::vector<api::v1alpha1::Grant> grants;
  std::vector<std::string> preset_schemas;  // public + the Database's spec.schemas
  // The SCRAM verifier to set; present exactly when PasswordChangeNeeded() said so.
  std::optional<std::string> password_verifier;
};

// What was observed (the privilege parts only when the role exists).
struct ObservedState {
  std::optional<sql::ObservedRole> role;
  std::vector<sql::ObservedPrivilege> privileges;
  std::vector<sql::ObservedDefaultPrivilege> default_privileges;
  DatabaseObjects objects;
  std::set<std::string> managed_memberships;  // recorded on the credentials Secret
};

struct RolePlan {
  std::vector<sql::SqlAction> actions;
  // The memberships tenantdb manages after this plan (to record), sorted.
  std::vector<std::string> managed_memberships;
  // Missing targets of spec.grants[] (reported as GrantTargetMissing), sorted.
  std::vector<std::string> missing_targets;
  bool sets_password = false;
};

// True when the password must be sent: the role does not exist yet, nothing was recorded, or the
// recorded SHA-256 differs from the desired one.
bool PasswordChangeNeeded(bool role_exists, const std::string& desired_sha256,
                          const std::optional<std::string>& recorded_sha256);

// Actions in order: CreateRole/AlterRole (attributes, verifier), memberships (revokes, then
// grants), the Owner preset's `SET role` (or its reset), privilege revokes and grants, default
// privilege revokes and grants. Empty when everything is in place. kInvalid (InvalidSpec) for a
// grant naming a privilege that does not apply to its target.
Expected<RolePlan> PlanRole(const DesiredRole& desired, const ObservedState& observed);

// spec.passwordRotation (InPlace): whether the password kept in the credentials Secret must be
// replaced now, and when the next rotation is due. `changed_at`: when the current password was
// set (the Secret's tenantdb.io/password-changed-at annotation, else status.passwordChangedAt);
// unknown means due now.
struct RotationDecision {
  bool rotate_now = false;
  std::optional<std::chrono::system_clock::time_point> next_rotation;
  bool operator==(const RotationDecision&) const = default;
};
RotationDecision DecideRotation(std::chrono::seconds every,
                                std::optional<std::chrono::system_clock::time_point> changed_at,
                                std::chrono::system_clock::time_point now);

// True when the observed rolvaliduntil (PostgreSQL text, e.g. "2030-01-01 00:00:00+00") and the
// spec's RFC 3339 value are the same instant.
bool SameValidUntil(const std::optional<std::string>& observed,
                    const std::optional<std::string>& desired);

// Deletion with reclaimPolicy Delete: let `admin` act for the role (needed on PostgreSQL 15 for
// REASSIGN/DROP OWNED), REASSIGN OWNED to the owner and DROP OWNED in the role's database, then
// DROP ROLE. `database` empty: the Database is gone, only DROP ROLE is attempted.
std::vector<sql::SqlAction> PlanRoleDeletion(const std::string& role, const std::string& database,
                                             const std::string& owner, const std::string& admin);

}  // namespace tenantdb::controllers::role

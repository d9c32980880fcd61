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
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/v1alpha1/database_role_types.h"
#include "api/v1alpha1/database_server_types.h"
#include "common/expected.h"
#include "controllers/common/tenancy.h"
#include "controllers/role/privileges.h"
#include "sql/actions.h"
#include "sql/catalog.h"

namespace tenantdb::controllers::role {

// The desired state, resolved from the DatabaseRole and its Database.
struct DesiredRole {
  std::string role;      // effective role name
  std::string marker;    // "tenantdb:<ns>/DatabaseRole/<name>": written on the role it creates
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

// Tenant isolation, before anything is sent (controllers/common/tenancy.h): what was read about
// the role, its Database's database and owner role, and every spec.inRoles entry.
struct TenancyInputs {
  std::string ns;               // the DatabaseRole's namespace
  std::string database;         // the Database's PostgreSQL database
  std::string database_marker;  // the Database's marker, expected on its database and owner role
  std::optional<sql::ObservedDatabase> observed_database;
  std::optional<sql::ObservedRole> owner_role;
  std::string role_marker;  // this DatabaseRole's marker
  std::optional<sql::ObservedRole>
      role;            // the role of spec.roleName, absent when it does not exist
  bool adopt = false;  // spec.adopt
  std::map<std::string, std::optional<sql::ObservedRole>> in_roles;  // by name
  api::v1alpha1::DatabaseServerSpec server;
  std::string admin;  // the admin role's name
};

// True when the database and its owner role both carry `database_marker` (the marker of the
// Database of spec.databaseRef): only then does tenantdb grant in it, or reassign objects to it.
bool HeldByDatabase(const std::optional<sql::ObservedDatabase>& database,
                    const std::optional<sql::ObservedRole>& owner_role,
                    std::string_view database_marker);

// Pure. std::nullopt when the role may be reconciled: the database and owner role carry the
// Database's marker; the role is this object's (its marker), absent (to be created) or adoptable
// (spec.adopt where the server allows it, never a privileged, pg_* or admin role); every
// spec.inRoles entry may be granted. Otherwise the refusal (ConflictingResource, RoleNotAllowed,
// AdoptionNotAllowed, DependencyNotReady), with a message that names no other tenant.
std::optional<Refusal> CheckRoleTenancy(const TenancyInputs& in);

// True when the password must be sent: the role does not exist yet, nothing was recorded, or the
// recorded SHA-256 differs from the desired one.
bool PasswordChangeNeeded(bool role_exists, const std::string& desired_sha256,
                          const std::optional<std::string>& recorded_sha256);

// Actions in order: CreateRole + its marker (or the marker alone on a role being adopted)/AlterRole
// (attributes, verifier), memberships (revokes, then
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

// --- The login roles (spec.passwordRotation.strategy) ------------------------------------------
//
// InPlace: the role itself logs in; the Secret names it; a rotation replaces its password.
//
// AlternatingUsers: the role `<role>` is NOLOGIN and holds the privileges, memberships and (Owner
// preset) the owner's `SET role`; two login roles `<role>_a` and `<role>_b` are members of it
// (INHERIT, the default attribute, so they use its privileges; with the Owner preset each also
// gets `ALTER ROLE ... IN DATABASE <db> SET role = <owner>`, since role settings are not
// inherited). The Secret names one of them, the active login. A rotation sets a new verifier on
// the other one (enabling it), then writes the Secret naming it; the formerly active login stays
// enabled ("retiring") until pg_stat_activity shows no session of it, then it gets NOLOGIN (its
// verifier stays on the server but can no longer be used; NOLOGIN rather than PASSWORD NULL
// because it shuts every authentication method, trust and cert included, and never touches an
// open session). A rotation is postponed while the login it would switch to still has sessions.
//
//   state                          | visit does
//   -------------------------------+-------------------------------------------------------------
//   no usable Secret (first time)  | create/enable <role>_a (or _b if _a is busy), new password,
//                                  | Secret -> it; other enabled logins retire
//   active _x, not due             | keep _x as is (verifier only if the Secret's changed)
//   active _x, due, _y busy        | keep _x: rotation postponed
//   active _x, due, _y idle/absent | new password on _y (created with its membership in one
//                                  | transaction if absent), Secret -> _y, _x retiring
//   retiring r, sessions > 0       | keep r enabled
//   retiring r, no session         | ALTER ROLE r NOLOGIN; the annotation is cleared
//   InPlace -> AlternatingUsers    | as "due": Secret -> _a, <role> retires, then NOLOGIN
//   AlternatingUsers -> InPlace    | new password on <role> (LOGIN), Secret -> <role>; _x retires,
//                                  | then NOLOGIN; _a/_b disabled and idle are dropped (REASSIGN/
//                                  | DROP OWNED first)
//
// Only logins that are members of <role> are touched: a `<role>_a` that is not (another
// DatabaseRole's role whose name happens to match) is refused with ConflictingResource.

inline constexpr std::string_view kLoginSuffixA = "_a";
inline constexpr std::string_view kLoginSuffixB = "_b";

// {"<role>_a", "<role>_b"}; kInvalid (InvalidSpec) naming spec.roleName when "<role>_a" is over
// PostgreSQL's 63-byte identifier limit.
Expected<std::pair<std::string, std::string>> AlternatingLogins(const std::string& role);

// A login candidate as observed: absent when the role does not exist. `sessions` counts
// pg_stat_activity rows of the role (0 when not read).
struct ObservedLogin {
  std::optional<sql::ObservedRole> role;
  int sessions = 0;
};

struct LoginInputs {
  api::v1alpha1::RotationStrategy strategy = api::v1alpha1::RotationStrategy::kInPlace;
  std::string role;  // the role (the group role with AlternatingUsers)
  // The login the credentials Secret names with a password tenantdb can keep; std::nullopt when
  // there is none (no Secret yet, a Secret without password, a name tenantdb does not manage).
  std::optional<std::string> active;
  bool rotation_due = false;  // spec.passwordRotation says the Secret's password must change
  std::map<std::string, ObservedLogin> observed;  // by name: role, role_a, role_b (when known)
};

struct LoginDecision {
  std::string active;         // the login the Secret names after this visit
  bool new_password = false;  // generate a password for `active` (first time, rotation, switch)
  bool rotation_postponed = false;    // due, but the login to switch to still has sessions
  std::vector<std::string> retiring;  // former logins kept enabled until their sessions end
  std::vector<std::string> disable;   // enabled, not active, no session: NOLOGIN now
  std::vector<std::string> drop;      // InPlace: <role>_a/_b disabled and idle: dropped now
  bool operator==(const LoginDecision&) const = default;
};

// Pure: which login the Secret names and what happens to the others (table above). kConflict
// (ConflictingResource) when AlternatingUsers would need a <role>_a/_b that exists and is not a
// member of <role>. A login just switched away from is always kept this visit (retiring), even
// without sessions: its holders get a resync period to reconnect before it can be disabled.
Expected<LoginDecision> DecideLogins(const LoginInputs& in);

// One login role of AlternatingUsers as it must be.
struct DesiredLogin {
  std::string login;
  std::string marker;    // the DatabaseRole's marker, written on a login it creates
  std::string group;     // the role it is a member of
  std::string database;  // for the Owner preset's SET role
  std::string owner;
  bool owner_preset = false;
  bool enabled = true;  // LOGIN (active or retiring)
  std::int32_t connection_limit = -1;
  std::optional<std::string> valid_until;
  std::optional<std::string> password_verifier;  // set (and enabled) when present
};

// Pure: the transactions that make one login role match, each a list of actions run in one
// transaction. A new login is created with its marker and membership in the same transaction, so
// a crash never leaves a <role>_a that is unmarked or not a member of <role> (which would then
// look foreign).
std::vector<std::vector<sql::SqlAction>> PlanLogin(
    const DesiredLogin& desired, const std::optional<sql::ObservedRole>& observed);

// Deletion with reclaimPolicy Delete: let `admin` act for the role (needed on PostgreSQL 15 for
// REASSIGN/DROP OWNED), REASSIGN OWNED to the owner and DROP OWNED in the role's database, then
// DROP ROLE. `database` empty: the Database is gone, only DROP ROLE is attempted.
std::vector<sql::SqlAction> PlanRoleDeletion(const std::string& role, const std::string& database,
                                             const std::string& owner, const std::string& admin);

// PlanRoleDeletion for a role as observed: without the GrantMembership to `admin` when it
// already is a member (it can act for the role).
std::vector<sql::SqlAction> PlanObservedRoleDeletion(const sql::ObservedRole& role,
                                                     const std::string& database,
                                                     const std::string& owner,
                                                     const std::string& admin);

// Deletion of the role and of its AlternatingUsers logins: `observed` holds the roles that exist
// among role, <role>_a, <role>_b. Only roles carrying `marker` (this object's) are dropped: the
// logins that are members of the role first (a <role>_a that is not, or is unmarked, is someone
// else's and stays); nothing when the role does not exist or is not marked for this object.
std::vector<sql::SqlAction> PlanDeletionWithLogins(
    const std::string& role, const std::string& marker,
    const std::map<std::string, sql::ObservedRole>& observed, const std::string& database,
    const std::string& owner, const std::string& admin);

}  // namespace tenantdb::controllers::role

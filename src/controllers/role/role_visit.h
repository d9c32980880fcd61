#pragma once

// One visit of a DatabaseRole as data (src/controllers/README.md): what Observe learned
// (ObservedRoleState, the one name for it) and the pure planner over it, in two parts around the
// one step that needs a session, the SCRAM verifier:
//
//   PlanCredentials(role, observed, candidate password, now)  which login, which password
//   -> Session::EncryptPassword(active login, password)        only when a password must be sent
//   -> PlanRoleActions(role, observed, credentials, verifier)  transactions, Secret, status facts
//
// Observe reads in the order the planner checks; a failed read stops it (`error`, `reached`), and
// the planner meets that error exactly where it needs what was not read, so a visit stopped by
// the server going away reports what it had learned before (as the status always did).

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "api/v1alpha1/database_role_types.h"
#include "api/v1alpha1/database_server_types.h"
#include "api/v1alpha1/database_types.h"
#include "common/error.h"
#include "controllers/common/apply_sql.h"
#include "controllers/role/role_plan.h"
#include "controllers/role/role_status.h"
#include "sql/catalog.h"

namespace tenantdb::controllers::role {

// How far Observe read, in its order; each stage needs the ones before it.
enum class ObserveStage {
  kNone,
  kObjects,    // the Database of spec.databaseRef and its DatabaseServer (caches)
  kAdmission,  // whether the server admits the namespace
  kSecrets,    // the credentials Secret and the spec.passwordSecretRef Secret (direct GETs)
  kTenancy,    // a session on the role's database: the role, the database, its owner, inRoles
  kCatalog,    // the role's privileges, the database's schemas and relations, the logins
};

struct ObservedRoleState {
  ObserveStage reached = ObserveStage::kNone;
  std::optional<Error> error;  // the read that stopped Observe after `reached`

  // kObjects. Observe goes no further when the Database is absent or not Ready, or when the
  // server is absent; it never connects to a server that does not admit the namespace.
  std::optional<api::v1alpha1::Database> database;
  std::optional<api::v1alpha1::DatabaseServer> server;
  // kAdmission.
  bool namespace_admitted = false;
  // kSecrets: absent when there is no such Secret (or no spec.passwordSecretRef).
  std::optional<nlohmann::json> credentials_secret;
  std::optional<nlohmann::json> password_secret;
  // kTenancy.
  std::string admin;  // the admin role the session logged in as
  std::optional<sql::ObservedRole> role;
  std::optional<sql::ObservedDatabase> observed_database;
  std::optional<sql::ObservedRole> owner_role;
  std::map<std::string, std::optional<sql::ObservedRole>> in_roles;  // by name
  // kCatalog. The privilege parts only when the role exists.
  std::vector<sql::ObservedPrivilege> privileges;
  std::vector<sql::ObservedDefaultPrivilege> default_privileges;
  DatabaseObjects objects;
  std::map<std::string, std::optional<sql::ObservedRole>> logins;  // <role>_a, <role>_b
  std::map<std::string, int> sessions;  // pg_stat_activity rows of role, _a, _b (when counted)
};

// The names a visit works with, from the spec alone; kInvalid (InvalidSpec) when one cannot be
// made. `logins` is set whenever <role>_a/_b fit in 63 bytes (InPlace cleans them up).
struct RoleNames {
  std::string role;
  std::string secret;
  std::string marker;  // this object's marker
  api::v1alpha1::RotationStrategy strategy = api::v1alpha1::RotationStrategy::kInPlace;
  std::optional<std::pair<std::string, std::string>> logins;
};
Expected<RoleNames> NamesOf(const api::v1alpha1::DatabaseRole& role);

// The login the credentials Secret names with a password tenantdb can keep (LoginInputs::active),
// when the Secret is this object's: Observe counts the sessions of every other login.
std::optional<std::string> KeptLogin(const api::v1alpha1::DatabaseRole& role,
                                     const RoleNames& names,
                                     const std::optional<nlohmann::json>& credentials_secret);

// Why a visit stops before acting: the error the status reports, and whether it is blocked (waits
// on a watched object or a person's change: no backoff) rather than an error retried with backoff
// (controllers/common/report.h VisitEnd).
struct RoleStop {
  Error error;
  bool blocked = false;
};

// The first part of the plan: the logins and the password.
struct CredentialsPlan {
  RoleOutcome outcome;           // the status facts learned so far (names, database, server)
  std::optional<RoleStop> stop;  // set: nothing below is valid and nothing is applied
  RoleNames names;
  std::string database;  // the role's PostgreSQL database
  std::string owner;     // its owner role
  bool secret_ours = false;
  std::optional<std::string> kept_login;                 // KeptLogin
  std::map<std::string, ObservedLogin> observed_logins;  // role, and this object's _a/_b
  std::set<std::string> managed_memberships;             // as recorded on the Secret
  LoginDecision logins;
  // The password the Secret holds after this visit (never in an action, a log or an Event).
  std::string password;
  std::string password_sha;
  bool set_password = false;  // a verifier of `password` must be sent for logins.active
  bool byo_password = false;  // spec.passwordSecretRef
  std::optional<api::v1alpha1::Timestamp> changed_at;  // as known before this visit
  std::optional<std::chrono::system_clock::time_point> next_rotation;
};

// Pure. `candidate`: a freshly generated password, used when a new one is needed.
CredentialsPlan PlanCredentials(const api::v1alpha1::DatabaseRole& role,
                                const ObservedRoleState& observed, std::string candidate,
                                std::chrono::system_clock::time_point now);

// The second part: what to apply and what the status says once it is applied.
struct RoleActionsPlan {
  std::optional<RoleStop> stop;  // set: nothing is applied (an invalid grant)
  std::vector<SqlTransaction> transactions;
  bool sets_password = false;  // a transaction sends the verifier
  // The credentials Secret to apply after the transactions; absent when it is up to date.
  std::optional<nlohmann::json> secret;
  bool secret_exists = false;  // for the Event: "Created" or "Updated"
  // Reported after the transactions are applied: a Secret that cannot be made (an unknown
  // placeholder of spec.secretTemplate). Nothing is written then.
  std::optional<RoleStop> secret_stop;
  RoleOutcome outcome;              // the status facts when everything is applied
  std::chrono::seconds requeue{0};  // until the next rotation, clamped to [1 s, resync]
};

// Pure. `verifier`: the SCRAM verifier of credentials.password for credentials.logins.active,
// present exactly when credentials.set_password.
RoleActionsPlan PlanRoleActions(const api::v1alpha1::DatabaseRole& role,
                                const ObservedRoleState& observed,
                                const CredentialsPlan& credentials,
                                const std::optional<std::string>& verifier,
                                std::chrono::system_clock::time_point now,
                                std::chrono::seconds resync_period);

// --- Deletion (reclaimPolicy Delete) -----------------------------------------------------------

// What the finalizer read on the server, after LogInForCleanup and the namespace check.
struct ObservedRoleCleanup {
  std::string located_database;  // from the Database, else status.databaseName (for log lines)
  std::string database;  // the role's database; "" when it is gone (only DROP ROLE is tried)
  std::string admin;
  std::optional<sql::ObservedRole> role;
  std::optional<sql::ObservedDatabase> observed_database;  // read when `database` is set
  std::optional<sql::ObservedRole> owner_role;
  std::map<std::string, sql::ObservedRole> logins;  // the <role>_a/_b that exist
};

struct CleanupPlan {
  std::vector<SqlTransaction> transactions;  // one action each
  std::optional<std::string> warning;        // set: nothing is dropped; a Warning Event says why
};

// What a finalizer that gives up leaves on the server: "role "x" (and its login roles _a/_b, if
// any)".
std::string CleanupLeftBehind(const std::string& role_name);

// Pure: drop the role and its logins when every marker says they are this object's.
CleanupPlan PlanRoleCleanup(const api::v1alpha1::DatabaseRole& role, const std::string& role_name,
                            const ObservedRoleCleanup& observed);

}  // namespace tenantdb::controllers::role

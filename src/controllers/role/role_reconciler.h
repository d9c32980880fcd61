#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/v1alpha1/database_role_types.h"
#include "api/v1alpha1/database_server_types.h"
#include "api/v1alpha1/database_types.h"
#include "controllers/common/event_sink.h"
#include "controllers/role/role_status.h"
#include "kube/kube_api.h"
#include "kube/store.h"
#include "runtime/clock.h"
#include "runtime/reconciler.h"
#include "sql/actions.h"
#include "sql/catalog.h"
#include "sql/sql_executor.h"

namespace tenantdb::controllers::role {

inline constexpr std::string_view kRoleFinalizer = "tenantdb.io/role";

// DatabaseRole: observe (the role, its Database and DatabaseServer from the caches, the password
// and credentials Secrets by direct GET, the role's catalog state in its database) -> PlanRole
// (pure) -> act (SQL in the role's database, verifiers only, redacted logs, one Event per change)
// -> the credentials Secret (server-side apply, only when its content changes, always after the
// password is set on the server) -> ComputeRoleStatus (pure), written only when it changed.
//
// spec.passwordRotation.strategy AlternatingUsers: the role is a NOLOGIN group and the Secret
// names one of its login roles <role>_a / <role>_b; DecideLogins and PlanLogin (role_plan.h)
// describe the states. The annotations tenantdb.io/active-login and tenantdb.io/retiring-login
// of the Secret record them; the server's catalog and pg_stat_activity decide.
//
// Secrets are not watched (the operator may not list/watch them): a credentials Secret edited or
// deleted by hand is put back on the next periodic resync (--resync-period).
class RoleReconciler final : public runtime::Reconciler {
 public:
  struct Settings {
    std::chrono::seconds resync_period{600};
    std::string ca_dir;  // where CA bundles from sslRootCertSecretRef are written for libpq
    // Called once per SQL statement sent, with its sql::ActionKind (the wiring counts
    // tenantdb_sql_statements_total{kind}); may be empty.
    std::function<void(std::string_view kind)> count_statement;
    // Fault-injection point for tests, never set in production: when true the process exits at
    // once (std::_Exit(137), like a SIGKILL: no cleanup, no flush but the log line) right after a
    // password verifier was set on the server and before the credentials Secret is written, the
    // one window where the Secret and the server disagree. The wiring sets it when the
    // environment variable TENANTDB_TEST_CRASH_AFTER is "password-set" at start-up. The next
    // visit repairs that state by itself (a new password, set then written).
    bool crash_after_password_set = false;
    // The same right after the transaction that creates a role (TENANTDB_TEST_CRASH_AFTER=
    // role-created), before memberships of other transactions and the credentials Secret.
    bool crash_after_role_created = false;
  };
  // `generate_password`: a fresh random password (common/password.h GeneratePassword in
  // production; deterministic in tests).
  RoleReconciler(kube::CacheView roles, kube::CacheView databases, kube::CacheView servers,
                 kube::KubeApi& kube, sql::SqlConnector& sql, runtime::Clock& clock,
                 EventSink events, std::function<std::string()> generate_password,
                 Settings settings);

  Expected<runtime::Result> Reconcile(const runtime::ObjectKey& key) override;

 private:
  Expected<runtime::Result> Apply(const nlohmann::json& obj);
  Expected<runtime::Result> Cleanup(const nlohmann::json& obj);
  // Everything up to the credentials Secret; fills `outcome` as it learns things.
  Expected<std::chrono::seconds> Converge(const nlohmann::json& obj,
                                          const api::v1alpha1::DatabaseRole& role,
                                          RoleOutcome& outcome);
  // Tenant isolation before anything is sent: the Database's database and owner role carry its
  // marker; the role is this object's (its marker), absent, or adoptable; every spec.inRoles
  // entry may be granted (controllers/common/tenancy.h). Errors carry the refusal's reason.
  Expected<void> CheckTenancy(const api::v1alpha1::DatabaseRole& role,
                              const api::v1alpha1::Database& db,
                              const api::v1alpha1::DatabaseServer& server,
                              const std::string& database, const std::string& owner,
                              const std::string& marker,
                              const std::optional<sql::ObservedRole>& observed,
                              const std::string& admin, sql::SqlExecutor& session);
  // Runs `transaction` (one or more actions) in one transaction: each logged redacted and
  // counted, one Event per action once committed.
  Expected<void> Execute(const nlohmann::json& obj, sql::SqlExecutor& session,
                         const std::string& database,
                         const std::vector<sql::SqlAction>& transaction,
                         std::string_view event_reason);
  void Event(const nlohmann::json& obj, std::string_view type, std::string_view reason,
             const std::string& note);

  kube::CacheView roles_;
  kube::CacheView databases_;
  kube::CacheView servers_;
  kube::KubeApi& kube_;
  sql::SqlConnector& sql_;
  runtime::Clock& clock_;
  EventSink events_;
  std::function<std::string()> generate_password_;
  Settings settings_;
};

}  // namespace tenantdb::controllers::role

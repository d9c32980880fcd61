#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/v1alpha1/database_role_types.h"
#include "api/v1alpha1/database_server_types.h"
#include "api/v1alpha1/database_types.h"
#include "controllers/common/apply_sql.h"
#include "controllers/common/event_sink.h"
#include "controllers/common/report.h"
#include "controllers/role/role_status.h"
#include "controllers/role/role_visit.h"
#include "kube/kube_api.h"
#include "kube/typed_cache.h"
#include "runtime/clock.h"
#include "runtime/reconciler.h"
#include "sql/session.h"

namespace tenantdb::controllers::role {

inline constexpr std::string_view kRoleFinalizer = "tenantdb.io/role";

// DatabaseRole, in the shape every controller shares (src/controllers/README.md):
//   Observe  the role, its Database and DatabaseServer (typed caches), the namespace's admission,
//            the credentials and passwordSecretRef Secrets (direct GETs), the catalog of the
//            role's database (sql::Session): one ObservedRoleState;
//   Plan     PlanCredentials -> the SCRAM verifier (Session::EncryptPassword) -> PlanRoleActions,
//            pure (role_visit.h): transactions, the credentials Secret, the status facts;
//   Act      ApplySqlActions (verifiers only, redacted logs, one Event per action), then the
//            Secret (server-side apply, only when its content changes, always after the password
//            is on the server);
//   Report   ComputeRoleStatus (pure), ReportStatus, Finish.
//
// spec.passwordRotation.strategy AlternatingUsers: the role is a NOLOGIN group and the Secret
// names one of its login roles <role>_a / <role>_b; DecideLogins and PlanLogin (role_plan.h)
// describe the states. The annotations tenantdb.io/active-login and tenantdb.io/retiring-login
// of the Secret record them; the server's catalog and pg_stat_activity decide.
//
// Secrets are not watched (the operator may not list/watch them): a credentials Secret edited or
// deleted by hand is put back on the next periodic resync (--resync-period), and a missing
// passwordSecretRef Secret is an error retried with backoff rather than a blocked visit.
class RoleReconciler final : public runtime::Reconciler {
 public:
  struct Settings {
    std::chrono::seconds resync_period{600};
    std::string ca_dir;  // where CA bundles from sslRootCertSecretRef are written for libpq
    // tenantdb_sql_statements_total (registered once by the wiring); may be null (tests).
    SqlStatementMetrics* metrics = nullptr;
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
  RoleReconciler(kube::TypedCache<api::v1alpha1::DatabaseRole> roles,
                 kube::TypedCache<api::v1alpha1::Database> databases,
                 kube::TypedCache<api::v1alpha1::DatabaseServer> servers, kube::KubeApi& kube,
                 sql::SessionFactory& sessions, runtime::Clock& clock, EventSink events,
                 std::function<std::string()> generate_password, Settings settings);

  Expected<runtime::Result> Reconcile(const runtime::ObjectKey& key) override;

 private:
  Expected<runtime::Result> Apply(const api::v1alpha1::DatabaseRole& role);
  Expected<runtime::Result> Cleanup(const api::v1alpha1::DatabaseRole& role);

  // All the reads of a visit; `sessions` is left open on the role's database for Act.
  ObservedRoleState Observe(const api::v1alpha1::DatabaseRole& role,
                            std::unique_ptr<ServerSessions>& sessions);
  Expected<void> ObserveSecrets(const api::v1alpha1::DatabaseRole& role, const RoleNames& names,
                                ObservedRoleState& observed);
  Expected<void> ObserveCatalog(const api::v1alpha1::DatabaseRole& role, const RoleNames& names,
                                ServerSessions& sessions, ObservedRoleState& observed);
  // The transactions (and the fault-injection points after them).
  Expected<void> Act(const api::v1alpha1::DatabaseRole& role, const RoleActionsPlan& plan,
                     ServerSessions& sessions);
  // The credentials Secret, once the password is on the server.
  Expected<void> WriteSecret(const api::v1alpha1::DatabaseRole& role, const RoleActionsPlan& plan);
  // ComputeRoleStatus, ReportStatus, Finish.
  Expected<runtime::Result> Report(const api::v1alpha1::DatabaseRole& role,
                                   const RoleOutcome& outcome, VisitEnd end);

  // Finalizer (reclaimPolicy Delete): where the role lives, logged in, markers read.
  Expected<std::optional<ObservedRoleCleanup>> ObserveCleanup(
      const api::v1alpha1::DatabaseRole& role, const std::string& role_name,
      std::unique_ptr<ServerSessions>& sessions);
  Expected<void> ObserveCleanupCatalog(const std::string& role_name, sql::ConnectionParams params,
                                       std::unique_ptr<ServerSessions>& sessions,
                                       ObservedRoleCleanup& observed);
  void Warn(const api::v1alpha1::DatabaseRole& role, const std::string& note);

  kube::TypedCache<api::v1alpha1::DatabaseRole> roles_;
  kube::TypedCache<api::v1alpha1::Database> databases_;
  kube::TypedCache<api::v1alpha1::DatabaseServer> servers_;
  kube::KubeApi& kube_;
  sql::SessionFactory& sessions_;
  runtime::Clock& clock_;
  EventSink events_;
  std::function<std::string()> generate_password_;
  Settings settings_;
};

}  // namespace tenantdb::controllers::role

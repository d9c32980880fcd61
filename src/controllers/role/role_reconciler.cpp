#include "controllers/role/role_reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <variant>

#include "api/v1alpha1/object_refs.h"
#include "controllers/common/cleanup_login.h"
#include "controllers/common/namespace_policy.h"
#include "controllers/common/tenancy.h"
#include "controllers/server/server_connection.h"
#include "kube/gvr.h"
#include "runtime/controller.h"
#include "runtime/finalizer.h"

namespace tenantdb::controllers::role {

namespace v1 = api::v1alpha1;
using nlohmann::json;

namespace {

// The relations of every user schema of the connected database, as the privilege planner wants
// them.
Expected<DatabaseObjects> ReadObjects(sql::Session& session) {
  DatabaseObjects objects;
  TENANTDB_TRY(const auto schemas, session.ReadSchemas());
  for (const auto& s : schemas) {
    objects[s.name];
  }
  TENANTDB_TRY(const auto relations, session.ReadRelations());
  for (const auto& r : relations) {
    auto& schema = objects[r.schema];
    (r.kind == 'S' ? schema.sequences : schema.tables).insert(r.name);
  }
  return objects;
}

// The Database as far as Observe may go past it: Ready, with valid names.
bool UsableDatabase(const v1::Database& db) {
  return v1::IsStatusConditionTrue(db.status.conditions, v1::kReady) &&
         v1::EffectiveDatabaseName(db).has_value() && v1::EffectiveOwner(db).has_value();
}

VisitEnd Stopped(const RoleStop& stop, std::chrono::seconds resync) {
  return VisitEnd{.error = stop.error, .blocked = stop.blocked, .requeue = resync};
}

// Fault injection (Settings::crash_after_*): exit like a SIGKILL, with only the log line flushed.
[[noreturn]] void CrashForTest(const std::string& what, const std::string& field) {
  spdlog::warn("Fault injection: exiting after {} {} {}", what, runtime::ReconcileLogFields(),
               field);
  spdlog::default_logger()->flush();
  std::_Exit(137);
}

}  // namespace

RoleReconciler::RoleReconciler(kube::TypedCache<v1::DatabaseRole> roles,
                               kube::TypedCache<v1::Database> databases,
                               kube::TypedCache<v1::DatabaseServer> servers, kube::KubeApi& kube,
                               sql::SessionFactory& sessions, runtime::Clock& clock,
                               EventSink events, std::function<std::string()> generate_password,
                               Settings settings)
    : roles_(std::move(roles)),
      databases_(std::move(databases)),
      servers_(std::move(servers)),
      kube_(kube),
      sessions_(sessions),
      clock_(clock),
      events_(std::move(events)),
      generate_password_(std::move(generate_password)),
      settings_(std::move(settings)) {}

Expected<runtime::Result> RoleReconciler::Reconcile(const runtime::ObjectKey& key) {
  const auto role = roles_.Get(key.ns, key.name);
  if (!role) {
    return runtime::Result{};  // gone: the finalizer already ran
  }
  const auto valid = [&role](auto step) -> Expected<runtime::Result> {
    if (role->invalid) {
      return *role->invalid;
    }
    return step(*role);
  };
  return runtime::RunWithFinalizer(
      kube_, kube::DatabaseRolesGvr(), role->metadata, kRoleFinalizer,
      [&] { return valid([this](const v1::DatabaseRole& r) { return Apply(r); }); },
      [&] { return valid([this](const v1::DatabaseRole& r) { return Cleanup(r); }); });
}

// --- Apply: observe -> plan -> act -> report ---------------------------------------------------

Expected<runtime::Result> RoleReconciler::Apply(const v1::DatabaseRole& role) {
  const auto now = clock_.Now();
  const auto resync = settings_.resync_period;
  std::unique_ptr<ServerSessions> sessions;
  const ObservedRoleState observed = Observe(role, sessions);
  const CredentialsPlan credentials = PlanCredentials(role, observed, generate_password_(), now);
  if (credentials.stop) {
    return Report(role, credentials.outcome, Stopped(*credentials.stop, resync));
  }
  if (credentials.logins.rotation_postponed) {
    spdlog::info("Password rotation postponed {} login={} reason={}", runtime::ReconcileLogFields(),
                 credentials.logins.active, "the login to switch to still has sessions");
  }
  // The one step between the two parts of the plan: the verifier, computed client-side.
  std::optional<std::string> verifier;
  if (credentials.set_password) {
    auto home = sessions->Home();
    auto encrypted = home
                         ? (*home)->EncryptPassword(credentials.logins.active, credentials.password)
                         : Expected<std::string>(home.error());
    if (!encrypted) {
      RoleOutcome outcome = credentials.outcome;
      outcome.error = encrypted.error();
      return Report(role, outcome, VisitEnd{.error = encrypted.error(), .requeue = resync});
    }
    verifier = std::move(*encrypted);
  }
  const RoleActionsPlan plan =
      PlanRoleActions(role, observed, credentials, verifier, now, settings_.resync_period);
  if (plan.stop) {
    return Report(role, plan.outcome, Stopped(*plan.stop, resync));
  }
  const auto failed = [&](RoleOutcome outcome, const Error& error) {
    outcome.error = error;
    return Report(role, outcome, VisitEnd{.error = error, .requeue = resync});
  };
  if (auto done = Act(role, plan, *sessions); !done) {
    return failed(credentials.outcome, done.error());  // the status keeps what was known before
  }
  if (plan.secret_stop) {
    return Report(role, plan.outcome, Stopped(*plan.secret_stop, resync));
  }
  if (auto done = WriteSecret(role, plan); !done) {
    RoleOutcome outcome = plan.outcome;
    outcome.secret_written = false;
    return failed(std::move(outcome), done.error());
  }
  return Report(role, plan.outcome, VisitEnd{.requeue = plan.requeue});
}

ObservedRoleState RoleReconciler::Observe(const v1::DatabaseRole& role,
                                          std::unique_ptr<ServerSessions>& sessions) {
  ObservedRoleState o;
  const auto names = NamesOf(role);
  if (!names) {
    return o;  // the planner reports the names
  }
  const auto db = databases_.Get(role.metadata.ns, role.spec.database_ref.name);
  if (db && db->invalid) {
    o.error = *db->invalid;
    return o;
  }
  if (db) {
    o.database = *db;
    if (UsableDatabase(*db)) {
      const auto server = servers_.Get("", v1::EffectiveServerName(*db));
      if (server && server->invalid) {
        o.error = *server->invalid;
        return o;
      }
      if (server) {
        o.server = *server;
      }
    }
  }
  o.reached = ObserveStage::kObjects;
  if (!o.server) {
    return o;
  }
  auto admitted = NamespaceAdmitted(kube_, *o.server, role.metadata.ns);
  if (!admitted) {
    o.error = admitted.error();
    return o;
  }
  o.namespace_admitted = *admitted;
  o.reached = ObserveStage::kAdmission;
  if (!o.namespace_admitted) {
    return o;  // never a session to a server that does not admit the namespace
  }
  if (auto read = ObserveSecrets(role, *names, o); !read) {
    o.error = read.error();
    return o;
  }
  o.reached = ObserveStage::kSecrets;
  auto params = ServerConnectionParams(kube_, *o.server, settings_.ca_dir);
  if (!params) {
    o.error = params.error();
    return o;
  }
  params->dbname = *v1::EffectiveDatabaseName(*o.database);
  sessions = std::make_unique<ServerSessions>(sessions_, std::move(*params));
  if (auto read = ObserveCatalog(role, *names, *sessions, o); !read) {
    o.error = read.error();
  }
  return o;
}

Expected<void> RoleReconciler::ObserveSecrets(const v1::DatabaseRole& role, const RoleNames& names,
                                              ObservedRoleState& o) {
  const std::string& ns = role.metadata.ns;
  TENANTDB_TRY(o.credentials_secret, kube_.Get(kube::SecretsGvr(), ns, names.secret));
  if (const auto& ref = role.spec.password_secret_ref) {
    TENANTDB_TRY(o.password_secret, kube_.Get(kube::SecretsGvr(), ns, ref->name));
  }
  return {};
}

Expected<void> RoleReconciler::ObserveCatalog(const v1::DatabaseRole& role, const RoleNames& names,
                                              ServerSessions& sessions, ObservedRoleState& o) {
  TENANTDB_TRY(sql::Session * session, sessions.Home());
  o.admin = sessions.admin_user();
  TENANTDB_TRY(o.role, session->ReadRole(names.role));
  TENANTDB_TRY(o.observed_database, session->ReadDatabase(session->database()));
  TENANTDB_TRY(o.owner_role, session->ReadRole(*v1::EffectiveOwner(*o.database)));
  for (const auto& name : role.spec.in_roles) {
    TENANTDB_TRY(o.in_roles[name], session->ReadRole(name));
  }
  o.reached = ObserveStage::kTenancy;
  if (o.role) {
    TENANTDB_TRY(o.privileges, session->ReadPrivileges(names.role));
    TENANTDB_TRY(o.default_privileges, session->ReadDefaultPrivileges(names.role));
  }
  TENANTDB_TRY(o.objects, ReadObjects(*session));
  if (names.logins) {
    for (const auto* name : {&names.logins->first, &names.logins->second}) {
      TENANTDB_TRY(o.logins[*name], session->ReadRole(*name));
    }
  }
  // Sessions matter only for this object's roles that may have to retire (never the Secret's own
  // login).
  const auto kept = KeptLogin(role, names, o.credentials_secret);
  std::vector<std::pair<std::string, const std::optional<sql::ObservedRole>*>> candidates = {
      {names.role, &o.role}};
  for (const auto& [name, login] : o.logins) {
    if (login && login->comment == names.marker) {
      candidates.emplace_back(name, &login);
    }
  }
  for (const auto& [name, login] : candidates) {
    if (*login && name != kept) {
      TENANTDB_TRY(o.sessions[name], session->CountSessions(name));
    }
  }
  o.reached = ObserveStage::kCatalog;
  return {};
}

Expected<void> RoleReconciler::Act(const v1::DatabaseRole& role, const RoleActionsPlan& plan,
                                   ServerSessions& sessions) {
  ApplyContext context{.events = events_,
                       .event_object = v1::EventObjectOf(role),
                       .event_reason = v1::reason::kReconciled,
                       .database = sessions.params().dbname,
                       .metrics = settings_.metrics};
  if (settings_.crash_after_role_created) {
    context.after_commit = [](const SqlTransaction& transaction) {
      for (const auto& action : transaction) {
        if (const auto* create = std::get_if<sql::CreateRole>(&action)) {
          CrashForTest("CREATE ROLE", "role=" + create->role);
        }
      }
    };
  }
  TENANTDB_TRY_VOID(ApplySqlActions(sessions, plan.transactions, context).status());
  if (plan.sets_password && settings_.crash_after_password_set) {
    CrashForTest("setting a password", "login=" + plan.outcome.active_login);
  }
  return {};
}

Expected<void> RoleReconciler::WriteSecret(const v1::DatabaseRole& role,
                                           const RoleActionsPlan& plan) {
  if (!plan.secret) {
    return {};  // up to date
  }
  const std::string& ns = role.metadata.ns;
  const std::string name = (*plan.secret)["metadata"].value("name", "");
  kube::PatchOptions opts;
  opts.field_manager = "tenantdb";
  opts.force = true;
  TENANTDB_TRY_VOID(
      kube_.Patch(kube::SecretsGvr(), ns, name, kube::PatchType::kApply, *plan.secret, opts));
  spdlog::info("Applied credentials Secret {} secret={}", runtime::ReconcileLogFields(),
               ns + "/" + name);
  if (events_) {
    events_(v1::EventObjectOf(role), "Normal", v1::reason::kReconciled,
            std::string(plan.secret_exists ? "Updated" : "Created") + " credentials Secret " +
                name + ".");
  }
  return {};
}

Expected<runtime::Result> RoleReconciler::Report(const v1::DatabaseRole& role,
                                                 const RoleOutcome& outcome, VisitEnd end) {
  const v1::DatabaseRoleStatus status =
      ComputeRoleStatus(role, outcome, v1::ToTimestamp(clock_.Now()));
  TENANTDB_TRY_VOID(ReportStatusOf(kube_, events_, kube::DatabaseRolesGvr(), role, status));
  return Finish(end);
}

// --- Cleanup (the finalizer): observe -> plan -> act -------------------------------------------

void RoleReconciler::Warn(const v1::DatabaseRole& role, const std::string& note) {
  if (events_) {
    events_(v1::EventObjectOf(role), "Warning", v1::reason::kDeleting, note);
  }
}

Expected<runtime::Result> RoleReconciler::Cleanup(const v1::DatabaseRole& role) {
  const auto role_name = v1::EffectiveRoleName(role);
  if (!role_name) {
    return runtime::Result{};  // no valid name: nothing can have been created
  }
  if (role.spec.reclaim_policy.value_or(v1::kDefaultRoleReclaimPolicy) ==
      v1::ReclaimPolicy::kRetain) {
    if (events_) {
      events_(v1::EventObjectOf(role), "Normal", v1::reason::kDeleting,
              "Role \"" + *role_name + "\" kept on the server (reclaimPolicy Retain).");
    }
    return runtime::Result{};
  }
  std::unique_ptr<ServerSessions> sessions;
  TENANTDB_TRY(const auto observed, ObserveCleanup(role, *role_name, sessions));
  if (!observed) {
    return runtime::Result{};  // given up, with a Warning saying what was left
  }
  const CleanupPlan plan = PlanRoleCleanup(role, *role_name, *observed);
  if (plan.warning) {
    Warn(role, *plan.warning);
    return runtime::Result{};
  }
  const ApplyOutcome applied = ApplySqlActions(*sessions, plan.transactions,
                                               ApplyContext{.events = events_,
                                                            .event_object = v1::EventObjectOf(role),
                                                            .event_reason = v1::reason::kDeleting,
                                                            .database = observed->located_database,
                                                            .metrics = settings_.metrics});
  if (!applied.ok()) {
    Warn(role, applied.error->message +
                   " (tenantdb retries; set spec.reclaimPolicy: Retain to release the object "
                   "without dropping the role).");
    return *applied.error;
  }
  return runtime::Result{};
}

Expected<std::optional<ObservedRoleCleanup>> RoleReconciler::ObserveCleanup(
    const v1::DatabaseRole& role, const std::string& role_name,
    std::unique_ptr<ServerSessions>& sessions) {
  const std::string& ns = role.metadata.ns;
  const std::string left = CleanupLeftBehind(role_name);
  const auto warn = [&](const std::string& note) { Warn(role, note); };
  const auto gave_up = std::optional<ObservedRoleCleanup>();
  // Where the role lives: from its Database, or, once that is gone (a namespace deleted at once),
  // from what the last reconcile recorded in status. Either way every marker is checked.
  ObservedRoleCleanup o;
  std::string server_name;
  if (const auto db = databases_.Get(ns, role.spec.database_ref.name)) {
    if (db->invalid) {
      return *db->invalid;
    }
    TENANTDB_TRY(o.located_database, v1::EffectiveDatabaseName(*db));
    server_name = v1::EffectiveServerName(*db);
  } else if (role.status.server && role.status.database_name) {
    server_name = *role.status.server;
    o.located_database = *role.status.database_name;
  } else {
    warn("Database " + ns + "/" + role.spec.database_ref.name +
         " no longer exists and the role was never reconciled, so tenantdb cannot tell which "
         "server holds it: " +
         left + " was left on the server, if it exists; drop it by hand.");
    return gave_up;
  }
  TENANTDB_TRY(auto login,
               LogInForCleanup(servers_, kube_, settings_.ca_dir, server_name, left, warn));
  if (!login) {
    return gave_up;
  }
  // Verify before acting: a finalizer trusts none of the names it reads from objects.
  TENANTDB_TRY(const bool admitted, NamespaceAdmitted(kube_, login->server, ns));
  if (!admitted) {
    warn("Did not drop " + left + ": namespace \"" + ns +
         "\" is no longer admitted by the DatabaseServer; it was left on the server.");
    return gave_up;
  }
  TENANTDB_TRY_VOID(ObserveCleanupCatalog(role_name, login->params, sessions, o));
  return std::optional<ObservedRoleCleanup>(std::move(o));
}

Expected<void> RoleReconciler::ObserveCleanupCatalog(const std::string& role_name,
                                                     sql::ConnectionParams params,
                                                     std::unique_ptr<ServerSessions>& sessions,
                                                     ObservedRoleCleanup& o) {
  o.admin = params.user;
  o.database = o.located_database;
  params.dbname = o.database;
  sessions = std::make_unique<ServerSessions>(sessions_, params);
  auto home = sessions->Home();
  if (!home && home.error().code == ErrorCode::kDependency) {
    // The database is gone (dropped with its Database): the role holds nothing there any more.
    params.dbname = "postgres";
    o.database.clear();
    sessions = std::make_unique<ServerSessions>(sessions_, params);
    home = sessions->Home();
  }
  TENANTDB_TRY(sql::Session * session, std::move(home));
  TENANTDB_TRY(o.role, session->ReadRole(role_name));
  if (!o.role) {
    return {};
  }
  if (!o.database.empty()) {
    TENANTDB_TRY(o.observed_database, session->ReadDatabase(o.database));
    if (o.observed_database) {
      TENANTDB_TRY(o.owner_role, session->ReadRole(o.observed_database->owner));
    }
  }
  if (auto logins = AlternatingLogins(role_name)) {
    for (const auto* name : {&logins->first, &logins->second}) {
      TENANTDB_TRY(auto found, session->ReadRole(*name));
      if (found) {
        o.logins.emplace(*name, std::move(*found));
      }
    }
  }
  return {};
}

}  // namespace tenantdb::controllers::role

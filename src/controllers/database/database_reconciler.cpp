#include "controllers/database/database_reconciler.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "common/logging.h"
#include "controllers/common/cleanup_login.h"
#include "controllers/common/namespace_policy.h"
#include "controllers/common/status_writer.h"
#include "controllers/database/database_plan.h"
#include "controllers/server/server_connection.h"
#include "kube/gvr.h"
#include "runtime/controller.h"
#include "runtime/finalizer.h"
#include "sql/actions.h"
#include "sql/catalog.h"

namespace tenantdb::controllers::database {

namespace v1 = api::v1alpha1;
using nlohmann::json;

// The admin session (dbname postgres) plus one session per database an action targets, opened on
// first use (a database created by this reconcile is connected to after its CREATE DATABASE).
class Sessions {
 public:
  Sessions(sql::SqlConnector& connector, sql::ConnectionParams params)
      : connector_(connector), params_(std::move(params)) {}

  Expected<sql::SqlExecutor*> Admin() { return For(std::nullopt); }

  Expected<sql::SqlExecutor*> For(const std::optional<std::string>& database) {
    const std::string dbname = database.value_or(params_.dbname);
    if (const auto it = sessions_.find(dbname); it != sessions_.end()) {
      return it->second.get();
    }
    sql::ConnectionParams p = params_;
    p.dbname = dbname;
    TENANTDB_TRY(auto session, connector_.Connect(p));
    sql::SqlExecutor* raw = session.get();
    sessions_.emplace(dbname, std::move(session));
    return raw;
  }

  const std::string& admin_user() const { return params_.user; }

 private:
  sql::SqlConnector& connector_;
  sql::ConnectionParams params_;
  std::map<std::string, std::unique_ptr<sql::SqlExecutor>> sessions_;
};

namespace {

// Consecutive actions that may share one transaction: same session, neither CREATE DATABASE nor
// DROP DATABASE. A role and its marker, or a database's marker, PUBLIC revoke and opening, are
// then all or nothing.
std::vector<std::vector<sql::SqlAction>> GroupIntoTransactions(
    const std::vector<sql::SqlAction>& actions) {
  std::vector<std::vector<sql::SqlAction>> groups;
  for (const auto& action : actions) {
    const bool alone = sql::MustRunOutsideTransaction(action);
    if (groups.empty() || alone || sql::MustRunOutsideTransaction(groups.back().front()) ||
        sql::TargetDatabase(groups.back().front()) != sql::TargetDatabase(action)) {
      groups.emplace_back();
    }
    groups.back().push_back(action);
  }
  return groups;
}

}  // namespace

// --- metrics -------------------------------------------------------------------------------------

DatabaseMetrics::DatabaseMetrics(runtime::MetricsRegistry& registry)
    : statements_(registry.RegisterCounter("tenantdb_sql_statements_total",
                                           "SQL statements tenantdb ran to change a server, by "
                                           "action kind.",
                                           {"kind"})) {
  size_gauge_ = registry.RegisterCallbackGauge(
      "tenantdb_database_size_bytes", "Size of each managed database, as of its last reconcile.",
      {"namespace", "name", "database"}, [this] { return Samples(true); });
  connections_gauge_ = registry.RegisterCallbackGauge(
      "tenantdb_database_connections",
      "Open connections to each managed database, as of its last reconcile.",
      {"namespace", "name", "database"}, [this] { return Samples(false); });
}

void DatabaseMetrics::CountStatement(std::string_view kind) {
  statements_.WithLabels({std::string(kind)}).Inc();
}

void DatabaseMetrics::SetUsage(const runtime::ObjectKey& key, const std::string& database,
                               std::int64_t size_bytes, std::int32_t connections) {
  const std::lock_guard<std::mutex> lock(mu_);
  usage_[key] = Usage{database, size_bytes, connections};
}

void DatabaseMetrics::Forget(const runtime::ObjectKey& key) {
  const std::lock_guard<std::mutex> lock(mu_);
  usage_.erase(key);
}

std::vector<runtime::GaugeSample> DatabaseMetrics::Samples(bool size) const {
  const std::lock_guard<std::mutex> lock(mu_);
  std::vector<runtime::GaugeSample> out;
  out.reserve(usage_.size());
  for (const auto& [key, usage] : usage_) {
    out.push_back(
        {{key.ns, key.name, usage.database},
         size ? static_cast<double>(usage.size_bytes) : static_cast<double>(usage.connections)});
  }
  return out;
}

// --- reconciler ----------------------------------------------------------------------------------

DatabaseReconciler::DatabaseReconciler(kube::CacheView databases, kube::CacheView servers,
                                       kube::KubeApi& kube, sql::SqlConnector& sql,
                                       runtime::Clock& clock, EventSink events,
                                       DatabaseMetrics& metrics, Settings settings)
    : databases_(std::move(databases)),
      servers_(std::move(servers)),
      kube_(kube),
      sql_(sql),
      clock_(clock),
      events_(std::move(events)),
      metrics_(metrics),
      settings_(std::move(settings)) {}

Expected<runtime::Result> DatabaseReconciler::Reconcile(const runtime::ObjectKey& key) {
  const auto obj = databases_.Get(key.ns, key.name);
  if (!obj) {
    metrics_.Forget(key);
    return runtime::Result{};  // gone: the finalizer did the cleanup
  }
  return runtime::RunWithFinalizer(
      kube_, kube::DatabasesGvr(), *obj, kDatabaseFinalizer,
      [this](const json& o) { return Apply(o); }, [this](const json& o) { return Cleanup(o); });
}

void DatabaseReconciler::Event(const json& obj, std::string_view type, std::string_view reason,
                               const std::string& note) {
  if (events_) {
    events_(obj, type, reason, note);
  }
}

Expected<void> DatabaseReconciler::Report(const json& obj, const v1::Database& database,
                                          const DatabaseReport& report) {
  const v1::DatabaseStatus status =
      ComputeDatabaseStatus(database, report, v1::ToTimestamp(clock_.Now()));
  const json current = obj.value("status", json::object());
  const json desired = v1::Encode(status);
  TENANTDB_TRY(const bool written,
               WriteStatusIfChanged(kube_, kube::DatabasesGvr(), database.metadata.ns,
                                    database.metadata.name, current, desired));
  if (written && report.not_ready) {
    const v1::Condition* before = v1::FindStatusCondition(database.status.conditions, v1::kReady);
    if (before == nullptr || before->reason != report.not_ready->reason ||
        before->status == v1::ConditionStatus::kTrue) {
      Event(obj, "Warning", report.not_ready->reason, report.not_ready->message);
    }
  }
  return {};
}

Expected<ObservedState> DatabaseReconciler::Observe(sql::SqlExecutor& admin, Sessions& sessions,
                                                    const DesiredDatabase& desired,
                                                    const v1::DatabaseServerSpec& server) {
  ObservedState observed;
  observed.server = server;
  TENANTDB_TRY(observed.database, sql::ReadDatabase(admin, desired.name));
  TENANTDB_TRY(observed.owner_role, sql::ReadRole(admin, desired.owner));
  TENANTDB_TRY(observed.admin_role, sql::ReadRole(admin, sessions.admin_user()));
  for (const auto& schema : desired.schemas) {
    if (schema.owner != desired.owner && !observed.schema_owner_roles.contains(schema.owner)) {
      TENANTDB_TRY(observed.schema_owner_roles[schema.owner], sql::ReadRole(admin, schema.owner));
    }
  }
  const Ownership ownership = ClassifyOwnership(desired, observed.database, observed.owner_role);
  if ((ownership == Ownership::kOurs || ownership == Ownership::kAdoptable) &&
      observed.database->allow_connections) {
    TENANTDB_TRY(sql::SqlExecutor * session, sessions.For(desired.name));
    ObservedObjects objects;
    TENANTDB_TRY(objects.extensions, sql::ReadExtensions(*session));
    TENANTDB_TRY(objects.schemas, sql::ReadSchemas(*session));
    observed.objects = std::move(objects);
  }
  return observed;
}

Expected<void> DatabaseReconciler::Execute(const json& obj, Sessions& sessions,
                                           const std::string& database,
                                           const std::vector<sql::SqlAction>& transaction,
                                           std::string_view event_reason) {
  TENANTDB_TRY(sql::SqlExecutor * session, sessions.For(sql::TargetDatabase(transaction.front())));
  std::vector<sql::Statement> statements;
  for (const sql::SqlAction& action : transaction) {
    TENANTDB_TRY(sql::RenderedAction rendered, sql::RenderChecked(action));
    const std::string_view kind = sql::ActionKind(action);
    spdlog::info("Applying SQL action {} action={} database={} statement={}",
                 runtime::ReconcileLogFields(), kind, database, rendered.redacted);
    metrics_.CountStatement(kind);
    statements.push_back(std::move(rendered.statement));
  }
  Expected<void> done;
  if (sql::MustRunOutsideTransaction(transaction.front())) {
    if (auto rows = session->Query(statements.front()); !rows) {
      done = rows.error();
    }
  } else {
    done = session->ExecuteInTransaction(statements);
  }
  if (!done) {
    spdlog::info("SQL action failed {} action={} database={} reason={}",
                 runtime::ReconcileLogFields(), sql::ActionKind(transaction.front()), database,
                 done.error().reason);
    return done.error();
  }
  for (const sql::SqlAction& action : transaction) {
    Event(obj, "Normal", event_reason, sql::Describe(action));
  }
  if (settings_.crash_after_database_created &&
      std::holds_alternative<sql::CreateDatabase>(transaction.front())) {
    spdlog::warn("Fault injection: exiting after CREATE DATABASE {} database={}",
                 runtime::ReconcileLogFields(), database);
    spdlog::default_logger()->flush();
    std::_Exit(137);
  }
  return {};
}

Expected<runtime::Result> DatabaseReconciler::Apply(const json& obj) {
  v1::Database db;
  TENANTDB_TRY_VOID(v1::Decode(obj, "", db));
  v1::ApplyDefaults(db);
  const runtime::ObjectKey key{db.metadata.ns, db.metadata.name};
  const runtime::Result resync{.requeue_after = settings_.resync_period};
  DatabaseReport report;
  // Reports `error` as the Ready condition and returns it (retried unless terminal).
  auto fail = [&](Error error) -> Expected<runtime::Result> {
    report.not_ready = Readiness::FromError(error);
    TENANTDB_TRY_VOID(Report(obj, db, report));
    return error;
  };
  // Reports a state a person or another object must change; the resync (or the server's events)
  // brings the key back.
  auto blocked = [&](Readiness readiness) -> Expected<runtime::Result> {
    report.not_ready = std::move(readiness);
    TENANTDB_TRY_VOID(Report(obj, db, report));
    return resync;
  };

  // Observe: names, server, namespace policy.
  auto desired = Desire(db);
  if (!desired) {
    return fail(desired.error());
  }
  report.server = desired->server;
  report.database_name = desired->name;
  report.owner = desired->owner;

  const auto server_obj = servers_.Get("", desired->server);
  if (!server_obj) {
    return blocked(Readiness::InProgress(
        std::string(v1::reason::kDependencyNotReady),
        "DatabaseServer \"" + desired->server +
            "\" does not exist: create it (ask the platform team) or fix spec.serverRef.name."));
  }
  v1::DatabaseServer server;
  TENANTDB_TRY_VOID(v1::Decode(*server_obj, "", server));
  v1::ApplyDefaults(server);

  auto admitted = NamespaceAdmitted(kube_, server, db.metadata.ns);
  if (!admitted) {
    return fail(admitted.error());
  }
  if (!*admitted) {
    return blocked(Readiness::Stalled(std::string(v1::reason::kNamespaceNotAllowed),
                                      NamespaceNotAllowedMessage(server, db.metadata.ns)));
  }
  // What the server does not let tenants use is refused before any session is opened.
  if (auto refusal = CheckServerPolicy(*desired, server.spec)) {
    return blocked(Readiness::Stalled(refusal->reason, refusal->message));
  }
  if (!v1::IsStatusConditionTrue(server.status.conditions, v1::kReady)) {
    const v1::Condition* ready = v1::FindStatusCondition(server.status.conditions, v1::kReady);
    std::string why = ready != nullptr && !ready->message.empty()
                          ? " (" + ready->reason + ": " + ready->message + ")"
                          : " yet";
    return blocked(Readiness::InProgress(std::string(v1::reason::kDependencyNotReady),
                                         "DatabaseServer \"" + desired->server + "\" is not Ready" +
                                             why + "; tenantdb continues once it is."));
  }

  // Observe: the catalog.
  auto params = ServerConnectionParams(kube_, server, settings_.ca_dir);
  if (!params) {
    return fail(params.error());
  }
  Sessions sessions(sql_, *params);
  auto admin = sessions.Admin();
  if (!admin) {
    return fail(admin.error());
  }
  auto observed = Observe(**admin, sessions, *desired, server.spec);
  if (!observed) {
    return fail(observed.error());
  }

  // Plan.
  const DatabasePlan plan = PlanDatabase(*desired, *observed);
  if (plan.refusal) {
    return blocked(plan.refusal->reason == v1::reason::kDependencyNotReady
                       ? Readiness::InProgress(plan.refusal->reason, plan.refusal->message)
                       : Readiness::Stalled(plan.refusal->reason, plan.refusal->message));
  }

  // Act: consecutive actions on one session share a transaction; stop at the first error.
  for (const auto& transaction : GroupIntoTransactions(plan.actions)) {
    if (auto done = Execute(obj, sessions, desired->name, transaction, v1::reason::kReconciled);
        !done) {
      return fail(done.error());
    }
  }

  // Metrics: size and connections, no status write.
  if (auto usage = sql::ReadDatabaseUsage(**admin, {desired->name}); usage) {
    for (const auto& u : *usage) {
      metrics_.SetUsage(key, u.name, u.size_bytes, u.connections);
    }
  } else {
    spdlog::debug("Reading database usage failed {} reason={}", runtime::ReconcileLogFields(),
                  usage.error().reason);
  }

  // Report.
  report.drift = plan.drift;
  report.immutable_differences = plan.immutable_differences;
  TENANTDB_TRY_VOID(Report(obj, db, report));
  return resync;
}

Expected<runtime::Result> DatabaseReconciler::Cleanup(const json& obj) {
  v1::Database db;
  TENANTDB_TRY_VOID(v1::Decode(obj, "", db));
  v1::ApplyDefaults(db);
  const runtime::ObjectKey key{db.metadata.ns, db.metadata.name};
  const std::string what = "Database " + db.metadata.ns + "/" + db.metadata.name;

  if (db.spec.deletion_protection.value_or(false)) {
    DatabaseReport report;
    report.not_ready = Readiness::Stalled(
        std::string(v1::reason::kDeletionProtected),
        what + " is protected from deletion: set spec.deletionProtection to false to delete it.");
    if (auto desired = Desire(db); desired) {
      report.server = desired->server;
      report.database_name = desired->name;
      report.owner = desired->owner;
    }
    TENANTDB_TRY_VOID(Report(obj, db, report));
    // An error keeps the finalizer; terminal: the spec change that lifts the protection brings
    // the key back.
    Error error =
        Error::Invalid(report.not_ready->message, std::string(v1::reason::kDeletionProtected));
    return error;
  }
  metrics_.Forget(key);

  auto desired = Desire(db);
  if (!desired) {
    Event(obj, "Warning", v1::reason::kDeleting, "Nothing was dropped: " + desired.error().message);
    return runtime::Result{};
  }
  const std::string pg =
      "PostgreSQL database \"" + desired->name + "\" on DatabaseServer \"" + desired->server + "\"";
  if (db.spec.reclaim_policy.value_or(v1::kDefaultDatabaseReclaimPolicy) ==
      v1::ReclaimPolicy::kRetain) {
    Event(obj, "Normal", v1::reason::kDeleting,
          "Kept " + pg + " and its data (reclaimPolicy Retain).");
    return runtime::Result{};
  }

  // reclaimPolicy Delete. Give up cleanly when the server or its Secret is gone (PITFALLS.md:
  // a finalizer must never wait for something that will not come back).
  const std::string left = pg + " and role \"" + desired->owner + "\"";
  TENANTDB_TRY(auto login, LogInForCleanup(servers_, kube_, settings_.ca_dir, desired->server, left,
                                           [&](const std::string& note) {
                                             Event(obj, "Warning", v1::reason::kDeleting, note);
                                           }));
  if (!login) {
    return runtime::Result{};
  }
  // The namespace must still be admitted, and the database must carry this object's marker
  // (checked below), before anything is dropped: a finalizer never trusts the names it reads.
  TENANTDB_TRY(const bool admitted, NamespaceAdmitted(kube_, login->server, db.metadata.ns));
  if (!admitted) {
    Event(obj, "Warning", v1::reason::kDeleting,
          "Did not drop " + left + ": namespace \"" + db.metadata.ns +
              "\" is no longer admitted by the DatabaseServer; they were left on the server.");
    return runtime::Result{};
  }
  Sessions sessions(sql_, login->params);
  TENANTDB_TRY(sql::SqlExecutor * admin, sessions.Admin());
  TENANTDB_TRY(const auto database, sql::ReadDatabase(*admin, desired->name));
  TENANTDB_TRY(const auto owner, sql::ReadRole(*admin, desired->owner));
  std::vector<sql::SqlAction> actions;
  if (database) {
    const Ownership ownership = ClassifyOwnership(*desired, database, owner);
    if (ownership != Ownership::kOurs && ownership != Ownership::kUnfinished) {
      Event(obj, "Warning", v1::reason::kDeleting,
            "Did not drop " + pg + ": it does not carry this object's marker (" + desired->marker +
                "), so it is not tenantdb's to drop.");
      return runtime::Result{};
    }
    actions.push_back(sql::DropDatabase{.name = desired->name, .force = true});
  }
  for (const auto& action : actions) {
    if (auto dropped = Execute(obj, sessions, desired->name, {action}, v1::reason::kDeleting);
        !dropped) {
      // The finalizer stays and the drop is retried; the condition says why deletion is stuck.
      Error error = dropped.error();
      if (error.code == ErrorCode::kPermission) {
        error.message =
            "Cannot drop " + pg + ": " + error.message +
            ". To end the sessions still open on it, the admin role \"" + sessions.admin_user() +
            "\" needs pg_signal_backend (GRANT pg_signal_backend TO " + sessions.admin_user() +
            "), or close them; superuser sessions must be closed by hand.";
      }
      DatabaseReport report;
      report.server = desired->server;
      report.database_name = desired->name;
      report.owner = desired->owner;
      report.not_ready = Readiness::FromError(error);
      TENANTDB_TRY_VOID(Report(obj, db, report));
      return error;
    }
  }

  // The owner role, when it carries this object's marker and owns no other database. A failure
  // here (it still owns objects elsewhere, say) leaves the role and says so; the database is gone.
  if (OwnerRoleIsOurs(*desired, owner)) {
    TENANTDB_TRY(const int owned, sql::CountOwnedDatabases(*admin, desired->owner));
    if (owned == 0) {
      if (auto dropped = Execute(obj, sessions, desired->name,
                                 {sql::DropRole{.role = desired->owner}}, v1::reason::kDeleting);
          !dropped) {
        Event(obj, "Warning", v1::reason::kDeleting,
              "Role \"" + desired->owner + "\" was left behind: " + dropped.error().message);
      }
    }
  }
  return runtime::Result{};
}

}  // namespace tenantdb::controllers::database

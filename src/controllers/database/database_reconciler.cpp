#include "controllers/database/database_reconciler.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "common/logging.h"
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

namespace {

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

std::map<std::string, std::string> Labels(const json& obj) {
  std::map<std::string, std::string> labels;
  const auto md = obj.find("metadata");
  if (md == obj.end() || !md->contains("labels") || !(*md)["labels"].is_object()) {
    return labels;
  }
  for (const auto& [key, value] : (*md)["labels"].items()) {
    if (value.is_string()) {
      labels.emplace(key, value.get<std::string>());
    }
  }
  return labels;
}

// Number of databases owned by `role` (pg_database.datdba).
Expected<int> CountOwnedDatabases(sql::SqlExecutor& session, const std::string& role) {
  TENANTDB_TRY(const sql::Rows rows,
               session.Query({"SELECT count(*) FROM pg_catalog.pg_database d "
                              "JOIN pg_catalog.pg_roles r ON r.oid = d.datdba "
                              "WHERE r.rolname = $1",
                              {role}}));
  if (rows.size() != 1 || rows[0].empty() || !rows[0][0]) {
    return Error::Internal("unexpected answer to the database ownership query");
  }
  return std::stoi(*rows[0][0]);
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

  std::map<std::string, std::string> ns_labels;
  if (NeedsNamespaceLabels(server.spec, db.metadata.ns)) {
    auto ns_obj = kube_.Get(kube::NamespacesGvr(), "", db.metadata.ns);
    if (!ns_obj) {
      return fail(ns_obj.error());
    }
    if (*ns_obj) {
      ns_labels = Labels(**ns_obj);
    }
  }
  if (!IsNamespaceAllowed(server.spec, db.metadata.ns, ns_labels)) {
    return blocked(Readiness::Stalled(std::string(v1::reason::kNamespaceNotAllowed),
                                      NamespaceNotAllowedMessage(server, db.metadata.ns)));
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
  ObservedState observed;
  {
    auto database = sql::ReadDatabase(**admin, desired->name);
    if (!database) {
      return fail(database.error());
    }
    observed.database = std::move(*database);
    auto owner = sql::ReadRole(**admin, desired->owner);
    if (!owner) {
      return fail(owner.error());
    }
    observed.owner_role = std::move(*owner);
    auto admin_role = sql::ReadRole(**admin, sessions.admin_user());
    if (!admin_role) {
      return fail(admin_role.error());
    }
    observed.admin_role = std::move(*admin_role);
  }
  const Ownership ownership = ClassifyOwnership(*desired, observed.database);
  if (ownership == Ownership::kOurs || ownership == Ownership::kAdoptable) {
    auto session = sessions.For(desired->name);
    if (!session) {
      return fail(session.error());
    }
    ObservedObjects objects;
    auto extensions = sql::ReadExtensions(**session);
    if (!extensions) {
      return fail(extensions.error());
    }
    objects.extensions = std::move(*extensions);
    auto schemas = sql::ReadSchemas(**session);
    if (!schemas) {
      return fail(schemas.error());
    }
    objects.schemas = std::move(*schemas);
    observed.objects = std::move(objects);
  }

  // Plan.
  const DatabasePlan plan = PlanDatabase(*desired, observed);
  if (plan.conflict) {
    return blocked(
        Readiness::Stalled(std::string(v1::reason::kConflictingResource), *plan.conflict));
  }

  // Act: one action at a time, each in its own session and transaction; stop at the first error.
  for (const sql::SqlAction& action : plan.actions) {
    auto session = sessions.For(sql::TargetDatabase(action));
    if (!session) {
      return fail(session.error());
    }
    const sql::RenderedAction rendered = sql::Render(action);
    const std::string_view kind = sql::ActionKind(action);
    spdlog::info("Applying SQL action {} action={} database={} statement={}",
                 runtime::ReconcileLogFields(), JsonEscape(kind), JsonEscape(desired->name),
                 JsonEscape(rendered.redacted));
    metrics_.CountStatement(kind);
    Expected<void> done;
    if (sql::MustRunOutsideTransaction(action)) {
      auto rows = (*session)->Query(rendered.statement);
      if (!rows) {
        done = rows.error();
      }
    } else {
      done = (*session)->ExecuteInTransaction({rendered.statement});
    }
    if (!done) {
      spdlog::info("SQL action failed {} action={} database={} reason={}",
                   runtime::ReconcileLogFields(), JsonEscape(kind), JsonEscape(desired->name),
                   JsonEscape(done.error().reason));
      return fail(done.error());
    }
    Event(obj, "Normal", v1::reason::kReconciled, sql::Describe(action));
  }

  // Metrics: size and connections, no status write.
  if (auto usage = sql::ReadDatabaseUsage(**admin, {desired->name}); usage) {
    for (const auto& u : *usage) {
      metrics_.SetUsage(key, u.name, u.size_bytes, u.connections);
    }
  } else {
    spdlog::debug("Reading database usage failed {} reason={}", runtime::ReconcileLogFields(),
                  JsonEscape(usage.error().reason));
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
  const auto server_obj = servers_.Get("", desired->server);
  if (!server_obj) {
    Event(obj, "Warning", v1::reason::kDeleting,
          "DatabaseServer \"" + desired->server + "\" no longer exists: " + pg + " and role \"" +
              desired->owner + "\" were left behind, if they exist; drop them by hand.");
    return runtime::Result{};
  }
  v1::DatabaseServer server;
  TENANTDB_TRY_VOID(v1::Decode(*server_obj, "", server));
  v1::ApplyDefaults(server);
  auto params = ServerConnectionParams(kube_, server, settings_.ca_dir);
  if (!params) {
    if (params.error().reason == v1::reason::kSecretNotFound) {
      Event(obj, "Warning", v1::reason::kDeleting,
            "Cannot log in to DatabaseServer \"" + desired->server + "\" (" +
                params.error().message + "): " + pg + " and role \"" + desired->owner +
                "\" were left behind; drop them by hand.");
      return runtime::Result{};
    }
    return params.error();
  }
  Sessions sessions(sql_, *params);
  TENANTDB_TRY(sql::SqlExecutor * admin, sessions.Admin());
  TENANTDB_TRY(const auto database, sql::ReadDatabase(*admin, desired->name));
  std::vector<sql::SqlAction> actions;
  if (database) {
    if (ClassifyOwnership(*desired, database) != Ownership::kOurs) {
      Event(obj, "Warning", v1::reason::kDeleting,
            "Did not drop " + pg + ": it does not carry this object's marker (" + desired->marker +
                "), so it is not tenantdb's to drop.");
      return runtime::Result{};
    }
    actions.push_back(sql::DropDatabase{.name = desired->name, .force = true});
  }
  auto run = [&](const sql::SqlAction& action) -> Expected<void> {
    const sql::RenderedAction rendered = sql::Render(action);
    spdlog::info("Applying SQL action {} action={} database={} statement={}",
                 runtime::ReconcileLogFields(), JsonEscape(sql::ActionKind(action)),
                 JsonEscape(desired->name), JsonEscape(rendered.redacted));
    metrics_.CountStatement(sql::ActionKind(action));
    if (sql::MustRunOutsideTransaction(action)) {
      TENANTDB_TRY_VOID(admin->Query(rendered.statement));
    } else {
      TENANTDB_TRY_VOID(admin->ExecuteInTransaction({rendered.statement}));
    }
    Event(obj, "Normal", v1::reason::kDeleting, sql::Describe(action));
    return {};
  };
  for (const auto& action : actions) {
    if (auto dropped = run(action); !dropped) {
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

  // The owner role, when tenantdb named it and it owns no other database. A failure here (it
  // still owns objects elsewhere, say) leaves the role and says so; the database is gone.
  TENANTDB_TRY(const auto owner, sql::ReadRole(*admin, desired->owner));
  if (OwnerRoleIsOurs(db, owner)) {
    TENANTDB_TRY(const int owned, CountOwnedDatabases(*admin, desired->owner));
    if (owned == 0) {
      if (auto dropped = run(sql::DropRole{.role = desired->owner}); !dropped) {
        Event(obj, "Warning", v1::reason::kDeleting,
              "Role \"" + desired->owner + "\" was left behind: " + dropped.error().message);
      }
    }
  }
  return runtime::Result{};
}

}  // namespace tenantdb::controllers::database

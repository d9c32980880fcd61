#include "controllers/database/database_reconciler.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <utility>
#include <variant>
#include <vector>

#include "api/v1alpha1/object_refs.h"
#include "controllers/common/cleanup_login.h"
#include "controllers/common/namespace_policy.h"
#include "controllers/server/server_connection.h"
#include "kube/gvr.h"
#include "runtime/controller.h"
#include "runtime/finalizer.h"
#include "sql/actions.h"

namespace tenantdb::controllers::database {

namespace v1 = api::v1alpha1;

namespace {

DatabaseReport Failed(DatabaseReport report, const Error& error) {
  report.not_ready = Readiness::FromError(error);
  return report;
}

// A DROP DATABASE the admin may not do: what the platform team must grant.
Error ExplainDropFailure(Error error, const DesiredDatabase& desired,
                         const std::string& admin_user) {
  if (error.code == ErrorCode::kPermission) {
    error.message = "Cannot drop " + DescribeOnServer(desired) + ": " + error.message +
                    ". To end the sessions still open on it, the admin role \"" + admin_user +
                    "\" needs pg_signal_backend (GRANT pg_signal_backend TO " + admin_user +
                    "), or close them; superuser sessions must be closed by hand.";
  }
  return error;
}

}  // namespace

// --- metrics -------------------------------------------------------------------------------------

DatabaseMetrics::DatabaseMetrics(runtime::MetricsRegistry& registry) {
  size_gauge_ = registry.RegisterCallbackGauge(
      "tenantdb_database_size_bytes", "Size of each managed database, as of its last reconcile.",
      {"namespace", "name", "database"}, [this] { return Samples(true); });
  connections_gauge_ = registry.RegisterCallbackGauge(
      "tenantdb_database_connections",
      "Open connections to each managed database, as of its last reconcile.",
      {"namespace", "name", "database"}, [this] { return Samples(false); });
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

DatabaseReconciler::DatabaseReconciler(kube::TypedCache<v1::Database> databases,
                                       kube::TypedCache<v1::DatabaseServer> servers,
                                       kube::KubeApi& kube, sql::SessionFactory& sessions,
                                       runtime::Clock& clock, EventSink events,
                                       SqlStatementMetrics* statements, DatabaseMetrics& usage,
                                       Settings settings)
    : databases_(std::move(databases)),
      servers_(std::move(servers)),
      kube_(kube),
      sessions_(sessions),
      clock_(clock),
      events_(std::move(events)),
      statements_(statements),
      usage_(usage),
      settings_(std::move(settings)) {}

Expected<runtime::Result> DatabaseReconciler::Reconcile(const runtime::ObjectKey& key) {
  const kube::CachedPtr<v1::Database> db = databases_.Get(key.ns, key.name);
  if (!db) {
    usage_.Forget(key);
    return runtime::Result{};  // gone: the finalizer did the cleanup
  }
  // An object that does not decode is neither reconciled nor released (its error is retried).
  const auto visit = [&](auto step) -> Expected<runtime::Result> {
    if (db->invalid) {
      return *db->invalid;
    }
    return (this->*step)(*db);
  };
  return runtime::RunWithFinalizer(
      kube_, kube::DatabasesGvr(), db->metadata, kDatabaseFinalizer,
      [&] { return visit(&DatabaseReconciler::Apply); },
      [&] { return visit(&DatabaseReconciler::Cleanup); });
}

void DatabaseReconciler::Event(const v1::Database& db, std::string_view type,
                               std::string_view reason, const std::string& note) {
  if (events_) {
    events_(v1::EventObjectOf(db), type, reason, note);
  }
}

// --- observe -------------------------------------------------------------------------------------

Expected<ObservedDatabaseState> DatabaseReconciler::Observe(
    const v1::Database& db, const DesiredDatabase& desired,
    std::optional<ServerSessions>& sessions) {
  ObservedDatabaseState observed;
  const kube::CachedPtr<v1::DatabaseServer> server = servers_.Get("", desired.server);
  if (!server) {
    return observed;
  }
  if (server->invalid) {
    return *server->invalid;
  }
  observed.server = *server;
  TENANTDB_TRY(observed.namespace_admitted,
               NamespaceAdmitted(kube_, *observed.server, db.metadata.ns));
  if (WaitBeforeSession(desired, observed)) {
    return observed;  // no Secret read, no session opened
  }
  TENANTDB_TRY(auto params, ServerConnectionParams(kube_, *observed.server, settings_.ca_dir));
  sessions.emplace(sessions_, std::move(params));
  TENANTDB_TRY(observed.catalog, ReadCatalog(*sessions, desired, observed.server->spec));
  return observed;
}

Expected<ObservedCatalog> DatabaseReconciler::ReadCatalog(ServerSessions& sessions,
                                                          const DesiredDatabase& desired,
                                                          const v1::DatabaseServerSpec& server) {
  TENANTDB_TRY(sql::Session * admin, sessions.Home());
  ObservedCatalog observed;
  observed.server = server;
  TENANTDB_TRY(observed.database, admin->ReadDatabase(desired.name));
  TENANTDB_TRY(observed.owner_role, admin->ReadRole(desired.owner));
  TENANTDB_TRY(observed.admin_role, admin->ReadRole(sessions.admin_user()));
  for (const auto& schema : desired.schemas) {
    if (schema.owner != desired.owner && !observed.schema_owner_roles.contains(schema.owner)) {
      TENANTDB_TRY(observed.schema_owner_roles[schema.owner], admin->ReadRole(schema.owner));
    }
  }
  const Ownership ownership = ClassifyOwnership(desired, observed.database, observed.owner_role);
  if ((ownership == Ownership::kOurs || ownership == Ownership::kAdoptable) &&
      observed.database->allow_connections) {
    TENANTDB_TRY(sql::Session * session, sessions.For(desired.name));
    ObservedObjects objects;
    TENANTDB_TRY(objects.extensions, session->ReadExtensions());
    TENANTDB_TRY(objects.schemas, session->ReadSchemas());
    observed.objects = std::move(objects);
  }
  return observed;
}

Expected<ObservedDatabaseState> DatabaseReconciler::ObserveDeletion(
    const v1::Database& db, const DesiredDatabase& desired, const v1::DatabaseServer& server,
    ServerSessions& sessions) {
  ObservedDatabaseState observed;
  observed.server = server;
  TENANTDB_TRY(observed.namespace_admitted, NamespaceAdmitted(kube_, server, db.metadata.ns));
  if (!observed.namespace_admitted) {
    return observed;  // nothing is read on a server that no longer admits the namespace
  }
  TENANTDB_TRY(sql::Session * admin, sessions.Home());
  ObservedCatalog catalog;
  TENANTDB_TRY(catalog.database, admin->ReadDatabase(desired.name));
  TENANTDB_TRY(catalog.owner_role, admin->ReadRole(desired.owner));
  if (catalog.owner_role) {
    TENANTDB_TRY(observed.owner_databases, admin->CountOwnedDatabases(desired.owner));
  }
  observed.catalog = std::move(catalog);
  return observed;
}

// --- act -----------------------------------------------------------------------------------------

ApplyContext DatabaseReconciler::ActingFor(const v1::Database& db, const DesiredDatabase& desired,
                                           std::string_view reason) const {
  ApplyContext context{.events = events_,
                       .event_object = v1::EventObjectOf(db),
                       .event_reason = reason,
                       .database = desired.name,
                       .metrics = statements_,
                       .after_commit = {}};
  if (settings_.crash_after_database_created) {
    context.after_commit = [database = desired.name](const SqlTransaction& transaction) {
      if (std::holds_alternative<sql::CreateDatabase>(transaction.front())) {
        spdlog::warn("Fault injection: exiting after CREATE DATABASE {} database={}",
                     runtime::ReconcileLogFields(), database);
        spdlog::default_logger()->flush();
        std::_Exit(137);
      }
    };
  }
  return context;
}

void DatabaseReconciler::RecordUsage(const v1::Database& db, ServerSessions& sessions,
                                     const std::string& database) {
  auto admin = sessions.Home();
  auto usage = admin ? (*admin)->ReadDatabaseUsage({database})
                     : Expected<std::vector<sql::DatabaseUsage>>(admin.error());
  if (!usage) {
    spdlog::debug("Reading database usage failed {} reason={}", runtime::ReconcileLogFields(),
                  usage.error().reason);
    return;
  }
  for (const auto& u : *usage) {
    usage_.SetUsage({db.metadata.ns, db.metadata.name}, u.name, u.size_bytes, u.connections);
  }
}

// --- report --------------------------------------------------------------------------------------

Expected<runtime::Result> DatabaseReconciler::Report(const v1::Database& db,
                                                     const DatabaseReport& report,
                                                     const VisitEnd& end) {
  const v1::DatabaseStatus status =
      ComputeDatabaseStatus(db, report, v1::ToTimestamp(clock_.Now()));
  TENANTDB_TRY_VOID(ReportStatusOf(kube_, events_, kube::DatabasesGvr(), db, status));
  return Finish(end);
}

// --- the visit -----------------------------------------------------------------------------------

Expected<runtime::Result> DatabaseReconciler::Apply(const v1::Database& db) {
  auto desired = Desire(db);
  if (!desired) {
    return Report(db, Failed({}, desired.error()), VisitEnd{.error = desired.error()});
  }
  std::optional<ServerSessions> sessions;
  auto observed = Observe(db, *desired, sessions);
  if (!observed) {
    return Report(db, Failed(ReportFor(*desired), observed.error()),
                  VisitEnd{.error = observed.error()});
  }
  const VisitPlan plan = PlanVisit(*desired, *observed);
  if (!plan.blocked) {
    const ApplyOutcome outcome = ApplySqlActions(*sessions, plan.transactions,
                                                 ActingFor(db, *desired, v1::reason::kReconciled));
    if (!outcome.ok()) {
      return Report(db, Failed(plan.report, *outcome.error), VisitEnd{.error = outcome.error});
    }
    RecordUsage(db, *sessions, desired->name);
  }
  return Report(
      db, plan.report,
      VisitEnd{.error = std::nullopt, .blocked = plan.blocked, .requeue = settings_.resync_period});
}

Expected<runtime::Result> DatabaseReconciler::Cleanup(const v1::Database& db) {
  const auto desired = Desire(db);
  if (db.spec.deletion_protection.value_or(false)) {
    DatabaseReport report = desired ? ReportFor(*desired) : DatabaseReport{};
    report.not_ready = Readiness::Stalled(
        std::string(v1::reason::kDeletionProtected),
        "Database " + db.metadata.ns + "/" + db.metadata.name +
            " is protected from deletion: set spec.deletionProtection to false to delete it.");
    // An error keeps the finalizer; terminal: the spec change that lifts the protection brings
    // the key back.
    return Report(db, report,
                  VisitEnd{.error = Error::Invalid(report.not_ready->message,
                                                   std::string(v1::reason::kDeletionProtected))});
  }
  usage_.Forget({db.metadata.ns, db.metadata.name});
  if (!desired) {
    Event(db, "Warning", v1::reason::kDeleting, "Nothing was dropped: " + desired.error().message);
    return runtime::Result{};
  }
  if (db.spec.reclaim_policy.value_or(v1::kDefaultDatabaseReclaimPolicy) ==
      v1::ReclaimPolicy::kRetain) {
    Event(db, "Normal", v1::reason::kDeleting,
          "Kept " + DescribeOnServer(*desired) + " and its data (reclaimPolicy Retain).");
    return runtime::Result{};
  }
  return DropOnServer(db, *desired);
}

Expected<runtime::Result> DatabaseReconciler::DropOnServer(const v1::Database& db,
                                                           const DesiredDatabase& desired) {
  // Give up cleanly when the server or its Secret is gone (PITFALLS.md: a finalizer must never
  // wait for something that will not come back).
  const std::string left = DescribeOnServer(desired) + " and role \"" + desired.owner + "\"";
  TENANTDB_TRY(auto login, LogInForCleanup(servers_, kube_, settings_.ca_dir, desired.server, left,
                                           [&](const std::string& note) {
                                             Event(db, "Warning", v1::reason::kDeleting, note);
                                           }));
  if (!login) {
    return runtime::Result{};
  }
  ServerSessions sessions(sessions_, login->params);
  TENANTDB_TRY(const auto observed, ObserveDeletion(db, desired, login->server, sessions));
  const DeletionPlan plan = PlanDeletion(desired, observed);
  if (plan.left_behind) {
    Event(db, "Warning", v1::reason::kDeleting, *plan.left_behind);
    return runtime::Result{};
  }
  const ApplyContext context = ActingFor(db, desired, v1::reason::kDeleting);
  if (const auto dropped = ApplySqlActions(sessions, plan.drop_database, context); !dropped.ok()) {
    // The finalizer stays and the drop is retried; the condition says why deletion is stuck.
    const Error error = ExplainDropFailure(*dropped.error, desired, sessions.admin_user());
    return Report(db, Failed(ReportFor(desired), error), VisitEnd{.error = error});
  }
  // A failure here (the role still owns objects elsewhere, say) leaves the role and says so; the
  // database is gone.
  if (const auto dropped = ApplySqlActions(sessions, plan.drop_owner, context); !dropped.ok()) {
    Event(db, "Warning", v1::reason::kDeleting,
          "Role \"" + desired.owner + "\" was left behind: " + dropped.error->message);
  }
  return runtime::Result{};
}

}  // namespace tenantdb::controllers::database

#include "controllers/migration/migration_reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "api/v1alpha1/object_refs.h"
#include "kube/gvr.h"
#include "runtime/controller.h"

namespace tenantdb::controllers::migration {

namespace v1 = api::v1alpha1;
using nlohmann::json;

Expected<void> Decode(const json& j, const std::string& path, MigrationJob& out) {
  if (!j.is_object()) {
    return Error::Invalid(path + ": expected a Job object");
  }
  TENANTDB_TRY_VOID(
      v1::Decode(j.value("metadata", json::object()), path + "metadata", out.metadata));
  out.job = ReadJob(j);
  return {};
}

MigrationReconciler::MigrationReconciler(kube::TypedCache<v1::Migration> migrations,
                                         kube::TypedCache<v1::Database> databases,
                                         kube::TypedCache<v1::DatabaseRole> roles,
                                         kube::TypedCache<MigrationJob> jobs,
                                         kube::TypedCache<v1::BackupSchedule> schedules,
                                         kube::KubeApi& kube, runtime::Clock& clock,
                                         EventSink events, Settings settings)
    : migrations_(std::move(migrations)),
      databases_(std::move(databases)),
      roles_(std::move(roles)),
      jobs_(std::move(jobs)),
      schedules_(std::move(schedules)),
      kube_(kube),
      clock_(clock),
      events_(std::move(events)),
      settings_(std::move(settings)) {}

Expected<runtime::Result> MigrationReconciler::Reconcile(const runtime::ObjectKey& key) {
  const auto migration = migrations_.Get(key.ns, key.name);
  if (!migration) {
    return runtime::Result{};  // gone: its Jobs go with it (owner references)
  }
  if (migration->invalid) {
    MigrationPlan plan;
    plan.readiness =
        Readiness::Stalled(std::string(v1::reason::kInvalidSpec), migration->invalid->message);
    return Report(*migration, plan, std::nullopt);
  }
  auto observed = Observe(*migration);
  if (!observed) {
    MigrationPlan plan;
    plan.readiness = Readiness::FromError(observed.error());
    return Report(*migration, plan, observed.error());
  }
  const MigrationPlan plan = PlanMigration(*migration, *observed);
  if (auto acted = Act(*migration, plan); !acted) {
    MigrationPlan failed = plan;
    failed.readiness = Readiness::FromError(acted.error());
    return Report(*migration, failed, acted.error());
  }
  return Report(*migration, plan, std::nullopt);
}

std::optional<Readiness> MigrationReconciler::ObserveDependencies(const v1::Migration& migration,
                                                                  JobInputs& inputs) const {
  const std::string& ns = migration.metadata.ns;
  const std::string& db_name = migration.spec.database_ref.name;
  const std::string db_ref = "Database " + ns + "/" + db_name;
  const auto db = databases_.Get(ns, db_name);
  if (!db) {
    return Readiness::InProgress(std::string(v1::reason::kDependencyNotReady),
                                 db_ref + " (spec.databaseRef) does not exist: create it.");
  }
  if (!v1::IsStatusConditionTrue(db->status.conditions, v1::kReady)) {
    return Readiness::InProgress(std::string(v1::reason::kDependencyNotReady),
                                 db_ref + " is not Ready yet; the migrations wait for it.");
  }
  const v1::DatabaseRole* owner = nullptr;
  bool any_owner = false;
  for (const auto& role : roles_.ListInNamespace(ns)) {
    if (role->invalid || role->spec.database_ref.name != db_name ||
        role->spec.privileges.value_or(v1::kDefaultPrivileges) != v1::PrivilegePreset::kOwner) {
      continue;
    }
    any_owner = true;
    if (v1::IsStatusConditionTrue(role->status.conditions, v1::kReady) &&
        role->status.secret_name) {
      owner = role.get();
      inputs.credentials_secret = *role->status.secret_name;
      break;
    }
  }
  if (owner == nullptr) {
    return Readiness::InProgress(
        std::string(v1::reason::kDependencyNotReady),
        any_owner ? "The DatabaseRole with privileges: Owner of " + db_ref +
                        " is not Ready yet; the migrations run with its credentials."
                  : "No DatabaseRole with privileges: Owner and databaseRef.name: " + db_name +
                        " in namespace " + ns +
                        ": create one; the migrations run as the database owner with its "
                        "credentials.");
  }
  if (migration.spec.backup_before) {
    const std::string& bs_name = migration.spec.backup_before->backup_schedule_ref.name;
    const std::string bs_ref = "BackupSchedule " + ns + "/" + bs_name;
    const auto schedule = schedules_.Get(ns, bs_name);
    if (!schedule) {
      return Readiness::InProgress(std::string(v1::reason::kDependencyNotReady),
                                   bs_ref +
                                       " (spec.backupBefore.backupScheduleRef) does not exist: "
                                       "create it, or remove spec.backupBefore.");
    }
    if (schedule->invalid) {
      return Readiness::Stalled(std::string(v1::reason::kDependencyNotReady),
                                bs_ref + " is invalid (" + schedule->invalid->message +
                                    "): fix it; the backup before migrating uses its storage.");
    }
    if (schedule->spec.database_ref.name != db_name) {
      return Readiness::Stalled(std::string(v1::reason::kInvalidSpec),
                                bs_ref + " backs up Database " + schedule->spec.database_ref.name +
                                    ", not " + db_name +
                                    ": name a BackupSchedule of this Migration's Database in "
                                    "spec.backupBefore.backupScheduleRef.");
    }
    const v1::BackupScheduleSpec& bs = schedule->spec;
    inputs.backup = BackupTarget{
        .claim_name = bs.storage.persistent_volume_claim.claim_name,
        .format = std::string(v1::ToString(bs.format.value_or(v1::kDefaultBackupFormat))),
        .compression = bs.compression.value_or(v1::kDefaultCompression),
        .retention = bs.retention.value_or(v1::BackupRetention{})};
    if (!inputs.backup->retention.keep_last) {  // as the schedule's own CronJob
      inputs.backup->retention.keep_last = v1::kDefaultKeepLast;
    }
  }
  if (settings_.job_image.empty()) {
    return Readiness::Stalled(std::string(v1::reason::kDependencyNotReady),
                              "The operator was started without --job-image, so it cannot run "
                              "migration Jobs: ask the platform team to set it.");
  }
  inputs.image = settings_.job_image;
  return std::nullopt;
}

Expected<ObservedMigration> MigrationReconciler::Observe(const v1::Migration& migration) {
  ObservedMigration observed;
  const std::string& ns = migration.metadata.ns;
  if ((observed.blocked = ObserveDependencies(migration, observed.job_inputs))) {
    return observed;
  }
  const std::string& cm_name = migration.spec.source.config_map_ref.name;
  TENANTDB_TRY(const auto cm, kube_.Get(kube::ConfigMapsGvr(), ns, cm_name));
  if (!cm) {
    return Error::Dependency("ConfigMap " + ns + "/" + cm_name +
                             " (spec.source.configMapRef) does not exist: create it with one key "
                             "per migration file.");
  }
  const json data = cm->value("data", json::object());
  for (const auto& [file, content] : data.items()) {
    if (content.is_string()) {
      observed.job_inputs.files[file] = content.get<std::string>();
    }
  }
  for (const auto& job : jobs_.ListInNamespace(ns)) {
    const auto label = job->metadata.labels.find(std::string(kMigrationLabel));
    if (label != job->metadata.labels.end() && label->second == migration.metadata.name) {
      observed.jobs.push_back(job->job);
    }
  }
  std::stable_sort(observed.jobs.begin(), observed.jobs.end(),
                   [](const auto& a, const auto& b) { return a.created < b.created; });
  const std::string current =
      JobName(migration.metadata.name, ContentHash(migration, observed.job_inputs));
  const auto it = std::find_if(observed.jobs.begin(), observed.jobs.end(),
                               [&](const auto& j) { return j.name == current; });
  if (it != observed.jobs.end() && it->phase != JobPhase::kRunning &&
      it->owner == migration.metadata.uid && !OutcomeRecorded(migration, current)) {
    TENANTDB_TRY(observed.termination_message, TerminationMessage(ns, *it));
  }
  return observed;
}

// Only a Pod whose controller is this very Job (by uid, not by name: anyone who may create Pods
// in the namespace can copy a label and a name) is believed, so a hand-made Pod cannot report a
// migration as applied.
Expected<std::optional<std::string>> MigrationReconciler::TerminationMessage(
    const std::string& ns, const ObservedJob& job) {
  kube::ListOptions opts;
  opts.label_selector = "job-name=" + job.name;
  TENANTDB_TRY(const json pods, kube_.List(kube::PodsGvr(), ns, opts));
  std::optional<std::string> message;
  std::string latest;
  for (const auto& pod : pods.value("items", json::array())) {
    const json md = pod.value("metadata", json::object());
    const json refs = md.value("ownerReferences", json::array());
    const bool owned = std::any_of(refs.begin(), refs.end(), [&](const json& r) {
      return r.value("kind", "") == "Job" && r.value("name", "") == job.name && !job.uid.empty() &&
             r.value("uid", "") == job.uid && r.value("controller", false);
    });
    if (!owned || md.value("creationTimestamp", "") < latest) {
      continue;
    }
    for (const auto& c :
         pod.value("status", json::object()).value("containerStatuses", json::array())) {
      const json terminated = c.value("state", json::object()).value("terminated", json::object());
      if (c.value("name", "") == "migrate" && terminated.contains("message")) {
        latest = md.value("creationTimestamp", "");
        message = terminated.value("message", "");
      }
    }
  }
  return message;
}

Expected<void> MigrationReconciler::Act(const v1::Migration& migration, const MigrationPlan& plan) {
  const std::string& ns = migration.metadata.ns;
  if (plan.create) {
    if (auto created = kube_.Create(kube::JobsGvr(), ns, *plan.create); !created) {
      return created.error();  // 409: the cache was stale; the next visit sees the Job
    }
    spdlog::info("Created migration Job {} job={}", runtime::ReconcileLogFields(),
                 ns + "/" + plan.job_name);
    if (events_) {
      events_(v1::EventObjectOf(migration), "Normal", v1::reason::kJobPending,
              "Created Job " + plan.job_name + " to run the migrations.");
    }
  }
  for (const auto& old : plan.delete_jobs) {
    kube::DeleteOptions opts;
    opts.propagation_policy = "Background";  // its Pods go too
    if (auto deleted = kube_.Delete(kube::JobsGvr(), ns, old, opts);
        !deleted && deleted.error().code != ErrorCode::kNotFound) {
      return deleted.error();
    }
  }
  return {};
}

Expected<runtime::Result> MigrationReconciler::Report(const v1::Migration& migration,
                                                      const MigrationPlan& plan,
                                                      std::optional<Error> error) {
  const v1::MigrationStatus status =
      ComputeMigrationStatus(migration, plan, v1::ToTimestamp(clock_.Now()));
  TENANTDB_TRY([[maybe_unused]] const bool written,
               ReportStatusOf(kube_, events_, kube::MigrationsGvr(), migration, status));
  // A running Job wakes the Migration through the Jobs watch; a reconciled one re-reads its
  // ConfigMap every source_poll.
  const bool blocked = !error && plan.readiness.state != Readiness::State::kReady;
  return Finish({.error = std::move(error),
                 .blocked = blocked,
                 .requeue = plan.readiness.state == Readiness::State::kReady
                                ? std::min(settings_.source_poll, settings_.resync_period)
                                : settings_.resync_period});
}

}  // namespace tenantdb::controllers::migration

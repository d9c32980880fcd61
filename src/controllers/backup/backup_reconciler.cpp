#include "controllers/backup/backup_reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "api/v1alpha1/object_refs.h"
#include "controllers/common/job_pods.h"
#include "controllers/common/owner_credentials.h"
#include "kube/gvr.h"
#include "runtime/controller.h"

namespace tenantdb::controllers::backup {

namespace v1 = api::v1alpha1;
using nlohmann::json;

Expected<void> Decode(const json& j, const std::string& path, BackupJob& out) {
  if (!j.is_object()) {
    return Error::Invalid(path + ": expected a Job object");
  }
  TENANTDB_TRY_VOID(
      v1::Decode(j.value("metadata", json::object()), path + "metadata", out.metadata));
  out.job = ReadBackupJob(j);
  return {};
}

Expected<void> Decode(const json& j, const std::string& path, BackupCronJob& out) {
  if (!j.is_object()) {
    return Error::Invalid(path + ": expected a CronJob object");
  }
  TENANTDB_TRY_VOID(
      v1::Decode(j.value("metadata", json::object()), path + "metadata", out.metadata));
  out.cron_job = ReadCronJob(j);
  return {};
}

BackupReconciler::BackupReconciler(kube::TypedCache<v1::BackupSchedule> schedules,
                                   kube::TypedCache<v1::Database> databases,
                                   kube::TypedCache<v1::DatabaseRole> roles,
                                   kube::TypedCache<BackupCronJob> cron_jobs,
                                   kube::TypedCache<BackupJob> jobs, kube::KubeApi& kube,
                                   runtime::Clock& clock, EventSink events, Settings settings)
    : schedules_(std::move(schedules)),
      databases_(std::move(databases)),
      roles_(std::move(roles)),
      cron_jobs_(std::move(cron_jobs)),
      jobs_(std::move(jobs)),
      kube_(kube),
      clock_(clock),
      events_(std::move(events)),
      settings_(std::move(settings)) {}

Expected<runtime::Result> BackupReconciler::Reconcile(const runtime::ObjectKey& key) {
  const auto schedule = schedules_.Get(key.ns, key.name);
  if (!schedule) {
    return runtime::Result{};  // gone: its CronJob and Jobs go with it (owner references)
  }
  if (schedule->invalid) {
    BackupPlan plan;
    plan.readiness =
        Readiness::Stalled(std::string(v1::reason::kInvalidSpec), schedule->invalid->message);
    return Report(*schedule, plan, std::nullopt);
  }
  auto observed = Observe(*schedule);
  if (!observed) {
    BackupPlan plan;
    plan.readiness = Readiness::FromError(observed.error());
    return Report(*schedule, plan, observed.error());
  }
  const BackupPlan plan = PlanBackupSchedule(*schedule, *observed, v1::ToTimestamp(clock_.Now()));
  if (auto acted = Act(*schedule, plan); !acted) {
    BackupPlan failed = plan;
    failed.readiness = Readiness::FromError(acted.error());
    failed.outcome.reset();  // told on the next visit, once the writes went through
    return Report(*schedule, failed, acted.error());
  }
  return Report(*schedule, plan, std::nullopt);
}

std::optional<Readiness> BackupReconciler::ObserveDependencies(
    const v1::BackupSchedule& schedule, ObservedBackupSchedule& observed) const {
  if (auto blocked = ObserveOwnerCredentials(databases_, roles_,
                                             {.ns = schedule.metadata.ns,
                                              .database = schedule.spec.database_ref.name,
                                              .field = "spec.databaseRef",
                                              .purpose = "the backups"},
                                             &observed.job_inputs.credentials_secret)) {
    return blocked;
  }
  if (settings_.job_image.empty()) {
    return Readiness::Stalled(std::string(v1::reason::kDependencyNotReady),
                              "The operator was started without --job-image, so it cannot run "
                              "backup Jobs: ask the platform team to set it.");
  }
  observed.job_inputs.image = settings_.job_image;
  if (schedule.spec.time_zone) {
    auto zone = LoadTimeZone(*schedule.spec.time_zone, settings_.zoneinfo_dir);
    if (!zone) {
      return Readiness::Stalled(
          std::string(v1::reason::kInvalidSpec),
          "spec.timeZone: " + zone.error().message + ": use an IANA name such as Europe/Berlin.");
    }
    observed.zone = std::move(*zone);
  }
  return std::nullopt;
}

Expected<ObservedBackupSchedule> BackupReconciler::Observe(const v1::BackupSchedule& schedule) {
  ObservedBackupSchedule observed;
  const std::string& ns = schedule.metadata.ns;
  if ((observed.blocked = ObserveDependencies(schedule, observed))) {
    return observed;
  }
  if (const auto cron = cron_jobs_.Get(ns, CronJobName(schedule.metadata.name))) {
    observed.cron_job = cron->cron_job;
  }
  for (const auto& job : jobs_.ListInNamespace(ns)) {
    const auto label = job->metadata.labels.find(std::string(kBackupScheduleLabel));
    if (label != job->metadata.labels.end() && label->second == schedule.metadata.name) {
      observed.jobs.push_back(job->job);
    }
  }
  std::stable_sort(observed.jobs.begin(), observed.jobs.end(),
                   [](const auto& a, const auto& b) { return a.created < b.created; });
  if (const auto newest = NewestFinishedJob(schedule, observed);
      newest && newest->name != RecordedJob(schedule.status)) {
    TENANTDB_TRY(observed.termination_message,
                 JobTerminationMessage(kube_, ns, newest->name, kContainerName));
  }
  return observed;
}

Expected<void> BackupReconciler::ActOnCronJob(const v1::BackupSchedule& schedule,
                                              const BackupPlan& plan) {
  const std::string& ns = schedule.metadata.ns;
  std::string_view what;
  if (plan.create_cron_job) {
    TENANTDB_TRY_VOID(kube_.Create(kube::CronJobsGvr(), ns, *plan.create_cron_job));
    what = "Created";
  } else if (plan.update_cron_job) {
    // A merge patch of what tenantdb sets: arrays (containers, env, volumes) are replaced whole,
    // so nothing added to them survives; an unset timeZone is removed.
    json patch = {{"metadata", {{"labels", (*plan.update_cron_job)["metadata"]["labels"]}}},
                  {"spec", (*plan.update_cron_job)["spec"]}};
    if (!patch["spec"].contains("timeZone")) {
      patch["spec"]["timeZone"] = nullptr;
    }
    TENANTDB_TRY_VOID(
        kube_.Patch(kube::CronJobsGvr(), ns, plan.cron_job_name, kube::PatchType::kMerge, patch));
    what = "Updated";
  } else {
    return {};
  }
  spdlog::info("{} backup CronJob {} cronjob={}", what, runtime::ReconcileLogFields(),
               ns + "/" + plan.cron_job_name);
  if (events_) {
    events_(v1::EventObjectOf(schedule), "Normal", v1::reason::kCronJobReady,
            std::string(what) + " CronJob " + plan.cron_job_name +
                (plan.create_cron_job ? " to run the backups."
                                      : ": its spec had drifted from the BackupSchedule."));
  }
  return {};
}

Expected<void> BackupReconciler::Act(const v1::BackupSchedule& schedule, const BackupPlan& plan) {
  const std::string& ns = schedule.metadata.ns;
  TENANTDB_TRY_VOID(ActOnCronJob(schedule, plan));
  if (plan.create_job) {
    // 409: the cache was stale; the next visit sees the Job.
    TENANTDB_TRY_VOID(kube_.Create(kube::JobsGvr(), ns, *plan.create_job));
    const std::string name = (*plan.create_job)["metadata"]["name"];
    spdlog::info("Created backup-now Job {} job={}", runtime::ReconcileLogFields(),
                 ns + "/" + name);
    if (events_) {
      events_(v1::EventObjectOf(schedule), "Normal", v1::reason::kJobPending,
              "Created Job " + name + " for the tenantdb.io/backup-now annotation.");
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
  if (plan.outcome) {
    EmitOutcome(schedule, *plan.outcome);
  }
  return {};
}

void BackupReconciler::EmitOutcome(const v1::BackupSchedule& schedule,
                                   const BackupOutcome& outcome) {
  if (!events_) {
    return;
  }
  if (outcome.succeeded) {
    events_(v1::EventObjectOf(schedule), "Normal", v1::reason::kLastBackupSucceeded,
            "Job " + outcome.job + " took backup " +
                (outcome.backup ? outcome.backup->name + " (" +
                                      std::to_string(outcome.backup->size_bytes) + " bytes)."
                                : std::string("(name unknown: its Pod is gone).")));
    return;
  }
  events_(v1::EventObjectOf(schedule), "Warning", v1::reason::kLastBackupFailed,
          "Job " + outcome.job + " failed: " + outcome.reason + ": " + outcome.message);
}

Expected<runtime::Result> BackupReconciler::Report(const v1::BackupSchedule& schedule,
                                                   const BackupPlan& plan,
                                                   std::optional<Error> error) {
  const v1::BackupScheduleStatus status =
      ComputeBackupScheduleStatus(schedule, plan, v1::ToTimestamp(clock_.Now()));
  TENANTDB_TRY([[maybe_unused]] const bool written,
               ReportStatusOf(kube_, events_, kube::BackupSchedulesGvr(), schedule, status));
  // Jobs and the CronJob wake the schedule through their watches; nextScheduleTime is refreshed
  // with lastScheduleTime, when the CronJob's status changes.
  const bool blocked = !error && plan.readiness.state != Readiness::State::kReady;
  return Finish(
      {.error = std::move(error), .blocked = blocked, .requeue = settings_.resync_period});
}

}  // namespace tenantdb::controllers::backup

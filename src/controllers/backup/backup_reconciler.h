#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/v1alpha1/backup_schedule_types.h"
#include "api/v1alpha1/database_role_types.h"
#include "api/v1alpha1/database_types.h"
#include "controllers/backup/backup_cronjob.h"
#include "controllers/backup/backup_plan.h"
#include "controllers/common/event_sink.h"
#include "controllers/common/report.h"
#include "kube/kube_api.h"
#include "kube/typed_cache.h"
#include "runtime/clock.h"
#include "runtime/reconciler.h"

namespace tenantdb::controllers::backup {

// A Job tenantdb's backups run in (the CronJob's and the backup-now ones), as the Jobs cache
// holds it (the watch selects kLabelSelector; decoded once into what the controller reads).
struct BackupJob {
  static constexpr api::v1alpha1::GroupVersionKind kGvk = {"batch", "v1",  "Job",
                                                           "jobs",  "job", true};
  static constexpr std::string_view kLabelSelector =
      "app.kubernetes.io/managed-by=tenantdb,app.kubernetes.io/component=backup";
  api::v1alpha1::ObjectMeta metadata;
  ObservedBackupJob job;
};
Expected<void> Decode(const nlohmann::json& j, const std::string& path, BackupJob& out);
inline void ApplyDefaults(BackupJob&) {}

// The CronJob of a BackupSchedule, as the CronJobs cache holds it.
struct BackupCronJob {
  static constexpr api::v1alpha1::GroupVersionKind kGvk = {"batch",    "v1",      "CronJob",
                                                           "cronjobs", "cronjob", true};
  static constexpr std::string_view kLabelSelector =
      "app.kubernetes.io/managed-by=tenantdb,app.kubernetes.io/component=backup";
  api::v1alpha1::ObjectMeta metadata;
  ObservedCronJob cron_job;
};
Expected<void> Decode(const nlohmann::json& j, const std::string& path, BackupCronJob& out);
inline void ApplyDefaults(BackupCronJob&) {}

// Runs a BackupSchedule's backups (src/controllers/README.md shape): Observe (the Database, its
// Owner DatabaseRole, the CronJob and the Jobs from the caches; once per finished Job, its Pod's
// termination message by a direct read) -> PlanBackupSchedule (pure) -> Act (create or put back
// the CronJob, start a backup-now Job, prune old ones, one Event per new outcome) -> ReportStatus
// -> Finish. Nothing to clean up on deletion: the CronJob and Jobs are owned by the schedule, and
// the dumps on the volume stay.
class BackupReconciler final : public runtime::Reconciler {
 public:
  struct Settings {
    std::chrono::seconds resync_period{600};
    std::string job_image;  // --job-image
    std::string zoneinfo_dir = "/usr/share/zoneinfo";
  };
  BackupReconciler(kube::TypedCache<api::v1alpha1::BackupSchedule> schedules,
                   kube::TypedCache<api::v1alpha1::Database> databases,
                   kube::TypedCache<api::v1alpha1::DatabaseRole> roles,
                   kube::TypedCache<BackupCronJob> cron_jobs, kube::TypedCache<BackupJob> jobs,
                   kube::KubeApi& kube, runtime::Clock& clock, EventSink events, Settings settings);

  Expected<runtime::Result> Reconcile(const runtime::ObjectKey& key) override;

 private:
  Expected<ObservedBackupSchedule> Observe(const api::v1alpha1::BackupSchedule& schedule);
  // The Database and its Ready Owner role, the image and the time zone, or why the visit waits.
  std::optional<Readiness> ObserveDependencies(const api::v1alpha1::BackupSchedule& schedule,
                                               ObservedBackupSchedule& observed) const;
  Expected<void> Act(const api::v1alpha1::BackupSchedule& schedule, const BackupPlan& plan);
  Expected<void> ActOnCronJob(const api::v1alpha1::BackupSchedule& schedule,
                              const BackupPlan& plan);
  void EmitOutcome(const api::v1alpha1::BackupSchedule& schedule, const BackupOutcome& outcome);
  Expected<runtime::Result> Report(const api::v1alpha1::BackupSchedule& schedule,
                                   const BackupPlan& plan, std::optional<Error> error);

  kube::TypedCache<api::v1alpha1::BackupSchedule> schedules_;
  kube::TypedCache<api::v1alpha1::Database> databases_;
  kube::TypedCache<api::v1alpha1::DatabaseRole> roles_;
  kube::TypedCache<BackupCronJob> cron_jobs_;
  kube::TypedCache<BackupJob> jobs_;
  kube::KubeApi& kube_;
  runtime::Clock& clock_;
  EventSink events_;
  Settings settings_;
};

}  // namespace tenantdb::controllers::backup

#include <string>

#include "api/v1alpha1/backup_schedule_types.h"
#include "api/v1alpha1/database_role_types.h"
#include "api/v1alpha1/database_types.h"
#include "app/wiring_context.h"
#include "controllers/backup/backup_reconciler.h"

namespace tenantdb::app {

namespace {

namespace v1 = api::v1alpha1;
namespace backup = controllers::backup;

// Wakes the schedule named by an owned object's tenantdb.io/backup-schedule label.
template <class T>
void WakeOwner(runtime::Controller& c, const T& object) {
  const auto it = object.metadata.labels.find(std::string(backup::kBackupScheduleLabel));
  if (it != object.metadata.labels.end()) {
    c.Enqueue({object.metadata.ns, it->second});
  }
}

}  // namespace

// The BackupSchedule controller ("backup"). A schedule is reconciled on its own events, on those
// of its CronJob and Jobs (watched by label: only tenantdb's backup ones; each names its
// schedule in a label), and on those of the Databases and DatabaseRoles of its namespace that
// it references, so a schedule waiting for its Owner role proceeds once the role is Ready.
// Pods are not watched: a finished Job's termination message is read once, by a direct LIST.
void WireBackupController(WiringContext& ctx) {
  auto& schedules = ctx.Watch<v1::BackupSchedule>();
  auto& databases = ctx.Watch<v1::Database>();
  auto& roles = ctx.Watch<v1::DatabaseRole>();
  auto& cron_jobs = ctx.Watch<backup::BackupCronJob>();
  auto& jobs = ctx.Watch<backup::BackupJob>();

  auto& reconciler = ctx.Keep<backup::BackupReconciler>(
      schedules.objects, databases.objects, roles.objects, cron_jobs.objects, jobs.objects,
      ctx.kube, ctx.clock, ctx.events,
      backup::BackupReconciler::Settings{.resync_period = ctx.options.resync_period,
                                         .job_image = ctx.options.job_image});
  runtime::Controller& c = ctx.AddController("backup", reconciler, schedules);
  cron_jobs.handlers.push_back(
      [&c](const backup::BackupCronJob& cron_job) { WakeOwner(c, cron_job); });
  jobs.handlers.push_back([&c](const backup::BackupJob& job) { WakeOwner(c, job); });
  auto wake_referencing = [&c, cache = schedules.objects](const std::string& ns,
                                                          const std::string& database) {
    for (const auto& schedule : cache.ListInNamespace(ns)) {
      if (schedule->spec.database_ref.name == database) {
        c.Enqueue(WiringContext::KeyOf(*schedule));
      }
    }
  };
  databases.handlers.push_back([wake_referencing](const v1::Database& database) {
    wake_referencing(database.metadata.ns, database.metadata.name);
  });
  roles.handlers.push_back([wake_referencing](const v1::DatabaseRole& role) {
    wake_referencing(role.metadata.ns, role.spec.database_ref.name);
  });
}

}  // namespace tenantdb::app

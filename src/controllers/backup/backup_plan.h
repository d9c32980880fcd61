#pragma once

// The BackupSchedule planner and status (src/controllers/README.md: Plan and the status it
// reports): pure functions of (spec, what the visit observed, now) to the CronJob to create or
// put back, the backup-now Job to start, the old one-off Jobs to delete, and the status.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/v1alpha1/backup_schedule_types.h"
#include "controllers/backup/backup_cronjob.h"
#include "controllers/backup/cron_time.h"
#include "controllers/common/readiness.h"

namespace tenantdb::controllers::backup {

// Finished backup-now Jobs kept besides the one of the current annotation value.
inline constexpr std::size_t kKeepBackupNowJobs = 3;

// What one visit of a BackupSchedule learned.
struct ObservedBackupSchedule {
  // Why the visit waits (the Database or its Owner role missing or not Ready, no --job-image, an
  // unknown time zone): the plan creates nothing and reports this.
  std::optional<Readiness> blocked;
  JobInputs job_inputs;
  TimeZone zone;                            // spec.timeZone (UTC when unset)
  std::optional<ObservedCronJob> cron_job;  // the one named CronJobName(metadata.name)
  std::vector<ObservedBackupJob> jobs;      // Jobs labelled for this schedule, oldest first
  // The termination message of NewestFinishedJob's Pod, read only when status does not tell
  // that Job's outcome yet.
  std::optional<std::string> termination_message;
};

// A finished Job's outcome, newly read this visit.
struct BackupOutcome {
  std::string job;
  bool succeeded = false;
  std::optional<api::v1alpha1::BackupInfo> backup;  // from the summary
  std::string reason;                               // failure: the engine's or the Job's reason
  std::string message;
};

struct BackupPlan {
  std::string cron_job_name;                      // "" when blocked
  std::optional<nlohmann::json> create_cron_job;  // the CronJob to create
  std::optional<nlohmann::json> update_cron_job;  // the CronJob to put back (its spec drifted)
  std::optional<nlohmann::json> create_job;       // the backup-now Job to start
  std::vector<std::string> delete_jobs;           // old finished backup-now Jobs
  Readiness readiness;
  bool scheduled = false;  // the times below are known (the CronJob is in place)
  std::optional<api::v1alpha1::Timestamp> last_schedule_time;
  std::optional<api::v1alpha1::Timestamp> next_schedule_time;  // unset while suspended
  std::optional<BackupOutcome> outcome;
};

// The newest finished Job the schedule owns (its backup-now Jobs and its CronJob's), if any.
std::optional<ObservedBackupJob> NewestFinishedJob(const api::v1alpha1::BackupSchedule& schedule,
                                                   const ObservedBackupSchedule& observed);

// The Job whose outcome status.conditions[LastBackupSucceeded] tells ("" for none): its message
// starts "Job <name>".
std::string RecordedJob(const api::v1alpha1::BackupScheduleStatus& status);

// True when every field tenantdb sets on the CronJob (spec and labels) holds its desired value;
// what the API server added (defaults) is ignored.
bool CronJobInSync(const nlohmann::json& desired, const ObservedCronJob& observed);

BackupPlan PlanBackupSchedule(const api::v1alpha1::BackupSchedule& schedule,
                              const ObservedBackupSchedule& observed, api::v1alpha1::Timestamp now);

// Pure: Ready (+ kstatus Reconciling/Stalled), LastBackupSucceeded, cronJobName,
// lastScheduleTime, nextScheduleTime, lastSuccessfulBackup.
api::v1alpha1::BackupScheduleStatus ComputeBackupScheduleStatus(
    const api::v1alpha1::BackupSchedule& schedule, const BackupPlan& plan,
    api::v1alpha1::Timestamp now);

}  // namespace tenantdb::controllers::backup

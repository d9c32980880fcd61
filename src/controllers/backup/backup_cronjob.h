#pragma once

// The CronJob that runs `tenantdb backup` for a BackupSchedule, the one-off Job of the
// tenantdb.io/backup-now annotation (same template), and what tenantdb reads back from them
// (pure: no I/O). The CronJob is kept in sync in place; Jobs are never edited.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/v1alpha1/backup_schedule_types.h"
#include "controllers/common/job_pods.h"

namespace tenantdb::controllers::backup {

// Labels of the CronJob, its Jobs and Pods; the controller watches CronJobs and Jobs by the first
// two, and finds a schedule's by the third.
inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedByValue = "tenantdb";
inline constexpr std::string_view kComponentLabel = "app.kubernetes.io/component";
inline constexpr std::string_view kComponentValue = "backup";
inline constexpr std::string_view kBackupScheduleLabel = "tenantdb.io/backup-schedule";
// On the BackupSchedule: any new value starts one backup now. On the Job it started: that value.
inline constexpr std::string_view kBackupNowAnnotation = "tenantdb.io/backup-now";
// Where the PVC is mounted in the backup container, and that container's name.
inline constexpr std::string_view kBackupMountPath = "/backup";
inline constexpr std::string_view kContainerName = "backup";
// Finished Jobs the cronjob controller keeps (a failure stays visible as long as a success).
inline constexpr int kJobsHistoryLimit = 3;

struct JobInputs {
  // The Owner DatabaseRole's credentials Secret (keys PGHOST, PGPORT, PGUSER, PGPASSWORD,
  // PGDATABASE, PGSSLMODE): referenced by secretKeyRef, never copied.
  std::string credentials_secret;
  std::string image;  // --job-image: the operator's own image
};

// "<metadata.name, cut to 45 bytes>-backup": deterministic, and short enough (52) for the names
// the cronjob controller gives its Jobs.
std::string CronJobName(std::string_view schedule_name);
// "<metadata.name, cut to 40 bytes>-now-<first 10 hex of SHA-256(value)>": one Job per value.
std::string BackupNowJobName(std::string_view schedule_name, std::string_view value);

// The batch/v1 CronJob (controller owner reference to the BackupSchedule, tenantdb labels):
// schedule, timeZone, suspend, concurrencyPolicy, startingDeadlineSeconds and history limits
// from the spec; its jobTemplate runs the operator image with `tenantdb backup --dir /backup
// --format F --compression N --keep-* N --reason scheduled --output json --summary-file
// /dev/termination-log`, the credentials through secretKeyRef, the PVC at /backup, non-root,
// read-only root file system, no ServiceAccount token, no privilege escalation,
// terminationMessagePolicy FallbackToLogsOnError, backoffLimit 0.
nlohmann::json DesiredCronJob(const api::v1alpha1::BackupSchedule& schedule,
                              const JobInputs& inputs);

// The one-off Job for backup-now value `value`: the CronJob's jobTemplate with --reason manual,
// owned by the BackupSchedule, annotated with the value.
nlohmann::json DesiredBackupNowJob(const api::v1alpha1::BackupSchedule& schedule,
                                   const JobInputs& inputs, const std::string& value);

// What tenantdb reads back from its CronJob.
struct ObservedCronJob {
  std::string name;
  std::string uid;
  std::optional<std::string> owner;  // uid of its BackupSchedule controller ownerReference
  std::map<std::string, std::string> labels;
  nlohmann::json spec;  // as stored (with the API server's defaults)
  std::optional<api::v1alpha1::Timestamp> last_schedule_time;
  bool operator==(const ObservedCronJob&) const = default;
};
ObservedCronJob ReadCronJob(const nlohmann::json& cron_job);

// What tenantdb reads back from a Job of a schedule (the CronJob's or a backup-now one).
struct ObservedBackupJob {
  std::string name;
  std::optional<std::string> schedule_owner;  // uid of a BackupSchedule controller reference
  std::optional<std::string> cron_job_owner;  // uid of a CronJob controller reference
  JobCompletion completion;
  std::string created;     // metadata.creationTimestamp, for ordering
  std::string backup_now;  // kBackupNowAnnotation ("" on the CronJob's Jobs)
  bool operator==(const ObservedBackupJob&) const = default;
};
ObservedBackupJob ReadBackupJob(const nlohmann::json& job);

// The JSON summary of `tenantdb backup` (/tmp/agents/BACKUP-CLI.md) as the Pod left it in its
// termination message; std::nullopt when the message is not one (a crash before the engine
// wrote it: then it is the log tail, FallbackToLogsOnError).
struct BackupSummary {
  bool success = false;
  std::optional<api::v1alpha1::BackupInfo> backup;
  std::string error_reason;  // PgDumpFailed, VersionMismatch, StorageError, ConnectionFailed, ...
  std::string error_message;
};
std::optional<BackupSummary> ParseBackupSummary(std::string_view termination_message);

}  // namespace tenantdb::controllers::backup

#pragma once

// What every controller that runs tenantdb Jobs reads back from them (the Migration and the
// BackupSchedule controllers): a Job's outcome from its conditions, its controller, and the
// termination message its Pod left (the engine's JSON summary, or the log tail with
// terminationMessagePolicy FallbackToLogsOnError).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/v1alpha1/backup_schedule_types.h"
#include "common/expected.h"
#include "kube/kube_api.h"

namespace tenantdb::controllers {

enum class JobOutcome { kRunning, kSucceeded, kFailed };

struct JobCompletion {
  JobOutcome outcome = JobOutcome::kRunning;
  // The Failed condition's reason (BackoffLimitExceeded, DeadlineExceeded) and message.
  std::string failed_reason;
  std::string failed_message;
  bool operator==(const JobCompletion&) const = default;
};
// From status.conditions: Complete=True or Failed=True; anything else is still running.
JobCompletion ReadJobCompletion(const nlohmann::json& job);

// The uid of the controller ownerReference of kind `kind` in `metadata`, if any.
// The "backup" object {name, time, sizeBytes, sha256} of a Job's JSON summary (`tenantdb backup`
// and `tenantdb migrate --backup-dir` write the same one); std::nullopt when `summary` has none.
std::optional<api::v1alpha1::BackupInfo> ReadBackupInfo(const nlohmann::json& summary);

std::optional<std::string> ControllerUid(const nlohmann::json& metadata, std::string_view kind);

// The termination message of container `container` in the newest Pod that Job `job` controls
// (Pods labelled job-name=<job>); std::nullopt when no such Pod has terminated with one. One LIST
// of Pods: call it once per finished Job, not on every visit.
Expected<std::optional<std::string>> JobTerminationMessage(kube::KubeApi& kube,
                                                           const std::string& ns,
                                                           const std::string& job,
                                                           std::string_view container);

}  // namespace tenantdb::controllers

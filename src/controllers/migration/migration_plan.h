#pragma once

// The Migration planner and status (src/controllers/README.md: Plan and the status it reports):
// pure functions of (spec, what the visit observed) to the Job to create, the old Jobs to delete,
// and the status. No I/O here.

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/v1alpha1/migration_types.h"
#include "controllers/common/readiness.h"
#include "controllers/migration/migration_job.h"

namespace tenantdb::controllers::migration {

// Finished Jobs kept besides the current one (older ones are deleted with their Pods).
inline constexpr std::size_t kKeepFinishedJobs = 3;

// What one visit of a Migration learned.
struct ObservedMigration {
  // Why the visit waits (the Database or its Owner role missing or not Ready, the ConfigMap
  // missing): the plan creates nothing and reports this.
  std::optional<Readiness> blocked;
  JobInputs job_inputs;           // files, the owner's credentials Secret, the image
  std::vector<ObservedJob> jobs;  // Jobs labelled for this Migration, oldest first
  // The termination message of the current Job's Pod, read only when that Job has finished and
  // status does not tell its outcome yet.
  std::optional<std::string> termination_message;
};

struct MigrationPlan {
  std::string hash;                      // ContentHash of the inputs ("" when blocked)
  std::string job_name;                  // the Job for this content
  std::optional<nlohmann::json> create;  // the Job to create
  std::vector<std::string> delete_jobs;  // finished Jobs beyond kKeepFinishedJobs
  // The status inputs.
  Readiness readiness;
  bool progressing = false;
  std::optional<api::v1alpha1::MigrationFailure> failure;
  std::optional<std::string> last_applied_version;  // unset: keep the previous
  std::optional<std::vector<std::string>> pending;  // unset: keep the previous
  std::optional<api::v1alpha1::BackupInfo> backup;  // taken by the Job; unset: keep the previous
  bool outcome_recorded = false;                    // the current Job's outcome is (now) in status
};

MigrationPlan PlanMigration(const api::v1alpha1::Migration& migration,
                            const ObservedMigration& observed);

// Pure: Ready (+ kstatus Reconciling/Stalled), Progressing, Failed, jobName, lastAppliedVersion,
// pendingMigrations, failure.
api::v1alpha1::MigrationStatus ComputeMigrationStatus(const api::v1alpha1::Migration& migration,
                                                      const MigrationPlan& plan,
                                                      api::v1alpha1::Timestamp now);

// True when `migration`'s status already tells the outcome of Job `job_name` (so its Pod need
// not be read again).
bool OutcomeRecorded(const api::v1alpha1::Migration& migration, const std::string& job_name);

}  // namespace tenantdb::controllers::migration

#include "controllers/migration/migration_plan.h"

#include <algorithm>
#include <utility>

namespace tenantdb::controllers::migration {

namespace v1 = api::v1alpha1;

namespace {

const ObservedJob* FindJob(const std::vector<ObservedJob>& jobs, const std::string& name) {
  for (const auto& job : jobs) {
    if (job.name == name) {
      return &job;
    }
  }
  return nullptr;
}

// The finished Jobs of older content beyond the newest kKeepFinishedJobs.
std::vector<std::string> JobsToDelete(const std::vector<ObservedJob>& jobs,
                                      const std::string& current) {
  std::vector<std::string> finished;
  for (const auto& job : jobs) {
    if (job.name != current && job.phase != JobPhase::kRunning) {
      finished.push_back(job.name);
    }
  }
  if (finished.size() <= kKeepFinishedJobs) {
    return {};
  }
  finished.resize(finished.size() - kKeepFinishedJobs);  // oldest first
  return finished;
}

// The current Job finished: its outcome, from the engine's summary (or the Job's own condition
// when the engine never wrote one).
void PlanOutcome(const v1::Migration& migration, const ObservedJob& job,
                 const ObservedMigration& observed, MigrationPlan& plan) {
  if (OutcomeRecorded(migration, job.name)) {
    plan.outcome_recorded = true;
    plan.failure = migration.status.failure;
    const auto* ready = v1::FindStatusCondition(migration.status.conditions, v1::kReady);
    plan.readiness = job.phase == JobPhase::kSucceeded
                         ? Readiness::Ready(ready->reason, ready->message)
                         : Readiness::Stalled(ready->reason, ready->message);
    return;
  }
  const auto summary =
      observed.termination_message ? ParseSummary(*observed.termination_message) : std::nullopt;
  if (summary) {
    plan.last_applied_version = summary->last_applied_version;
    plan.pending = summary->pending;
    plan.backup = summary->backup;
  }
  plan.outcome_recorded = true;
  if (job.phase == JobPhase::kSucceeded && (!summary || summary->success)) {
    plan.readiness = Readiness::Ready(
        std::string(v1::reason::kJobSucceeded),
        "Job " + job.name + " applied the migrations" +
            (plan.last_applied_version ? " up to version " + *plan.last_applied_version : "") +
            (plan.backup ? ", after backup " + plan.backup->name : "") + ".");
    return;
  }
  if (summary && summary->failure) {
    plan.failure = summary->failure;
  } else {
    const std::string tail = observed.termination_message.value_or("");
    plan.failure = v1::MigrationFailure{
        .file = "",
        .message = job.failed_message.empty()
                       ? tail
                       : job.failed_message + (tail.empty() ? "" : ": " + tail)};
  }
  const std::string reason = job.failed_reason == v1::reason::kBackoffLimitExceeded
                                 ? std::string(v1::reason::kBackoffLimitExceeded)
                                 : std::string(v1::reason::kJobFailed);
  plan.readiness = Readiness::Stalled(
      reason, "Job " + job.name + " failed" +
                  (plan.failure->file.empty() ? "" : " in " + plan.failure->file) + ": " +
                  plan.failure->message +
                  ". Fix the migration files or the spec (a new Job runs for the new content), "
                  "or delete the Job to run the same content again.");
}

}  // namespace

bool OutcomeRecorded(const v1::Migration& migration, const std::string& job_name) {
  if (migration.status.job_name != job_name) {
    return false;
  }
  const auto* ready = v1::FindStatusCondition(migration.status.conditions, v1::kReady);
  if (ready == nullptr || ready->observed_generation != migration.metadata.generation) {
    return false;
  }
  return ready->reason == v1::reason::kJobSucceeded || ready->reason == v1::reason::kJobFailed ||
         ready->reason == v1::reason::kBackoffLimitExceeded;
}

MigrationPlan PlanMigration(const v1::Migration& migration, const ObservedMigration& observed) {
  MigrationPlan plan;
  if (observed.blocked) {
    plan.readiness = *observed.blocked;
    return plan;
  }
  plan.hash = ContentHash(migration, observed.job_inputs);
  plan.job_name = JobName(migration.metadata.name, plan.hash);
  plan.delete_jobs = JobsToDelete(observed.jobs, plan.job_name);
  const ObservedJob* current = FindJob(observed.jobs, plan.job_name);
  if (current != nullptr && current->owner != migration.metadata.uid) {
    plan.readiness = Readiness::Stalled(
        std::string(v1::reason::kConflictingResource),
        "Job " + plan.job_name + " exists and is not owned by this Migration: delete it.");
    plan.delete_jobs.clear();
    return plan;
  }
  if (current != nullptr && current->phase != JobPhase::kRunning) {
    PlanOutcome(migration, *current, observed, plan);
    return plan;
  }
  plan.progressing = true;
  const auto running = std::find_if(observed.jobs.begin(), observed.jobs.end(), [&](const auto& j) {
    return j.phase == JobPhase::kRunning && j.name != plan.job_name;
  });
  if (current == nullptr && running != observed.jobs.end()) {
    plan.readiness = Readiness::InProgress(
        std::string(v1::reason::kJobRunning),
        "Job " + running->name +
            " (earlier content) still runs; the Job for the current content starts when it ends.");
    return plan;
  }
  if (current == nullptr) {
    plan.create = DesiredJob(migration, observed.job_inputs, plan.hash);
    plan.readiness =
        Readiness::InProgress(std::string(v1::reason::kJobPending),
                              "Job " + plan.job_name + " created to run the migrations.");
    return plan;
  }
  plan.readiness = Readiness::InProgress(std::string(v1::reason::kJobRunning),
                                         "Job " + plan.job_name + " is running the migrations.");
  return plan;
}

v1::MigrationStatus ComputeMigrationStatus(const v1::Migration& migration,
                                           const MigrationPlan& plan, v1::Timestamp now) {
  v1::MigrationStatus status = migration.status;
  const std::int64_t generation = migration.metadata.generation;
  status.observed_generation = generation;
  ApplyReadiness(status.conditions, generation, plan.readiness, now);
  if (!plan.job_name.empty()) {
    status.job_name = plan.job_name;
  }
  if (plan.last_applied_version) {
    status.last_applied_version = plan.last_applied_version;
  }
  if (plan.pending) {
    status.pending_migrations = *plan.pending;
  }
  if (plan.backup) {
    status.backup_before_migration = plan.backup;
  }
  const bool failed =
      plan.failure.has_value() && plan.readiness.state == Readiness::State::kStalled;
  status.failure = failed ? plan.failure : std::nullopt;
  auto set = [&](std::string_view type, bool on, const std::string& reason) {
    v1::SetStatusCondition(
        status.conditions,
        v1::Condition{.type = std::string(type),
                      .status = on ? v1::ConditionStatus::kTrue : v1::ConditionStatus::kFalse,
                      .observed_generation = generation,
                      .last_transition_time = {},
                      .reason = reason,
                      .message = on ? plan.readiness.message : ""},
        now);
  };
  set(v1::kProgressing, plan.progressing, plan.readiness.reason);
  set(v1::kFailed, failed, failed ? plan.readiness.reason : std::string(v1::reason::kReconciled));
  return status;
}

}  // namespace tenantdb::controllers::migration

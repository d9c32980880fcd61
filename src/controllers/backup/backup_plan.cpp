#include "controllers/backup/backup_plan.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "api/v1alpha1/cron.h"

namespace tenantdb::controllers::backup {

namespace v1 = api::v1alpha1;
using nlohmann::json;

namespace {

// True when `actual` holds everything `desired` says: objects by key, arrays element by element
// (same length), scalars equal.
bool Covers(const json& actual, const json& desired) {
  if (desired.is_object()) {
    if (!actual.is_object()) {
      return false;
    }
    for (const auto& [key, value] : desired.items()) {
      const auto it = actual.find(key);
      if (it == actual.end() || !Covers(*it, value)) {
        return false;
      }
    }
    return true;
  }
  if (desired.is_array()) {
    if (!actual.is_array() || actual.size() != desired.size()) {
      return false;
    }
    for (std::size_t i = 0; i < desired.size(); ++i) {
      if (!Covers(actual[i], desired[i])) {
        return false;
      }
    }
    return true;
  }
  return actual == desired;
}

bool Owned(const v1::BackupSchedule& schedule, const ObservedBackupSchedule& observed,
           const ObservedBackupJob& job) {
  if (job.schedule_owner) {
    return *job.schedule_owner == schedule.metadata.uid;
  }
  return observed.cron_job && job.cron_job_owner && *job.cron_job_owner == observed.cron_job->uid;
}

std::string BackupNowValue(const v1::BackupSchedule& schedule) {
  const auto it = schedule.metadata.annotations.find(std::string(kBackupNowAnnotation));
  return it == schedule.metadata.annotations.end() ? "" : it->second;
}

// A new backup-now value starts one Job, once no other Job of the schedule runs (two dumps into
// one directory at once would race for its retention); old finished one-off Jobs are pruned.
void PlanBackupNow(const v1::BackupSchedule& schedule, const ObservedBackupSchedule& observed,
                   BackupPlan& plan) {
  const std::string value = BackupNowValue(schedule);
  const std::string name = value.empty() ? "" : BackupNowJobName(schedule.metadata.name, value);
  std::vector<std::string> finished;
  bool exists = false;
  bool running = false;
  for (const auto& job : observed.jobs) {
    exists |= job.name == name;
    if (!Owned(schedule, observed, job)) {
      continue;
    }
    running |= job.completion.outcome == JobOutcome::kRunning;
    if (job.schedule_owner && job.name != name && job.completion.outcome != JobOutcome::kRunning) {
      finished.push_back(job.name);  // oldest first
    }
  }
  if (finished.size() > kKeepBackupNowJobs) {
    finished.resize(finished.size() - kKeepBackupNowJobs);
    plan.delete_jobs = std::move(finished);
  }
  if (!value.empty() && !exists && !running) {
    plan.create_job = DesiredBackupNowJob(schedule, observed.job_inputs, value);
  }
}

BackupOutcome ReadOutcome(const ObservedBackupJob& job,
                          const std::optional<std::string>& termination_message) {
  BackupOutcome out{.job = job.name,
                    .succeeded = job.completion.outcome == JobOutcome::kSucceeded,
                    .backup = std::nullopt,
                    .reason = "",
                    .message = ""};
  const auto summary =
      termination_message ? ParseBackupSummary(*termination_message) : std::nullopt;
  if (summary && summary->success) {
    out.backup = summary->backup;
  }
  if (out.succeeded) {
    return out;
  }
  if (summary && !summary->error_reason.empty()) {
    out.reason = summary->error_reason;
    out.message = summary->error_message;
    return out;
  }
  out.reason = job.completion.failed_reason.empty() ? std::string(v1::reason::kJobFailed)
                                                    : job.completion.failed_reason;
  const std::string tail = termination_message.value_or("");
  out.message = job.completion.failed_message.empty()
                    ? tail
                    : job.completion.failed_message + (tail.empty() ? "" : ": " + tail);
  return out;
}

std::string ReadyMessage(const v1::BackupSchedule& schedule, const std::string& cron_job) {
  const v1::BackupScheduleSpec& spec = schedule.spec;
  if (spec.suspend.value_or(v1::kDefaultSuspend)) {
    return "CronJob " + cron_job +
           " is suspended (spec.suspend): no scheduled backup runs; a new tenantdb.io/backup-now "
           "value still starts one.";
  }
  return "CronJob " + cron_job + " runs the backups on \"" + spec.schedule + "\"" +
         (spec.time_zone ? " (" + *spec.time_zone + ")" : std::string(" (UTC)")) +
         " into PersistentVolumeClaim " + spec.storage.persistent_volume_claim.claim_name + ".";
}

// The CronJob to create or put back; false (with readiness set) when it cannot be.
bool PlanCronJob(const v1::BackupSchedule& schedule, const ObservedBackupSchedule& observed,
                 BackupPlan& plan) {
  json desired = DesiredCronJob(schedule, observed.job_inputs);
  if (!observed.cron_job) {
    plan.create_cron_job = std::move(desired);
    return true;
  }
  if (observed.cron_job->owner != schedule.metadata.uid) {
    plan.readiness = Readiness::Stalled(
        std::string(v1::reason::kConflictingResource),
        "CronJob " + plan.cron_job_name +
            " exists and is not owned by this BackupSchedule: delete it, or rename the "
            "BackupSchedule.");
    return false;
  }
  if (!CronJobInSync(desired, *observed.cron_job)) {
    plan.update_cron_job = std::move(desired);
  }
  return true;
}

}  // namespace

std::optional<ObservedBackupJob> NewestFinishedJob(const v1::BackupSchedule& schedule,
                                                   const ObservedBackupSchedule& observed) {
  std::optional<ObservedBackupJob> newest;
  for (const auto& job : observed.jobs) {
    if (job.completion.outcome == JobOutcome::kRunning || !Owned(schedule, observed, job)) {
      continue;
    }
    if (!newest || std::tie(job.created, job.name) > std::tie(newest->created, newest->name)) {
      newest = job;
    }
  }
  return newest;
}

std::string RecordedJob(const v1::BackupScheduleStatus& status) {
  const auto* c = v1::FindStatusCondition(status.conditions, v1::kLastBackupSucceeded);
  if (c == nullptr || !c->message.starts_with("Job ")) {
    return "";
  }
  const std::string rest = c->message.substr(4);
  return rest.substr(0, rest.find_first_of(": "));
}

bool CronJobInSync(const json& desired, const ObservedCronJob& observed) {
  for (const auto& [key, value] : desired["metadata"]["labels"].items()) {
    const auto it = observed.labels.find(key);
    if (it == observed.labels.end() || it->second != value.get<std::string>()) {
      return false;
    }
  }
  if (!desired["spec"].contains("timeZone") && observed.spec.contains("timeZone")) {
    return false;  // removed from the BackupSchedule: the CronJob must lose it too
  }
  return Covers(observed.spec, desired["spec"]);
}

BackupPlan PlanBackupSchedule(const v1::BackupSchedule& schedule,
                              const ObservedBackupSchedule& observed, v1::Timestamp now) {
  BackupPlan plan;
  if (observed.blocked) {
    plan.readiness = *observed.blocked;
    return plan;
  }
  const auto cron = v1::ParseCronSchedule(schedule.spec.schedule);
  if (!cron) {
    plan.readiness = Readiness::Stalled(std::string(v1::reason::kInvalidSpec),
                                        "spec.schedule: " + cron.error().message);
    return plan;
  }
  plan.cron_job_name = CronJobName(schedule.metadata.name);
  if (!PlanCronJob(schedule, observed, plan)) {
    return plan;
  }
  PlanBackupNow(schedule, observed, plan);
  if (const auto newest = NewestFinishedJob(schedule, observed);
      newest && newest->name != RecordedJob(schedule.status)) {
    plan.outcome = ReadOutcome(*newest, observed.termination_message);
  }
  plan.scheduled = true;
  if (observed.cron_job) {
    plan.last_schedule_time = observed.cron_job->last_schedule_time;
  }
  if (!schedule.spec.suspend.value_or(v1::kDefaultSuspend)) {
    plan.next_schedule_time = NextScheduleTime(*cron, observed.zone, now);
  }
  plan.readiness = Readiness::Ready(std::string(v1::reason::kCronJobReady),
                                    ReadyMessage(schedule, plan.cron_job_name));
  return plan;
}

namespace {

v1::Condition LastBackupCondition(const BackupOutcome& outcome, std::int64_t generation) {
  v1::Condition c{
      .type = std::string(v1::kLastBackupSucceeded),
      .status = outcome.succeeded ? v1::ConditionStatus::kTrue : v1::ConditionStatus::kFalse,
      .observed_generation = generation,
      .last_transition_time = {},
      .reason = std::string(outcome.succeeded ? v1::reason::kLastBackupSucceeded
                                              : v1::reason::kLastBackupFailed),
      .message = ""};
  if (outcome.succeeded && outcome.backup) {
    c.message = "Job " + outcome.job + ": backup " + outcome.backup->name + " (" +
                std::to_string(outcome.backup->size_bytes) + " bytes, sha256 " +
                outcome.backup->sha256 + ").";
  } else if (outcome.succeeded) {
    c.message =
        "Job " + outcome.job + ": succeeded (its Pod is gone: the backup's name is unknown).";
  } else {
    c.message = "Job " + outcome.job + " failed: " + outcome.reason + ": " + outcome.message +
                " Fix the cause; the next scheduled run, or a new tenantdb.io/backup-now value, "
                "tries again.";
  }
  return c;
}

}  // namespace

v1::BackupScheduleStatus ComputeBackupScheduleStatus(const v1::BackupSchedule& schedule,
                                                     const BackupPlan& plan, v1::Timestamp now) {
  v1::BackupScheduleStatus status = schedule.status;
  const std::int64_t generation = schedule.metadata.generation;
  status.observed_generation = generation;
  ApplyReadiness(status.conditions, generation, plan.readiness, now);
  if (!plan.cron_job_name.empty()) {
    status.cron_job_name = plan.cron_job_name;
  }
  if (plan.scheduled) {
    if (plan.last_schedule_time) {
      status.last_schedule_time = plan.last_schedule_time;  // a new CronJob has none yet
    }
    status.next_schedule_time = plan.next_schedule_time;
  }
  if (plan.outcome) {
    if (plan.outcome->succeeded && plan.outcome->backup) {
      status.last_successful_backup = plan.outcome->backup;
    }
    v1::SetStatusCondition(status.conditions, LastBackupCondition(*plan.outcome, generation), now);
  } else if (auto* c = v1::FindStatusCondition(status.conditions, v1::kLastBackupSucceeded)) {
    c->observed_generation = generation;
  } else {
    v1::SetStatusCondition(status.conditions,
                           v1::Condition{.type = std::string(v1::kLastBackupSucceeded),
                                         .status = v1::ConditionStatus::kUnknown,
                                         .observed_generation = generation,
                                         .last_transition_time = {},
                                         .reason = std::string(v1::reason::kNoBackupYet),
                                         .message = "No backup has finished yet."},
                           now);
  }
  return status;
}

}  // namespace tenantdb::controllers::backup

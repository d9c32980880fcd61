#include "controllers/backup/backup_cronjob.h"

#include <utility>

#include "api/v1alpha1/object_refs.h"
#include "common/encoding.h"

namespace tenantdb::controllers::backup {

namespace v1 = api::v1alpha1;
using nlohmann::json;

namespace {

std::string Cut(std::string_view name, std::size_t max) {
  std::string base(name.substr(0, max));
  while (!base.empty() && (base.back() == '-' || base.back() == '.')) {
    base.pop_back();  // a DNS label ends with an alphanumeric before the dash we add
  }
  return base;
}

// `tenantdb backup` for the spec (defaults applied by the cache).
std::vector<std::string> BackupArgs(const v1::BackupScheduleSpec& spec, std::string_view reason) {
  std::vector<std::string> args = {
      "backup",
      "--dir",
      std::string(kBackupMountPath),
      "--format",
      std::string(v1::ToString(spec.format.value_or(v1::kDefaultBackupFormat))),
      "--compression",
      std::to_string(spec.compression.value_or(v1::kDefaultCompression))};
  const v1::BackupRetention retention =
      spec.retention.value_or(v1::BackupRetention{.keep_last = v1::kDefaultKeepLast});
  auto keep = [&](const char* flag, const std::optional<std::int32_t>& n) {
    if (n) {
      args.insert(args.end(), {flag, std::to_string(*n)});
    }
  };
  keep("--keep-last", retention.keep_last.value_or(v1::kDefaultKeepLast));
  keep("--keep-daily", retention.keep_daily);
  keep("--keep-weekly", retention.keep_weekly);
  keep("--keep-monthly", retention.keep_monthly);
  args.insert(args.end(), {"--reason", std::string(reason), "--output", "json", "--summary-file",
                           "/dev/termination-log"});
  return args;
}

json CredentialsEnv(const std::string& secret) {
  json env = json::array();
  for (const char* key : {"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSSLMODE"}) {
    env.push_back(
        {{"name", key}, {"valueFrom", {{"secretKeyRef", {{"name", secret}, {"key", key}}}}}});
  }
  return env;
}

json Labels(const v1::BackupSchedule& schedule) {
  return {{std::string(kManagedByLabel), std::string(kManagedByValue)},
          {std::string(kComponentLabel), std::string(kComponentValue)},
          {std::string(kBackupScheduleLabel), schedule.metadata.name}};
}

json PodSpec(const v1::BackupSchedule& schedule, const JobInputs& inputs, std::string_view reason) {
  json container = {
      {"name", std::string(kContainerName)},
      {"image", inputs.image},
      {"command", json::array({"tenantdb"})},
      {"args", BackupArgs(schedule.spec, reason)},
      {"env", CredentialsEnv(inputs.credentials_secret)},
      {"volumeMounts",
       json::array({{{"name", "backup"}, {"mountPath", std::string(kBackupMountPath)}}})},
      {"terminationMessagePolicy", "FallbackToLogsOnError"},
      {"securityContext",
       {{"allowPrivilegeEscalation", false},
        {"readOnlyRootFilesystem", true},
        {"runAsNonRoot", true},
        {"capabilities", {{"drop", json::array({"ALL"})}}}}}};
  return {{"restartPolicy", "Never"},
          {"automountServiceAccountToken", false},
          {"enableServiceLinks", false},
          // fsGroup: the volume is writable by the non-root user on storage that honours it.
          {"securityContext",
           {{"runAsNonRoot", true},
            {"runAsUser", 65532},
            {"runAsGroup", 65532},
            {"fsGroup", 65532},
            {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
          {"containers", json::array({std::move(container)})},
          {"volumes",
           json::array(
               {{{"name", "backup"},
                 {"persistentVolumeClaim",
                  {{"claimName", schedule.spec.storage.persistent_volume_claim.claim_name}}}}})}};
}

json JobSpec(const v1::BackupSchedule& schedule, const JobInputs& inputs, std::string_view reason) {
  // backoffLimit 0: a failed dump is reported, not retried into the next one.
  return {{"backoffLimit", 0},
          {"template",
           {{"metadata", {{"labels", Labels(schedule)}}},
            {"spec", PodSpec(schedule, inputs, reason)}}}};
}

json Metadata(const v1::BackupSchedule& schedule, std::string name) {
  return {{"name", std::move(name)},
          {"namespace", schedule.metadata.ns},
          {"labels", Labels(schedule)},
          {"ownerReferences", json::array({v1::Encode(v1::ControllerReferenceTo(schedule))})}};
}

}  // namespace

std::string CronJobName(std::string_view schedule_name) {
  return Cut(schedule_name, 45) + "-backup";
}

std::string BackupNowJobName(std::string_view schedule_name, std::string_view value) {
  return Cut(schedule_name, 40) + "-now-" + Sha256Hex(value).substr(0, 10);
}

json DesiredCronJob(const v1::BackupSchedule& schedule, const JobInputs& inputs) {
  const v1::BackupScheduleSpec& spec = schedule.spec;
  json cron_spec = {
      {"schedule", spec.schedule},
      {"suspend", spec.suspend.value_or(v1::kDefaultSuspend)},
      {"concurrencyPolicy",
       std::string(v1::ToString(spec.concurrency_policy.value_or(v1::kDefaultConcurrencyPolicy)))},
      {"startingDeadlineSeconds",
       spec.starting_deadline_seconds.value_or(v1::kDefaultStartingDeadlineSeconds)},
      {"successfulJobsHistoryLimit", kJobsHistoryLimit},
      {"failedJobsHistoryLimit", kJobsHistoryLimit},
      {"jobTemplate",
       {{"metadata", {{"labels", Labels(schedule)}}},
        {"spec", JobSpec(schedule, inputs, "scheduled")}}}};
  if (spec.time_zone) {
    cron_spec["timeZone"] = *spec.time_zone;
  }
  return {{"apiVersion", "batch/v1"},
          {"kind", "CronJob"},
          {"metadata", Metadata(schedule, CronJobName(schedule.metadata.name))},
          {"spec", std::move(cron_spec)}};
}

json DesiredBackupNowJob(const v1::BackupSchedule& schedule, const JobInputs& inputs,
                         const std::string& value) {
  json metadata = Metadata(schedule, BackupNowJobName(schedule.metadata.name, value));
  metadata["annotations"] = {{std::string(kBackupNowAnnotation), value}};
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", std::move(metadata)},
          {"spec", JobSpec(schedule, inputs, "manual")}};
}

ObservedCronJob ReadCronJob(const json& cron_job) {
  ObservedCronJob out;
  const json metadata = cron_job.value("metadata", json::object());
  out.name = metadata.value("name", "");
  out.uid = metadata.value("uid", "");
  out.owner = ControllerUid(metadata, "BackupSchedule");
  const json labels = metadata.value("labels", json::object());
  for (const auto& [key, value] : labels.items()) {
    if (value.is_string()) {
      out.labels[key] = value.get<std::string>();
    }
  }
  out.spec = cron_job.value("spec", json::object());
  const std::string last =
      cron_job.value("status", json::object()).value("lastScheduleTime", std::string());
  if (auto t = v1::ParseRfc3339(last); !last.empty() && t) {
    out.last_schedule_time = *t;
  }
  return out;
}

ObservedBackupJob ReadBackupJob(const json& job) {
  ObservedBackupJob out;
  const json metadata = job.value("metadata", json::object());
  out.name = metadata.value("name", "");
  out.created = metadata.value("creationTimestamp", "");
  out.schedule_owner = ControllerUid(metadata, "BackupSchedule");
  out.cron_job_owner = ControllerUid(metadata, "CronJob");
  const json annotations = metadata.value("annotations", json::object());
  if (const auto it = annotations.find(kBackupNowAnnotation);
      it != annotations.end() && it->is_string()) {
    out.backup_now = it->get<std::string>();
  }
  out.completion = ReadJobCompletion(job);
  return out;
}

std::optional<BackupSummary> ParseBackupSummary(std::string_view termination_message) {
  const json j = json::parse(termination_message, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("success") || !j["success"].is_boolean()) {
    return std::nullopt;
  }
  BackupSummary s;
  s.success = j["success"].get<bool>();
  s.backup = ReadBackupInfo(j);
  if (const auto it = j.find("error"); it != j.end() && it->is_object()) {
    s.error_reason = it->value("reason", "");
    s.error_message = it->value("message", "");
  }
  return s;
}

}  // namespace tenantdb::controllers::backup

#include "api/v1alpha1/backup_schedule_types.h"

#include "api/v1alpha1/cron.h"

namespace tenantdb::api::v1alpha1 {
namespace {

constexpr std::string_view kTimeZoneChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+/-";

}  // namespace

void ApplyDefaults(BackupSchedule& schedule) {
  BackupScheduleSpec& spec = schedule.spec;
  if (!spec.suspend) {
    spec.suspend = kDefaultSuspend;
  }
  if (!spec.format) {
    spec.format = kDefaultBackupFormat;
  }
  if (!spec.compression) {
    spec.compression = kDefaultCompression;
  }
  if (!spec.retention) {
    spec.retention = BackupRetention{};
  }
  if (!spec.retention->keep_last) {
    spec.retention->keep_last = kDefaultKeepLast;
  }
  if (!spec.concurrency_policy) {
    spec.concurrency_policy = kDefaultConcurrencyPolicy;
  }
  if (!spec.starting_deadline_seconds) {
    spec.starting_deadline_seconds = kDefaultStartingDeadlineSeconds;
  }
}

std::vector<FieldError> Validate(const BackupSchedule& schedule) {
  std::vector<FieldError> errors;
  const BackupScheduleSpec& spec = schedule.spec;
  ValidateObjectName(spec.database_ref.name, "spec.databaseRef.name", errors);
  if (spec.schedule.empty()) {
    errors.push_back({"spec.schedule", "required"});
  } else if (spec.schedule.size() > 128) {
    errors.push_back({"spec.schedule", "must be at most 128 characters"});
  } else if (Expected<CronSchedule> cron = ParseCronSchedule(spec.schedule); !cron) {
    errors.push_back({"spec.schedule", cron.error().message});
  }
  if (spec.time_zone) {
    ValidateCharset(*spec.time_zone, kTimeZoneChars, "^[A-Za-z0-9_+/-]+$", "spec.timeZone", errors);
    ValidateMaxLength(*spec.time_zone, 64, "spec.timeZone", errors);
  }
  if (spec.compression) {
    ValidateRange(*spec.compression, 0, 9, "spec.compression", errors);
  }
  if (spec.retention) {
    const BackupRetention& r = *spec.retention;
    if (r.keep_last) {
      ValidateMinimum(*r.keep_last, 0, "spec.retention.keepLast", errors);
    }
    if (r.keep_daily) {
      ValidateMinimum(*r.keep_daily, 0, "spec.retention.keepDaily", errors);
    }
    if (r.keep_weekly) {
      ValidateMinimum(*r.keep_weekly, 0, "spec.retention.keepWeekly", errors);
    }
    if (r.keep_monthly) {
      ValidateMinimum(*r.keep_monthly, 0, "spec.retention.keepMonthly", errors);
    }
  }
  if (spec.starting_deadline_seconds) {
    ValidateMinimum(*spec.starting_deadline_seconds, 10, "spec.startingDeadlineSeconds", errors);
  }
  ValidateObjectName(spec.storage.persistent_volume_claim.claim_name,
                     "spec.storage.persistentVolumeClaim.claimName", errors);
  return errors;
}

Expected<void> Decode(const Json& j, const std::string& path, BackupRetention& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "keepLast", out.keep_last));
  TENANTDB_TRY_VOID(DecodeField(j, path, "keepDaily", out.keep_daily));
  TENANTDB_TRY_VOID(DecodeField(j, path, "keepWeekly", out.keep_weekly));
  TENANTDB_TRY_VOID(DecodeField(j, path, "keepMonthly", out.keep_monthly));
  return {};
}

Json Encode(const BackupRetention& value) {
  Json j = Json::object();
  EncodeField(j, "keepLast", value.keep_last);
  EncodeField(j, "keepDaily", value.keep_daily);
  EncodeField(j, "keepWeekly", value.keep_weekly);
  EncodeField(j, "keepMonthly", value.keep_monthly);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, PersistentVolumeClaimReference& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "claimName", out.claim_name));
  return {};
}

Json Encode(const PersistentVolumeClaimReference& value) {
  Json j = Json::object();
  EncodeField(j, "claimName", value.claim_name);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, BackupStorage& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "persistentVolumeClaim", out.persistent_volume_claim));
  return {};
}

Json Encode(const BackupStorage& value) {
  Json j = Json::object();
  EncodeField(j, "persistentVolumeClaim", value.persistent_volume_claim);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, BackupScheduleSpec& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "databaseRef", out.database_ref));
  TENANTDB_TRY_VOID(DecodeField(j, path, "schedule", out.schedule));
  TENANTDB_TRY_VOID(DecodeField(j, path, "timeZone", out.time_zone));
  TENANTDB_TRY_VOID(DecodeField(j, path, "suspend", out.suspend));
  TENANTDB_TRY_VOID(DecodeField(j, path, "format", out.format));
  TENANTDB_TRY_VOID(DecodeField(j, path, "compression", out.compression));
  TENANTDB_TRY_VOID(DecodeField(j, path, "retention", out.retention));
  TENANTDB_TRY_VOID(DecodeField(j, path, "concurrencyPolicy", out.concurrency_policy));
  TENANTDB_TRY_VOID(DecodeField(j, path, "startingDeadlineSeconds", out.starting_deadline_seconds));
  TENANTDB_TRY_VOID(DecodeField(j, path, "storage", out.storage));
  return {};
}

Json Encode(const BackupScheduleSpec& value) {
  Json j = Json::object();
  EncodeField(j, "databaseRef", value.database_ref);
  EncodeField(j, "schedule", value.schedule);
  EncodeField(j, "timeZone", value.time_zone);
  EncodeField(j, "suspend", value.suspend);
  EncodeField(j, "format", value.format);
  EncodeField(j, "compression", value.compression);
  EncodeField(j, "retention", value.retention);
  EncodeField(j, "concurrencyPolicy", value.concurrency_policy);
  EncodeField(j, "startingDeadlineSeconds", value.starting_deadline_seconds);
  EncodeField(j, "storage", value.storage);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, BackupInfo& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "name", out.name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "time", out.time));
  TENANTDB_TRY_VOID(DecodeField(j, path, "sizeBytes", out.size_bytes));
  TENANTDB_TRY_VOID(DecodeField(j, path, "sha256", out.sha256));
  return {};
}

Json Encode(const BackupInfo& value) {
  Json j = Json::object();
  EncodeField(j, "name", value.name);
  EncodeField(j, "time", value.time);
  EncodeField(j, "sizeBytes", value.size_bytes);
  EncodeField(j, "sha256", value.sha256);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, BackupScheduleStatus& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "observedGeneration", out.observed_generation));
  TENANTDB_TRY_VOID(DecodeField(j, path, "conditions", out.conditions));
  TENANTDB_TRY_VOID(DecodeField(j, path, "cronJobName", out.cron_job_name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "lastScheduleTime", out.last_schedule_time));
  TENANTDB_TRY_VOID(DecodeField(j, path, "nextScheduleTime", out.next_schedule_time));
  TENANTDB_TRY_VOID(DecodeField(j, path, "lastSuccessfulBackup", out.last_successful_backup));
  return {};
}

Json Encode(const BackupScheduleStatus& value) {
  Json j = Json::object();
  EncodeFieldOmitEmpty(j, "observedGeneration", value.observed_generation);
  EncodeField(j, "conditions", value.conditions);
  EncodeField(j, "cronJobName", value.cron_job_name);
  EncodeField(j, "lastScheduleTime", value.last_schedule_time);
  EncodeField(j, "nextScheduleTime", value.next_schedule_time);
  EncodeField(j, "lastSuccessfulBackup", value.last_successful_backup);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, BackupSchedule& out) {
  return DecodeKubeObject(j, path, BackupSchedule::kGvk.kind, out);
}

Json Encode(const BackupSchedule& value) {
  return EncodeKubeObject(value, kApiVersion, BackupSchedule::kGvk.kind);
}

}  // namespace tenantdb::api::v1alpha1

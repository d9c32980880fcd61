#include "api/v1alpha1/backup_schedule_types.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api_test_util.h"

namespace tenantdb::api::v1alpha1 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::MessageAt;
using testing_util::Paths;

constexpr const char* kFullSchedule = R"({
  "apiVersion": "tenantdb.io/v1alpha1",
  "kind": "BackupSchedule",
  "metadata": {"name": "orders-nightly", "namespace": "shop", "generation": 2},
  "spec": {
    "databaseRef": {"name": "orders"},
    "schedule": "30 2 * * *",
    "timeZone": "Europe/Berlin",
    "suspend": true,
    "format": "directory",
    "compression": 9,
    "retention": {"keepLast": 3, "keepDaily": 7, "keepWeekly": 4, "keepMonthly": 12},
    "concurrencyPolicy": "Replace",
    "startingDeadlineSeconds": 600,
    "storage": {"persistentVolumeClaim": {"claimName": "backups"}}
  },
  "status": {
    "observedGeneration": 2,
    "conditions": [{"type": "LastBackupSucceeded", "status": "True", "observedGeneration": 2,
                    "lastTransitionTime": "2026-01-02T02:31:00Z", "reason": "LastBackupSucceeded",
                    "message": "orders-20260102T023000Z.dump"}],
    "cronJobName": "orders-nightly-backup",
    "lastScheduleTime": "2026-01-02T02:30:00Z",
    "nextScheduleTime": "2026-01-03T02:30:00Z",
    "lastSuccessfulBackup": {"name": "orders-20260102T023000Z.dump",
                             "time": "2026-01-02T02:30:41Z", "sizeBytes": 5368709120,
                             "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
  }
})";

BackupSchedule FullSchedule() {
  BackupSchedule b;
  b.metadata.name = "orders-nightly";
  b.metadata.ns = "shop";
  b.metadata.generation = 2;
  b.spec.database_ref.name = "orders";
  b.spec.schedule = "30 2 * * *";
  b.spec.time_zone = "Europe/Berlin";
  b.spec.suspend = true;
  b.spec.format = BackupFormat::kDirectory;
  b.spec.compression = 9;
  BackupRetention retention;
  retention.keep_last = 3;
  retention.keep_daily = 7;
  retention.keep_weekly = 4;
  retention.keep_monthly = 12;
  b.spec.retention = retention;
  b.spec.concurrency_policy = ConcurrencyPolicy::kReplace;
  b.spec.starting_deadline_seconds = 600;
  b.spec.storage.persistent_volume_claim.claim_name = "backups";
  b.status.observed_generation = 2;
  Condition last;
  last.type = "LastBackupSucceeded";
  last.status = ConditionStatus::kTrue;
  last.observed_generation = 2;
  last.last_transition_time = *ParseRfc3339("2026-01-02T02:31:00Z");
  last.reason = "LastBackupSucceeded";
  last.message = "orders-20260102T023000Z.dump";
  b.status.conditions = {last};
  b.status.cron_job_name = "orders-nightly-backup";
  b.status.last_schedule_time = *ParseRfc3339("2026-01-02T02:30:00Z");
  b.status.next_schedule_time = *ParseRfc3339("2026-01-03T02:30:00Z");
  BackupInfo info;
  info.name = "orders-20260102T023000Z.dump";
  info.time = *ParseRfc3339("2026-01-02T02:30:41Z");
  info.size_bytes = 5368709120;
  info.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  b.status.last_successful_backup = info;
  return b;
}

BackupSchedule MinimalSchedule() {
  BackupSchedule b;
  b.metadata.name = "orders-nightly";
  b.metadata.ns = "shop";
  b.spec.database_ref.name = "orders";
  b.spec.schedule = "@daily";
  b.spec.storage.persistent_volume_claim.claim_name = "backups";
  return b;
}

TEST(BackupScheduleJsonTest, FullObjectRoundTrips) {
  const Json j = Json::parse(kFullSchedule);
  const auto parsed = FromJson<BackupSchedule>(j);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, FullSchedule());
  EXPECT_EQ(ToJson(*parsed), j);
  EXPECT_EQ(*FromJson<BackupSchedule>(ToJson(FullSchedule())), FullSchedule());
}

TEST(BackupScheduleJsonTest, TypeErrors) {
  const auto b = FromJson<BackupSchedule>(
      Json::parse(R"({"status": {"lastSuccessfulBackup": {"sizeBytes": "5G"}}})"));
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().message, "status.lastSuccessfulBackup.sizeBytes: expected integer");
  const auto f = FromJson<BackupSchedule>(Json::parse(R"({"spec": {"format": "tar"}})"));
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().message,
            "spec.format: unsupported value \"tar\": supported values: custom, plain, directory");
}

TEST(BackupScheduleDefaultsTest, AppliesReferenceDefaults) {
  BackupSchedule b = MinimalSchedule();
  ApplyDefaults(b);
  EXPECT_EQ(b.spec.suspend, false);
  EXPECT_EQ(b.spec.format, BackupFormat::kCustom);
  EXPECT_EQ(b.spec.compression, 6);
  ASSERT_TRUE(b.spec.retention.has_value());
  EXPECT_EQ(b.spec.retention->keep_last, 7);
  EXPECT_FALSE(b.spec.retention->keep_daily.has_value());
  EXPECT_EQ(b.spec.concurrency_policy, ConcurrencyPolicy::kForbid);
  EXPECT_EQ(b.spec.starting_deadline_seconds, 300);
  EXPECT_FALSE(b.spec.time_zone.has_value());
  EXPECT_THAT(Validate(b), ElementsAre());

  BackupSchedule partial = MinimalSchedule();
  BackupRetention retention;
  retention.keep_daily = 14;
  partial.spec.retention = retention;
  ApplyDefaults(partial);
  EXPECT_EQ(partial.spec.retention->keep_last, 7);
  EXPECT_EQ(partial.spec.retention->keep_daily, 14);

  BackupSchedule full = FullSchedule();
  ApplyDefaults(full);
  EXPECT_EQ(full, FullSchedule());
}

TEST(BackupScheduleValidateTest, FullObjectIsValid) {
  EXPECT_THAT(Validate(FullSchedule()), ElementsAre());
}

TEST(BackupScheduleValidateTest, RequiredFields) {
  const std::vector<FieldError> errors = Validate(BackupSchedule{});
  EXPECT_THAT(Paths(errors), ElementsAre("spec.databaseRef.name", "spec.schedule",
                                         "spec.storage.persistentVolumeClaim.claimName"));
}

TEST(BackupScheduleValidateTest, Schedules) {
  BackupSchedule b = MinimalSchedule();
  for (const char* good : {"@hourly", "@daily", "@weekly", "@monthly", "@yearly", "0 3 * * *",
                           "*/15 * * * *", "0 0 1,15 * MON-FRI", "5 4 * jan-mar sun"}) {
    b.spec.schedule = good;
    EXPECT_THAT(Validate(b), ElementsAre()) << good;
  }
  for (const char* bad :
       {"61 * * * *", "* * * *", "* * * * * *", "@every 5m", "@annually", "0 24 * * *", "0 0 0 * *",
        "0 0 * 13 *", "0 0 * * 7", "CRON_TZ=UTC 0 0 * * *", "daily"}) {
    b.spec.schedule = bad;
    const std::vector<FieldError> errors = Validate(b);
    EXPECT_THAT(Paths(errors), ElementsAre("spec.schedule")) << bad;
  }
}

TEST(BackupScheduleValidateTest, RangesAndPatterns) {
  BackupSchedule b = MinimalSchedule();
  b.spec.time_zone = "Europe Berlin";
  b.spec.compression = 10;
  BackupRetention retention;
  retention.keep_last = -1;
  retention.keep_daily = -1;
  retention.keep_weekly = -1;
  retention.keep_monthly = -1;
  b.spec.retention = retention;
  b.spec.starting_deadline_seconds = 9;
  const std::vector<FieldError> errors = Validate(b);
  EXPECT_THAT(Paths(errors),
              ElementsAre("spec.timeZone", "spec.compression", "spec.retention.keepLast",
                          "spec.retention.keepDaily", "spec.retention.keepWeekly",
                          "spec.retention.keepMonthly", "spec.startingDeadlineSeconds"));
  EXPECT_THAT(MessageAt(errors, "spec.startingDeadlineSeconds"), HasSubstr("at least 10"));
  b.spec.time_zone = "America/Argentina/Buenos_Aires";
  b.spec.compression = 0;
  b.spec.retention = BackupRetention{};
  b.spec.retention->keep_last = 0;
  b.spec.starting_deadline_seconds = 10;
  EXPECT_THAT(Validate(b), ElementsAre());
  b.spec.time_zone = "Etc/GMT+5";
  EXPECT_THAT(Validate(b), ElementsAre());
}

}  // namespace
}  // namespace tenantdb::api::v1alpha1

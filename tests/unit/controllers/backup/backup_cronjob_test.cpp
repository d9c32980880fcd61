// The BackupSchedule's CronJob and backup-now Job: what runs, as whom, with what it may touch; the
// deterministic names; what a Job and its termination message tell.
#include "controllers/backup/backup_cronjob.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace tenantdb::controllers::backup {
namespace {

namespace v1 = api::v1alpha1;
using nlohmann::json;

v1::BackupSchedule Nightly() {
  v1::BackupSchedule s;
  s.metadata.name = "orders-nightly";
  s.metadata.ns = "team-a";
  s.metadata.uid = "uid-1";
  s.spec.database_ref.name = "orders";
  s.spec.schedule = "0 2 * * *";
  s.spec.time_zone = "Europe/Berlin";
  s.spec.format = v1::BackupFormat::kPlain;
  s.spec.compression = 9;
  s.spec.retention = v1::BackupRetention{.keep_last = 2, .keep_daily = 30};
  s.spec.storage.persistent_volume_claim.claim_name = "orders-backups";
  v1::ApplyDefaults(s);
  return s;
}

JobInputs Inputs() {
  return {.credentials_secret = "orders-owner-credentials",
          .image = "ghcr.io/tenantdb/tenantdb:0.1.0"};
}

std::vector<std::string> Args(const json& pod) {
  return pod["containers"][0]["args"].get<std::vector<std::string>>();
}

TEST(BackupCronJobTest, RunsTheBackupAsTheOwnerOnTheScheduleWithoutCopyingItsSecret) {
  const json cron = DesiredCronJob(Nightly(), Inputs());
  EXPECT_EQ(cron["kind"], "CronJob");
  EXPECT_EQ(cron["metadata"]["name"], "orders-nightly-backup");
  EXPECT_EQ(cron["metadata"]["labels"]["app.kubernetes.io/component"], "backup");
  EXPECT_EQ(cron["metadata"]["labels"]["tenantdb.io/backup-schedule"], "orders-nightly");
  const json& owner = cron["metadata"]["ownerReferences"][0];
  EXPECT_EQ(owner["kind"], "BackupSchedule");
  EXPECT_EQ(owner["uid"], "uid-1");
  EXPECT_EQ(owner["controller"], true);
  const json& spec = cron["spec"];
  EXPECT_EQ(spec["schedule"], "0 2 * * *");
  EXPECT_EQ(spec["timeZone"], "Europe/Berlin");
  EXPECT_EQ(spec["suspend"], false);
  EXPECT_EQ(spec["concurrencyPolicy"], "Forbid");
  EXPECT_EQ(spec["startingDeadlineSeconds"], 300);
  EXPECT_EQ(spec["successfulJobsHistoryLimit"], 3);
  EXPECT_EQ(spec["failedJobsHistoryLimit"], 3);
  EXPECT_EQ(spec["jobTemplate"]["metadata"]["labels"]["tenantdb.io/backup-schedule"],
            "orders-nightly");
  const json& job = spec["jobTemplate"]["spec"];
  EXPECT_EQ(job["backoffLimit"], 0);
  const json& pod = job["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Never");
  EXPECT_EQ(pod["automountServiceAccountToken"], false);
  EXPECT_EQ(pod["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], "orders-backups");
  const json& c = pod["containers"][0];
  EXPECT_EQ(c["image"], "ghcr.io/tenantdb/tenantdb:0.1.0");
  EXPECT_EQ(c["command"], json::array({"tenantdb"}));
  EXPECT_EQ(Args(pod), (std::vector<std::string>{
                           "backup", "--dir", "/backup", "--format", "plain", "--compression", "9",
                           "--keep-last", "2", "--keep-daily", "30", "--reason", "scheduled",
                           "--output", "json", "--summary-file", "/dev/termination-log"}));
  EXPECT_EQ(c["volumeMounts"][0]["mountPath"], "/backup");
  EXPECT_EQ(c["terminationMessagePolicy"], "FallbackToLogsOnError");
  EXPECT_EQ(c["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_EQ(c["securityContext"]["allowPrivilegeEscalation"], false);
  std::vector<std::string> keys;
  for (const auto& e : c["env"]) {
    EXPECT_FALSE(e.contains("value")) << e.dump() << ": no credential is copied into the spec";
    EXPECT_EQ(e["valueFrom"]["secretKeyRef"]["name"], "orders-owner-credentials");
    keys.push_back(e["valueFrom"]["secretKeyRef"]["key"]);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD",
                                            "PGDATABASE", "PGSSLMODE"}));
}

TEST(BackupCronJobTest, DefaultsGiveCustomFormatKeepLast7AndNoTimeZone) {
  v1::BackupSchedule s = Nightly();
  s.spec.time_zone.reset();
  s.spec.format.reset();
  s.spec.compression.reset();
  s.spec.retention.reset();
  v1::ApplyDefaults(s);
  const json cron = DesiredCronJob(s, Inputs());
  EXPECT_FALSE(cron["spec"].contains("timeZone"));
  const auto args = Args(cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]);
  EXPECT_EQ(std::vector<std::string>(args.begin(), args.begin() + 9),
            (std::vector<std::string>{"backup", "--dir", "/backup", "--format", "custom",
                                      "--compression", "6", "--keep-last", "7"}));
}

TEST(BackupCronJobTest, TheBackupNowJobIsTheSameTemplateAnnotatedWithItsValue) {
  const json job = DesiredBackupNowJob(Nightly(), Inputs(), "2026-12-02T08:00");
  const json cron = DesiredCronJob(Nightly(), Inputs());
  EXPECT_EQ(job["kind"], "Job");
  EXPECT_EQ(job["metadata"]["name"], BackupNowJobName("orders-nightly", "2026-12-02T08:00"));
  EXPECT_EQ(job["metadata"]["annotations"]["tenantdb.io/backup-now"], "2026-12-02T08:00");
  EXPECT_EQ(job["metadata"]["ownerReferences"][0]["kind"], "BackupSchedule");
  EXPECT_EQ(job["metadata"]["labels"], cron["metadata"]["labels"]);
  json manual = cron["spec"]["jobTemplate"]["spec"];
  auto& args = manual["template"]["spec"]["containers"][0]["args"];
  *std::find(args.begin(), args.end(), "scheduled") = "manual";
  EXPECT_EQ(job["spec"], manual) << "only --reason differs";
}

TEST(BackupCronJobTest, NamesAreDeterministicDnsLabels) {
  const std::string long_name(63, 'a');
  EXPECT_EQ(CronJobName(long_name).size(), 52u) << "room for the cronjob controller's suffix";
  EXPECT_EQ(CronJobName("x-" + std::string(43, 'b') + "-"),
            "x-" + std::string(43, 'b') + "-backup");
  const std::string now = BackupNowJobName(long_name, "1");
  EXPECT_LE(now.size(), 63u);
  EXPECT_EQ(now, BackupNowJobName(long_name, "1"));
  EXPECT_NE(now, BackupNowJobName(long_name, "2"));
}

TEST(BackupCronJobTest, ReadsJobsAndCronJobs) {
  const json job = {
      {"metadata",
       {{"name", "orders-nightly-backup-2945"},
        {"creationTimestamp", "2026-12-02T02:00:00Z"},
        {"ownerReferences", {{{"kind", "CronJob"}, {"uid", "cron-uid"}, {"controller", true}}}}}},
      {"status",
       {{"conditions",
         {{{"type", "Failed"}, {"status", "True"}, {"reason", "BackoffLimitExceeded"}}}}}}};
  const ObservedBackupJob read = ReadBackupJob(job);
  EXPECT_EQ(read.cron_job_owner, "cron-uid");
  EXPECT_FALSE(read.schedule_owner.has_value());
  EXPECT_EQ(read.completion.outcome, JobOutcome::kFailed);
  EXPECT_EQ(read.completion.failed_reason, "BackoffLimitExceeded");

  const ObservedCronJob cron =
      ReadCronJob({{"metadata", {{"name", "c"}, {"uid", "u"}}},
                   {"spec", {{"schedule", "* * * * *"}}},
                   {"status", {{"lastScheduleTime", "2026-12-02T08:15:00Z"}}}});
  EXPECT_EQ(cron.uid, "u");
  EXPECT_EQ(v1::FormatRfc3339(*cron.last_schedule_time), "2026-12-02T08:15:00Z");
}

TEST(BackupCronJobTest, ParsesTheEngineSummary) {
  const auto ok = ParseBackupSummary(
      R"({"success":true,"backup":{"name":"orders-20261202T020000Z.dump","time":"2026-12-02T02:00:00Z","sizeBytes":12345,"sha256":"ab12","format":"custom"},"pruned":["old"]})");
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(ok->success);
  EXPECT_EQ(ok->backup->name, "orders-20261202T020000Z.dump");
  EXPECT_EQ(ok->backup->size_bytes, 12345);
  EXPECT_EQ(ok->backup->sha256, "ab12");
  EXPECT_EQ(v1::FormatRfc3339(ok->backup->time), "2026-12-02T02:00:00Z");

  const auto failed = ParseBackupSummary(
      R"({"success":false,"error":{"reason":"ConnectionFailed","message":"password authentication failed"}})");
  ASSERT_TRUE(failed.has_value());
  EXPECT_FALSE(failed->success);
  EXPECT_EQ(failed->error_reason, "ConnectionFailed");
  EXPECT_EQ(failed->error_message, "password authentication failed");

  EXPECT_FALSE(ParseBackupSummary("pg_dump: error: connection lost\n").has_value());
}

}  // namespace
}  // namespace tenantdb::controllers::backup

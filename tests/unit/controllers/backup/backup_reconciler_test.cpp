// End-state tests of the BackupSchedule reconciler over FakeKubeApi: the CronJob it creates (and
// a no-op visit that writes nothing), drift put back, suspend, backup-now (one Job per value),
// dependencies missing, and the status read once from each finished Job's termination message.
// No cluster: milliseconds.
#include "controllers/backup/backup_reconciler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fakes/fake_clock.h"
#include "fakes/fake_kube_api.h"
#include "kube/gvr.h"

namespace tenantdb::controllers::backup {
namespace {

namespace v1 = api::v1alpha1;
using nlohmann::json;

constexpr char kNs[] = "team-a";
constexpr char kCron[] = "nightly-backup";
constexpr char kOk[] =
    R"({"success":true,"backup":{"name":"orders-20240101T000100Z.dump","time":"2024-01-01T00:01:00Z","sizeBytes":4096,"sha256":"5e1f"},"pruned":[]})";
constexpr char kRefused[] =
    R"({"success":false,"error":{"reason":"ConnectionFailed","message":"password authentication failed for user \"orders_owner\""}})";

class BackupReconcilerTest : public ::testing::Test {
 protected:
  BackupReconcilerTest() {
    schedule_ = kube_.Seed(
        kube::BackupSchedulesGvr(),
        {{"metadata", {{"name", "nightly"}, {"namespace", kNs}}},
         {"spec",
          {{"databaseRef", {{"name", "orders"}}},
           {"schedule", "0 2 * * *"},
           {"retention", {{"keepLast", 2}}},
           {"storage", {{"persistentVolumeClaim", {{"claimName", "orders-backups"}}}}}}}});
    databases_.Upsert(Database(true));
    roles_.Upsert(OwnerRole(true));
  }

  // The caches as the watches would leave them after the API's current state.
  void Resync() {
    if (auto s = kube_.Object(kube::BackupSchedulesGvr(), kNs, "nightly")) {
      schedules_.Upsert(kube::DecodeCached<v1::BackupSchedule>(*s));
    }
    for (const auto& c : kube_.Objects(kube::CronJobsGvr())) {
      cron_jobs_.Upsert(kube::DecodeCached<BackupCronJob>(c));
    }
    for (const auto& job : kube_.Objects(kube::JobsGvr())) {
      jobs_.Upsert(kube::DecodeCached<BackupJob>(job));
    }
  }
  static v1::Condition ReadyCondition(bool ready) {
    return {.type = "Ready",
            .status = ready ? v1::ConditionStatus::kTrue : v1::ConditionStatus::kFalse,
            .observed_generation = 1,
            .last_transition_time = {},
            .reason = ready ? "Reconciled" : "Reconciling",
            .message = ""};
  }
  static v1::Database Database(bool ready) {
    v1::Database db;
    db.metadata.name = "orders";
    db.metadata.ns = kNs;
    db.status.conditions = {ReadyCondition(ready)};
    return db;
  }
  static v1::DatabaseRole OwnerRole(bool ready) {
    v1::DatabaseRole role;
    role.metadata.name = "orders-owner";
    role.metadata.ns = kNs;
    role.spec.database_ref.name = "orders";
    role.spec.privileges = v1::PrivilegePreset::kOwner;
    role.status.conditions = {ReadyCondition(ready)};
    role.status.secret_name = "orders-owner-credentials";
    return role;
  }
  Expected<runtime::Result> Visit() {
    Resync();
    BackupReconciler r(
        schedules_.Cache(), databases_.Cache(), roles_.Cache(), cron_jobs_.Cache(), jobs_.Cache(),
        kube_, clock_,
        [this](const json&, std::string_view type, std::string_view reason, const std::string&) {
          events_.push_back(std::string(type) + " " + std::string(reason));
        },
        {.job_image = image_});
    return r.Reconcile({kNs, "nightly"});
  }
  json Status() {
    return kube_.Object(kube::BackupSchedulesGvr(), kNs, "nightly")->value("status", json());
  }
  std::string Condition(const std::string& type, const std::string& field = "reason") {
    for (const auto& c : Status().value("conditions", json::array())) {
      if (c["type"] == type) {
        return field == "reason"
                   ? c["status"].get<std::string>() + "/" + c["reason"].get<std::string>()
                   : c[field].get<std::string>();
      }
    }
    return "none";
  }
  json CronJob() { return *kube_.Object(kube::CronJobsGvr(), kNs, kCron); }
  int Writes() const {
    return kube_.Calls("create") + kube_.Calls("update") + kube_.Calls("patch") +
           kube_.Calls("delete");
  }
  void Annotate(const std::string& value) {
    ASSERT_TRUE(kube_
                    .Patch(kube::BackupSchedulesGvr(), kNs, "nightly", kube::PatchType::kMerge,
                           {{"metadata", {{"annotations", {{"tenantdb.io/backup-now", value}}}}}})
                    .has_value());
  }
  // What the cronjob controller does at a tick: a Job from the jobTemplate, owned by the CronJob.
  std::string Tick(const std::string& name) {
    clock_.Advance(std::chrono::minutes(1));
    const json cron = CronJob();
    kube_.Seed(kube::JobsGvr(), {{"metadata",
                                  {{"name", name},
                                   {"namespace", kNs},
                                   {"labels", cron["spec"]["jobTemplate"]["metadata"]["labels"]},
                                   {"ownerReferences",
                                    {{{"apiVersion", "batch/v1"},
                                      {"kind", "CronJob"},
                                      {"name", kCron},
                                      {"uid", cron["metadata"]["uid"]},
                                      {"controller", true}}}}}},
                                 {"spec", cron["spec"]["jobTemplate"]["spec"]}});
    return name;
  }
  // The Job's Pod as the kubelet leaves it, and the Job's condition.
  void Finish(const std::string& job, bool ok, const std::string& message) {
    kube_.Seed(
        kube::PodsGvr(),
        {{"metadata",
          {{"name", job + "-x"},
           {"namespace", kNs},
           {"labels", {{"job-name", job}}},
           {"ownerReferences", {{{"kind", "Job"}, {"name", job}, {"controller", true}}}}}},
         {"status",
          {{"containerStatuses",
            {{{"name", "backup"},
              {"state", {{"terminated", {{"exitCode", ok ? 0 : 1}, {"message", message}}}}}}}}}}});
    json stored = *kube_.Object(kube::JobsGvr(), kNs, job);
    stored["status"] = {{"conditions",
                         {{{"type", ok ? "Complete" : "Failed"},
                           {"status", "True"},
                           {"reason", ok ? "" : "BackoffLimitExceeded"}}}}};
    kube_.Seed(kube::JobsGvr(), stored);
  }

  fakes::FakeClock clock_;
  fakes::FakeKubeApi kube_{&clock_};
  kube::TypedCacheWriter<v1::BackupSchedule> schedules_;
  kube::TypedCacheWriter<v1::Database> databases_;
  kube::TypedCacheWriter<v1::DatabaseRole> roles_;
  kube::TypedCacheWriter<BackupCronJob> cron_jobs_;
  kube::TypedCacheWriter<BackupJob> jobs_;
  std::string image_ = "tenantdb:dev";
  json schedule_;
  std::vector<std::string> events_;
};

TEST_F(BackupReconcilerTest, CreatesTheCronJobThenANoOpVisitWritesNothing) {
  ASSERT_TRUE(Visit().has_value());
  const json cron = CronJob();
  EXPECT_EQ(cron["metadata"]["ownerReferences"][0]["uid"], schedule_["metadata"]["uid"]);
  EXPECT_EQ(cron["spec"]["schedule"], "0 2 * * *");
  EXPECT_EQ(Condition("Ready"), "True/CronJobReady");
  EXPECT_EQ(Condition("LastBackupSucceeded"), "Unknown/NoBackupYet");
  EXPECT_EQ(Status()["cronJobName"], kCron);
  EXPECT_EQ(Status()["nextScheduleTime"], "2024-01-01T02:00:00Z");
  EXPECT_EQ(events_, (std::vector<std::string>{"Normal CronJobReady", "Normal CronJobReady"}))
      << "CronJob created, then Ready";

  const int writes = Writes();
  ASSERT_TRUE(Visit().has_value());
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(Writes(), writes) << "a no-op visit writes nothing";
  EXPECT_EQ(events_.size(), 2u);
}

TEST_F(BackupReconcilerTest, DefaultsTheServerAddsAreNotDrift) {
  ASSERT_TRUE(Visit().has_value());
  json cron = CronJob();
  cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["dnsPolicy"] = "ClusterFirst";
  cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] =
      "IfNotPresent";
  cron["status"] = {{"lastScheduleTime", "2024-01-01T00:00:00Z"}};
  kube_.Seed(kube::CronJobsGvr(), cron);
  const int writes = Writes();
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(Writes(), writes + 1) << "only the status (lastScheduleTime)";
  EXPECT_EQ(Status()["lastScheduleTime"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(CronJob()["spec"]["jobTemplate"]["spec"]["template"]["spec"]["dnsPolicy"],
            "ClusterFirst");
}

TEST_F(BackupReconcilerTest, ADriftedCronJobIsPutBackInPlace) {
  ASSERT_TRUE(Visit().has_value());
  const json before = CronJob();
  json cron = before;
  cron["spec"]["schedule"] = "* * * * *";
  cron["spec"]["suspend"] = true;
  cron["spec"]["timeZone"] = "Asia/Tokyo";
  auto& env = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"];
  env.push_back({{"name", "PGPASSWORD"}, {"value", "planted"}});
  kube_.Seed(kube::CronJobsGvr(), cron);
  ASSERT_TRUE(Visit().has_value());
  const json after = CronJob();
  EXPECT_EQ(after["metadata"]["uid"], before["metadata"]["uid"]) << "updated, not re-created";
  EXPECT_EQ(after["spec"], before["spec"]);
  EXPECT_EQ(events_.back(), "Normal CronJobReady");
}

TEST_F(BackupReconcilerTest, SuspendSuspendsTheCronJobAndClearsNextScheduleTime) {
  ASSERT_TRUE(Visit().has_value());
  EXPECT_TRUE(Status().contains("nextScheduleTime"));
  ASSERT_TRUE(kube_
                  .Patch(kube::BackupSchedulesGvr(), kNs, "nightly", kube::PatchType::kMerge,
                         {{"spec", {{"suspend", true}}}})
                  .has_value());
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(CronJob()["spec"]["suspend"], true);
  EXPECT_FALSE(Status().contains("nextScheduleTime"));
  EXPECT_EQ(Condition("Ready"), "True/CronJobReady");
  EXPECT_NE(Condition("Ready", "message").find("suspended"), std::string::npos);
}

TEST_F(BackupReconcilerTest, BackupNowMakesExactlyOneJobPerValue) {
  ASSERT_TRUE(Visit().has_value());
  Annotate("first");
  ASSERT_TRUE(Visit().has_value());
  auto jobs = kube_.Objects(kube::JobsGvr());
  ASSERT_EQ(jobs.size(), 1u);
  const std::string job = jobs[0]["metadata"]["name"];
  EXPECT_EQ(jobs[0]["metadata"]["annotations"]["tenantdb.io/backup-now"], "first");
  EXPECT_EQ(jobs[0]["metadata"]["ownerReferences"][0]["kind"], "BackupSchedule");
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(kube_.Objects(kube::JobsGvr()).size(), 1u) << "running: not started again";
  Finish(job, true, kOk);
  ASSERT_TRUE(Visit().has_value());
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(kube_.Objects(kube::JobsGvr()).size(), 1u) << "finished: the same value runs once";

  Tick("nightly-backup-100");  // a scheduled run is under way: a new value waits for it
  Annotate("second");
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(kube_.Objects(kube::JobsGvr()).size(), 2u);
  Finish("nightly-backup-100", true, kOk);
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(kube_.Objects(kube::JobsGvr()).size(), 3u) << "then the new value runs";
}

TEST_F(BackupReconcilerTest, OldBackupNowJobsArePrunedButNeverTheCurrentOne) {
  ASSERT_TRUE(Visit().has_value());
  for (int i = 1; i <= 5; ++i) {
    clock_.Advance(std::chrono::minutes(1));
    Annotate(std::to_string(i));
    ASSERT_TRUE(Visit().has_value());
    const std::string job = BackupNowJobName("nightly", std::to_string(i));
    ASSERT_TRUE(kube_.Object(kube::JobsGvr(), kNs, job).has_value()) << i;
    Finish(job, true, kOk);
  }
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(kube_.Objects(kube::JobsGvr()).size(), kKeepBackupNowJobs + 1);
  EXPECT_TRUE(kube_.Object(kube::JobsGvr(), kNs, BackupNowJobName("nightly", "5")).has_value());
  EXPECT_FALSE(kube_.Object(kube::JobsGvr(), kNs, BackupNowJobName("nightly", "1")).has_value());
}

TEST_F(BackupReconcilerTest, ASucceededJobIsReadOnceIntoStatus) {
  ASSERT_TRUE(Visit().has_value());
  Finish(Tick("nightly-backup-1"), true, kOk);
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(Condition("LastBackupSucceeded"), "True/LastBackupSucceeded");
  const json last = Status()["lastSuccessfulBackup"];
  EXPECT_EQ(last["name"], "orders-20240101T000100Z.dump");
  EXPECT_EQ(last["time"], "2024-01-01T00:01:00Z");
  EXPECT_EQ(last["sizeBytes"], 4096);
  EXPECT_EQ(last["sha256"], "5e1f");
  EXPECT_EQ(std::count(events_.begin(), events_.end(), "Normal LastBackupSucceeded"), 1);

  const int lists = kube_.Calls("list");
  const int writes = Writes();
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(kube_.Calls("list"), lists) << "the outcome is in status: the Pod is not read again";
  EXPECT_EQ(Writes(), writes);
  EXPECT_EQ(std::count(events_.begin(), events_.end(), "Normal LastBackupSucceeded"), 1)
      << "one Event per Job";
}

TEST_F(BackupReconcilerTest, AFailedJobSetsLastBackupSucceededFalseWithTheEnginesReason) {
  ASSERT_TRUE(Visit().has_value());
  Finish(Tick("nightly-backup-1"), true, kOk);
  ASSERT_TRUE(Visit().has_value());
  Finish(Tick("nightly-backup-2"), false, kRefused);
  ASSERT_TRUE(Visit().has_value()) << "a failed backup is reported, not retried with backoff";
  EXPECT_EQ(Condition("LastBackupSucceeded"), "False/LastBackupFailed");
  const std::string message = Condition("LastBackupSucceeded", "message");
  EXPECT_NE(message.find("nightly-backup-2"), std::string::npos) << message;
  EXPECT_NE(message.find("ConnectionFailed: password authentication failed"), std::string::npos)
      << message;
  EXPECT_EQ(Status()["lastSuccessfulBackup"]["name"], "orders-20240101T000100Z.dump")
      << "the last success stays";
  EXPECT_EQ(Condition("Ready"), "True/CronJobReady") << "the schedule itself is in place";
  EXPECT_EQ(std::count(events_.begin(), events_.end(), "Warning LastBackupFailed"), 1);
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(std::count(events_.begin(), events_.end(), "Warning LastBackupFailed"), 1);

  Finish(Tick("nightly-backup-3"), false, "tenantdb: error while loading shared libraries\n");
  ASSERT_TRUE(Visit().has_value());
  const std::string crash = Condition("LastBackupSucceeded", "message");
  EXPECT_NE(crash.find("BackoffLimitExceeded: tenantdb: error while loading"), std::string::npos)
      << "no summary: the Job's reason and the log tail: " << crash;
}

TEST_F(BackupReconcilerTest, AJobOfAnotherOwnerIsNotRead) {
  ASSERT_TRUE(Visit().has_value());
  Tick("nightly-backup-1");
  json job = *kube_.Object(kube::JobsGvr(), kNs, "nightly-backup-1");
  job["metadata"]["ownerReferences"][0]["uid"] = "someone-else";
  kube_.Seed(kube::JobsGvr(), job);
  Finish("nightly-backup-1", false, kRefused);
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(Condition("LastBackupSucceeded"), "Unknown/NoBackupYet");
}

TEST_F(BackupReconcilerTest, WaitsForTheOwnerRoleAndCreatesNothing) {
  roles_.Erase(kNs, "orders-owner");
  ASSERT_TRUE(Visit().has_value()) << "blocked, not an error";
  EXPECT_EQ(Condition("Ready"), "False/DependencyNotReady");
  EXPECT_NE(Condition("Ready", "message").find("privileges: Owner"), std::string::npos);
  EXPECT_NE(Condition("Ready", "message").find("create one"), std::string::npos);
  EXPECT_EQ(Condition("Reconciling"), "True/DependencyNotReady");
  EXPECT_TRUE(kube_.Objects(kube::CronJobsGvr()).empty());

  roles_.Upsert(OwnerRole(false));
  ASSERT_TRUE(Visit().has_value());
  EXPECT_NE(Condition("Ready", "message").find("not Ready yet"), std::string::npos);
  EXPECT_TRUE(kube_.Objects(kube::CronJobsGvr()).empty());

  roles_.Upsert(OwnerRole(true));
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(Condition("Ready"), "True/CronJobReady");
  EXPECT_EQ(Condition("Reconciling"), "none");
}

TEST_F(BackupReconcilerTest, WaitsForTheDatabase) {
  databases_.Erase(kNs, "orders");
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(Condition("Ready"), "False/DependencyNotReady");
  EXPECT_NE(Condition("Ready", "message")
                .find("Database team-a/orders (spec.databaseRef) does "
                      "not exist: create it"),
            std::string::npos);
  EXPECT_TRUE(kube_.Objects(kube::CronJobsGvr()).empty());
}

TEST_F(BackupReconcilerTest, WithoutAJobImageItIsStalled) {
  image_.clear();
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(Condition("Stalled"), "True/DependencyNotReady");
  EXPECT_TRUE(kube_.Objects(kube::CronJobsGvr()).empty());
}

TEST_F(BackupReconcilerTest, AnUnknownTimeZoneIsStalled) {
  ASSERT_TRUE(kube_
                  .Patch(kube::BackupSchedulesGvr(), kNs, "nightly", kube::PatchType::kMerge,
                         {{"spec", {{"timeZone", "Mars/Olympus"}}}})
                  .has_value());
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(Condition("Stalled"), "True/InvalidSpec");
  EXPECT_TRUE(kube_.Objects(kube::CronJobsGvr()).empty());
}

TEST_F(BackupReconcilerTest, RefusesACronJobOfTheSameNameThatIsNotItsOwn) {
  kube_.Seed(kube::CronJobsGvr(), {{"metadata",
                                    {{"name", kCron},
                                     {"namespace", kNs},
                                     {"labels",
                                      {{"app.kubernetes.io/managed-by", "tenantdb"},
                                       {"app.kubernetes.io/component", "backup"}}}}},
                                   {"spec", {{"schedule", "5 5 * * *"}}}});
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(Condition("Ready"), "False/ConflictingResource");
  EXPECT_EQ(CronJob()["spec"]["schedule"], "5 5 * * *") << "left untouched";
}

}  // namespace
}  // namespace tenantdb::controllers::backup

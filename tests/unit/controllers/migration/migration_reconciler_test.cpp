// End-state tests of the Migration reconciler over FakeKubeApi: the Job it creates (and only
// once), what a finished Job's Pod tells, dependencies missing, a Job of the same name that is
// not the Migration's. No cluster: milliseconds.
#include "controllers/migration/migration_reconciler.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fakes/fake_clock.h"
#include "fakes/fake_kube_api.h"
#include "kube/gvr.h"

namespace tenantdb::controllers::migration {
namespace {

namespace v1 = api::v1alpha1;
using nlohmann::json;

constexpr char kNs[] = "team-a";

class MigrationReconcilerTest : public ::testing::Test {
 protected:
  MigrationReconcilerTest() {
    migration_ =
        Seed(kube::MigrationsGvr(), {{"metadata", {{"name", "schema"}, {"namespace", kNs}}},
                                     {"spec",
                                      {{"databaseRef", {{"name", "orders"}}},
                                       {"source", {{"configMapRef", {{"name", "files"}}}}}}}});
    kube_.Seed(kube::ConfigMapsGvr(), {{"metadata", {{"name", "files"}, {"namespace", kNs}}},
                                       {"data", {{"V1__init.sql", "CREATE TABLE t (id int);"}}}});
    databases_.Upsert(Database(true));
    roles_.Upsert(OwnerRole(true));
  }

  json Seed(const kube::Gvr& gvr, json obj) {
    json stored = kube_.Seed(gvr, std::move(obj));
    if (gvr == kube::MigrationsGvr()) {
      migrations_.Upsert(kube::DecodeCached<v1::Migration>(stored));
    }
    return stored;
  }
  // The caches as the watches would leave them after the API's current state.
  void Resync() {
    if (auto m = kube_.Object(kube::MigrationsGvr(), kNs, "schema")) {
      migrations_.Upsert(kube::DecodeCached<v1::Migration>(*m));
    }
    for (const auto& job : kube_.Objects(kube::JobsGvr())) {
      jobs_.Upsert(kube::DecodeCached<MigrationJob>(job));
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
    MigrationReconciler r(
        migrations_.Cache(), databases_.Cache(), roles_.Cache(), jobs_.Cache(), schedules_.Cache(),
        kube_, clock_,
        [this](const json&, std::string_view type, std::string_view reason, const std::string&) {
          events_.push_back(std::string(type) + " " + std::string(reason));
        },
        {.job_image = "tenantdb:dev"});
    return r.Reconcile({kNs, "schema"});
  }
  json Status() {
    return kube_.Object(kube::MigrationsGvr(), kNs, "schema")->value("status", json());
  }
  std::string ReadyReason() {
    for (const auto& c : Status().value("conditions", json::array())) {
      if (c["type"] == "Ready") {
        return c["status"].get<std::string>() + "/" + c["reason"].get<std::string>();
      }
    }
    return "none";
  }
  // The Job's Pod as the kubelet leaves it, and the Job's condition.
  // A Pod that is not the Job's own (a forged one) names another uid.
  void Finish(const std::string& job, bool ok, const std::string& message,
              std::optional<std::string> pod_owner_uid = std::nullopt) {
    json stored = *kube_.Object(kube::JobsGvr(), kNs, job);
    const std::string uid = pod_owner_uid.value_or(stored["metadata"]["uid"].get<std::string>());
    kube_.Seed(
        kube::PodsGvr(),
        {{"metadata",
          {{"name", job + "-x"},
           {"namespace", kNs},
           {"labels", {{"job-name", job}}},
           {"ownerReferences",
            {{{"kind", "Job"}, {"name", job}, {"uid", uid}, {"controller", true}}}}}},
         {"status",
          {{"containerStatuses",
            {{{"name", "migrate"},
              {"state", {{"terminated", {{"exitCode", ok ? 0 : 1}, {"message", message}}}}}}}}}}});
    stored["status"] = {{"conditions",
                         {{{"type", ok ? "Complete" : "Failed"},
                           {"status", "True"},
                           {"reason", ok ? "" : "BackoffLimitExceeded"}}}}};
    kube_.Seed(kube::JobsGvr(), stored);
  }

  fakes::FakeKubeApi kube_;
  fakes::FakeClock clock_;
  kube::TypedCacheWriter<v1::Migration> migrations_;
  kube::TypedCacheWriter<v1::Database> databases_;
  kube::TypedCacheWriter<v1::DatabaseRole> roles_;
  kube::TypedCacheWriter<MigrationJob> jobs_;
  kube::TypedCacheWriter<v1::BackupSchedule> schedules_;
  json migration_;
  std::vector<std::string> events_;
};

TEST_F(MigrationReconcilerTest, CreatesOneJobThenWaitsForItWithoutWriting) {
  ASSERT_TRUE(Visit().has_value());
  const auto jobs = kube_.Objects(kube::JobsGvr());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["metadata"]["ownerReferences"][0]["uid"], migration_["metadata"]["uid"]);
  EXPECT_EQ(Status()["jobName"], jobs[0]["metadata"]["name"]);
  EXPECT_EQ(ReadyReason(), "False/JobPending");

  ASSERT_TRUE(Visit().has_value());  // running: no second Job, only the reason moves on
  EXPECT_EQ(kube_.Objects(kube::JobsGvr()).size(), 1u);
  EXPECT_EQ(ReadyReason(), "False/JobRunning");
  const int writes = kube_.Calls("patch") + kube_.Calls("create");
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(kube_.Calls("patch") + kube_.Calls("create"), writes) << "a no-op visit writes nothing";
}

TEST_F(MigrationReconcilerTest, ASucceededJobMakesItReadyAndTheNextVisitReadsNoPod) {
  ASSERT_TRUE(Visit().has_value());
  const std::string job = Status()["jobName"];
  Finish(job, true, R"({"success":true,"lastAppliedVersion":"1","pending":[]})");
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(ReadyReason(), "True/JobSucceeded");
  EXPECT_EQ(Status()["lastAppliedVersion"], "1");

  const int lists = kube_.Calls("list");
  const int writes = kube_.Calls("patch");
  auto again = Visit();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(kube_.Calls("list"), lists) << "the outcome is in status: the Pod is not read again";
  EXPECT_EQ(kube_.Calls("patch"), writes);
  EXPECT_TRUE(again->requeue_after.has_value()) << "a Ready Migration re-reads its ConfigMap";
}

TEST_F(MigrationReconcilerTest, AChangedConfigMapStartsANewJobAfterTheOldOneEnded) {
  ASSERT_TRUE(Visit().has_value());
  const std::string first = Status()["jobName"];
  Finish(first, true, R"({"success":true,"lastAppliedVersion":"1","pending":[]})");
  ASSERT_TRUE(Visit().has_value());
  json cm = *kube_.Object(kube::ConfigMapsGvr(), kNs, "files");
  cm["data"]["V2__more.sql"] = "ALTER TABLE t ADD COLUMN x int;";
  kube_.Seed(kube::ConfigMapsGvr(), cm);
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(kube_.Objects(kube::JobsGvr()).size(), 2u);
  EXPECT_NE(Status()["jobName"], first);
}

TEST_F(MigrationReconcilerTest, AFailedJobIsReportedWithTheFileAndStaysFailed) {
  ASSERT_TRUE(Visit().has_value());
  Finish(
      Status()["jobName"], false,
      R"({"success":false,"failure":{"file":"V1__init.sql","message":"boom","sqlstate":"42601"}})");
  ASSERT_TRUE(Visit().has_value()) << "a failed migration waits for a person: no backoff error";
  EXPECT_EQ(ReadyReason(), "False/BackoffLimitExceeded");
  EXPECT_EQ(Status()["failure"]["file"], "V1__init.sql");
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(kube_.Objects(kube::JobsGvr()).size(), 1u) << "the same content is not run again";
}

TEST_F(MigrationReconcilerTest, WaitsForTheOwnerRoleAndCreatesNoJob) {
  roles_.Erase(kNs, "orders-owner");
  auto result = Visit();
  ASSERT_TRUE(result.has_value()) << "blocked, not an error";
  EXPECT_EQ(ReadyReason(), "False/DependencyNotReady");
  EXPECT_TRUE(kube_.Objects(kube::JobsGvr()).empty());

  roles_.Upsert(OwnerRole(false));
  ASSERT_TRUE(Visit().has_value());
  EXPECT_TRUE(kube_.Objects(kube::JobsGvr()).empty());
}

TEST_F(MigrationReconcilerTest, AMissingConfigMapIsRetried) {
  ASSERT_TRUE(kube_.Delete(kube::ConfigMapsGvr(), kNs, "files").has_value());
  auto result = Visit();
  ASSERT_FALSE(result.has_value()) << "ConfigMaps are not watched: retried with backoff";
  EXPECT_EQ(ReadyReason(), "False/DependencyNotReady");
  EXPECT_TRUE(kube_.Objects(kube::JobsGvr()).empty());
}

TEST_F(MigrationReconcilerTest, RefusesAJobOfTheSameNameThatIsNotItsOwn) {
  ASSERT_TRUE(Visit().has_value());
  const std::string job = Status()["jobName"];
  json stored = *kube_.Object(kube::JobsGvr(), kNs, job);
  stored["metadata"]["ownerReferences"][0]["uid"] = "someone-else";
  kube_.Seed(kube::JobsGvr(), stored);
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(ReadyReason(), "False/ConflictingResource");
}

// A tenant who may create Pods can copy the job-name label and the Job's name into a Pod of its
// own; only the Pod the Job itself created (its uid) is read.
TEST_F(MigrationReconcilerTest, AForgedPodCannotReportTheMigrationAsApplied) {
  ASSERT_TRUE(Visit().has_value());
  const std::string job = Status()["jobName"];
  Finish(job, true, R"({"success":true,"lastAppliedVersion":"99","pending":[]})", "forged-uid");
  ASSERT_TRUE(Visit().has_value());
  EXPECT_FALSE(Status().contains("lastAppliedVersion"));
  EXPECT_NE(Status().value("lastAppliedVersion", ""), "99");
}

// spec.backupBefore: the Job mounts the schedule's claim and runs the backup first, with the
// schedule's dump settings; the backup it reports lands in status.backupBeforeMigration.
class BackupBeforeTest : public MigrationReconcilerTest {
 protected:
  BackupBeforeTest() {
    json m = *kube_.Object(kube::MigrationsGvr(), kNs, "schema");
    m["spec"]["backupBefore"] = {{"backupScheduleRef", {{"name", "nightly"}}}};
    kube_.Seed(kube::MigrationsGvr(), m);
  }
  static v1::BackupSchedule Schedule(const std::string& database) {
    v1::BackupSchedule s;
    s.metadata.name = "nightly";
    s.metadata.ns = kNs;
    s.spec.database_ref.name = database;
    s.spec.schedule = "0 2 * * *";
    s.spec.format = v1::BackupFormat::kPlain;
    s.spec.compression = 9;
    s.spec.retention = v1::BackupRetention{.keep_last = 3, .keep_daily = 30};
    s.spec.storage.persistent_volume_claim.claim_name = "orders-backups";
    return s;
  }
  static std::string Args(const json& job) {
    std::string out;
    for (const auto& a : job["spec"]["template"]["spec"]["containers"][0]["args"]) {
      out += a.get<std::string>() + " ";
    }
    return out;
  }
};

TEST_F(BackupBeforeTest, WaitsForTheBackupScheduleAndCreatesNoJob) {
  ASSERT_TRUE(Visit().has_value());
  EXPECT_TRUE(kube_.Objects(kube::JobsGvr()).empty());
  EXPECT_EQ(ReadyReason(), "False/DependencyNotReady");
  EXPECT_NE(Status().dump().find("BackupSchedule team-a/nightly"), std::string::npos);
}

TEST_F(BackupBeforeTest, RefusesAScheduleOfAnotherDatabase) {
  schedules_.Upsert(Schedule("billing"));
  ASSERT_TRUE(Visit().has_value());
  EXPECT_TRUE(kube_.Objects(kube::JobsGvr()).empty());
  EXPECT_EQ(ReadyReason(), "False/InvalidSpec");
}

TEST_F(BackupBeforeTest, TheJobBacksUpIntoTheSchedulesClaimFirstAndStatusNamesTheBackup) {
  schedules_.Upsert(Schedule("orders"));
  ASSERT_TRUE(Visit().has_value());
  const auto jobs = kube_.Objects(kube::JobsGvr());
  ASSERT_EQ(jobs.size(), 1u);
  const json& pod = jobs[0]["spec"]["template"]["spec"];
  EXPECT_EQ(pod["volumes"][1]["persistentVolumeClaim"]["claimName"], "orders-backups");
  EXPECT_EQ(pod["containers"][0]["volumeMounts"][1]["mountPath"], "/backup");
  EXPECT_EQ(pod["securityContext"]["fsGroup"], 65532);
  EXPECT_NE(Args(jobs[0]).find("--backup-dir /backup --backup-format plain --backup-compression 9 "
                               "--backup-keep-last 3 --backup-keep-daily 30 "),
            std::string::npos)
      << Args(jobs[0]);

  Finish(Status()["jobName"], true,
         R"({"success":true,"lastAppliedVersion":"1","pending":[],"backup":)"
         R"({"name":"orders-20261202T020000Z.sql.gz","time":"2026-12-02T02:00:00Z",)"
         R"("sizeBytes":1234,"sha256":"ab"}})");
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(ReadyReason(), "True/JobSucceeded");
  EXPECT_EQ(Status()["backupBeforeMigration"]["name"], "orders-20261202T020000Z.sql.gz");
  EXPECT_EQ(Status()["backupBeforeMigration"]["sizeBytes"], 1234);
}

TEST_F(BackupBeforeTest, AChangedScheduleStartsANewJob) {
  schedules_.Upsert(Schedule("orders"));
  ASSERT_TRUE(Visit().has_value());
  const std::string first = Status()["jobName"];
  auto other = Schedule("orders");
  other.spec.storage.persistent_volume_claim.claim_name = "elsewhere";
  schedules_.Upsert(other);
  Finish(first, true, R"({"success":true,"lastAppliedVersion":"1","pending":[]})");
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(kube_.Objects(kube::JobsGvr()).size(), 2u)
      << "the claim is part of the content hash: " << ReadyReason() << " " << Status().dump();
}

}  // namespace
}  // namespace tenantdb::controllers::migration

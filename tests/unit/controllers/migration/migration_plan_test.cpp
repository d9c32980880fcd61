// The Migration planner and status: which Job runs when, never two at once, outcomes read back
// once, old Jobs pruned, a Job of the same name that is not ours refused.
#include "controllers/migration/migration_plan.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tenantdb::controllers::migration {
namespace {

namespace v1 = api::v1alpha1;

v1::Migration Orders() {
  v1::Migration m;
  m.metadata.name = "orders";
  m.metadata.ns = "team-a";
  m.metadata.uid = "uid-1";
  m.metadata.generation = 1;
  m.spec.database_ref.name = "orders";
  m.spec.source.config_map_ref.name = "orders-migrations";
  v1::ApplyDefaults(m);
  return m;
}

ObservedMigration Observed() {
  ObservedMigration o;
  o.job_inputs = {.files = {{"V1__init.sql", "CREATE TABLE t (id int);"}},
                  .credentials_secret = "orders-owner",
                  .image = "tenantdb:dev"};
  return o;
}

ObservedJob Job(const std::string& name, JobPhase phase, std::string owner = "uid-1") {
  return ObservedJob{.name = name,
                     .content_hash = "",
                     .owner = std::move(owner),
                     .phase = phase,
                     .failed_reason = phase == JobPhase::kFailed ? "BackoffLimitExceeded" : "",
                     .failed_message = "",
                     .created = ""};
}

const v1::Condition* Cond(const v1::MigrationStatus& s, std::string_view type) {
  return v1::FindStatusCondition(s.conditions, type);
}

TEST(MigrationPlanTest, CreatesTheJobForNewContentAndReportsProgressing) {
  const auto m = Orders();
  const MigrationPlan plan = PlanMigration(m, Observed());
  ASSERT_TRUE(plan.create.has_value());
  EXPECT_EQ((*plan.create)["metadata"]["name"], plan.job_name);
  const auto status = ComputeMigrationStatus(m, plan, v1::Timestamp{});
  EXPECT_EQ(status.job_name, plan.job_name);
  EXPECT_EQ(Cond(status, v1::kReady)->status, v1::ConditionStatus::kFalse);
  EXPECT_EQ(Cond(status, v1::kReady)->reason, "JobPending");
  EXPECT_EQ(Cond(status, v1::kProgressing)->status, v1::ConditionStatus::kTrue);
  EXPECT_EQ(Cond(status, v1::kFailed)->status, v1::ConditionStatus::kFalse);
  EXPECT_EQ(Cond(status, v1::kReconciling)->status, v1::ConditionStatus::kTrue);
}

TEST(MigrationPlanTest, NeverStartsASecondJobWhileOneRuns) {
  const auto m = Orders();
  auto observed = Observed();
  observed.jobs = {Job("orders-old", JobPhase::kRunning)};
  const MigrationPlan plan = PlanMigration(m, observed);
  EXPECT_FALSE(plan.create.has_value());
  EXPECT_EQ(plan.readiness.reason, "JobRunning");

  const std::string current = PlanMigration(m, Observed()).job_name;
  observed.jobs = {Job(current, JobPhase::kRunning)};
  EXPECT_FALSE(PlanMigration(m, observed).create.has_value()) << "a running Job is never edited";
}

TEST(MigrationPlanTest, ASucceededJobMakesItReadyWithTheEngineSummary) {
  auto m = Orders();
  auto observed = Observed();
  const std::string current = PlanMigration(m, observed).job_name;
  observed.jobs = {Job(current, JobPhase::kSucceeded)};
  observed.termination_message =
      R"({"command":"migrate","success":true,"applied":["1"],"lastAppliedVersion":"1","pending":[]})";
  const MigrationPlan plan = PlanMigration(m, observed);
  EXPECT_FALSE(plan.create.has_value()) << "a finished Job's content is not run again";
  const auto status = ComputeMigrationStatus(m, plan, v1::Timestamp{});
  EXPECT_EQ(Cond(status, v1::kReady)->status, v1::ConditionStatus::kTrue);
  EXPECT_EQ(Cond(status, v1::kReady)->reason, "JobSucceeded");
  EXPECT_EQ(status.last_applied_version, "1");
  EXPECT_EQ(Cond(status, v1::kProgressing)->status, v1::ConditionStatus::kFalse);
  EXPECT_FALSE(status.failure.has_value());

  // Next visit: the outcome is in status, the Pod is not needed any more, the status is stable.
  m.status = status;
  EXPECT_TRUE(OutcomeRecorded(m, current));
  observed.termination_message.reset();
  const auto again = ComputeMigrationStatus(m, PlanMigration(m, observed), v1::Timestamp{});
  EXPECT_EQ(again, status);
}

TEST(MigrationPlanTest, AFailedJobIsStalledWithTheFileAndPostgresError) {
  auto m = Orders();
  auto observed = Observed();
  const std::string current = PlanMigration(m, observed).job_name;
  observed.jobs = {Job(current, JobPhase::kFailed)};
  observed.termination_message =
      R"({"success":false,"lastAppliedVersion":"5","pending":["6"],)"
      R"("failure":{"file":"V6__broken.sql","message":"syntax error at or near \"TABL\"","sqlstate":"42601","line":1}})";
  const auto status = ComputeMigrationStatus(m, PlanMigration(m, observed), v1::Timestamp{});
  EXPECT_EQ(Cond(status, v1::kReady)->status, v1::ConditionStatus::kFalse);
  EXPECT_EQ(Cond(status, v1::kStalled)->status, v1::ConditionStatus::kTrue);
  EXPECT_EQ(Cond(status, v1::kFailed)->status, v1::ConditionStatus::kTrue);
  ASSERT_TRUE(status.failure.has_value());
  EXPECT_EQ(status.failure->file, "V6__broken.sql");
  EXPECT_NE(status.failure->message.find("42601"), std::string::npos);
  EXPECT_EQ(status.last_applied_version, "5");
  EXPECT_EQ(status.pending_migrations, (std::vector<std::string>{"6"}));
  EXPECT_NE(Cond(status, v1::kReady)->message.find("V6__broken.sql"), std::string::npos);
}

TEST(MigrationPlanTest, AJobWithoutASummaryFailsWithItsLogTail) {
  const auto m = Orders();
  auto observed = Observed();
  observed.jobs = {Job(PlanMigration(m, observed).job_name, JobPhase::kFailed)};
  observed.termination_message = "exec: tenantdb: not found";
  const auto plan = PlanMigration(m, observed);
  ASSERT_TRUE(plan.failure.has_value());
  EXPECT_NE(plan.failure->message.find("not found"), std::string::npos);
}

TEST(MigrationPlanTest, RefusesAJobOfTheSameNameThatIsNotOurs) {
  const auto m = Orders();
  auto observed = Observed();
  observed.jobs = {Job(PlanMigration(m, observed).job_name, JobPhase::kSucceeded, "someone-else")};
  const auto plan = PlanMigration(m, observed);
  EXPECT_EQ(plan.readiness.reason, "ConflictingResource");
  EXPECT_EQ(plan.readiness.state, Readiness::State::kStalled);
  EXPECT_FALSE(plan.create.has_value());
}

TEST(MigrationPlanTest, PrunesFinishedJobsBeyondTheLastFew) {
  const auto m = Orders();
  auto observed = Observed();
  const std::string current = PlanMigration(m, observed).job_name;
  observed.jobs = {Job("a", JobPhase::kSucceeded), Job("b", JobPhase::kFailed),
                   Job("c", JobPhase::kSucceeded), Job("d", JobPhase::kSucceeded),
                   Job("e", JobPhase::kSucceeded), Job(current, JobPhase::kRunning)};
  EXPECT_EQ(PlanMigration(m, observed).delete_jobs, (std::vector<std::string>{"a", "b"}));
}

TEST(MigrationPlanTest, BlockedVisitsCreateNothing) {
  const auto m = Orders();
  auto observed = Observed();
  observed.blocked = Readiness::InProgress(
      "DependencyNotReady", "No DatabaseRole with privileges: Owner for Database team-a/orders.");
  const auto plan = PlanMigration(m, observed);
  EXPECT_FALSE(plan.create.has_value());
  const auto status = ComputeMigrationStatus(m, plan, v1::Timestamp{});
  EXPECT_EQ(Cond(status, v1::kReady)->reason, "DependencyNotReady");
  EXPECT_FALSE(status.job_name.has_value());
}

}  // namespace
}  // namespace tenantdb::controllers::migration

#include "controllers/database/database_status.h"

#include <gtest/gtest.h>

namespace tenantdb::controllers::database {
namespace {

namespace v1 = api::v1alpha1;
using std::chrono::seconds;

v1::Timestamp T(int s) { return v1::Timestamp{} + seconds(1'800'000'000 + s); }

v1::Database Db(std::int64_t generation) {
  v1::Database db;
  db.metadata.ns = "shop";
  db.metadata.name = "orders";
  db.metadata.generation = generation;
  return db;
}

DatabaseReport Reconciled() {
  DatabaseReport r;
  r.server = "default";
  r.database_name = "shop_orders";
  r.owner = "shop_orders_owner";
  return r;
}

const v1::Condition& Ready(const v1::DatabaseStatus& status) {
  const auto* c = v1::FindStatusCondition(status.conditions, v1::kReady);
  EXPECT_NE(c, nullptr);
  return *c;
}

TEST(ComputeDatabaseStatusTest, ReconciledIsReadyWithNamesAndGeneration) {
  const auto status = ComputeDatabaseStatus(Db(3), Reconciled(), T(0));
  EXPECT_EQ(status.observed_generation, 3);
  EXPECT_EQ(status.database_name, "shop_orders");
  EXPECT_EQ(status.owner, "shop_orders_owner");
  EXPECT_TRUE(status.drift.empty());
  const auto& ready = Ready(status);
  EXPECT_EQ(ready.status, v1::ConditionStatus::kTrue);
  EXPECT_EQ(ready.reason, "Reconciled");
  EXPECT_EQ(ready.observed_generation, 3);
  EXPECT_NE(ready.message.find("\"shop_orders\""), std::string::npos);
  EXPECT_EQ(v1::FindStatusCondition(status.conditions, v1::kReconciling), nullptr);
  EXPECT_EQ(v1::FindStatusCondition(status.conditions, v1::kStalled), nullptr);
}

TEST(ComputeDatabaseStatusTest, EachNotReadyReasonWithItsKstatusCondition) {
  struct Case {
    Readiness readiness;
    std::string_view kstatus;
  };
  const std::vector<Case> cases = {
      {Readiness::InProgress("DependencyNotReady", "DatabaseServer \"default\" is not Ready"),
       v1::kReconciling},
      {Readiness::Stalled("DependencyNotReady", "DatabaseServer \"x\" does not exist"),
       v1::kStalled},
      {Readiness::Stalled("NamespaceNotAllowed", "ask the platform team"), v1::kStalled},
      {Readiness::Stalled("ConflictingResource", "set spec.adopt: true"), v1::kStalled},
      {Readiness::Stalled("DeletionProtected", "set spec.deletionProtection to false"),
       v1::kStalled},
      {Readiness::FromError(Error::Invalid("name too long")), v1::kStalled},
      {Readiness::FromError(Error::Transient("connection refused")), v1::kReconciling},
      {Readiness::FromError(Error::Permission("permission denied")), v1::kStalled},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.readiness.reason);
    DatabaseReport report = Reconciled();
    report.not_ready = c.readiness;
    const auto status = ComputeDatabaseStatus(Db(2), report, T(0));
    const auto& ready = Ready(status);
    EXPECT_EQ(ready.status, v1::ConditionStatus::kFalse);
    EXPECT_EQ(ready.reason, c.readiness.reason);
    EXPECT_EQ(ready.message, c.readiness.message);
    EXPECT_TRUE(v1::IsStatusConditionTrue(status.conditions, c.kstatus));
    EXPECT_TRUE(v1::IsKnownReason(ready.reason));
    EXPECT_EQ(status.observed_generation, 2);
  }
}

TEST(ComputeDatabaseStatusTest, DetectDriftIsListedAndMentioned) {
  DatabaseReport report = Reconciled();
  report.drift = {{"owner", "shop_orders_owner", "someone_else"}, {"connectionLimit", "-1", "3"}};
  const auto status = ComputeDatabaseStatus(Db(1), report, T(0));
  EXPECT_EQ(status.drift, report.drift);
  EXPECT_EQ(Ready(status).status, v1::ConditionStatus::kTrue);
  EXPECT_NE(Ready(status).message.find("2 differences"), std::string::npos);
}

TEST(ComputeDatabaseStatusTest, DriftDisappearsWhenResolved) {
  auto db = Db(1);
  DatabaseReport report = Reconciled();
  report.drift = {{"owner", "a", "b"}};
  db.status = ComputeDatabaseStatus(db, report, T(0));
  const auto status = ComputeDatabaseStatus(db, Reconciled(), T(10));
  EXPECT_TRUE(status.drift.empty());
}

TEST(ComputeDatabaseStatusTest, ImmutableDifferencesAreInTheMessage) {
  DatabaseReport report = Reconciled();
  report.immutable_differences = {"the database's encoding is LATIN1 but spec.encoding is UTF8"};
  const auto status = ComputeDatabaseStatus(Db(1), report, T(0));
  EXPECT_EQ(Ready(status).status, v1::ConditionStatus::kTrue);
  EXPECT_NE(Ready(status).message.find("LATIN1"), std::string::npos);
}

TEST(ComputeDatabaseStatusTest, NoChangeGivesAnEqualStatus) {
  auto db = Db(4);
  db.status = ComputeDatabaseStatus(db, Reconciled(), T(0));
  EXPECT_EQ(ComputeDatabaseStatus(db, Reconciled(), T(300)), db.status);

  DatabaseReport blocked = Reconciled();
  blocked.not_ready = Readiness::Stalled("ConflictingResource", "exists");
  db.status = ComputeDatabaseStatus(db, blocked, T(400));
  EXPECT_EQ(ComputeDatabaseStatus(db, blocked, T(700)), db.status);
}

TEST(ComputeDatabaseStatusTest, TransitionTimeMovesOnlyWhenReadyFlips) {
  auto db = Db(1);
  DatabaseReport down = Reconciled();
  down.not_ready = Readiness::FromError(Error::Transient("connection refused"));
  db.status = ComputeDatabaseStatus(db, down, T(0));
  EXPECT_EQ(Ready(db.status).last_transition_time, T(0));
  down.not_ready->message = "connection refused again";
  db.status = ComputeDatabaseStatus(db, down, T(5));
  EXPECT_EQ(Ready(db.status).last_transition_time, T(0));
  db.status = ComputeDatabaseStatus(db, Reconciled(), T(10));
  EXPECT_EQ(Ready(db.status).last_transition_time, T(10));
  EXPECT_EQ(v1::FindStatusCondition(db.status.conditions, v1::kReconciling), nullptr);
}

TEST(ComputeDatabaseStatusTest, NewGenerationIsObserved) {
  auto db = Db(1);
  db.status = ComputeDatabaseStatus(db, Reconciled(), T(0));
  db.metadata.generation = 2;
  const auto status = ComputeDatabaseStatus(db, Reconciled(), T(1));
  EXPECT_EQ(status.observed_generation, 2);
  EXPECT_EQ(Ready(status).observed_generation, 2);
}

}  // namespace
}  // namespace tenantdb::controllers::database

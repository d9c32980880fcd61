#include "runtime/finalizer.h"

#include <gtest/gtest.h>

#include <string>

#include "api/v1alpha1/database_types.h"
#include "fakes/fake_kube_api.h"
#include "kube/gvr.h"

namespace tenantdb::runtime {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr std::string_view kFinalizer = "tenantdb.io/finalizer";

json Database(const std::string& name) {
  return {{"apiVersion", "tenantdb.io/v1alpha1"},
          {"kind", "Database"},
          {"metadata", {{"namespace", "team-a"}, {"name", name}}},
          {"spec", {{"databaseName", name}}}};
}

class FinalizerTest : public ::testing::Test {
 protected:
  Expected<Result> Run(const json& obj) {
    return RunWithFinalizer(
        api_, gvr_, obj, kFinalizer,
        [this](const json&) -> Expected<Result> {
          ++applied_;
          return Result{.requeue_after = std::chrono::minutes(5)};
        },
        [this](const json&) -> Expected<Result> {
          ++cleaned_;
          return cleanup_result_;
        });
  }
  json Stored(const std::string& name) { return *api_.Object(gvr_, "team-a", name); }

  fakes::FakeKubeApi api_;
  const kube::Gvr gvr_ = kube::DatabasesGvr();
  int applied_ = 0;
  int cleaned_ = 0;
  Expected<Result> cleanup_result_ = Result{};
};

TEST_F(FinalizerTest, AddsTheFinalizerFirstAndRequeues) {
  const json obj = api_.Seed(gvr_, Database("orders"));
  const Expected<Result> result = Run(obj);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->requeue_after, milliseconds(0));
  EXPECT_EQ(applied_, 0);
  EXPECT_EQ(Stored("orders")["metadata"]["finalizers"], json::array({kFinalizer}));
}

TEST_F(FinalizerTest, AppendsToExistingFinalizers) {
  json db = Database("orders");
  db["metadata"]["finalizers"] = {"other.io/keep"};
  const json obj = api_.Seed(gvr_, db);
  ASSERT_TRUE(Run(obj).has_value());
  EXPECT_EQ(Stored("orders")["metadata"]["finalizers"], json::array({"other.io/keep", kFinalizer}));
}

TEST_F(FinalizerTest, AppliesWhenTheFinalizerIsPresent) {
  json db = Database("orders");
  db["metadata"]["finalizers"] = {kFinalizer};
  const json obj = api_.Seed(gvr_, db);
  const Expected<Result> result = Run(obj);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->requeue_after, std::chrono::minutes(5));
  EXPECT_EQ(applied_, 1);
  EXPECT_EQ(cleaned_, 0);
}

TEST_F(FinalizerTest, CleansUpThenRemovesTheFinalizerSoTheObjectGoes) {
  json db = Database("orders");
  db["metadata"]["finalizers"] = {kFinalizer};
  api_.Seed(gvr_, db);
  ASSERT_TRUE(api_.Delete(gvr_, "team-a", "orders").has_value());
  const json deleting = Stored("orders");
  ASSERT_TRUE(deleting["metadata"].contains("deletionTimestamp"));

  ASSERT_TRUE(Run(deleting).has_value());
  EXPECT_EQ(cleaned_, 1);
  EXPECT_EQ(applied_, 0);
  EXPECT_EQ(api_.Object(gvr_, "team-a", "orders"), std::nullopt);
}

TEST_F(FinalizerTest, KeepsOtherFinalizersWhenRemovingOurs) {
  json db = Database("orders");
  db["metadata"]["finalizers"] = {"other.io/keep", kFinalizer};
  api_.Seed(gvr_, db);
  ASSERT_TRUE(api_.Delete(gvr_, "team-a", "orders").has_value());
  ASSERT_TRUE(Run(Stored("orders")).has_value());
  EXPECT_EQ(Stored("orders")["metadata"]["finalizers"], json::array({"other.io/keep"}));
}

TEST_F(FinalizerTest, DoesNothingWhenDeletingWithoutOurFinalizer) {
  json db = Database("orders");
  db["metadata"]["finalizers"] = {"other.io/keep"};
  api_.Seed(gvr_, db);
  ASSERT_TRUE(api_.Delete(gvr_, "team-a", "orders").has_value());
  const int patches = api_.Calls("patch");
  const Expected<Result> result = Run(Stored("orders"));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->requeue_after, std::nullopt);
  EXPECT_EQ(applied_ + cleaned_, 0);
  EXPECT_EQ(api_.Calls("patch"), patches);
}

TEST_F(FinalizerTest, CleanupErrorKeepsTheFinalizer) {
  json db = Database("orders");
  db["metadata"]["finalizers"] = {kFinalizer};
  api_.Seed(gvr_, db);
  ASSERT_TRUE(api_.Delete(gvr_, "team-a", "orders").has_value());
  cleanup_result_ = Error::Transient("server unreachable");
  const Expected<Result> result = Run(Stored("orders"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kTransient);
  EXPECT_EQ(Stored("orders")["metadata"]["finalizers"], json::array({kFinalizer}));
}

TEST_F(FinalizerTest, StaleObjectOnAddIsARequeueNotAFailure) {
  const json stale = api_.Seed(gvr_, Database("orders"));
  // Someone else added a finalizer since our cache saw the object: the test op fails (422).
  ASSERT_TRUE(api_.Patch(gvr_, "team-a", "orders", kube::PatchType::kMerge,
                         {{"metadata", {{"finalizers", {"other.io/keep"}}}}})
                  .has_value());
  const Expected<Result> result = Run(stale);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->requeue_after, kFinalizerConflictRequeue);
  EXPECT_EQ(Stored("orders")["metadata"]["finalizers"], json::array({"other.io/keep"}));
}

TEST_F(FinalizerTest, StaleObjectOnRemoveIsARequeueNotAFailure) {
  json db = Database("orders");
  db["metadata"]["finalizers"] = {"other.io/keep", kFinalizer};
  api_.Seed(gvr_, db);
  ASSERT_TRUE(api_.Delete(gvr_, "team-a", "orders").has_value());
  const json stale = Stored("orders");
  // The other finalizer went meanwhile: ours moved from index 1 to 0.
  ASSERT_TRUE(api_.Patch(gvr_, "team-a", "orders", kube::PatchType::kJson,
                         json::array({{{"op", "remove"}, {"path", "/metadata/finalizers/0"}}}))
                  .has_value());
  const Expected<Result> result = Run(stale);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->requeue_after, kFinalizerConflictRequeue);
  EXPECT_EQ(Stored("orders")["metadata"]["finalizers"], json::array({kFinalizer}));
  // The next pass, with a fresh object, finishes the job.
  ASSERT_TRUE(Run(Stored("orders")).has_value());
  EXPECT_EQ(api_.Object(gvr_, "team-a", "orders"), std::nullopt);
}

TEST_F(FinalizerTest, ApiConflictIsARequeueAndOtherErrorsPropagate) {
  const json obj = api_.Seed(gvr_, Database("orders"));
  Error conflict = Error::Conflict("the object has been modified");
  conflict.http_status = 409;
  api_.FailNext(1, conflict, "patch");
  Expected<Result> result = Run(obj);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->requeue_after, kFinalizerConflictRequeue);

  api_.FailNext(1, Error::Permission("forbidden"), "patch");
  result = Run(obj);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kPermission);
}

TEST_F(FinalizerTest, ObjectGoneMeanwhileIsNothingToDo) {
  const json obj = Database("orders");  // never stored
  const Expected<Result> result = Run(obj);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->requeue_after, std::nullopt);
}

TEST(FinalizerPatchTest, PatchesAreGuardedByTestOps) {
  json obj = Database("orders");
  EXPECT_EQ(AddFinalizerPatch(obj, kFinalizer),
            json::parse(R"([{"op":"test","path":"/metadata/finalizers","value":null},
                            {"op":"add","path":"/metadata/finalizers",
                             "value":["tenantdb.io/finalizer"]}])"));
  obj["metadata"]["finalizers"] = {"a", kFinalizer};
  EXPECT_EQ(RemoveFinalizerPatch(obj, kFinalizer),
            json::parse(R"([{"op":"test","path":"/metadata/finalizers/1",
                             "value":"tenantdb.io/finalizer"},
                            {"op":"remove","path":"/metadata/finalizers/1"}])"));
  EXPECT_EQ(RemoveFinalizerPatch(Database("x"), kFinalizer), nullptr);
  EXPECT_EQ(DecideFinalizerStep(obj, kFinalizer), FinalizerStep::kApply);
  EXPECT_EQ(DecideFinalizerStep(Database("x"), kFinalizer), FinalizerStep::kAddFinalizer);
  obj["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z";
  EXPECT_EQ(DecideFinalizerStep(obj, kFinalizer), FinalizerStep::kCleanup);
  obj["metadata"]["finalizers"] = {"a"};
  EXPECT_EQ(DecideFinalizerStep(obj, kFinalizer), FinalizerStep::kNothing);
}

// The typed overload: the same table from the object's ObjectMeta (as the typed caches hold it).
class TypedFinalizerTest : public FinalizerTest {
 protected:
  static api::v1alpha1::Database Typed(const json& obj) {
    auto typed = api::v1alpha1::FromJson<api::v1alpha1::Database>(obj);
    EXPECT_TRUE(typed.has_value());
    return typed.has_value() ? *typed : api::v1alpha1::Database{};
  }
  Expected<Result> RunTyped(const api::v1alpha1::Database& db) {
    return RunWithFinalizer(
        api_, gvr_, db.metadata, kFinalizer,
        [this, &db]() -> Expected<Result> {
          ++applied_;
          EXPECT_EQ(db.metadata.name, "orders");
          return Result{.requeue_after = std::chrono::minutes(5)};
        },
        [this]() -> Expected<Result> {
          ++cleaned_;
          return cleanup_result_;
        });
  }
};

TEST_F(TypedFinalizerTest, AddsThenAppliesThenCleansUpAndRemoves) {
  json db = Database("orders");
  db["metadata"]["finalizers"] = {"other.io/keep"};
  api_.Seed(gvr_, db);

  Expected<Result> result = RunTyped(Typed(Stored("orders")));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->requeue_after, milliseconds(0));
  EXPECT_EQ(Stored("orders")["metadata"]["finalizers"], json::array({"other.io/keep", kFinalizer}));

  result = RunTyped(Typed(Stored("orders")));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->requeue_after, std::chrono::minutes(5));
  EXPECT_EQ(applied_, 1);

  ASSERT_TRUE(api_.Delete(gvr_, "team-a", "orders").has_value());
  ASSERT_TRUE(RunTyped(Typed(Stored("orders"))).has_value());
  EXPECT_EQ(cleaned_, 1);
  EXPECT_EQ(Stored("orders")["metadata"]["finalizers"], json::array({"other.io/keep"}));
}

TEST_F(TypedFinalizerTest, FirstFinalizerOfAnObjectWithoutAny) {
  api_.Seed(gvr_, Database("orders"));
  ASSERT_TRUE(RunTyped(Typed(Stored("orders"))).has_value());
  EXPECT_EQ(Stored("orders")["metadata"]["finalizers"], json::array({kFinalizer}));
}

TEST_F(TypedFinalizerTest, CleanupErrorKeepsTheFinalizerAndStaleRemoveRequeues) {
  json db = Database("orders");
  db["metadata"]["finalizers"] = {"other.io/keep", kFinalizer};
  api_.Seed(gvr_, db);
  ASSERT_TRUE(api_.Delete(gvr_, "team-a", "orders").has_value());
  const api::v1alpha1::Database stale = Typed(Stored("orders"));

  cleanup_result_ = Error::Transient("server unreachable");
  Expected<Result> result = RunTyped(stale);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(Stored("orders")["metadata"]["finalizers"], json::array({"other.io/keep", kFinalizer}));

  cleanup_result_ = Result{};
  ASSERT_TRUE(api_.Patch(gvr_, "team-a", "orders", kube::PatchType::kJson,
                         json::array({{{"op", "remove"}, {"path", "/metadata/finalizers/0"}}}))
                  .has_value());
  result = RunTyped(stale);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->requeue_after, kFinalizerConflictRequeue);
  ASSERT_TRUE(RunTyped(Typed(Stored("orders"))).has_value());
  EXPECT_EQ(api_.Object(gvr_, "team-a", "orders"), std::nullopt);
}

TEST_F(TypedFinalizerTest, DeletingWithoutOurFinalizerAndGoneObjectAreNothing) {
  api::v1alpha1::Database db = Typed(Database("orders"));  // never stored
  Expected<Result> result = RunTyped(db);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->requeue_after, std::nullopt);

  db.metadata.finalizers = {"other.io/keep"};
  db.metadata.deletion_timestamp =
      Typed(json{{"metadata", {{"deletionTimestamp", "2024-01-01T00:00:00Z"}}}})
          .metadata.deletion_timestamp;
  ASSERT_TRUE(db.metadata.deletion_timestamp.has_value());
  const int patches = api_.Calls("patch");
  result = RunTyped(db);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(applied_ + cleaned_, 0);
  EXPECT_EQ(api_.Calls("patch"), patches);
}

TEST(TypedFinalizerPatchTest, SamePatchesAsFromJson) {
  json obj = Database("orders");
  const std::vector<std::string> none;
  EXPECT_EQ(AddFinalizerPatch(FinalizerTarget{"team-a", "orders", none, false}, kFinalizer),
            AddFinalizerPatch(obj, kFinalizer));
  obj["metadata"]["finalizers"] = {"a", kFinalizer};
  const std::vector<std::string> two{"a", std::string(kFinalizer)};
  const FinalizerTarget target{"team-a", "orders", two, false};
  EXPECT_EQ(AddFinalizerPatch(target, "b"), AddFinalizerPatch(obj, "b"));
  EXPECT_EQ(RemoveFinalizerPatch(target, kFinalizer), RemoveFinalizerPatch(obj, kFinalizer));
  EXPECT_EQ(RemoveFinalizerPatch(target, "zz"), nullptr);
  EXPECT_EQ(DecideFinalizerStep(target, kFinalizer), FinalizerStep::kApply);
  EXPECT_EQ(DecideFinalizerStep(target, "b"), FinalizerStep::kAddFinalizer);
  EXPECT_EQ(DecideFinalizerStep(FinalizerTarget{"", "x", two, true}, kFinalizer),
            FinalizerStep::kCleanup);
  EXPECT_EQ(DecideFinalizerStep(FinalizerTarget{"", "x", none, true}, kFinalizer),
            FinalizerStep::kNothing);
}

}  // namespace
}  // namespace tenantdb::runtime

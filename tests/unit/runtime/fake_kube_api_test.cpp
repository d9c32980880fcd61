// Tests of the test double itself: reconciler tests rely on it behaving like the API server.
#include "fakes/fake_kube_api.h"

#include <gtest/gtest.h>

#include <string>

#include "fakes/fake_clock.h"
#include "kube/gvr.h"

namespace tenantdb::fakes {
namespace {

using nlohmann::json;

json Database(const std::string& name, json labels = json::object()) {
  return {{"apiVersion", "tenantdb.io/v1alpha1"},
          {"kind", "Database"},
          {"metadata", {{"name", name}, {"labels", std::move(labels)}}},
          {"spec", {{"databaseName", name}}}};
}

class FakeKubeApiTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  FakeKubeApi api_{&clock_};
  const kube::Gvr gvr_ = kube::DatabasesGvr();
};

TEST_F(FakeKubeApiTest, CreateSetsServerFieldsAndRejectsDuplicates) {
  const auto created = api_.Create(gvr_, "team-a", Database("orders"));
  ASSERT_TRUE(created.has_value());
  const json& meta = (*created)["metadata"];
  EXPECT_EQ(meta["namespace"], "team-a");
  EXPECT_EQ(meta["generation"], 1);
  EXPECT_FALSE(meta["uid"].get<std::string>().empty());
  EXPECT_EQ(meta["creationTimestamp"], "2024-01-01T00:00:00Z");
  const auto again = api_.Create(gvr_, "team-a", Database("orders"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().http_status, 409);
  json with_rv = Database("billing");
  with_rv["metadata"]["resourceVersion"] = "1";
  EXPECT_EQ(api_.Create(gvr_, "team-a", with_rv).error().code, ErrorCode::kInvalid);
}

TEST_F(FakeKubeApiTest, UpdateChecksResourceVersionAndBumpsGenerationOnSpecChanges) {
  json obj = *api_.Create(gvr_, "team-a", Database("orders"));
  json stale = obj;
  obj["metadata"]["labels"]["x"] = "y";  // metadata only: generation stays
  obj = *api_.Update(gvr_, obj);
  EXPECT_EQ(obj["metadata"]["generation"], 1);
  EXPECT_NE(obj["metadata"]["resourceVersion"], stale["metadata"]["resourceVersion"]);
  obj["spec"]["databaseName"] = "orders2";
  obj = *api_.Update(gvr_, obj);
  EXPECT_EQ(obj["metadata"]["generation"], 2);

  stale["spec"]["databaseName"] = "lost";
  const auto conflict = api_.Update(gvr_, stale);
  ASSERT_FALSE(conflict.has_value());
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
  json no_rv = obj;
  no_rv["metadata"].erase("resourceVersion");
  EXPECT_EQ(api_.Update(gvr_, no_rv).error().code, ErrorCode::kInvalid);
}

TEST_F(FakeKubeApiTest, StatusSubresourceIsSeparateFromTheMainResource) {
  json obj = *api_.Create(gvr_, "team-a", Database("orders"));
  obj["status"] = {{"observedGeneration", 1}};
  obj = *api_.Update(gvr_, obj);  // main resource: status ignored
  EXPECT_FALSE(obj.contains("status"));
  obj["status"] = {{"observedGeneration", 1}};
  obj["spec"]["databaseName"] = "ignored";
  obj = *api_.Update(gvr_, obj, "status");  // status only
  EXPECT_EQ(obj["status"]["observedGeneration"], 1);
  EXPECT_EQ(obj["spec"]["databaseName"], "orders");
  EXPECT_EQ(obj["metadata"]["generation"], 1);

  const auto patched =
      api_.Patch(gvr_, "team-a", "orders", kube::PatchType::kMerge,
                 {{"status", {{"phase", "x"}}}, {"spec", {{"x", 1}}}}, {.subresource = "status"});
  ASSERT_TRUE(patched.has_value());
  EXPECT_EQ((*patched)["status"], json::parse(R"({"observedGeneration":1,"phase":"x"})"));
  EXPECT_FALSE((*patched)["spec"].contains("x"));
}

TEST_F(FakeKubeApiTest, MergeAndJsonPatches) {
  api_.Create(gvr_, "team-a", Database("orders")).IgnoreError();
  auto merged = api_.Patch(gvr_, "team-a", "orders", kube::PatchType::kMerge,
                           {{"spec", {{"owner", "app"}, {"databaseName", nullptr}}}});
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ((*merged)["spec"], json::parse(R"({"owner":"app"})"));
  EXPECT_EQ((*merged)["metadata"]["generation"], 2);

  const json ok = json::parse(R"([{"op":"test","path":"/spec/owner","value":"app"},
                                  {"op":"replace","path":"/spec/owner","value":"web"}])");
  ASSERT_TRUE(api_.Patch(gvr_, "team-a", "orders", kube::PatchType::kJson, ok).has_value());
  const auto failed = api_.Patch(gvr_, "team-a", "orders", kube::PatchType::kJson, ok);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(failed.error().http_status, 422);
  EXPECT_EQ((*api_.Object(gvr_, "team-a", "orders"))["spec"]["owner"], "web");

  // A patch carrying a stale resourceVersion is a conflict.
  const auto stale = api_.Patch(gvr_, "team-a", "orders", kube::PatchType::kMerge,
                                {{"metadata", {{"resourceVersion", "1"}}}});
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ(
      api_.Patch(gvr_, "team-a", "missing", kube::PatchType::kMerge, json::object()).error().code,
      ErrorCode::kNotFound);
}

TEST_F(FakeKubeApiTest, JsonPatchTestOfNullMatchesAMissingMember) {
  EXPECT_TRUE(
      ApplyJsonPatch(json::object(), json::parse(R"([{"op":"test","path":"/a","value":null}])"))
          .has_value());
  EXPECT_FALSE(
      ApplyJsonPatch(json::object(), json::parse(R"([{"op":"test","path":"/a","value":1}])"))
          .has_value());
  EXPECT_FALSE(
      ApplyJsonPatch(json::object(), json::parse(R"([{"op":"remove","path":"/a"}])")).has_value());
}

TEST_F(FakeKubeApiTest, DeleteWaitsForFinalizers) {
  json db = Database("orders");
  db["metadata"]["finalizers"] = {"a", "b"};
  api_.Create(gvr_, "team-a", db).IgnoreError();
  clock_.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(api_.Delete(gvr_, "team-a", "orders").has_value());
  json obj = *api_.Object(gvr_, "team-a", "orders");
  EXPECT_EQ(obj["metadata"]["deletionTimestamp"], "2024-01-01T00:00:05Z");
  EXPECT_EQ(obj["metadata"]["generation"], 2);

  obj["metadata"]["finalizers"] = {"a", "b", "c"};
  EXPECT_EQ(api_.Update(gvr_, obj).error().code, ErrorCode::kInvalid);  // no new finalizers
  obj["metadata"]["finalizers"] = {"b"};
  obj = *api_.Update(gvr_, obj);
  EXPECT_TRUE(api_.Object(gvr_, "team-a", "orders").has_value());
  obj["metadata"]["finalizers"] = json::array();
  ASSERT_TRUE(api_.Update(gvr_, obj).has_value());
  EXPECT_EQ(api_.Object(gvr_, "team-a", "orders"), std::nullopt);
  EXPECT_EQ(api_.Delete(gvr_, "team-a", "orders").error().code, ErrorCode::kNotFound);
}

TEST_F(FakeKubeApiTest, ListFiltersByNamespaceAndLabelSelector) {
  api_.Create(gvr_, "team-a", Database("a1", {{"tier", "gold"}, {"app", "x"}})).IgnoreError();
  api_.Create(gvr_, "team-a", Database("a2", {{"tier", "silver"}})).IgnoreError();
  api_.Create(gvr_, "team-b", Database("b1", {{"tier", "gold"}})).IgnoreError();
  const auto names = [this](const std::string& ns, const std::string& selector) {
    std::vector<std::string> out;
    const auto list = api_.List(gvr_, ns, {.label_selector = selector});
    for (const json& item : (*list)["items"]) {
      out.push_back(item["metadata"]["name"]);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names("", ""), (V{"a1", "a2", "b1"}));
  EXPECT_EQ(names("team-a", ""), (V{"a1", "a2"}));
  EXPECT_EQ(names("", "tier=gold"), (V{"a1", "b1"}));
  EXPECT_EQ(names("", "tier==gold,app"), (V{"a1"}));
  EXPECT_EQ(names("", "tier!=gold"), (V{"a2"}));
  EXPECT_EQ(names("", "!app"), (V{"a2", "b1"}));
  EXPECT_EQ(names("", "tier in (silver, bronze)"), (V{"a2"}));
  EXPECT_EQ(names("", "tier notin (silver)"), (V{"a1", "b1"}));
  EXPECT_EQ(api_.List(gvr_, "", {.label_selector = "tier in silver"}).error().code,
            ErrorCode::kInvalid);

  const auto page = api_.List(gvr_, "", {.limit = 2});
  ASSERT_EQ((*page)["items"].size(), 2u);
  const std::string token = (*page)["metadata"]["continue"];
  const auto rest = api_.List(gvr_, "", {.limit = 2, .continue_token = token});
  ASSERT_EQ((*rest)["items"].size(), 1u);
  EXPECT_FALSE((*rest)["metadata"].contains("continue"));
}

TEST_F(FakeKubeApiTest, FailsTheNextCallsAsTold) {
  api_.FailNext(2, Error::Transient("etcd down"), "get");
  EXPECT_EQ(api_.Get(gvr_, "team-a", "x").error().code, ErrorCode::kTransient);
  EXPECT_TRUE(api_.List(gvr_, "", {}).has_value());  // other verbs unaffected
  EXPECT_EQ(api_.Get(gvr_, "team-a", "x").error().code, ErrorCode::kTransient);
  const auto third = api_.Get(gvr_, "team-a", "x");
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(*third, std::nullopt);
  EXPECT_EQ(api_.Calls("get"), 3);
}

TEST_F(FakeKubeApiTest, ServerSideApplyCreatesOrMerges) {
  const json desired = {{"apiVersion", "batch/v1"},
                        {"kind", "Job"},
                        {"metadata", {{"name", "orders-migrate"}}},
                        {"spec", {{"backoffLimit", 2}}}};
  const auto created = api_.Patch(kube::JobsGvr(), "team-a", "orders-migrate",
                                  kube::PatchType::kApply, desired, {.force = true});
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ((*created)["metadata"]["namespace"], "team-a");
  const auto applied = api_.Patch(kube::JobsGvr(), "team-a", "orders-migrate",
                                  kube::PatchType::kApply, desired, {.force = true});
  ASSERT_TRUE(applied.has_value());
  EXPECT_EQ((*applied)["metadata"]["generation"], 1);  // no change
}

}  // namespace
}  // namespace tenantdb::fakes

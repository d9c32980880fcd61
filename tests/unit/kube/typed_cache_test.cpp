#include "kube/typed_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "api/v1alpha1/database_role_types.h"
#include "api/v1alpha1/database_server_types.h"
#include "api/v1alpha1/database_types.h"

namespace tenantdb::kube {
namespace {

namespace v1 = api::v1alpha1;
using ::testing::ElementsAre;

std::shared_ptr<const json> DatabaseJson(const std::string& ns, const std::string& name,
                                         json spec = json::object()) {
  return std::make_shared<const json>(json{
      {"apiVersion", "tenantdb.io/v1alpha1"},
      {"kind", "Database"},
      {"metadata",
       {{"namespace", ns},
        {"name", name},
        {"uid", "uid-" + name},
        {"resourceVersion", "7"},
        {"labels", {{"team", "a"}}},
        {"annotations", {{std::string(kLastAppliedAnnotation), "{\"big\":1}"}, {"keep", "me"}}},
        {"managedFields", json::array({{{"manager", "kubectl"}}})}}},
      {"spec", std::move(spec)},
      {"unknownTopLevel", {{"x", 1}}}});
}

WatchEvent Event(WatchEventType type, std::shared_ptr<const json> object) {
  WatchEvent e;
  e.type = type;
  e.object = std::move(object);
  return e;
}

template <class T>
std::vector<std::string> Names(const std::vector<CachedPtr<T>>& objects) {
  std::vector<std::string> names;
  for (const auto& o : objects) {
    names.push_back(o->metadata.ns + "/" + o->metadata.name);
  }
  return names;
}

TEST(TypedCacheTest, DecodesOnceWithDefaultsAndDropsWhatIsNotRead) {
  TypedCacheWriter<v1::Database> writer;
  const TypedCache<v1::Database> cache = writer.Cache();
  const auto carried = writer.Apply(Event(WatchEventType::kAdded, DatabaseJson("a", "orders")));
  ASSERT_EQ(carried.size(), 1U);

  const CachedPtr<v1::Database> db = cache.Get("a", "orders");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db, carried[0]);                // the handlers see the very object the cache holds
  EXPECT_EQ(db, cache.Get("a", "orders"));  // decoded once: every read shares it
  EXPECT_EQ(db->invalid, nullptr);
  EXPECT_EQ(db->metadata.uid, "uid-orders");
  EXPECT_EQ(db->metadata.resource_version, "7");
  EXPECT_EQ(db->metadata.labels.at("team"), "a");
  // Defaults as the API server would apply them.
  ASSERT_TRUE(db->spec.server_ref.has_value());
  EXPECT_EQ(db->spec.server_ref->name, "default");
  EXPECT_EQ(db->spec.reclaim_policy, v1::ReclaimPolicy::kRetain);
  // kubectl's copy of the object is not kept; other annotations are.
  EXPECT_FALSE(db->metadata.annotations.contains(std::string(kLastAppliedAnnotation)));
  EXPECT_EQ(db->metadata.annotations.at("keep"), "me");
}

TEST(TypedCacheTest, InvalidObjectIsKeptWithItsErrorAndMetadata) {
  TypedCacheWriter<v1::Database> writer;
  const TypedCache<v1::Database> cache = writer.Cache();
  writer.Apply(
      Event(WatchEventType::kAdded, DatabaseJson("a", "bad", {{"connectionLimit", "many"}})));

  const CachedPtr<v1::Database> db = cache.Get("a", "bad");
  ASSERT_NE(db, nullptr);
  ASSERT_NE(db->invalid, nullptr);
  EXPECT_EQ(db->invalid->code, ErrorCode::kInvalid);
  EXPECT_THAT(db->invalid->message, ::testing::HasSubstr("spec.connectionLimit"));
  EXPECT_EQ(db->metadata.uid, "uid-bad");   // enough for a status write and the finalizer
  EXPECT_EQ(db->spec, v1::DatabaseSpec{});  // nothing half-decoded
}

TEST(TypedCacheTest, InvalidMetadataStillKeepsNameAndNamespace) {
  TypedCacheWriter<v1::Database> writer;
  json object = *DatabaseJson("a", "odd");
  object["metadata"]["generation"] = "one";
  writer.Apply(Event(WatchEventType::kAdded, std::make_shared<const json>(std::move(object))));

  const CachedPtr<v1::Database> db = writer.Cache().Get("a", "odd");
  ASSERT_NE(db, nullptr);
  EXPECT_NE(db->invalid, nullptr);
  EXPECT_EQ(db->metadata.ns, "a");
  EXPECT_EQ(db->metadata.name, "odd");
}

TEST(TypedCacheTest, ModifiedReplacesAndReadersKeepTheirVersion) {
  TypedCacheWriter<v1::Database> writer;
  const TypedCache<v1::Database> cache = writer.Cache();
  writer.Apply(Event(WatchEventType::kAdded, DatabaseJson("a", "orders")));
  const CachedPtr<v1::Database> before = cache.Get("a", "orders");
  writer.Apply(Event(WatchEventType::kModified, DatabaseJson("a", "orders", {{"adopt", true}})));

  EXPECT_EQ(before->spec.adopt, false);  // defaulted, and unchanged for its holder
  EXPECT_EQ(cache.Get("a", "orders")->spec.adopt, true);
  EXPECT_EQ(cache.Size(), 1U);
}

TEST(TypedCacheTest, DeleteRemovesAndCarriesTheLastState) {
  TypedCacheWriter<v1::Database> writer;
  const TypedCache<v1::Database> cache = writer.Cache();
  writer.Apply(Event(WatchEventType::kAdded, DatabaseJson("a", "orders")));
  const auto carried = writer.Apply(Event(WatchEventType::kDeleted, DatabaseJson("a", "orders")));

  EXPECT_EQ(cache.Get("a", "orders"), nullptr);
  ASSERT_EQ(carried.size(), 1U);
  EXPECT_EQ(carried[0]->metadata.name, "orders");
  // Deleting what is not there is nothing.
  writer.Apply(Event(WatchEventType::kDeleted, DatabaseJson("a", "gone")));
  EXPECT_EQ(cache.Size(), 0U);
}

TEST(TypedCacheTest, RestartReplacesEverythingAndMarksSynced) {
  TypedCacheWriter<v1::Database> writer;
  const TypedCache<v1::Database> cache = writer.Cache();
  writer.Apply(Event(WatchEventType::kAdded, DatabaseJson("a", "stale")));
  EXPECT_FALSE(cache.HasSynced());

  WatchEvent restart;
  restart.type = WatchEventType::kRestarted;
  restart.objects = {DatabaseJson("b", "two"), DatabaseJson("a", "one"), nullptr};
  const auto carried = writer.Apply(restart);

  EXPECT_TRUE(cache.HasSynced());
  EXPECT_EQ(carried.size(), 2U);
  EXPECT_THAT(Names(cache.List()), ElementsAre("a/one", "b/two"));
  EXPECT_EQ(cache.Get("a", "stale"), nullptr);
}

TEST(TypedCacheTest, ObjectsWithoutANameAreSkipped) {
  TypedCacheWriter<v1::Database> writer;
  const auto carried =
      writer.Apply(Event(WatchEventType::kAdded,
                         std::make_shared<const json>(json{{"metadata", {{"namespace", "a"}}}})));
  EXPECT_TRUE(carried.empty());
  EXPECT_EQ(writer.Cache().Size(), 0U);
}

TEST(TypedCacheTest, NamespaceViewsSpanSeveralStores) {
  TypedCacheWriter<v1::DatabaseRole> in_a;
  TypedCacheWriter<v1::DatabaseRole> in_b;
  TypedCache<v1::DatabaseRole> cache;
  cache.Add(in_a.Cache());
  cache.Add(in_b.Cache());

  v1::DatabaseRole role;
  role.metadata.ns = "a";
  role.metadata.name = "r1";
  role.spec.database_ref.name = "orders";
  in_a.Upsert(role);
  role.metadata.name = "r2";
  in_a.Upsert(role);
  role.metadata.ns = "b";
  role.metadata.name = "r1";
  in_b.Upsert(role);

  EXPECT_THAT(Names(cache.ListInNamespace("a")), ElementsAre("a/r1", "a/r2"));
  EXPECT_THAT(Names(cache.ListInNamespace("b")), ElementsAre("b/r1"));
  EXPECT_THAT(Names(cache.List()), ElementsAre("a/r1", "a/r2", "b/r1"));
  EXPECT_EQ(cache.Get("b", "r1")->metadata.ns, "b");
  EXPECT_EQ(cache.Get("c", "r1"), nullptr);
  // Upsert(T) applies the defaults, as a decode would.
  EXPECT_EQ(cache.Get("a", "r1")->spec.privileges, v1::PrivilegePreset::kReadOnly);

  EXPECT_FALSE(cache.HasSynced());
  in_a.MarkSynced();
  EXPECT_FALSE(cache.HasSynced());
  in_b.MarkSynced();
  EXPECT_TRUE(cache.HasSynced());
  in_a.Erase("a", "r2");
  EXPECT_THAT(Names(cache.ListInNamespace("a")), ElementsAre("a/r1"));
}

TEST(TypedCacheTest, ClusterScopedKindAndInjectedDecoder) {
  int decodes = 0;
  TypedCacheWriter<v1::DatabaseServer> writer([&decodes](const json& object) {
    ++decodes;
    return DecodeCached<v1::DatabaseServer>(object);
  });
  writer.Apply(Event(WatchEventType::kAdded,
                     std::make_shared<const json>(json{{"kind", "DatabaseServer"},
                                                       {"metadata", {{"name", "default"}}},
                                                       {"spec", {{"host", "pg"}}}})));
  const TypedCache<v1::DatabaseServer> cache = writer.Cache();
  ASSERT_NE(cache.Get("", "default"), nullptr);
  EXPECT_EQ(cache.Get("", "default")->spec.host, "pg");
  EXPECT_THAT(Names(cache.ListInNamespace("")), ElementsAre("/default"));
  EXPECT_EQ(decodes, 1);
}

TEST(LabelsOfTest, StringValuesOnly) {
  EXPECT_TRUE(LabelsOf(json::object()).empty());
  EXPECT_TRUE(LabelsOf(json{{"metadata", {{"labels", "x"}}}}).empty());
  EXPECT_TRUE(LabelsOf(json::array()).empty());
  const auto labels =
      LabelsOf(json{{"metadata", {{"labels", {{"a", "1"}, {"b", 2}, {"c", nullptr}}}}}});
  EXPECT_EQ(labels, (std::map<std::string, std::string>{{"a", "1"}}));
}

}  // namespace
}  // namespace tenantdb::kube

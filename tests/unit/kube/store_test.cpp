#include "kube/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace tenantdb::kube {
namespace {

using ::testing::ElementsAre;

std::shared_ptr<const json> Obj(const std::string& ns, const std::string& name,
                                const std::string& rv, json labels = json::object()) {
  json o = {{"apiVersion", "tenantdb.io/v1alpha1"},
            {"kind", "Database"},
            {"metadata",
             {{"namespace", ns}, {"name", name}, {"resourceVersion", rv}, {"labels", labels}}},
            {"spec", {{"name", name}}}};
  return std::make_shared<const json>(std::move(o));
}

WatchEvent Event(WatchEventType type, std::shared_ptr<const json> object) {
  WatchEvent e;
  e.type = type;
  e.object = std::move(object);
  return e;
}

std::vector<std::string> Names(const std::vector<std::shared_ptr<const json>>& objects) {
  std::vector<std::string> names;
  for (const auto& o : objects) {
    names.push_back((*o)["metadata"]["name"].get<std::string>());
  }
  return names;
}

TEST(StoreTest, ApplyAddsModifiesAndDeletes) {
  StoreWriter writer;
  const StoreReader reader = writer.Reader();
  EXPECT_FALSE(reader.HasSynced());
  writer.Apply(Event(WatchEventType::kAdded, Obj("a", "db1", "1")));
  writer.Apply(Event(WatchEventType::kAdded, Obj("b", "db1", "2")));
  ASSERT_TRUE(reader.Get("a", "db1"));
  EXPECT_EQ((*reader.Get("a", "db1"))["metadata"]["resourceVersion"], "1");
  EXPECT_EQ(reader.Get("a", "missing"), nullptr);
  EXPECT_EQ(reader.Size(), 2u);

  const auto before = reader.Get("a", "db1");
  writer.Apply(Event(WatchEventType::kModified, Obj("a", "db1", "3")));
  EXPECT_EQ((*reader.Get("a", "db1"))["metadata"]["resourceVersion"], "3");
  EXPECT_EQ((*before)["metadata"]["resourceVersion"], "1");  // readers keep what they got

  writer.Apply(Event(WatchEventType::kDeleted, Obj("a", "db1", "4")));
  EXPECT_EQ(reader.Get("a", "db1"), nullptr);
  EXPECT_EQ(reader.Size(), 1u);
  writer.Apply(Event(WatchEventType::kDeleted, Obj("a", "never-there", "5")));
  EXPECT_EQ(reader.Size(), 1u);
  EXPECT_FALSE(reader.HasSynced());  // only a complete list syncs
}

TEST(StoreTest, ListIsOrderedAndListInNamespaceFilters) {
  StoreWriter writer;
  const StoreReader reader = writer.Reader();
  writer.Apply(Event(WatchEventType::kAdded, Obj("b", "x", "1")));
  writer.Apply(Event(WatchEventType::kAdded, Obj("a", "y", "1")));
  writer.Apply(Event(WatchEventType::kAdded, Obj("a", "x", "1")));
  writer.Apply(Event(WatchEventType::kAdded, Obj("ab", "z", "1")));
  EXPECT_THAT(Names(reader.List()), ElementsAre("x", "y", "z", "x"));
  EXPECT_THAT(Names(reader.ListInNamespace("a")), ElementsAre("x", "y"));
  EXPECT_THAT(Names(reader.ListInNamespace("b")), ElementsAre("x"));
  EXPECT_TRUE(reader.ListInNamespace("c").empty());
}

TEST(StoreTest, LabelIndexFollowsChanges) {
  StoreWriter writer;
  const StoreReader reader = writer.Reader();
  writer.Apply(Event(WatchEventType::kAdded, Obj("a", "db1", "1", {{"team", "red"}})));
  writer.Apply(Event(WatchEventType::kAdded, Obj("a", "db2", "1", {{"team", "red"}, {"x", "y"}})));
  writer.Apply(Event(WatchEventType::kAdded, Obj("b", "db3", "1", {{"team", "blue"}})));
  EXPECT_THAT(Names(reader.ListByLabel("team", "red")), ElementsAre("db1", "db2"));
  EXPECT_THAT(Names(reader.ListByLabel("team", "blue")), ElementsAre("db3"));
  EXPECT_TRUE(reader.ListByLabel("team", "green").empty());

  writer.Apply(Event(WatchEventType::kModified, Obj("a", "db1", "2", {{"team", "blue"}})));
  EXPECT_THAT(Names(reader.ListByLabel("team", "red")), ElementsAre("db2"));
  EXPECT_THAT(Names(reader.ListByLabel("team", "blue")), ElementsAre("db1", "db3"));

  writer.Apply(Event(WatchEventType::kDeleted, Obj("a", "db2", "3", {{"team", "red"}})));
  EXPECT_TRUE(reader.ListByLabel("team", "red").empty());
  EXPECT_TRUE(reader.ListByLabel("x", "y").empty());
}

TEST(StoreTest, ReplaceDropsObjectsDeletedWhileAwayAndMarksSynced) {
  StoreWriter writer;
  const StoreReader reader = writer.Reader();
  writer.Replace({Obj("a", "keep", "1", {{"l", "v"}}), Obj("a", "gone", "1", {{"l", "v"}})});
  EXPECT_TRUE(reader.HasSynced());
  EXPECT_EQ(reader.Size(), 2u);

  WatchEvent relist;
  relist.type = WatchEventType::kRestarted;
  relist.objects = {Obj("a", "keep", "5", {{"l", "v"}}), Obj("a", "new", "6")};
  writer.Apply(relist);
  EXPECT_EQ(reader.Size(), 2u);
  EXPECT_EQ(reader.Get("a", "gone"), nullptr);
  EXPECT_EQ((*reader.Get("a", "keep"))["metadata"]["resourceVersion"], "5");
  EXPECT_THAT(Names(reader.ListByLabel("l", "v")), ElementsAre("keep"));
  EXPECT_TRUE(reader.HasSynced());

  writer.Replace({});
  EXPECT_EQ(reader.Size(), 0u);
  EXPECT_TRUE(reader.ListByLabel("l", "v").empty());
}

TEST(StoreTest, ManagedFieldsAreNotCached) {
  StoreWriter writer;
  const StoreReader reader = writer.Reader();
  json o = *Obj("a", "db1", "1");
  o["metadata"]["managedFields"] = json::array({{{"manager", "kubectl"}, {"fieldsV1", {}}}});
  writer.Apply(Event(WatchEventType::kAdded, std::make_shared<const json>(o)));
  ASSERT_TRUE(reader.Get("a", "db1"));
  EXPECT_FALSE((*reader.Get("a", "db1"))["metadata"].contains("managedFields"));
  writer.Replace({std::make_shared<const json>(o)});
  EXPECT_FALSE((*reader.Get("a", "db1"))["metadata"].contains("managedFields"));
}

TEST(StoreTest, KubectlLastAppliedCopyIsNotCached) {
  StoreWriter writer;
  const StoreReader reader = writer.Reader();
  json o = *Obj("a", "db1", "1");
  o["metadata"]["annotations"] = {{kLastAppliedAnnotation, o.dump()}, {"team", "x"}};
  writer.Apply(Event(WatchEventType::kAdded, std::make_shared<const json>(o)));
  const auto cached = reader.Get("a", "db1");
  ASSERT_TRUE(cached);
  EXPECT_FALSE((*cached)["metadata"]["annotations"].contains(kLastAppliedAnnotation));
  EXPECT_EQ((*cached)["metadata"]["annotations"]["team"], "x");  // other annotations stay
  json only = *Obj("a", "db2", "2");
  only["metadata"]["annotations"] = {{kLastAppliedAnnotation, "{}"}};
  writer.Apply(Event(WatchEventType::kAdded, std::make_shared<const json>(only)));
  EXPECT_FALSE((*reader.Get("a", "db2"))["metadata"].contains("annotations"));
}

TEST(StoreTest, ObjectsWithoutANameAreIgnored) {
  StoreWriter writer;
  const StoreReader reader = writer.Reader();
  writer.Apply(Event(WatchEventType::kAdded, std::make_shared<const json>(json::object())));
  writer.Apply(Event(WatchEventType::kAdded, nullptr));
  writer.Replace({nullptr, std::make_shared<const json>(json{{"metadata", {{"name", 3}}}})});
  EXPECT_EQ(reader.Size(), 0u);
}

TEST(StoreTest, ClusterScopedObjectsAreKeyedByNameAlone) {
  StoreWriter writer;
  const StoreReader reader = writer.Reader();
  writer.Apply(Event(WatchEventType::kAdded,
                     std::make_shared<const json>(json{{"metadata", {{"name", "srv"}}}})));
  EXPECT_TRUE(reader.Get("", "srv"));
  EXPECT_EQ(StoreKeyOf("", "srv"), "/srv");
  EXPECT_EQ(StoreKeyOf("ns", "n"), "ns/n");
}

TEST(StoreTest, ManyReadersWhileOneWriterWrites) {
  StoreWriter writer;
  const StoreReader reader = writer.Reader();
  std::atomic<bool> done = false;
  std::vector<std::thread> readers;
  std::atomic<std::size_t> reads = 0;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      const StoreReader mine = reader;  // copies share the same store
      while (!done.load()) {
        for (const auto& o : mine.ListByLabel("team", "red")) {
          EXPECT_EQ((*o)["metadata"]["labels"]["team"], "red");
        }
        const auto one = mine.Get("a", "db7");
        if (one) {
          EXPECT_EQ((*one)["metadata"]["name"], "db7");
        }
        reads += mine.List().size() + mine.Size();
      }
    });
  }
  for (int i = 0; i < 2000; ++i) {
    const std::string name = "db" + std::to_string(i % 50);
    const json labels = {{"team", i % 2 == 0 ? "red" : "blue"}};
    writer.Apply(Event(i % 7 == 0 ? WatchEventType::kDeleted : WatchEventType::kModified,
                       Obj("a", name, std::to_string(i), labels)));
    if (i % 500 == 0) {
      writer.Replace({Obj("a", "db7", "x", {{"team", "red"}})});
    }
  }
  done = true;
  for (std::thread& t : readers) {
    t.join();
  }
  EXPECT_LE(reader.Size(), 50u);
}

TEST(CacheViewTest, ReadsSeveralNamespaceStoresAsOne) {
  StoreWriter a;
  StoreWriter b;
  a.Apply(Event(WatchEventType::kAdded, Obj("ns-a", "db1", "1", {{"team", "x"}})));
  b.Apply(Event(WatchEventType::kAdded, Obj("ns-b", "db2", "2", {{"team", "x"}})));
  b.Apply(Event(WatchEventType::kAdded, Obj("ns-b", "db3", "3")));
  const CacheView view({a.Reader(), b.Reader()});
  EXPECT_TRUE(view.Get("ns-b", "db2"));
  EXPECT_EQ(view.Get("ns-a", "db2"), nullptr);
  EXPECT_THAT(Names(view.List()), ElementsAre("db1", "db2", "db3"));
  EXPECT_THAT(Names(view.ListInNamespace("ns-b")), ElementsAre("db2", "db3"));
  EXPECT_THAT(Names(view.ListByLabel("team", "x")), ElementsAre("db1", "db2"));
  EXPECT_FALSE(view.HasSynced());
  a.Replace({Obj("ns-a", "db1", "1")});
  EXPECT_FALSE(view.HasSynced());  // every store must have synced
  b.Replace({});
  EXPECT_TRUE(view.HasSynced());
}

}  // namespace
}  // namespace tenantdb::kube

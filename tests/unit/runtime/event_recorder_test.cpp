#include "runtime/event_recorder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "fakes/fake_clock.h"
#include "fakes/fake_kube_api.h"
#include "kube/gvr.h"

namespace tenantdb::runtime {
namespace {

using nlohmann::json;
using std::chrono::minutes;
using std::chrono::seconds;

json Database(const std::string& name) {
  return {{"apiVersion", "tenantdb.io/v1alpha1"},
          {"kind", "Database"},
          {"metadata",
           {{"namespace", "team-a"},
            {"name", name},
            {"uid", "uid-" + name},
            {"resourceVersion", "42"}}}};
}

class EventRecorderTest : public ::testing::Test {
 protected:
  KubeEventRecorder::Settings DefaultSettings() {
    KubeEventRecorder::Settings settings;
    settings.reporting_instance = "tenantdb-7d9f-abcde";
    return settings;
  }
  std::vector<json> Events() { return api_.Objects(kube::EventsGvr()); }

  fakes::FakeClock clock_;
  fakes::FakeKubeApi api_{&clock_};
  KubeEventRecorder recorder_{api_, clock_, DefaultSettings()};
};

TEST_F(EventRecorderTest, CreatesAnEventsV1Event) {
  recorder_.Record(Database("orders"), EventType::kWarning, "ServerUnreachable", "Reconcile",
                   "Cannot connect to the database server.");
  const std::vector<json> events = Events();
  ASSERT_EQ(events.size(), 1u);
  json event = events[0];
  const std::string name = event["metadata"]["name"];
  EXPECT_EQ(name.rfind("orders.", 0), 0u) << name;
  EXPECT_EQ(event["metadata"]["namespace"], "team-a");
  for (const char* server_set :
       {"uid", "resourceVersion", "creationTimestamp", "generation", "name", "namespace"}) {
    event["metadata"].erase(server_set);
  }
  EXPECT_EQ(event, json::parse(R"({
    "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {},
    "eventTime": "2024-01-01T00:00:00.000000Z",
    "reportingController": "tenantdb.io/operator",
    "reportingInstance": "tenantdb-7d9f-abcde",
    "action": "Reconcile", "reason": "ServerUnreachable", "type": "Warning",
    "note": "Cannot connect to the database server.",
    "regarding": {"apiVersion": "tenantdb.io/v1alpha1", "kind": "Database",
                  "namespace": "team-a", "name": "orders", "uid": "uid-orders",
                  "resourceVersion": "42"}})"));
}

TEST_F(EventRecorderTest, RepeatsWithinTheWindowUpdateTheSeries) {
  const json db = Database("orders");
  recorder_.Record(db, EventType::kNormal, "Reconciled", "Reconcile", "Database is ready.");
  clock_.Advance(minutes(3));
  recorder_.Record(db, EventType::kNormal, "Reconciled", "Reconcile", "Database is ready.");
  clock_.Advance(minutes(9));  // 9 min after the last occurrence: still the same series
  recorder_.Record(db, EventType::kNormal, "Reconciled", "Reconcile", "Database is ready.");
  const std::vector<json> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["series"],
            json::parse(R"({"count": 3, "lastObservedTime": "2024-01-01T00:12:00.000000Z"})"));
  EXPECT_EQ(events[0]["eventTime"], "2024-01-01T00:00:00.000000Z");
  EXPECT_EQ(api_.Calls("create"), 1);
  EXPECT_EQ(api_.Calls("patch"), 2);
}

TEST_F(EventRecorderTest, DifferentNotesReasonsOrObjectsAreSeparateEvents) {
  recorder_.Record(Database("orders"), EventType::kNormal, "Reconciled", "Reconcile", "A.");
  recorder_.Record(Database("orders"), EventType::kNormal, "Reconciled", "Reconcile", "B.");
  recorder_.Record(Database("orders"), EventType::kWarning, "InvalidSpec", "Reconcile", "A.");
  recorder_.Record(Database("billing"), EventType::kNormal, "Reconciled", "Reconcile", "A.");
  EXPECT_EQ(Events().size(), 4u);
  EXPECT_EQ(api_.Calls("patch"), 0);
}

TEST_F(EventRecorderTest, ARepeatAfterTheWindowStartsANewEvent) {
  const json db = Database("orders");
  recorder_.Record(db, EventType::kNormal, "Reconciled", "Reconcile", "Ready.");
  clock_.Advance(minutes(10) + seconds(1));
  recorder_.Record(db, EventType::kNormal, "Reconciled", "Reconcile", "Ready.");
  const std::vector<json> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_FALSE(events[0].contains("series"));
  EXPECT_FALSE(events[1].contains("series"));
  EXPECT_NE(events[0]["metadata"]["name"], events[1]["metadata"]["name"]);
}

TEST_F(EventRecorderTest, SpamFilterAllowsABurstThenOnePerFiveMinutesPerObject) {
  const json db = Database("orders");
  for (int i = 0; i < 30; ++i) {
    recorder_.Record(db, EventType::kWarning, "ServerUnreachable", "Reconcile",
                     "Attempt " + std::to_string(i) + " failed.");
  }
  EXPECT_EQ(Events().size(), 25u);
  // Another object has its own bucket.
  recorder_.Record(Database("billing"), EventType::kWarning, "ServerUnreachable", "Reconcile",
                   "Attempt failed.");
  EXPECT_EQ(Events().size(), 26u);
  clock_.Advance(minutes(4));
  recorder_.Record(db, EventType::kWarning, "ServerUnreachable", "Reconcile", "Later.");
  EXPECT_EQ(Events().size(), 26u);
  clock_.Advance(minutes(1));
  recorder_.Record(db, EventType::kWarning, "ServerUnreachable", "Reconcile", "Later.");
  EXPECT_EQ(Events().size(), 27u);
}

TEST_F(EventRecorderTest, SuppressedRepeatsAreStillCounted) {
  KubeEventRecorder::Settings settings = DefaultSettings();
  settings.spam_burst = 2;
  KubeEventRecorder recorder(api_, clock_, settings);
  const json db = Database("orders");
  for (int i = 0; i < 3; ++i) {  // create, patch (count 2), suppressed (count 3)
    recorder.Record(db, EventType::kWarning, "ServerUnreachable", "Reconcile", "Down.");
  }
  EXPECT_EQ(Events()[0]["series"]["count"], 2);
  clock_.Advance(minutes(5));
  recorder.Record(db, EventType::kWarning, "ServerUnreachable", "Reconcile", "Down.");
  EXPECT_EQ(Events()[0]["series"]["count"], 4);
  EXPECT_EQ(Events().size(), 1u);
}

TEST_F(EventRecorderTest, RecreatesAnEventThatExpiredOnTheServer) {
  const json db = Database("orders");
  recorder_.Record(db, EventType::kNormal, "Reconciled", "Reconcile", "Ready.");
  const std::string name = Events()[0]["metadata"]["name"];
  ASSERT_TRUE(api_.Delete(kube::EventsGvr(), "team-a", name).has_value());
  recorder_.Record(db, EventType::kNormal, "Reconciled", "Reconcile", "Ready.");
  const std::vector<json> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["metadata"]["name"], name);
  EXPECT_EQ(events[0]["series"]["count"], 2);
}

TEST_F(EventRecorderTest, ClusterScopedObjectsGetEventsInDefault) {
  const json server = {{"apiVersion", "tenantdb.io/v1alpha1"},
                       {"kind", "DatabaseServer"},
                       {"metadata", {{"name", "main"}, {"uid", "u1"}}}};
  recorder_.Record(server, EventType::kNormal, "Reconciled", "Reconcile", "Connected.");
  const std::vector<json> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["metadata"]["namespace"], "default");
  EXPECT_FALSE(events[0]["regarding"].contains("namespace"));
}

TEST_F(EventRecorderTest, DropsInvalidReasonsAndTruncatesLongNotes) {
  recorder_.Record(Database("orders"), EventType::kNormal, "not a reason", "Reconcile", "x");
  EXPECT_EQ(Events().size(), 0u);
  // 1023 ASCII bytes then a two-byte character: cut before it, not inside it.
  const std::string note = std::string(1023, 'a') + "\xC3\xA9" + "tail";
  recorder_.Record(Database("orders"), EventType::kNormal, "Reconciled", "Reconcile", note);
  ASSERT_EQ(Events().size(), 1u);
  EXPECT_EQ(Events()[0]["note"], std::string(1023, 'a'));
}

TEST_F(EventRecorderTest, ApiFailuresAreSwallowed) {
  api_.FailNext(1, Error::Transient("apiserver unreachable"), "create");
  recorder_.Record(Database("orders"), EventType::kNormal, "Reconciled", "Reconcile", "Ready.");
  EXPECT_EQ(Events().size(), 0u);
  // The repeat patches, finds nothing, and creates the Event.
  recorder_.Record(Database("orders"), EventType::kNormal, "Reconciled", "Reconcile", "Ready.");
  EXPECT_EQ(Events().size(), 1u);
}

TEST(EventReasonTest, FollowsTheConditionReasonPattern) {
  EXPECT_TRUE(IsValidEventReason("Reconciled"));
  EXPECT_TRUE(IsValidEventReason("Job_Failed"));
  EXPECT_TRUE(IsValidEventReason("A,B:C"));
  EXPECT_FALSE(IsValidEventReason(""));
  EXPECT_FALSE(IsValidEventReason("1Bad"));
  EXPECT_FALSE(IsValidEventReason("Ends,"));
  EXPECT_FALSE(IsValidEventReason("Has Space"));
}

}  // namespace
}  // namespace tenantdb::runtime

#include "kube/watcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "kube/store.h"
#include "kube/watch_framer.h"

namespace tenantdb::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;
using Step = WatchStateMachine::Step;

const WatchStateMachine::TimePoint kT0{seconds(1000)};

json Obj(const std::string& name, const std::string& rv, const std::string& ns = "ns1") {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"resourceVersion", rv}}},
          {"data", {{"k", name}}}};
}

json List(const std::string& rv, const std::vector<json>& items, const std::string& cont = "") {
  json list = {{"kind", "ConfigMapList"},
               {"apiVersion", "v1"},
               {"metadata", {{"resourceVersion", rv}}},
               {"items", json::array()}};
  if (!cont.empty()) {
    list["metadata"]["continue"] = cont;
  }
  for (const json& item : items) {
    list["items"].push_back(item);
  }
  return list;
}

std::string Line(const std::string& type, const json& object) {
  return json{{"type", type}, {"object", object}}.dump();
}

std::string Bookmark(const std::string& rv) {
  return Line(
      "BOOKMARK",
      {{"kind", "ConfigMap"}, {"apiVersion", "v1"}, {"metadata", {{"resourceVersion", rv}}}});
}

std::string GoneLine() {
  return Line("ERROR", {{"kind", "Status"},
                        {"apiVersion", "v1"},
                        {"status", "Failure"},
                        {"message", "too old resource version: 5 (20)"},
                        {"reason", "Expired"},
                        {"code", 410}});
}

WatchOptions ConfigMaps() {
  WatchOptions o;
  o.gvr = ConfigMapsGvr();
  o.ns = "ns1";
  return o;
}

// The resourceVersion= parameter of a watch request path.
std::string RvOf(const HttpRequest& request) {
  const std::string key = "resourceVersion=";
  const auto at = request.path.find(key);
  if (at == std::string::npos) {
    return "<none>";
  }
  const auto end = request.path.find('&', at);
  return request.path.substr(at + key.size(), end - at - key.size());
}

bool IsWatch(const Step& step) {
  return step.next_request && step.next_request->path.find("watch=true") != std::string::npos;
}
bool IsList(const Step& step) {
  return step.next_request && step.next_request->path.find("watch=true") == std::string::npos;
}

// A machine that has listed {a, b} at rv 10 and is watching.
WatchStateMachine Listed(WatchOptions options = ConfigMaps()) {
  WatchStateMachine m(std::move(options));
  (void)m.Start(kT0);
  Step s = m.OnListPage(List("10", {Obj("a", "5"), Obj("b", "7")}), kT0);
  EXPECT_TRUE(IsWatch(s));
  return m;
}

TEST(WatchStateMachineTest, StartRequestsTheFirstListPage) {
  WatchOptions o = ConfigMaps();
  o.label_selector = "app.kubernetes.io/managed-by=tenantdb";
  WatchStateMachine m(o);
  EXPECT_EQ(m.state(), WatchState::kEmpty);
  const Step s = m.Start(kT0);
  ASSERT_TRUE(s.next_request);
  EXPECT_EQ(s.next_request->method, "GET");
  EXPECT_EQ(s.next_request->path,
            "/api/v1/namespaces/ns1/configmaps?limit=500"
            "&labelSelector=app.kubernetes.io%2Fmanaged-by%3Dtenantdb");
  EXPECT_EQ(s.next_request->timeout, seconds(60));
  EXPECT_FALSE(s.delay);
  EXPECT_TRUE(s.events.empty());
  EXPECT_EQ(m.state(), WatchState::kListing);
  EXPECT_EQ(m.counters().lists_started, 1u);
}

TEST(WatchStateMachineTest, PathsForGroupsAndAllNamespaces) {
  WatchOptions o;
  o.gvr = DatabasesGvr();
  EXPECT_EQ(WatchStateMachine(o).CollectionPath(), "/apis/tenantdb.io/v1alpha1/databases");
  o.ns = "team-a";
  EXPECT_EQ(WatchStateMachine(o).CollectionPath(),
            "/apis/tenantdb.io/v1alpha1/namespaces/team-a/databases");
  o.gvr = DatabaseServersGvr();  // cluster-scoped: the namespace does not apply
  EXPECT_EQ(WatchStateMachine(o).CollectionPath(), "/apis/tenantdb.io/v1alpha1/databaseservers");
}

TEST(WatchStateMachineTest, WatchStartsFromTheListResourceVersionNotAnItems) {
  WatchOptions o = ConfigMaps();
  o.label_selector = "app=x";
  WatchStateMachine m(o);
  (void)m.Start(kT0);
  // Items carry older and NEWER versions than the list (python#819): only the list's counts.
  const Step s = m.OnListPage(List("10", {Obj("a", "5"), Obj("b", "12")}), kT0);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].type, WatchEventType::kRestarted);
  EXPECT_EQ(s.events[0].objects.size(), 2u);
  ASSERT_TRUE(s.next_request);
  EXPECT_EQ(s.next_request->path,
            "/api/v1/namespaces/ns1/configmaps?watch=true&allowWatchBookmarks=true"
            "&resourceVersion=10&timeoutSeconds=290&labelSelector=app%3Dx");
  // The client's idle timeout stays above the server's timeoutSeconds.
  EXPECT_EQ(s.next_request->timeout, seconds(320));
  EXPECT_FALSE(s.delay);
  EXPECT_EQ(m.state(), WatchState::kListed);
  EXPECT_EQ(m.resource_version(), "10");
}

TEST(WatchStateMachineTest, WatchTimeoutIsJitteredDownAndStaysBelowIdleTimeout) {
  for (const double u : {0.0, 0.5, 0.999}) {
    WatchStateMachine m(ConfigMaps(), [u] { return u; });
    (void)m.Start(kT0);
    const Step s = m.OnListPage(List("10", {}), kT0);
    ASSERT_TRUE(s.next_request);
    const auto at = s.next_request->path.find("timeoutSeconds=");
    const int t = std::stoi(s.next_request->path.substr(at + 15));
    EXPECT_LE(t, 290);
    EXPECT_GE(t, 261);
    EXPECT_GT(s.next_request->timeout, seconds(t));
  }
}

TEST(WatchStateMachineTest, PaginatedListFollowsContinue) {
  WatchStateMachine m(ConfigMaps());
  (void)m.Start(kT0);
  Step s = m.OnListPage(List("10", {Obj("a", "1"), Obj("b", "2")}, "tok/en+="), kT0);
  EXPECT_TRUE(s.events.empty());
  ASSERT_TRUE(s.next_request);
  EXPECT_EQ(s.next_request->path,
            "/api/v1/namespaces/ns1/configmaps?limit=500&continue=tok%2Fen%2B%3D");
  EXPECT_EQ(m.state(), WatchState::kListing);
  s = m.OnListPage(List("10", {Obj("c", "3")}, "second"), kT0);
  ASSERT_TRUE(s.next_request);
  EXPECT_THAT(s.next_request->path, HasSubstr("continue=second"));
  s = m.OnListPage(List("10", {Obj("d", "4")}), kT0);
  ASSERT_EQ(s.events.size(), 1u);
  ASSERT_EQ(s.events[0].objects.size(), 4u);
  EXPECT_EQ((*s.events[0].objects[3])["metadata"]["name"], "d");
  EXPECT_TRUE(IsWatch(s));
  EXPECT_EQ(RvOf(*s.next_request), "10");
  EXPECT_EQ(m.counters().lists_started, 1u);
  EXPECT_EQ(m.counters().list_pages, 3u);
}

TEST(WatchStateMachineTest, WatchEventsBecomeEventsAndAdvanceTheResourceVersion) {
  WatchStateMachine m = Listed();
  Step s = m.OnWatchLine(Line("ADDED", Obj("c", "11")), kT0);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].type, WatchEventType::kAdded);
  EXPECT_EQ((*s.events[0].object)["metadata"]["name"], "c");
  EXPECT_FALSE(s.next_request);
  EXPECT_EQ(m.state(), WatchState::kWatching);
  EXPECT_EQ(m.resource_version(), "11");
  s = m.OnWatchLine(Line("MODIFIED", Obj("a", "12")), kT0);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].type, WatchEventType::kModified);
  s = m.OnWatchLine(Line("DELETED", Obj("b", "13")), kT0);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].type, WatchEventType::kDeleted);
  EXPECT_EQ(m.resource_version(), "13");
  EXPECT_EQ(m.counters().events, 3u);
}

TEST(WatchStateMachineTest, BookmarkAdvancesTheResourceVersionOnly) {
  WatchStateMachine m = Listed();
  const Step s = m.OnWatchLine(Bookmark("42"), kT0);
  EXPECT_TRUE(s.events.empty());
  EXPECT_FALSE(s.next_request);
  EXPECT_EQ(m.resource_version(), "42");
  EXPECT_EQ(m.counters().bookmarks, 1u);
  const Step end = m.OnStreamEnd(kT0 + seconds(290));
  ASSERT_TRUE(IsWatch(end));
  EXPECT_EQ(RvOf(*end.next_request), "42");
}

TEST(WatchStateMachineTest, GoneAsHttpStatusRelistsExactlyOnce) {
  WatchStateMachine m = Listed();
  (void)m.OnWatchLine(Line("ADDED", Obj("c", "11")), kT0);
  Step s = m.OnHttpStatus(410, kT0 + seconds(5));
  ASSERT_TRUE(IsList(s));
  EXPECT_FALSE(s.delay);
  EXPECT_EQ(m.state(), WatchState::kListing);
  EXPECT_EQ(m.resource_version(), "");
  EXPECT_EQ(m.counters().relists_gone, 1u);
  EXPECT_EQ(m.counters().lists_started, 2u);
  // Stale input from the dead watch changes nothing.
  EXPECT_FALSE(m.OnStreamEnd(kT0 + seconds(5)).next_request);
  EXPECT_FALSE(m.OnWatchLine(Line("ADDED", Obj("z", "9")), kT0).next_request);
  s = m.OnListPage(List("30", {Obj("a", "12")}), kT0 + seconds(6));
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].type, WatchEventType::kRestarted);
  ASSERT_TRUE(IsWatch(s));
  EXPECT_EQ(RvOf(*s.next_request), "30");
  EXPECT_EQ(m.counters().lists_started, 2u);
  EXPECT_EQ(m.counters().relists_gone, 1u);
}

TEST(WatchStateMachineTest, GoneAsInStreamErrorEventRelistsExactlyOnce) {
  WatchStateMachine m = Listed();
  (void)m.OnWatchLine(Line("ADDED", Obj("c", "11")), kT0);
  Step s = m.OnWatchLine(GoneLine(), kT0 + seconds(1));
  EXPECT_TRUE(s.events.empty());
  ASSERT_TRUE(IsList(s));
  EXPECT_FALSE(s.delay);
  EXPECT_EQ(m.counters().relists_gone, 1u);
  // The 200 stream then ends: that must not start a second list or a watch.
  EXPECT_FALSE(m.OnStreamEnd(kT0 + seconds(1)).next_request);
  s = m.OnListPage(List("30", {}), kT0 + seconds(2));
  ASSERT_TRUE(IsWatch(s));
  EXPECT_EQ(m.counters().lists_started, 2u);
  EXPECT_EQ(m.counters().relists_gone, 1u);
}

TEST(WatchStateMachineTest, GoneRightAfterAListRelistsWithBackoffNotInALoop) {
  WatchStateMachine m = Listed();
  const Step s = m.OnWatchLine(GoneLine(), kT0);
  ASSERT_TRUE(IsList(s));
  ASSERT_TRUE(s.delay);
  EXPECT_EQ(*s.delay, milliseconds(800));
}

TEST(WatchStateMachineTest, StreamEndRewatchesFromLastRvWithoutRelisting) {
  WatchStateMachine m = Listed();
  (void)m.OnWatchLine(Line("ADDED", Obj("c", "11")), kT0);
  (void)m.OnWatchLine(Line("MODIFIED", Obj("c", "15")), kT0);
  const Step s = m.OnStreamEnd(kT0 + seconds(290));
  ASSERT_TRUE(IsWatch(s));
  EXPECT_EQ(RvOf(*s.next_request), "15");
  EXPECT_FALSE(s.delay);
  EXPECT_TRUE(s.events.empty());
  EXPECT_EQ(m.counters().lists_started, 1u);
  EXPECT_EQ(m.counters().restarts, 1u);
  // A quiet watch that the server ends after its timeout is healthy too.
  const Step quiet = m.OnStreamEnd(kT0 + seconds(580));
  ASSERT_TRUE(IsWatch(quiet));
  EXPECT_FALSE(quiet.delay);
}

TEST(WatchStateMachineTest, VeryShortEmptyWatchBacksOff) {
  WatchStateMachine m = Listed();
  const Step s = m.OnStreamEnd(kT0 + milliseconds(10));
  ASSERT_TRUE(IsWatch(s));
  ASSERT_TRUE(s.delay);
  EXPECT_EQ(*s.delay, milliseconds(800));
  EXPECT_EQ(RvOf(*s.next_request), "10");
}

TEST(WatchStateMachineTest, MalformedLinesAreSkippedAndCounted) {
  WatchStateMachine m = Listed();
  for (const std::string line :
       {"{not json", "[1,2]", R"({"type":"ADDED"})", R"({"type":"SOMETHING","object":{}})",
        R"({"type":"ADDED","object":{"metadata":{}}})", R"({"type":"BOOKMARK","object":{}})"}) {
    const Step s = m.OnWatchLine(line, kT0);
    EXPECT_TRUE(s.events.empty()) << line;
    EXPECT_FALSE(s.next_request) << line;
  }
  EXPECT_EQ(m.counters().malformed_lines, 6u);
  EXPECT_EQ(m.resource_version(), "10");
  const Step s = m.OnWatchLine(Line("ADDED", Obj("c", "11")), kT0);
  EXPECT_EQ(s.events.size(), 1u);
  EXPECT_EQ(m.resource_version(), "11");
}

TEST(WatchStateMachineTest, LineSplitAcrossChunksThroughTheFramer) {
  WatchStateMachine m = Listed();
  WatchFramer framer;
  const std::string added = Line("ADDED", Obj("c", "11"));
  const std::string body = added + "\n" + Bookmark("12") + "\n";
  const std::vector<std::string> chunks = {body.substr(0, 7), body.substr(7, 20),
                                           body.substr(27, added.size() - 20),
                                           body.substr(added.size() + 7)};
  std::vector<WatchEvent> events;
  for (const std::string& chunk : chunks) {
    for (const std::string& line : framer.Feed(chunk)) {
      Step s = m.OnWatchLine(line, kT0);
      for (WatchEvent& e : s.events) {
        events.push_back(std::move(e));
      }
    }
  }
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ((*events[0].object)["metadata"]["name"], "c");
  EXPECT_EQ(m.resource_version(), "12");
  EXPECT_EQ(m.counters().malformed_lines, 0u);
}

TEST(WatchStateMachineTest, OtherErrorEventReconnectsFromRvWithBackoff) {
  WatchStateMachine m = Listed();
  (void)m.OnWatchLine(Line("ADDED", Obj("c", "11")), kT0);
  const Step s = m.OnWatchLine(
      Line("ERROR", {{"kind", "Status"}, {"code", 500}, {"reason", "InternalError"}}), kT0);
  ASSERT_TRUE(IsWatch(s));
  EXPECT_EQ(RvOf(*s.next_request), "11");
  ASSERT_TRUE(s.delay);
  EXPECT_EQ(*s.delay, milliseconds(800));
  EXPECT_EQ(m.counters().lists_started, 1u);
  EXPECT_EQ(m.counters().errors, 1u);
}

TEST(WatchStateMachineTest, OtherHttpStatusesAndTransportErrorsKeepTheRv) {
  WatchStateMachine m = Listed();
  (void)m.OnWatchLine(Line("ADDED", Obj("c", "11")), kT0);
  Step s = m.OnHttpStatus(500, kT0);
  ASSERT_TRUE(IsWatch(s));
  EXPECT_EQ(RvOf(*s.next_request), "11");
  EXPECT_EQ(*s.delay, milliseconds(800));
  s = m.OnTransportError(Error::Transient("connection refused"), kT0 + seconds(1));
  ASSERT_TRUE(IsWatch(s));
  EXPECT_EQ(RvOf(*s.next_request), "11");
  EXPECT_EQ(*s.delay, milliseconds(1600));
  EXPECT_EQ(m.counters().lists_started, 1u);
  // An error carrying 410 is a 410.
  Error gone = Error::Conflict("Expired");
  gone.http_status = 410;
  s = m.OnTransportError(gone, kT0 + seconds(2));
  EXPECT_TRUE(IsList(s));
  EXPECT_EQ(m.counters().relists_gone, 1u);
}

TEST(WatchStateMachineTest, BackoffGrowsToTheCapAndResetsAfterHealthyStreaming) {
  WatchStateMachine m = Listed();
  auto now = kT0;
  std::vector<milliseconds> delays;
  for (int i = 0; i < 9; ++i) {
    const Step s = m.OnTransportError(Error::Transient("refused"), now);
    ASSERT_TRUE(s.delay);
    delays.push_back(*s.delay);
    now += *s.delay + milliseconds(5);  // the retry fails again at once
  }
  EXPECT_EQ(delays, (std::vector<milliseconds>{
                        milliseconds(800), milliseconds(1600), milliseconds(3200),
                        milliseconds(6400), milliseconds(12800), milliseconds(25600),
                        milliseconds(30000), milliseconds(30000), milliseconds(30000)}));
  // The watch then streams for 60 s: not long enough to forget the failures.
  now += seconds(60);
  Step s = m.OnTransportError(Error::Transient("reset"), now);
  EXPECT_EQ(*s.delay, milliseconds(30000));
  // Then 120 s of healthy streaming (a stream end in between is not a failure).
  now += *s.delay;
  (void)m.OnWatchLine(Line("ADDED", Obj("c", "11")), now + seconds(10));
  s = m.OnStreamEnd(now + seconds(100));
  EXPECT_FALSE(s.delay);
  now += seconds(121);
  s = m.OnTransportError(Error::Transient("reset"), now);
  EXPECT_EQ(*s.delay, milliseconds(800));
  now += *s.delay;
  s = m.OnTransportError(Error::Transient("reset"), now);
  EXPECT_EQ(*s.delay, milliseconds(1600));
}

TEST(WatchStateMachineTest, BackoffJitterSpansZeroToTwiceTheBase) {
  double u = 0.0;
  WatchStateMachine m(ConfigMaps(), [&u] { return u; });
  (void)m.Start(kT0);
  (void)m.OnListPage(List("10", {}), kT0);
  Step s = m.OnTransportError(Error::Transient("x"), kT0);
  EXPECT_EQ(*s.delay, milliseconds(0));
  u = 0.75;
  s = m.OnTransportError(Error::Transient("x"), kT0);
  EXPECT_EQ(*s.delay, milliseconds(2400));  // base 1.6 s * 1.5
  u = 0.999;
  s = m.OnTransportError(Error::Transient("x"), kT0);
  EXPECT_NEAR(static_cast<double>(s.delay->count()), 6400.0, 10.0);  // base 3.2 s * ~2
}

TEST(WatchStateMachineTest, ListFailuresRetryWithBackoff) {
  WatchStateMachine m(ConfigMaps());
  (void)m.Start(kT0);
  // First page fails: the list starts over after a backoff.
  Step s = m.OnTransportError(Error::Transient("refused"), kT0);
  ASSERT_TRUE(IsList(s));
  EXPECT_EQ(s.next_request->path, "/api/v1/namespaces/ns1/configmaps?limit=500");
  EXPECT_EQ(*s.delay, milliseconds(800));
  // A later page fails: that page is retried with its continue token.
  s = m.OnListPage(List("10", {Obj("a", "1")}, "c1"), kT0);
  s = m.OnHttpStatus(503, kT0);
  ASSERT_TRUE(IsList(s));
  EXPECT_THAT(s.next_request->path, HasSubstr("continue=c1"));
  EXPECT_EQ(*s.delay, milliseconds(1600));
  // The token expired (410): the whole list starts again and the first page is not duplicated.
  s = m.OnHttpStatus(410, kT0);
  ASSERT_TRUE(IsList(s));
  EXPECT_THAT(s.next_request->path, Not(HasSubstr("continue")));
  EXPECT_TRUE(s.delay);
  s = m.OnListPage(List("20", {Obj("a", "1")}), kT0);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].objects.size(), 1u);
  EXPECT_EQ(RvOf(*s.next_request), "20");
}

TEST(WatchStateMachineTest, ListWithoutResourceVersionIsRetried) {
  WatchStateMachine m(ConfigMaps());
  (void)m.Start(kT0);
  json list = List("", {Obj("a", "1")});
  const Step s = m.OnListPage(list, kT0);
  EXPECT_TRUE(s.events.empty());
  EXPECT_TRUE(IsList(s));
  EXPECT_TRUE(s.delay);
}

TEST(WatchStateMachineTest, ManagedFieldsAreStripped) {
  WatchStateMachine m(ConfigMaps());
  (void)m.Start(kT0);
  json a = Obj("a", "1");
  a["metadata"]["managedFields"] = json::array({{{"manager", "kubectl"}}});
  Step s = m.OnListPage(List("10", {a}), kT0);
  EXPECT_FALSE((*s.events[0].objects[0])["metadata"].contains("managedFields"));
  a["metadata"]["name"] = "b";
  s = m.OnWatchLine(Line("ADDED", a), kT0);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_FALSE((*s.events[0].object)["metadata"].contains("managedFields"));
  EXPECT_EQ((*s.events[0].object)["metadata"]["name"], "b");
}

TEST(WatchStateMachineTest, ResumeRewatchesFromTheLastRv) {
  WatchStateMachine m = Listed();
  (void)m.OnWatchLine(Bookmark("17"), kT0);
  const Step s = m.Resume(kT0 + seconds(600));
  ASSERT_TRUE(IsWatch(s));
  EXPECT_EQ(RvOf(*s.next_request), "17");
  EXPECT_EQ(m.counters().lists_started, 1u);
  WatchStateMachine fresh(ConfigMaps());
  EXPECT_TRUE(IsList(fresh.Resume(kT0)));
}

// The scenario of the brief, end to end through the store: objects deleted while the watch was
// away (its 410 relist) disappear from the cache.
TEST(WatchStateMachineTest, ObjectsDeletedDuringARelistDisappearFromTheStore) {
  WatchStateMachine m(ConfigMaps());
  StoreWriter writer;
  const StoreReader reader = writer.Reader();
  auto apply = [&writer](Step s) {
    for (const WatchEvent& e : s.events) {
      writer.Apply(e);
    }
    return s;
  };
  (void)apply(m.Start(kT0));
  (void)apply(m.OnListPage(List("10", {Obj("a", "1"), Obj("b", "2"), Obj("c", "3")}), kT0));
  (void)apply(m.OnWatchLine(Line("ADDED", Obj("d", "11")), kT0));
  EXPECT_EQ(reader.Size(), 4u);
  EXPECT_TRUE(IsList(apply(m.OnWatchLine(GoneLine(), kT0))));
  EXPECT_EQ(reader.Size(), 4u);  // nothing is dropped before the new list is complete
  (void)apply(m.OnListPage(List("40", {Obj("a", "20")}, "more"), kT0));
  EXPECT_EQ(reader.Size(), 4u);
  (void)apply(m.OnListPage(List("40", {Obj("d", "11"), Obj("e", "30")}), kT0));
  EXPECT_EQ(reader.Size(), 3u);
  EXPECT_TRUE(reader.Get("ns1", "a"));
  EXPECT_FALSE(reader.Get("ns1", "b"));
  EXPECT_FALSE(reader.Get("ns1", "c"));
  EXPECT_TRUE(reader.Get("ns1", "d"));
  EXPECT_TRUE(reader.Get("ns1", "e"));
  EXPECT_EQ((*reader.Get("ns1", "a"))["metadata"]["resourceVersion"], "20");
}

}  // namespace
}  // namespace tenantdb::kube

#include "kube/watch_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tenantdb::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A scripted HttpTransport: list pages (Send) and watch streams (Stream) are answered in order
// from two queues. When the stream queue is empty a watch stays open and quiet until stopped (or
// until more is scripted); when the list queue is empty Send fails as a transport error.
class ScriptedTransport final : public HttpTransport {
 public:
  struct Reply {
    std::optional<Error> error;       // transport failure instead of a response
    int status = 200;                 // non-2xx: body is the Status
    std::string body;                 // Send: the whole body
    std::vector<std::string> chunks;  // Stream: the body, chunk by chunk
    // Stream: after the chunks, fail as a transport error (a connection reset mid-body).
    std::optional<Error> error_after_chunks;
  };

  void AddList(Reply reply) {
    const std::lock_guard lock(mu_);
    lists_.push_back(std::move(reply));
  }
  void AddList(std::string body) {
    Reply reply;
    reply.body = std::move(body);
    AddList(std::move(reply));
  }
  void AddStream(Reply reply) {
    {
      const std::lock_guard lock(mu_);
      streams_.push_back(std::move(reply));
    }
    cv_.notify_all();
  }

  Expected<HttpResponse> Send(const HttpRequest& request) override {
    std::unique_lock lock(mu_);
    sent_.push_back(request);
    if (lists_.empty()) {
      return Error::Transient("no scripted list reply");
    }
    Reply reply = std::move(lists_.front());
    lists_.pop_front();
    if (reply.error) {
      return *reply.error;
    }
    HttpResponse response;
    response.status = reply.status;
    response.body = std::move(reply.body);
    return response;
  }

  Expected<HttpResponse> Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                                std::stop_token stop) override {
    std::unique_lock lock(mu_);
    streamed_.push_back(request);
    cv_.wait(lock, stop, [this] { return !streams_.empty(); });
    if (stop.stop_requested()) {
      return Error::Transient("stopped");
    }
    Reply reply = std::move(streams_.front());
    streams_.pop_front();
    lock.unlock();
    if (reply.error) {
      return *reply.error;
    }
    HttpResponse response;
    response.status = reply.status;
    if (reply.status < 200 || reply.status >= 300) {
      response.body = reply.body;
      return response;
    }
    for (const std::string& chunk : reply.chunks) {
      if (stop.stop_requested() || !on_chunk(chunk)) {
        break;
      }
    }
    if (reply.error_after_chunks) {
      return *reply.error_after_chunks;
    }
    return response;
  }

  std::vector<HttpRequest> Sent() const {
    const std::lock_guard lock(mu_);
    return sent_;
  }
  std::vector<HttpRequest> Streamed() const {
    const std::lock_guard lock(mu_);
    return streamed_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Reply> lists_;
  std::deque<Reply> streams_;
  std::vector<HttpRequest> sent_;
  std::vector<HttpRequest> streamed_;
};

json Obj(const std::string& name, const std::string& rv) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "ns1"}, {"resourceVersion", rv}}}};
}

std::string ListBody(const std::string& rv, const std::vector<json>& items,
                     const std::string& cont = "") {
  json list = {{"kind", "ConfigMapList"}, {"metadata", {{"resourceVersion", rv}}}};
  list["items"] = items;
  if (!cont.empty()) {
    list["metadata"]["continue"] = cont;
  }
  return list.dump();
}

std::string Line(const std::string& type, const json& object) {
  return json{{"type", type}, {"object", object}}.dump() + "\n";
}

std::string GoneLine() {
  return Line("ERROR", {{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}});
}

ScriptedTransport::Reply StreamReply(std::vector<std::string> chunks) {
  ScriptedTransport::Reply r;
  r.chunks = std::move(chunks);
  return r;
}

WatchRunnerOptions FastOptions() {
  WatchRunnerOptions o;
  o.watch.gvr = ConfigMapsGvr();
  o.watch.ns = "ns1";
  o.watch.initial_backoff = milliseconds(1);
  o.watch.max_backoff = milliseconds(4);
  o.watch.min_watch_duration = milliseconds(0);
  o.random = [] { return 0.5; };
  return o;
}

// Polls `condition` for up to 10 s.
bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  return condition();
}

std::string RvOf(const HttpRequest& request) {
  const std::string key = "resourceVersion=";
  const auto at = request.path.find(key);
  if (at == std::string::npos) {
    return "<none>";
  }
  const auto end = request.path.find('&', at);
  return request.path.substr(at + key.size(), end - at - key.size());
}

class Recorder {
 public:
  WatchRunner::EventHandler Handler() {
    return [this](const WatchEvent& e) {
      const std::lock_guard lock(mu_);
      std::string s(WatchEventTypeName(e.type));
      if (e.object) {
        s += " " + (*e.object)["metadata"]["name"].get<std::string>();
      } else {
        s += " " + std::to_string(e.objects.size());
      }
      seen_.push_back(s);
    };
  }
  std::vector<std::string> Seen() const {
    const std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> seen_;
};

TEST(WatchRunnerTest, ListsThenAppliesWatchEventsInOrder) {
  ScriptedTransport transport;
  transport.AddList(ListBody("10", {Obj("a", "5"), Obj("b", "6")}));
  const std::string added = Line("ADDED", Obj("c", "11"));
  transport.AddStream(StreamReply(
      {added.substr(0, 9), added.substr(9, 13), added.substr(22) + Line("MODIFIED", Obj("a", "12")),
       Line("DELETED", Obj("b", "13")).substr(0, 30), Line("DELETED", Obj("b", "13")).substr(30)}));
  Recorder recorder;
  StoreWriter writer;
  WatchRunner runner(transport, std::move(writer), recorder.Handler(), FastOptions());
  EXPECT_FALSE(runner.HasSynced());
  runner.Start();
  ASSERT_TRUE(runner.WaitForSync(seconds(10)));
  ASSERT_TRUE(Eventually([&] { return recorder.Seen().size() >= 4; }));
  EXPECT_THAT(recorder.Seen(), ElementsAre("Restarted 2", "Added c", "Modified a", "Deleted b"));
  const StoreReader reader = runner.Reader();
  EXPECT_TRUE(reader.Get("ns1", "a"));
  EXPECT_EQ((*reader.Get("ns1", "a"))["metadata"]["resourceVersion"], "12");
  EXPECT_FALSE(reader.Get("ns1", "b"));
  EXPECT_TRUE(reader.Get("ns1", "c"));
  ASSERT_TRUE(Eventually([&] { return transport.Streamed().size() >= 2; }));
  runner.Stop();
  const auto sent = transport.Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].path, "/api/v1/namespaces/ns1/configmaps?limit=500");
  const auto watches = transport.Streamed();
  EXPECT_EQ(RvOf(watches[0]), "10");
  EXPECT_THAT(watches[0].path, HasSubstr("watch=true&allowWatchBookmarks=true"));
  EXPECT_EQ(RvOf(watches[1]), "13");  // the stream ended: re-watched from the last rv
  EXPECT_EQ(runner.Counters().lists_started, 1u);
}

// keep_objects false (the typed caches fill their own store from the events): the handler gets
// every event, the runner's store stays empty, and HasSynced still turns true after the list.
TEST(WatchRunnerTest, WithoutKeptObjectsOnlyTheSyncMarkIsStored) {
  ScriptedTransport transport;
  transport.AddList(ListBody("10", {Obj("a", "5"), Obj("b", "6")}));
  transport.AddStream(StreamReply({Line("ADDED", Obj("c", "11"))}));
  Recorder recorder;
  WatchRunnerOptions options = FastOptions();
  options.keep_objects = false;
  WatchRunner runner(transport, StoreWriter(), recorder.Handler(), options);
  EXPECT_FALSE(runner.HasSynced());
  runner.Start();
  ASSERT_TRUE(runner.WaitForSync(seconds(10)));
  ASSERT_TRUE(Eventually([&] { return recorder.Seen().size() >= 2; }));
  runner.Stop();
  EXPECT_THAT(recorder.Seen(), ElementsAre("Restarted 2", "Added c"));
  EXPECT_EQ(runner.Reader().Size(), 0u);
  EXPECT_TRUE(runner.Reader().HasSynced());
}

TEST(WatchRunnerTest, GoneInStreamRelistsExactlyOnceAndDropsDeletedObjects) {
  ScriptedTransport transport;
  transport.AddList(ListBody("10", {Obj("a", "5"), Obj("b", "6")}));
  transport.AddStream(StreamReply(
      {Line("ADDED", Obj("c", "11")) + GoneLine() + Line("ADDED", Obj("ignored", "12"))}));
  transport.AddList(ListBody("30", {Obj("a", "25")}));
  Recorder recorder;
  WatchRunner runner(transport, StoreWriter(), recorder.Handler(), FastOptions());
  runner.Start();
  ASSERT_TRUE(Eventually([&] { return transport.Streamed().size() >= 2; }));
  runner.Stop();
  EXPECT_EQ(transport.Sent().size(), 2u);
  EXPECT_EQ(RvOf(transport.Streamed()[1]), "30");
  EXPECT_THAT(recorder.Seen(), ElementsAre("Restarted 2", "Added c", "Restarted 1"));
  EXPECT_EQ(runner.Reader().Size(), 1u);
  EXPECT_TRUE(runner.Reader().Get("ns1", "a"));
  const WatchCounters c = runner.Counters();
  EXPECT_EQ(c.lists_started, 2u);
  EXPECT_EQ(c.relists_gone, 1u);
}

TEST(WatchRunnerTest, GoneAsHttpStatusRelistsExactlyOnce) {
  ScriptedTransport transport;
  transport.AddList(ListBody("10", {Obj("a", "5")}));
  transport.AddStream(StreamReply({Line("ADDED", Obj("c", "11"))}));
  ScriptedTransport::Reply gone;
  gone.status = 410;
  gone.body = R"({"kind":"Status","code":410,"reason":"Expired"})";
  transport.AddStream(gone);
  transport.AddList(ListBody("30", {Obj("a", "5"), Obj("c", "11")}));
  WatchRunner runner(transport, StoreWriter(), nullptr, FastOptions());
  runner.Start();
  ASSERT_TRUE(Eventually([&] { return transport.Streamed().size() >= 3; }));
  runner.Stop();
  EXPECT_EQ(transport.Sent().size(), 2u);
  const auto watches = transport.Streamed();
  EXPECT_EQ(RvOf(watches[0]), "10");
  EXPECT_EQ(RvOf(watches[1]), "11");
  EXPECT_EQ(RvOf(watches[2]), "30");
  EXPECT_EQ(runner.Counters().relists_gone, 1u);
  EXPECT_EQ(runner.Reader().Size(), 2u);
}

TEST(WatchRunnerTest, TransportErrorsAreRetriedWithoutRelisting) {
  ScriptedTransport transport;
  ScriptedTransport::Reply refused;
  refused.error = Error::Transient("connection refused");
  transport.AddList(refused);
  ScriptedTransport::Reply unavailable;
  unavailable.status = 503;
  transport.AddList(unavailable);
  ScriptedTransport::Reply garbage;
  garbage.body = "{not json";
  transport.AddList(garbage);
  transport.AddList(ListBody("10", {Obj("a", "5")}, "page2"));
  transport.AddList(ListBody("10", {Obj("b", "6")}));
  transport.AddStream(StreamReply({"garbage line\n", Line("ADDED", Obj("c", "11"))}));
  transport.AddStream(refused);
  ScriptedTransport::Reply server_error;
  server_error.status = 500;
  transport.AddStream(server_error);
  transport.AddStream(StreamReply({Line("ADDED", Obj("d", "12"))}));
  WatchRunner runner(transport, StoreWriter(), nullptr, FastOptions());
  runner.Start();
  ASSERT_TRUE(Eventually([&] { return runner.Reader().Size() == 4; }));
  ASSERT_TRUE(Eventually([&] { return transport.Streamed().size() >= 5; }));
  runner.Stop();
  const auto sent = transport.Sent();
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_THAT(sent[4].path, HasSubstr("continue=page2"));
  const auto watches = transport.Streamed();
  EXPECT_EQ(RvOf(watches[0]), "10");
  EXPECT_EQ(RvOf(watches[1]), "11");
  EXPECT_EQ(RvOf(watches[2]), "11");
  EXPECT_EQ(RvOf(watches[3]), "11");
  EXPECT_EQ(RvOf(watches[4]), "12");
  const WatchCounters c = runner.Counters();
  EXPECT_EQ(c.lists_started, 4u);  // each of the three failed first pages started it over
  EXPECT_EQ(c.relists_gone, 0u);
  EXPECT_EQ(c.malformed_lines, 1u);
  EXPECT_GE(c.errors, 5u);
}

// A watch body that ends in the middle of a JSON line (the server closed the connection, or its
// timeoutSeconds cut a write): the framer's Finish() hands over the fragment, which is not an
// event; nothing of it is applied, the re-watch starts from the last complete event, and the
// event the fragment began is applied exactly once when the server sends it again.
TEST(WatchRunnerTest, StreamEndingMidLineLosesNothingAndAppliesNothingTwice) {
  ScriptedTransport transport;
  transport.AddList(ListBody("10", {Obj("a", "5")}));
  const std::string c_line = Line("ADDED", Obj("c", "12"));
  transport.AddStream(StreamReply({Line("ADDED", Obj("b", "11")) + c_line.substr(0, 20),
                                   c_line.substr(20, c_line.size() / 2 - 20)}));
  transport.AddStream(StreamReply({c_line + Line("MODIFIED", Obj("b", "13"))}));
  Recorder recorder;
  WatchRunner runner(transport, StoreWriter(), recorder.Handler(), FastOptions());
  runner.Start();
  ASSERT_TRUE(Eventually([&] { return transport.Streamed().size() >= 3; }));
  runner.Stop();
  EXPECT_THAT(recorder.Seen(), ElementsAre("Restarted 1", "Added b", "Added c", "Modified b"));
  const StoreReader reader = runner.Reader();
  EXPECT_EQ(reader.Size(), 3u);
  ASSERT_TRUE(reader.Get("ns1", "b"));
  EXPECT_EQ((*reader.Get("ns1", "b"))["metadata"]["resourceVersion"], "13");
  ASSERT_TRUE(reader.Get("ns1", "c"));
  EXPECT_EQ((*reader.Get("ns1", "c"))["metadata"]["resourceVersion"], "12");
  const auto watches = transport.Streamed();
  EXPECT_EQ(RvOf(watches[1]), "11");  // from b, the last complete event, not from the fragment
  EXPECT_EQ(RvOf(watches[2]), "13");
  const WatchCounters counters = runner.Counters();
  EXPECT_EQ(counters.malformed_lines, 1u);  // the fragment, counted, not applied
  EXPECT_EQ(counters.lists_started, 1u);    // and no relist for it
}

// The same cut with the connection reset (a transport error after part of the body): the
// fragment is dropped with the stream, it does not prefix the next stream's first line.
TEST(WatchRunnerTest, StreamResetMidLineDropsTheFragment) {
  ScriptedTransport transport;
  transport.AddList(ListBody("10", {}));
  const std::string c_line = Line("ADDED", Obj("c", "12"));
  ScriptedTransport::Reply cut =
      StreamReply({Line("ADDED", Obj("b", "11")) + c_line.substr(0, 25)});
  cut.error_after_chunks = Error::Transient("connection reset by peer");
  transport.AddStream(cut);
  transport.AddStream(StreamReply({c_line}));
  Recorder recorder;
  WatchRunner runner(transport, StoreWriter(), recorder.Handler(), FastOptions());
  runner.Start();
  ASSERT_TRUE(Eventually([&] { return transport.Streamed().size() >= 3; }));
  runner.Stop();
  EXPECT_THAT(recorder.Seen(), ElementsAre("Restarted 0", "Added b", "Added c"));
  EXPECT_EQ(runner.Reader().Size(), 2u);
  const auto watches = transport.Streamed();
  EXPECT_EQ(RvOf(watches[1]), "11");
  EXPECT_EQ(RvOf(watches[2]), "12");
  EXPECT_EQ(runner.Counters().malformed_lines, 0u);
  EXPECT_EQ(runner.Counters().lists_started, 1u);
}

// The last line complete but without its newline (a server may omit it): applied once through
// Finish(), and the re-watch starts after it, so it is not applied again.
TEST(WatchRunnerTest, UnterminatedLastLineIsAppliedOnce) {
  ScriptedTransport transport;
  transport.AddList(ListBody("10", {}));
  std::string c_line = Line("ADDED", Obj("c", "12"));
  c_line.pop_back();
  transport.AddStream(StreamReply({c_line.substr(0, 10), c_line.substr(10)}));
  transport.AddStream(StreamReply({Line("MODIFIED", Obj("c", "13"))}));
  Recorder recorder;
  WatchRunner runner(transport, StoreWriter(), recorder.Handler(), FastOptions());
  runner.Start();
  ASSERT_TRUE(Eventually([&] { return transport.Streamed().size() >= 3; }));
  runner.Stop();
  EXPECT_THAT(recorder.Seen(), ElementsAre("Restarted 0", "Added c", "Modified c"));
  EXPECT_EQ(RvOf(transport.Streamed()[1]), "12");
  EXPECT_EQ(runner.Counters().malformed_lines, 0u);
}

TEST(WatchRunnerTest, StopsPromptlyWhileWatchingOrBackingOff) {
  {
    ScriptedTransport transport;
    transport.AddList(ListBody("10", {}));
    WatchRunner runner(transport, StoreWriter(), nullptr, FastOptions());
    runner.Start();
    ASSERT_TRUE(Eventually([&] { return transport.Streamed().size() == 1; }));
    const auto t0 = std::chrono::steady_clock::now();
    runner.Stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(2));
  }
  {
    ScriptedTransport transport;  // no list reply: the list fails and backs off for 1 h
    WatchRunnerOptions o = FastOptions();
    o.watch.initial_backoff = std::chrono::hours(1);
    o.watch.max_backoff = std::chrono::hours(1);
    WatchRunner runner(transport, StoreWriter(), nullptr, o);
    runner.Start();
    ASSERT_TRUE(Eventually([&] { return runner.Counters().errors == 1; }));
    const auto t0 = std::chrono::steady_clock::now();
    runner.Stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(2));
    EXPECT_FALSE(runner.HasSynced());
  }
}

TEST(WatchRunnerTest, RestartAfterStopResumesFromTheLastRv) {
  ScriptedTransport transport;
  transport.AddList(ListBody("10", {Obj("a", "5")}));
  transport.AddStream(StreamReply({Line("ADDED", Obj("c", "11")),
                                   Line("BOOKMARK", {{"metadata", {{"resourceVersion", "15"}}}})}));
  WatchRunner runner(transport, StoreWriter(), nullptr, FastOptions());
  runner.Start();
  ASSERT_TRUE(Eventually([&] { return transport.Streamed().size() == 2; }));
  runner.Stop();
  EXPECT_EQ(runner.ResourceVersion(), "15");
  runner.Start();
  ASSERT_TRUE(Eventually([&] { return transport.Streamed().size() == 3; }));
  runner.Stop();
  EXPECT_EQ(transport.Sent().size(), 1u);
  EXPECT_EQ(RvOf(transport.Streamed()[2]), "15");
  EXPECT_EQ(runner.Reader().Size(), 2u);
}

TEST(WatchRunnerTest, AThrowingHandlerDoesNotStopTheWatch) {
  ScriptedTransport transport;
  transport.AddList(ListBody("10", {Obj("a", "5")}));
  transport.AddStream(StreamReply({Line("ADDED", Obj("b", "11")), Line("ADDED", Obj("c", "12"))}));
  int calls = 0;
  std::mutex mu;
  WatchRunner runner(
      transport, StoreWriter(),
      [&](const WatchEvent&) {
        const std::lock_guard lock(mu);
        ++calls;
        throw std::runtime_error("handler bug");
      },
      FastOptions());
  runner.Start();
  ASSERT_TRUE(Eventually([&] { return runner.Reader().Size() == 3; }));
  runner.Stop();
  const std::lock_guard lock(mu);
  EXPECT_EQ(calls, 3);
}

TEST(WatchRunnerTest, ReportsEveryListAndWatchRequestToTheObserver) {
  ScriptedTransport transport;
  ScriptedTransport::Reply refused;
  refused.status = 500;
  refused.body = R"({"kind":"Status","code":500})";
  transport.AddList(std::move(refused));
  transport.AddList(ListBody("10", {Obj("a", "5")}));
  transport.AddStream(StreamReply({Line("ADDED", Obj("c", "11"))}));
  std::mutex mu;
  std::vector<std::string> seen;
  WatchRunnerOptions options = FastOptions();
  options.on_request = [&](std::string_view verb, int code) {
    const std::lock_guard lock(mu);
    seen.push_back(std::string(verb) + " " + std::to_string(code));
  };
  WatchRunner runner(transport, StoreWriter(), {}, std::move(options));
  runner.Start();
  ASSERT_TRUE(Eventually([&] { return transport.Streamed().size() >= 2; }));
  runner.Stop();
  const std::lock_guard lock(mu);
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen[0], "list 500");
  EXPECT_EQ(seen[1], "list 200");
  EXPECT_EQ(seen[2], "watch 200");
}

}  // namespace
}  // namespace tenantdb::kube

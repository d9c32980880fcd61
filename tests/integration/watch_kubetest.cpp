// The watcher (WatchRunner + WatchStateMachine + Store) against the real kube-apiserver of
// scripts/testenv, through the product's client (ClusterConfig + CpprestTransport + RestKubeApi):
//   (a) create, update, delete arrive in order;
//   (b) the watch survives a kube-apiserver restart and misses no object;
//   (c) after etcd is compacted past the watch's resourceVersion, resuming the watch forces
//       exactly one relist, which misses nothing (objects deleted meanwhile disappear).
// Needs KUBECONFIG (admin), TENANTDB_ENV_FILE (for scripts/testenv stop|start),
// TENANTDB_ETCD_ENDPOINT and TENANTDB_KUBE_SERVER: a missing variable fails, it never skips.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kube/cluster_config.h"
#include "kube/cpprest_transport.h"
#include "kube/rest_kube_api.h"
#include "kube/store.h"
#include "kube/watch_runner.h"

namespace tenantdb::kube {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    ADD_FAILURE() << name << " is not set: run under scripts/testenv (a missing server fails)";
    return "";
  }
  return v;
}

// The repository: $TENANTDB_SOURCE_DIR, else two folders above this file.
fs::path SourceDir() {
  if (const char* v = std::getenv("TENANTDB_SOURCE_DIR"); v != nullptr && *v != '\0') {
    return v;
  }
  return fs::path(__FILE__).parent_path().parent_path().parent_path();
}

std::string RandomSuffix() {
  static constexpr std::string_view kChars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out.push_back(kChars[rd() % kChars.size()]);
  }
  return out;
}

bool Eventually(const std::function<bool()>& condition, seconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  return condition();
}

// scripts/testenv stop|start COMPONENT for the environment the harness started. `stop` may
// return while a SIGKILLed kube-apiserver is still exiting, and `start` then refuses ("already
// running"): a failed start is retried for a while.
void Testenv(const std::string& action, const std::string& component) {
  const std::string env_file = Env("TENANTDB_ENV_FILE");
  ASSERT_FALSE(env_file.empty());
  const std::string command = (SourceDir() / "scripts" / "testenv").string() + " " + action + " " +
                              component + " --env-file '" + env_file + "'";
  const int attempts = action == "start" ? 10 : 1;
  int status = -1;
  for (int i = 0; i < attempts && status != 0; ++i) {
    if (i > 0) {
      std::this_thread::sleep_for(seconds(2));
    }
    std::cout << "running: " << command << std::endl;
    status = std::system(command.c_str());
  }
  ASSERT_EQ(status, 0) << command;
}

// Forwards to the real transport and counts list pages (Send) and watches (Stream).
class CountingTransport final : public HttpTransport {
 public:
  explicit CountingTransport(HttpTransport& inner) : inner_(inner) {}
  Expected<HttpResponse> Send(const HttpRequest& request) override {
    ++lists_;
    return inner_.Send(request);
  }
  Expected<HttpResponse> Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                                std::stop_token stop) override {
    ++watches_;
    return inner_.Stream(request, on_chunk, std::move(stop));
  }
  int lists() const { return lists_.load(); }
  int watches() const { return watches_.load(); }

 private:
  HttpTransport& inner_;
  std::atomic<int> lists_ = 0;
  std::atomic<int> watches_ = 0;
};

// Records every event as "<Type> <name> <data.v>" (Restarted: "Restarted <count>").
class EventLog {
 public:
  WatchRunner::EventHandler Handler() {
    return [this](const WatchEvent& e) {
      std::string s(WatchEventTypeName(e.type));
      if (e.object) {
        s += " " + (*e.object)["metadata"].value("name", "") + " " +
             (*e.object).value("data", json::object()).value("v", "");
      } else {
        s += " " + std::to_string(e.objects.size());
      }
      const std::lock_guard lock(mu_);
      events_.push_back(std::move(s));
    };
  }
  std::vector<std::string> Events() const {
    const std::lock_guard lock(mu_);
    return events_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> events_;
};

std::set<std::string> NamesIn(const StoreReader& reader) {
  std::set<std::string> names;
  for (const auto& object : reader.List()) {
    names.insert((*object)["metadata"]["name"].get<std::string>());
  }
  return names;
}

constexpr const char* kTestSelector = "tenantdb-test=watch";

class WatchKubeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Env("TENANTDB_KUBE_SERVER").empty());
    auto config = LoadKubeconfig(Env("KUBECONFIG"));
    ASSERT_TRUE(config.has_value()) << config.error().message;
    auto transport = CpprestTransport::Create(*config);
    ASSERT_TRUE(transport.has_value()) << transport.error().message;
    transport_ = std::move(transport).value();
    counting_ = std::make_unique<CountingTransport>(*transport_);
    api_ = std::make_unique<RestKubeApi>(*transport_);
    ns_ = "watch-" + RandomSuffix();
    auto created =
        api_->Create(NamespacesGvr(), "",
                     {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}});
    ASSERT_TRUE(created.has_value()) << created.error().message;
  }

  void TearDown() override {
    runner_.reset();
    if (api_ != nullptr && !ns_.empty()) {
      auto deleted = api_->Delete(NamespacesGvr(), "", ns_);
      EXPECT_TRUE(deleted.has_value()) << deleted.error().message;
    }
  }

  // Every namespace also holds kube-root-ca.crt: the tests watch only their own, labelled
  // objects, as the operator does (PITFALLS.md: cache only labelled objects).
  void StartRunner(std::string label_selector = kTestSelector) {
    WatchRunnerOptions options;
    options.watch.gvr = ConfigMapsGvr();
    options.watch.ns = ns_;
    options.watch.label_selector = std::move(label_selector);
    options.name = "configmaps-" + ns_;
    runner_ = std::make_unique<WatchRunner>(*counting_, StoreWriter(), log_.Handler(), options);
    runner_->Start();
    ASSERT_TRUE(runner_->WaitForSync(milliseconds(30'000))) << "the first list never completed";
  }

  static json ConfigMap(const std::string& ns, const std::string& name, const std::string& v) {
    return {
        {"apiVersion", "v1"},
        {"kind", "ConfigMap"},
        {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"tenantdb-test", "watch"}}}}},
        {"data", {{"v", v}}}};
  }

  // Creates a ConfigMap, retrying while the server is coming back.
  void MustCreate(const std::string& name, const std::string& v = "1") {
    Expected<json> created = Error::Transient("not tried");
    const auto deadline = steady_clock::now() + seconds(60);
    while (steady_clock::now() < deadline) {
      created = api_->Create(ConfigMapsGvr(), ns_, ConfigMap(ns_, name, v));
      if (created.has_value() || created.error().code != ErrorCode::kTransient) {
        break;
      }
      std::this_thread::sleep_for(milliseconds(200));
    }
    ASSERT_TRUE(created.has_value()) << name << ": " << created.error().message;
  }

  void MustDelete(const std::string& name) {
    auto deleted = api_->Delete(ConfigMapsGvr(), ns_, name);
    ASSERT_TRUE(deleted.has_value()) << name << ": " << deleted.error().message;
  }

  // etcd's HTTP/JSON gateway (plain http on loopback).
  json Etcd(const std::string& path, const json& body) {
    ClusterConfig config;
    config.server = Env("TENANTDB_ETCD_ENDPOINT");
    auto etcd = CpprestTransport::Create(config);
    EXPECT_TRUE(etcd.has_value()) << etcd.error().message;
    if (!etcd) {
      return json();
    }
    HttpRequest request;
    request.method = "POST";
    request.path = path;
    request.body = body.dump();
    request.content_type = "application/json";
    auto response = (*etcd)->Send(request);
    EXPECT_TRUE(response.has_value()) << response.error().message;
    if (!response) {
      return json();
    }
    EXPECT_EQ(response->status, 200) << path << ": " << response->body;
    return json::parse(response->body, nullptr, false);
  }

  std::unique_ptr<CpprestTransport> transport_;
  std::unique_ptr<CountingTransport> counting_;
  std::unique_ptr<RestKubeApi> api_;
  std::unique_ptr<WatchRunner> runner_;
  EventLog log_;
  std::string ns_;
};

TEST_F(WatchKubeTest, SeesCreateUpdateDeleteInOrder) {
  ASSERT_NO_FATAL_FAILURE(StartRunner());
  EXPECT_EQ(runner_->Reader().Size(), 0u);
  ASSERT_NO_FATAL_FAILURE(MustCreate("a", "1"));
  auto patched =
      api_->Patch(ConfigMapsGvr(), ns_, "a", PatchType::kMerge, {{"data", {{"v", "2"}}}});
  ASSERT_TRUE(patched.has_value()) << patched.error().message;
  ASSERT_NO_FATAL_FAILURE(MustDelete("a"));
  ASSERT_TRUE(Eventually(
      [&] {
        const auto events = log_.Events();
        return !events.empty() && events.back() == "Deleted a 2";
      },
      seconds(30)));
  EXPECT_EQ(log_.Events(),
            (std::vector<std::string>{"Restarted 0", "Added a 1", "Modified a 2", "Deleted a 2"}));
  EXPECT_EQ(runner_->Reader().Size(), 0u);
  EXPECT_EQ(runner_->State(), WatchState::kWatching);
  const WatchCounters c = runner_->Counters();
  EXPECT_EQ(c.lists_started, 1u);
  EXPECT_EQ(c.malformed_lines, 0u);
  EXPECT_EQ(counting_->lists(), 1);
}

TEST_F(WatchKubeTest, LabelSelectorIsPassedToListAndWatch) {
  ASSERT_NO_FATAL_FAILURE(StartRunner("app.kubernetes.io/managed-by=tenantdb"));
  json labelled = ConfigMap(ns_, "mine", "1");
  labelled["metadata"]["labels"] = {{"app.kubernetes.io/managed-by", "tenantdb"}};
  // "other" carries only the test label: the selector must keep it out.
  ASSERT_NO_FATAL_FAILURE(MustCreate("other"));
  auto created = api_->Create(ConfigMapsGvr(), ns_, labelled);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  ASSERT_TRUE(Eventually([&] { return runner_->Reader().Size() == 1; }, seconds(30)));
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(NamesIn(runner_->Reader()), (std::set<std::string>{"mine"}));
  EXPECT_EQ(runner_->Reader().ListByLabel("app.kubernetes.io/managed-by", "tenantdb").size(), 1u);
}

TEST_F(WatchKubeTest, SurvivesAnApiserverRestartAndMissesNothing) {
  ASSERT_NO_FATAL_FAILURE(StartRunner());
  for (int i = 0; i < 5; ++i) {
    ASSERT_NO_FATAL_FAILURE(MustCreate("before-" + std::to_string(i)));
  }
  ASSERT_NO_FATAL_FAILURE(Testenv("stop", "kube-apiserver"));
  ASSERT_NO_FATAL_FAILURE(Testenv("start", "kube-apiserver"));
  std::set<std::string> want;
  for (int i = 0; i < 5; ++i) {
    want.insert("before-" + std::to_string(i));
    want.insert("after-" + std::to_string(i));
    ASSERT_NO_FATAL_FAILURE(MustCreate("after-" + std::to_string(i)));
  }
  EXPECT_TRUE(Eventually([&] { return NamesIn(runner_->Reader()) == want; }, seconds(120)))
      << "store has " << runner_->Reader().Size() << " objects";
  const WatchCounters c = runner_->Counters();
  std::cout << "after the restart: lists=" << c.lists_started << " relists_gone=" << c.relists_gone
            << " restarts=" << c.restarts << " errors=" << c.errors << std::endl;
  EXPECT_GE(c.restarts, 1u);
  EXPECT_LE(c.relists_gone, 1u);
  // Still watching: a change made now arrives.
  ASSERT_NO_FATAL_FAILURE(MustDelete("before-0"));
  EXPECT_TRUE(Eventually([&] { return !runner_->Reader().Get(ns_, "before-0"); }, seconds(60)));
}

TEST_F(WatchKubeTest, CompactionForcesExactlyOneRelistThatMissesNothing) {
  ASSERT_NO_FATAL_FAILURE(StartRunner());
  for (const char* name : {"keep", "drop", "change"}) {
    ASSERT_NO_FATAL_FAILURE(MustCreate(name));
  }
  ASSERT_TRUE(Eventually([&] { return runner_->Reader().Size() == 3; }, seconds(30)));
  runner_->Stop();  // paused: the next Start resumes from this resourceVersion
  const std::string old_rv = runner_->ResourceVersion();
  ASSERT_FALSE(old_rv.empty());

  // Move the revision well past old_rv while nobody watches.
  for (int i = 0; i < 40; ++i) {
    ASSERT_NO_FATAL_FAILURE(MustCreate("churn-" + std::to_string(i)));
  }
  for (int i = 0; i < 40; ++i) {
    ASSERT_NO_FATAL_FAILURE(MustDelete("churn-" + std::to_string(i)));
  }
  ASSERT_NO_FATAL_FAILURE(MustDelete("drop"));
  auto patched =
      api_->Patch(ConfigMapsGvr(), ns_, "change", PatchType::kMerge, {{"data", {{"v", "2"}}}});
  ASSERT_TRUE(patched.has_value()) << patched.error().message;
  ASSERT_NO_FATAL_FAILURE(MustCreate("new"));

  const json range = Etcd("/v3/kv/range", {{"key", "Zm9v"}});  // "foo"
  const std::string revision = range["header"].value("revision", "");
  ASSERT_FALSE(revision.empty()) << range.dump();
  ASSERT_GT(std::stoll(revision), std::stoll(old_rv));
  const json compacted = Etcd("/v3/kv/compaction", {{"revision", revision}, {"physical", true}});
  ASSERT_TRUE(compacted.contains("header")) << compacted.dump();
  // kube-apiserver's watch cache keeps serving recent events from memory even after etcd
  // compacted them; a restart drops that cache, as happens when the apiserver is updated while
  // the operator is paused, so the watch from old_rv truly expires.
  ASSERT_NO_FATAL_FAILURE(Testenv("stop", "kube-apiserver"));
  ASSERT_NO_FATAL_FAILURE(Testenv("start", "kube-apiserver"));

  const int lists_before = counting_->lists();
  const WatchCounters before = runner_->Counters();
  runner_->Start();
  const std::set<std::string> want = {"keep", "change", "new"};
  ASSERT_TRUE(Eventually([&] { return NamesIn(runner_->Reader()) == want; }, seconds(120)))
      << "store has " << runner_->Reader().Size() << " objects";
  EXPECT_EQ((*runner_->Reader().Get(ns_, "change"))["data"]["v"], "2");
  // No loop: give it time to misbehave, then count.
  std::this_thread::sleep_for(seconds(5));
  const WatchCounters after = runner_->Counters();
  EXPECT_EQ(after.relists_gone - before.relists_gone, 1u);
  EXPECT_EQ(after.lists_started - before.lists_started, 1u);
  EXPECT_EQ(counting_->lists() - lists_before, 1);
  EXPECT_NE(runner_->State(), WatchState::kListing);
  // And it watches on from the relist.
  ASSERT_NO_FATAL_FAILURE(MustDelete("keep"));
  EXPECT_TRUE(Eventually([&] { return !runner_->Reader().Get(ns_, "keep"); }, seconds(60)));
  EXPECT_EQ(counting_->lists() - lists_before, 1);
}

}  // namespace
}  // namespace tenantdb::kube

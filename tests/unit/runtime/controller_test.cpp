#include "runtime/controller.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fakes/fake_clock.h"
#include "runtime/metrics.h"

namespace tenantdb::runtime {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const ObjectKey kKey{"team-a", "orders"};

// Returns whatever the test scripted; records what it saw.
class ScriptedReconciler final : public Reconciler {
 public:
  std::function<Expected<Result>(const ObjectKey&)> script = [](const ObjectKey&) {
    return Expected<Result>(Result{});
  };
  std::vector<ObjectKey> seen;
  std::vector<ReconcileContext> contexts;
  std::vector<std::string> log_fields;

  Expected<Result> Reconcile(const ObjectKey& key) override {
    seen.push_back(key);
    if (const ReconcileContext* context = CurrentReconcile(); context != nullptr) {
      contexts.push_back(*context);
    }
    log_fields.push_back(ReconcileLogFields());
    return script(key);
  }
};

Controller::Settings TestSettings() {
  Controller::Settings settings;
  settings.name = "test";
  settings.workers = 0;
  settings.rate_limiter.base_delay = milliseconds(5);
  return settings;
}

double CounterValue(MetricsRegistry& registry, const std::string& name,
                    const std::vector<std::string>& labels, const LabelValues& values) {
  return registry.RegisterCounter(name, "", labels).WithLabels(values).Value();
}

struct ResultCase {
  std::string name;
  std::function<Expected<Result>(const ObjectKey&)> outcome;
  std::string result_label;
  std::string error_reason;  // "" when no error metric is expected
  int want_requeues;         // rate limiter failures recorded for the key
  std::size_t want_delayed;  // keys waiting for their time
  std::size_t want_ready;    // keys ready at once
  milliseconds ready_after;  // when the delayed key becomes ready
};

class ControllerResultTest : public ::testing::TestWithParam<ResultCase> {};

TEST_P(ControllerResultTest, HandlesTheResultLikeControllerRuntime) {
  const ResultCase& c = GetParam();
  fakes::FakeClock clock;
  MetricsRegistry registry;
  ScriptedReconciler reconciler;
  Controller controller(reconciler, clock, registry, TestSettings());

  // A failed attempt first, so that Forget() is observable.
  reconciler.script = [](const ObjectKey&) -> Expected<Result> {
    return Error::Transient("connection refused");
  };
  controller.Enqueue(kKey);
  ASSERT_TRUE(controller.ProcessNextWorkItem());
  ASSERT_EQ(controller.queue().NumRequeues(kKey), 1);
  clock.Advance(milliseconds(5));
  ASSERT_EQ(controller.queue().Len(), 1u);

  reconciler.script = c.outcome;
  ASSERT_TRUE(controller.ProcessNextWorkItem());
  EXPECT_EQ(controller.queue().NumRequeues(kKey), c.want_requeues);
  EXPECT_EQ(controller.queue().NumDelayed(), c.want_delayed);
  EXPECT_EQ(controller.queue().Len(), c.want_ready);
  if (c.want_delayed > 0) {
    clock.Advance(c.ready_after - milliseconds(1));
    EXPECT_EQ(controller.queue().Len(), 0u);
    clock.Advance(milliseconds(1));
    EXPECT_EQ(controller.queue().Len(), 1u);
  } else {
    clock.Advance(std::chrono::hours(1));
    EXPECT_EQ(controller.queue().Len(), c.want_ready);
  }

  const std::vector<std::string> total_labels = {"controller", "result"};
  EXPECT_EQ(CounterValue(registry, "tenantdb_reconcile_total", total_labels, {"test", "error"}),
            c.result_label == "error" ? 2 : 1);
  if (c.result_label != "error") {
    EXPECT_EQ(
        CounterValue(registry, "tenantdb_reconcile_total", total_labels, {"test", c.result_label}),
        1);
  }
  if (!c.error_reason.empty()) {
    EXPECT_EQ(CounterValue(registry, "tenantdb_reconcile_errors_total", {"controller", "reason"},
                           {"test", c.error_reason}),
              c.error_reason == "ServerUnreachable" ? 2 : 1);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ControllerResultTest,
    ::testing::Values(
        ResultCase{"Error",
                   [](const ObjectKey&) -> Expected<Result> {
                     return Error::Transient("connection refused");
                   },
                   "error", "ServerUnreachable", 2, 1, 0, milliseconds(10)},
        ResultCase{"Terminal",
                   [](const ObjectKey&) -> Expected<Result> {
                     return Error::Invalid("spec.owner is empty");
                   },
                   "terminal_error", "InvalidSpec", 0, 0, 0, milliseconds(0)},
        ResultCase{"RequeueAfter",
                   [](const ObjectKey&) -> Expected<Result> {
                     return Result{.requeue_after = seconds(30)};
                   },
                   "requeue_after", "", 0, 1, 0, seconds(30)},
        ResultCase{"RequeueNow",
                   [](const ObjectKey&) -> Expected<Result> {
                     return Result{.requeue_after = milliseconds(0)};
                   },
                   "requeue_after", "", 0, 0, 1, milliseconds(0)},
        ResultCase{"Success", [](const ObjectKey&) -> Expected<Result> { return Result{}; },
                   "success", "", 0, 0, 0, milliseconds(0)},
        ResultCase{"StdException",
                   [](const ObjectKey&) -> Expected<Result> { throw std::runtime_error("boom"); },
                   "error", "UnhandledException", 2, 1, 0, milliseconds(10)},
        ResultCase{"UnknownException", [](const ObjectKey&) -> Expected<Result> { throw 42; },
                   "error", "UnhandledException", 2, 1, 0, milliseconds(10)}),
    [](const ::testing::TestParamInfo<ResultCase>& info) { return info.param.name; });

TEST(ControllerTest, EveryReconcileHasItsOwnIdAndLogFields) {
  fakes::FakeClock clock;
  MetricsRegistry registry;
  ScriptedReconciler reconciler;
  Controller controller(reconciler, clock, registry, TestSettings());
  controller.Enqueue(kKey);
  ASSERT_TRUE(controller.ProcessNextWorkItem());
  controller.Enqueue(kKey);
  ASSERT_TRUE(controller.ProcessNextWorkItem());

  ASSERT_EQ(reconciler.contexts.size(), 2u);
  const ReconcileContext& first = reconciler.contexts[0];
  EXPECT_EQ(first.controller, "test");
  EXPECT_EQ(first.key, kKey);
  EXPECT_EQ(first.reconcile_id.size(), 8u);
  EXPECT_EQ(first.reconcile_id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(first.reconcile_id, reconciler.contexts[1].reconcile_id);
  EXPECT_EQ(reconciler.log_fields[0],
            "controller=test namespace=team-a name=orders reconcile_id=" + first.reconcile_id);
  EXPECT_EQ(CurrentReconcile(), nullptr);  // cleared after the reconcile
  EXPECT_EQ(ReconcileLogFields(), "");
}

TEST(ControllerTest, ExportsItsQueueDepth) {
  fakes::FakeClock clock;
  MetricsRegistry registry;
  ScriptedReconciler reconciler;
  {
    Controller controller(reconciler, clock, registry, TestSettings());
    controller.Enqueue({"a", "1"});
    controller.Enqueue({"a", "2"});
    EXPECT_NE(registry.Render().find("tenantdb_workqueue_depth{controller=\"test\"} 2\n"),
              std::string::npos);
  }
  EXPECT_EQ(registry.Render().find("tenantdb_workqueue_depth"), std::string::npos);
}

TEST(ControllerTest, ResyncEnqueuesEveryListedKeyEachPeriod) {
  fakes::FakeClock clock;
  MetricsRegistry registry;
  ScriptedReconciler reconciler;
  Controller::Settings settings = TestSettings();
  settings.resync_period = minutes(10);
  Controller controller(reconciler, clock, registry, settings, [] {
    return std::vector<ObjectKey>{{"ns", "a"}, {"ns", "b"}};
  });
  controller.Start();  // no workers: the test takes the keys itself
  clock.Advance(minutes(9));
  EXPECT_EQ(controller.queue().Len(), 0u);
  clock.Advance(minutes(1));
  // The resync thread adds them; Get() blocks until it has.
  const auto first = controller.queue().Get();
  const auto second = controller.queue().Get();
  EXPECT_EQ(first, (ObjectKey{"ns", "a"}));
  EXPECT_EQ(second, (ObjectKey{"ns", "b"}));
  controller.queue().Done(*first);
  controller.queue().Done(*second);
  controller.Stop();
}

TEST(ControllerTest, StopWithoutStartAndTwiceIsFine) {
  fakes::FakeClock clock;
  MetricsRegistry registry;
  ScriptedReconciler reconciler;
  Controller controller(reconciler, clock, registry, TestSettings());
  controller.Stop();
  controller.Stop();
  controller.Enqueue(kKey);  // ignored once stopped
  EXPECT_EQ(controller.queue().Len(), 0u);
  EXPECT_FALSE(controller.ProcessNextWorkItem());
}

TEST(ControllerTest, EnqueueOwnerMapsAControllerOwnerReference) {
  fakes::FakeClock clock;
  MetricsRegistry registry;
  ScriptedReconciler reconciler;
  Controller controller(reconciler, clock, registry, TestSettings());
  const json job = {
      {"metadata",
       {{"namespace", "team-a"},
        {"name", "orders-migrate-1a2b"},
        {"ownerReferences",
         {{{"apiVersion", "tenantdb.io/v1alpha1"}, {"kind", "Database"}, {"name", "other"}},
          {{"apiVersion", "tenantdb.io/v1alpha1"},
           {"kind", "Migration"},
           {"name", "orders-migrate"},
           {"controller", true}}}}}}};
  EXPECT_FALSE(controller.EnqueueOwner(job, "Database"));  // not the controller reference
  EXPECT_TRUE(controller.EnqueueOwner(job, "Migration"));
  EXPECT_EQ(controller.queue().Get(), (ObjectKey{"team-a", "orders-migrate"}));

  EXPECT_EQ(ControllerOwnerKey(job, "Migration", "tenantdb.io"),
            (ObjectKey{"team-a", "orders-migrate"}));
  EXPECT_EQ(ControllerOwnerKey(job, "Migration", "batch"), std::nullopt);
  EXPECT_EQ(ControllerOwnerKey(job, "Migration", "", /*owner_namespaced=*/false),
            (ObjectKey{"", "orders-migrate"}));
  EXPECT_EQ(ControllerOwnerKey(json{{"metadata", {{"name", "x"}}}}, "Migration"), std::nullopt);
}

TEST(ControllerTest, EnqueueByLabelMapsTheOwnerNameLabel) {
  fakes::FakeClock clock;
  MetricsRegistry registry;
  ScriptedReconciler reconciler;
  Controller controller(reconciler, clock, registry, TestSettings());
  const json secret = {{"metadata",
                        {{"namespace", "team-a"},
                         {"name", "orders-app-password"},
                         {"labels", {{"tenantdb.io/owner-name", "orders-app"}}}}}};
  EXPECT_TRUE(controller.EnqueueByLabel(secret));
  EXPECT_EQ(controller.queue().Get(), (ObjectKey{"team-a", "orders-app"}));
  EXPECT_FALSE(controller.EnqueueByLabel(secret, "other/label"));
  EXPECT_EQ(LabelOwnerKey(json{{"metadata", {{"labels", {{"tenantdb.io/owner-name", ""}}}}}}),
            std::nullopt);
}

// A reconciler that detects two concurrent reconciles of one key.
class ConcurrencyProbe final : public Reconciler {
 public:
  static constexpr int kKeys = 5;

  std::array<std::atomic<int>, kKeys> in_flight{};
  std::array<std::atomic<int>, kKeys> latest{};  // bumped by the test before each Add
  std::array<std::atomic<int>, kKeys> seen{};    // latest value a reconcile started after
  std::atomic<int> overlaps{0};
  std::atomic<int> reconciles{0};

  Expected<Result> Reconcile(const ObjectKey& key) override {
    const int i = std::stoi(key.name);
    if (in_flight[i].fetch_add(1) != 0) {
      ++overlaps;
    }
    const int version = latest[i].load();
    std::this_thread::yield();
    int previous = seen[i].load();
    while (previous < version && !seen[i].compare_exchange_weak(previous, version)) {
    }
    ++reconciles;
    in_flight[i].fetch_sub(1);
    return Result{};
  }
};

TEST(ControllerConcurrencyTest, AKeyIsNeverReconciledByTwoWorkersAtOnce) {
  SystemClock clock;  // real time: the workers really run in parallel
  MetricsRegistry registry;
  ConcurrencyProbe probe;
  Controller::Settings settings = TestSettings();
  settings.workers = 4;
  Controller controller(probe, clock, registry, settings);
  controller.Start();
  constexpr int kRounds = 300;
  for (int round = 1; round <= kRounds; ++round) {
    for (int i = 0; i < ConcurrencyProbe::kKeys; ++i) {
      probe.latest[i] = round;
      controller.Enqueue({"ns", std::to_string(i)});
    }
  }
  // Level-based guarantee: every key is reconciled after its last Add.
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  const auto all_seen = [&probe] {
    for (int i = 0; i < ConcurrencyProbe::kKeys; ++i) {
      if (probe.seen[i].load() != kRounds) {
        return false;
      }
    }
    return true;
  };
  while (!all_seen() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  controller.Stop();
  EXPECT_TRUE(all_seen());
  EXPECT_EQ(probe.overlaps.load(), 0);
  EXPECT_GE(probe.reconciles.load(), ConcurrencyProbe::kKeys);
  EXPECT_LE(probe.reconciles.load(), ConcurrencyProbe::kKeys * kRounds);
}

}  // namespace
}  // namespace tenantdb::runtime

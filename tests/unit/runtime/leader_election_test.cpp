#include "runtime/leader_election.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include "fakes/fake_clock.h"
#include "fakes/fake_kube_api.h"
#include "kube/gvr.h"

namespace tenantdb::runtime {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr auto kWait = std::chrono::seconds(30);  // real time; only hit when a test fails

LeaderElector::Settings ElectorSettings(const std::string& identity) {
  LeaderElector::Settings settings;
  settings.lease_namespace = "tenantdb-system";
  settings.lease_name = "tenantdb-leader";
  settings.identity = identity;
  return settings;
}

class LeaderElectionTest : public ::testing::Test {
 protected:
  json Lease() { return *api_.Object(kube::LeasesGvr(), "tenantdb-system", "tenantdb-leader"); }

  fakes::FakeClock clock_;
  fakes::FakeKubeApi api_{&clock_};
};

TEST_F(LeaderElectionTest, CreatesTheLeaseWhenMissing) {
  LeaderElector a(api_, clock_, ElectorSettings("pod-a"), {});
  EXPECT_FALSE(a.IsLeader());
  EXPECT_TRUE(a.TryAcquireOrRenew());
  EXPECT_TRUE(a.IsLeader());
  const json lease = Lease();
  EXPECT_EQ(lease["apiVersion"], "coordination.k8s.io/v1");
  EXPECT_EQ(lease["spec"], json::parse(R"({"holderIdentity":"pod-a","leaseDurationSeconds":15,
                            "leaseTransitions":0,
                            "acquireTime":"2024-01-01T00:00:00.000000Z",
                            "renewTime":"2024-01-01T00:00:00.000000Z"})"));
}

TEST_F(LeaderElectionTest, RenewsWithTheResourceVersion) {
  LeaderElector a(api_, clock_, ElectorSettings("pod-a"), {});
  ASSERT_TRUE(a.TryAcquireOrRenew());
  const std::string rv = Lease()["metadata"]["resourceVersion"];
  clock_.Advance(seconds(2));
  EXPECT_TRUE(a.TryAcquireOrRenew());
  const json lease = Lease();
  EXPECT_NE(lease["metadata"]["resourceVersion"], rv);
  EXPECT_EQ(lease["spec"]["renewTime"], "2024-01-01T00:00:02.000000Z");
  EXPECT_EQ(lease["spec"]["acquireTime"], "2024-01-01T00:00:00.000000Z");
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 0);
}

TEST_F(LeaderElectionTest, AnotherCandidateTakesTheLeaseOnlyOnceExpired) {
  LeaderElector a(api_, clock_, ElectorSettings("pod-a"), {});
  LeaderElector b(api_, clock_, ElectorSettings("pod-b"), {});
  ASSERT_TRUE(a.TryAcquireOrRenew());
  EXPECT_FALSE(b.TryAcquireOrRenew());  // b starts watching the record now
  clock_.Advance(seconds(14));
  EXPECT_FALSE(b.TryAcquireOrRenew());  // a stopped renewing, but 15 s have not passed
  clock_.Advance(seconds(1));
  EXPECT_TRUE(b.TryAcquireOrRenew());  // expired on b's own clock
  EXPECT_TRUE(b.IsLeader());
  const json lease = Lease();
  EXPECT_EQ(lease["spec"]["holderIdentity"], "pod-b");
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 1);
  EXPECT_EQ(lease["spec"]["acquireTime"], "2024-01-01T00:00:15.000000Z");

  EXPECT_FALSE(a.TryAcquireOrRenew());  // a sees b's fresh record: a follows now
  EXPECT_FALSE(a.IsLeader());
}

TEST_F(LeaderElectionTest, StaleUpdateLosesTheRace) {
  LeaderElector a(api_, clock_, ElectorSettings("pod-a"), {});
  ASSERT_TRUE(a.TryAcquireOrRenew());
  Error conflict = Error::Conflict("the object has been modified");
  conflict.http_status = 409;
  api_.FailNext(1, conflict, "update");
  clock_.Advance(seconds(2));
  EXPECT_FALSE(a.TryAcquireOrRenew());
  EXPECT_TRUE(a.TryAcquireOrRenew());
}

TEST_F(LeaderElectionTest, ReleaseLetsASuccessorInAtOnce) {
  LeaderElector a(api_, clock_, ElectorSettings("pod-a"), {});
  LeaderElector b(api_, clock_, ElectorSettings("pod-b"), {});
  ASSERT_TRUE(a.TryAcquireOrRenew());
  EXPECT_FALSE(b.TryAcquireOrRenew());
  ASSERT_TRUE(a.Release().has_value());
  EXPECT_FALSE(a.IsLeader());
  EXPECT_EQ(Lease()["spec"]["holderIdentity"], "");
  EXPECT_EQ(Lease()["spec"]["leaseDurationSeconds"], 1);
  EXPECT_TRUE(b.TryAcquireOrRenew());  // no need to wait for the expiry
  EXPECT_EQ(Lease()["spec"]["leaseTransitions"], 1);
}

struct RunHarness {
  std::promise<void> started;
  std::promise<void> lost;
  std::atomic<int> lost_calls{0};
  LeaderElector::Callbacks Callbacks() {
    return {.on_started_leading = [this] { started.set_value(); },
            .on_lost =
                [this] {
                  if (lost_calls.fetch_add(1) == 0) {
                    lost.set_value();
                  }
                },
            .on_new_leader = {}};
  }
};

// Advances the fake clock in retry-period steps until `done` is ready.
void AdvanceUntil(fakes::FakeClock& clock, std::future<void>& done) {
  for (int i = 0; i < 1000 && done.wait_for(milliseconds(1)) != std::future_status::ready; ++i) {
    clock.Advance(seconds(1));
  }
}

TEST_F(LeaderElectionTest, RunLosesLeadershipWhenAnotherHolderTakesTheLease) {
  RunHarness harness;
  auto started = harness.started.get_future();
  auto lost = harness.lost.get_future();
  LeaderElector a(api_, clock_, ElectorSettings("pod-a"), harness.Callbacks());
  std::jthread runner([&a](std::stop_token stop) { a.Run(stop); });
  ASSERT_EQ(started.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(a.IsLeader());

  // Another process takes the Lease over (as after a partition that outlived our lease).
  ASSERT_TRUE(api_.Patch(kube::LeasesGvr(), "tenantdb-system", "tenantdb-leader",
                         kube::PatchType::kMerge, {{"spec", {{"holderIdentity", "pod-b"}}}})
                  .has_value());
  AdvanceUntil(clock_, lost);
  ASSERT_EQ(lost.wait_for(kWait), std::future_status::ready);
  runner.join();
  EXPECT_FALSE(a.IsLeader());
  EXPECT_EQ(harness.lost_calls.load(), 1);
  EXPECT_EQ(Lease()["spec"]["holderIdentity"], "pod-b");  // never taken back
}

TEST_F(LeaderElectionTest, RunLosesLeadershipWhenRenewalsFailForTheRenewDeadline) {
  RunHarness harness;
  auto started = harness.started.get_future();
  auto lost = harness.lost.get_future();
  LeaderElector a(api_, clock_, ElectorSettings("pod-a"), harness.Callbacks());
  std::jthread runner([&a](std::stop_token stop) { a.Run(stop); });
  ASSERT_EQ(started.wait_for(kWait), std::future_status::ready);

  api_.FailNext(1'000'000, Error::Transient("apiserver unreachable"));
  const auto failing_since = clock_.SteadyNow();
  AdvanceUntil(clock_, lost);
  ASSERT_EQ(lost.wait_for(kWait), std::future_status::ready);
  runner.join();
  EXPECT_GE(clock_.SteadyNow() - failing_since, seconds(10));
  EXPECT_FALSE(a.IsLeader());
}

TEST_F(LeaderElectionTest, RunReleasesOnStop) {
  RunHarness harness;
  auto started = harness.started.get_future();
  LeaderElector a(api_, clock_, ElectorSettings("pod-a"), harness.Callbacks());
  std::jthread runner([&a](std::stop_token stop) { a.Run(stop); });
  ASSERT_EQ(started.wait_for(kWait), std::future_status::ready);
  runner.request_stop();
  runner.join();
  EXPECT_EQ(harness.lost_calls.load(), 0);
  EXPECT_EQ(Lease()["spec"]["holderIdentity"], "");
  EXPECT_FALSE(a.IsLeader());
}

TEST_F(LeaderElectionTest, RunWaitsWhileAnotherHolderIsAliveAndStopsOnRequest) {
  LeaderElector b(api_, clock_, ElectorSettings("pod-b"), {});
  ASSERT_TRUE(b.TryAcquireOrRenew());
  RunHarness harness;
  LeaderElector a(api_, clock_, ElectorSettings("pod-a"), harness.Callbacks());
  std::jthread runner([&a](std::stop_token stop) { a.Run(stop); });
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(seconds(2));
    ASSERT_TRUE(b.TryAcquireOrRenew());  // b keeps renewing
  }
  runner.request_stop();
  runner.join();
  EXPECT_FALSE(a.IsLeader());
  EXPECT_EQ(Lease()["spec"]["holderIdentity"], "pod-b");
  EXPECT_EQ(harness.lost_calls.load(), 0);
}

TEST_F(LeaderElectionTest, InvalidSettingsCountAsLost) {
  RunHarness harness;
  LeaderElector::Settings settings = ElectorSettings("pod-a");
  settings.renew_deadline = seconds(20);  // not below the lease duration
  LeaderElector a(api_, clock_, settings, harness.Callbacks());
  a.Run(std::stop_token());
  EXPECT_EQ(harness.lost_calls.load(), 1);
  EXPECT_EQ(api_.Calls("get"), 0);
}

// Sets (or, with nullptr, unsets) POD_NAME for one test and restores what the process had, so
// the assertions below run whatever the environment of the test run (a pod sets POD_NAME).
class ScopedPodName {
 public:
  explicit ScopedPodName(const char* value) {
    if (const char* old = std::getenv("POD_NAME"); old != nullptr) saved_ = old;
    if (value == nullptr) {
      ::unsetenv("POD_NAME");
    } else {
      ::setenv("POD_NAME", value, 1);
    }
  }
  ~ScopedPodName() {
    if (saved_) {
      ::setenv("POD_NAME", saved_->c_str(), 1);
    } else {
      ::unsetenv("POD_NAME");
    }
  }
  ScopedPodName(const ScopedPodName&) = delete;
  ScopedPodName& operator=(const ScopedPodName&) = delete;

 private:
  std::optional<std::string> saved_;
};

std::string Hostname() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "tenantdb";
  return host;
}

TEST(LeaderIdentityTest, WithoutPodNameIsHostnameAndRandomSuffix) {
  ScopedPodName env(nullptr);
  const std::string a = DefaultLeaderIdentity();
  const std::string b = DefaultLeaderIdentity();
  const std::string prefix = Hostname() + "_";
  ASSERT_EQ(a.rfind(prefix, 0), 0u) << a;
  EXPECT_EQ(a.size(), prefix.size() + 8) << a;  // %08x
  EXPECT_NE(a, b);
}

TEST(LeaderIdentityTest, EmptyPodNameFallsBackToHostname) {
  ScopedPodName env("");
  EXPECT_EQ(DefaultLeaderIdentity().rfind(Hostname() + "_", 0), 0u);
}

TEST(LeaderIdentityTest, PodNameIsTheIdentity) {
  ScopedPodName env("tenantdb-7f9c-abcde");
  EXPECT_EQ(DefaultLeaderIdentity(), "tenantdb-7f9c-abcde");
}

TEST(MicroTimeTest, FormatsRfc3339WithMicroseconds) {
  const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1704067200) +
                                                       std::chrono::microseconds(6));
  EXPECT_EQ(FormatMicroTime(t), "2024-01-01T00:00:00.000006Z");
}

}  // namespace
}  // namespace tenantdb::runtime

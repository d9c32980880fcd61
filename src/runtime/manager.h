#pragma once

#include <chrono>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "kube/watch_runner.h"
#include "runtime/controller.h"
#include "runtime/health.h"
#include "runtime/leader_election.h"
#include "runtime/metrics.h"

namespace tenantdb::runtime {

// Starts the watches, waits for their caches to sync, gates the controllers on leadership (when
// a LeaderElector is set) and shuts everything down (controller-runtime's manager).
class Manager {
 public:
  struct Settings {
    std::chrono::seconds shutdown_timeout{10};
  };
  static constexpr int kExitLostLeadership = 1;

  Manager(Health& health, MetricsRegistry& metrics, Settings settings);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Registered before Run. Watches are started first; controllers once every cache has synced
  // and this process leads.
  void AddWatch(std::unique_ptr<kube::WatchRunner> runner);
  void AddController(std::unique_ptr<Controller> controller);
  // Called to build the elector once the manager knows its callbacks.
  void SetLeaderElector(std::unique_ptr<LeaderElector> elector);
  LeaderElector::Callbacks ElectorCallbacks();

  // Runs until `stop` is requested (returns 0) or leadership is lost (returns
  // kExitLostLeadership: the process must exit, another replica takes over).
  int Run(std::stop_token stop);

 private:
  void SyncWatchCounters();
  void Shutdown();
  // Shutdown(), and exit(1) from a watchdog if it takes longer than `timeout`.
  void ShutdownWithin(std::chrono::seconds timeout);

  Health& health_;
  MetricsRegistry& metrics_;
  CounterFamily& watch_restarts_;
  Settings settings_;
  std::vector<std::unique_ptr<kube::WatchRunner>> watches_;
  std::vector<std::uint64_t> reported_restarts_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  std::unique_ptr<LeaderElector> elector_;
  std::jthread elector_thread_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool leading_ = false;
  bool lost_ = false;
};

}  // namespace tenantdb::runtime

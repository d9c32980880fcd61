#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>

#include "common/expected.h"
#include "kube/kube_api.h"
#include "runtime/clock.h"
#include "runtime/work_queue.h"

namespace tenantdb::runtime {

// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection with a
// LeaseLock (STYLE.md R12):
//  - acquire when the Lease is missing (create), free (empty holder), held by us, or expired;
//    "expired" is judged on our own clock: the holder's leaseDurationSeconds since *we* last saw
//    the record change (client-go observedTime), so clock skew between nodes does not matter;
//  - renew every retry period with an Update carrying the resourceVersion (a stale one is a 409);
//  - when no renewal succeeded for renew_deadline, leadership is lost: on_lost is called once
//    and Run() returns. The app stops its workers and exits non-zero. A Lease gives no fencing:
//    two leaders may overlap briefly, so every action must be idempotent.
//  - on a requested stop, a leader optionally releases the Lease (empty holder, 1 s duration) so
//    a successor need not wait for it to expire.
class LeaderElector {
 public:
  struct Settings {
    std::string lease_namespace;
    std::string lease_name = "tenantdb-leader";
    std::string identity;  // empty: DefaultLeaderIdentity()
    std::chrono::seconds lease_duration{15};
    std::chrono::seconds renew_deadline{10};
    std::chrono::seconds retry_period{2};
    bool release_on_stop = true;
  };
  struct Callbacks {
    std::function<void()> on_started_leading;
    std::function<void()> on_lost;
    std::function<void(const std::string& holder)> on_new_leader;  // optional
  };

  LeaderElector(kube::KubeApi& api, Clock& clock, Settings settings, Callbacks callbacks);
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Blocks: tries to acquire every retry period, then renews every retry period until `stop` is
  // requested (then releases, if so configured) or leadership is lost (then calls on_lost).
  // Invalid settings (renew_deadline >= lease_duration, ...) count as lost at once.
  void Run(std::stop_token stop);

  // One attempt to acquire or renew; true when we hold the Lease afterwards.
  bool TryAcquireOrRenew();
  // Gives the Lease up if we hold it.
  Expected<void> Release();

  bool IsLeader() const;
  const std::string& identity() const { return settings_.identity; }

 private:
  struct Record {
    std::string holder;
    int lease_duration_seconds = 0;
    std::string acquire_time;
    std::string renew_time;
    int transitions = 0;
    bool operator==(const Record&) const = default;
  };
  static Record RecordOf(const nlohmann::json& lease);
  nlohmann::json LeaseSpec(const Record& record) const;
  void SetLeader(bool leader);
  void ReportHolder(const std::string& holder);
  // Waits until `deadline` on the clock or a stop request; true when stop was requested.
  bool SleepUntil(std::chrono::steady_clock::time_point deadline, const std::stop_token& stop);

  kube::KubeApi& api_;
  Clock& clock_;
  Settings settings_;
  Callbacks callbacks_;

  std::mutex attempt_mu_;  // serialises TryAcquireOrRenew() and Release()
  mutable std::mutex mu_;  // guards the fields below
  std::condition_variable cv_;
  bool leader_ = false;
  std::optional<Record> observed_;
  std::chrono::steady_clock::time_point observed_time_{};
  std::string observed_resource_version_;
  std::string last_reported_holder_;
  ClockWaiter waiter_;
};

// $POD_NAME when set, else <hostname>_<8 random hex digits>.
std::string DefaultLeaderIdentity();

// metav1.MicroTime: RFC 3339 UTC with microseconds, "2024-01-02T03:04:05.000006Z".
std::string FormatMicroTime(std::chrono::system_clock::time_point t);

}  // namespace tenantdb::runtime

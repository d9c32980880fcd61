#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "kube/kube_api.h"
#include "runtime/clock.h"
#include "runtime/rate_limiter.h"

namespace tenantdb::runtime {

enum class EventType { kNormal, kWarning };

// Records Kubernetes Events about an object (STYLE.md R4 seam; tests may use a StrictMock).
// Best effort: failures are logged, never returned.
class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  // `regarding`: the object (apiVersion, kind, metadata.namespace/name/uid are used).
  // `reason`: one of the closed vocabulary (api/v1alpha1/conditions.h), CamelCase.
  // `action`: what was done or attempted, e.g. "CreateDatabase", "Reconcile".
  // `note`: a human-readable sentence without secrets; truncated to 1 KiB.
  virtual void Record(const nlohmann::json& regarding, EventType type, std::string_view reason,
                      std::string_view action, std::string_view note) = 0;
};

// events.k8s.io/v1 Events with client-side aggregation and a spam filter:
//  - the same (object, type, reason, action, note) again within `aggregation_window` of its last
//    occurrence merge-patches the existing Event's series {count, lastObservedTime} instead of
//    creating a new Event;
//  - each object has a token bucket (burst 25, one token per 5 minutes, as client-go's
//    EventSourceObjectSpamFilter): without a token nothing is written (an aggregated repeat is
//    still counted, so the next write carries the true count).
// Cluster-scoped objects get their Events in the "default" namespace. Thread-safe.
class KubeEventRecorder final : public EventRecorder {
 public:
  struct Settings {
    std::string reporting_controller = "tenantdb.io/operator";
    std::string reporting_instance;  // the pod name; empty: "tenantdb"
    std::chrono::minutes aggregation_window{10};
    int spam_burst = 25;
    std::chrono::seconds spam_refill_interval{300};
    std::size_t max_tracked = 4096;  // bound on the aggregation and spam-filter caches
  };

  KubeEventRecorder(kube::KubeApi& api, Clock& clock, Settings settings);

  void Record(const nlohmann::json& regarding, EventType type, std::string_view reason,
              std::string_view action, std::string_view note) override;

 private:
  // The tables hold one entry per Event series and one per object (up to max_tracked each), so
  // they keep no text: an entry is keyed by the first 128 bits of the SHA-256 of its identity, and
  // the Event's namespace and name are rebuilt from the Record call (the name from `stamp`).
  using Digest = std::array<std::uint64_t, 2>;
  struct Aggregate {
    std::uint64_t stamp = 0;  // the name's suffix: <object>.<stamp in hex>
    int count = 0;
    std::chrono::steady_clock::time_point last_observed;
  };
  struct Bucket {
    TokenCount tokens;
    std::chrono::steady_clock::time_point last_used;
  };
  void PruneLocked(std::chrono::steady_clock::time_point now);
  std::uint64_t NewStampLocked();

  kube::KubeApi& api_;
  Clock& clock_;
  const Settings settings_;

  std::mutex mu_;
  std::map<Digest, Aggregate> aggregates_;
  std::map<Digest, Bucket> buckets_;
  std::uint64_t last_stamp_ = 0;
};

// True when `reason` matches ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$ (STYLE.md R15).
bool IsValidEventReason(std::string_view reason);

}  // namespace tenantdb::runtime

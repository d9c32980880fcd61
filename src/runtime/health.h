#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "runtime/http_server.h"
#include "runtime/metrics.h"

namespace tenantdb::runtime {

struct ProbeResult {
  bool ok = true;
  std::string reason;  // one line, empty when ok
};

// Liveness and readiness of the process (controller-runtime healthz/readyz). Thread-safe.
// Live while the process runs. Ready once every registered cache has synced and, when leader
// election is on, this process leads.
class Health {
 public:
  explicit Health(bool leader_election_enabled) : leader_election_(leader_election_enabled) {}

  // Registers a cache readiness depends on (not synced yet).
  void AddCache(const std::string& name);
  // Marks a registered cache synced (or not: a cache that relists may report false again).
  void SetCacheSynced(const std::string& name, bool synced = true);
  void SetLeading(bool leading);

  ProbeResult Liveness() const;
  ProbeResult Readiness() const;

 private:
  const bool leader_election_;
  mutable std::mutex mu_;
  std::map<std::string, bool> caches_;
  bool leading_ = false;
};

// GET /healthz (200 "ok"), /readyz (200 "ok", or 503 with the reason) and /metrics (the
// registry's exposition text). Both referents must outlive the server.
HttpHandlers MakeProbeHandlers(const Health& health, const MetricsRegistry& metrics);

}  // namespace tenantdb::runtime

#include "runtime/health.h"

#include <utility>

namespace tenantdb::runtime {

void Health::AddCache(const std::string& name) {
  const std::lock_guard<std::mutex> lock(mu_);
  caches_.try_emplace(name, false);
}

void Health::SetCacheSynced(const std::string& name, bool synced) {
  const std::lock_guard<std::mutex> lock(mu_);
  caches_[name] = synced;
}

void Health::SetLeading(bool leading) {
  const std::lock_guard<std::mutex> lock(mu_);
  leading_ = leading;
}

ProbeResult Health::Liveness() const { return {}; }

ProbeResult Health::Readiness() const {
  const std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, synced] : caches_) {
    if (!synced) {
      return {false, "cache " + name + " not synced"};
    }
  }
  if (leader_election_ && !leading_) {
    return {false, "not the leader"};
  }
  return {};
}

HttpHandlers MakeProbeHandlers(const Health& health, const MetricsRegistry& metrics) {
  const auto probe = [](ProbeResult result) {
    HttpServerResponse response;
    response.status = result.ok ? 200 : 503;
    response.body = result.ok ? "ok\n" : std::move(result.reason) + "\n";
    return response;
  };
  HttpHandlers handlers;
  handlers["/healthz"] = [&health, probe](const HttpServerRequest&) {
    return probe(health.Liveness());
  };
  handlers["/readyz"] = [&health, probe](const HttpServerRequest&) {
    return probe(health.Readiness());
  };
  handlers["/metrics"] = [&metrics](const HttpServerRequest&) {
    HttpServerResponse response;
    response.content_type = std::string(MetricsRegistry::kContentType);
    response.body = metrics.Render();
    return response;
  };
  return handlers;
}

}  // namespace tenantdb::runtime

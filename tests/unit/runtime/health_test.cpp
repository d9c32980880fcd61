#include "runtime/health.h"

#include <gtest/gtest.h>

#include <string>

#include "runtime/metrics.h"

namespace tenantdb::runtime {
namespace {

TEST(HealthTest, ReadyOnceEveryCacheSyncedWithoutLeaderElection) {
  Health health(/*leader_election_enabled=*/false);
  health.AddCache("databases");
  health.AddCache("secrets");
  EXPECT_TRUE(health.Liveness().ok);
  EXPECT_FALSE(health.Readiness().ok);
  EXPECT_EQ(health.Readiness().reason, "cache databases not synced");
  health.SetCacheSynced("databases");
  EXPECT_EQ(health.Readiness().reason, "cache secrets not synced");
  health.SetCacheSynced("secrets");
  EXPECT_TRUE(health.Readiness().ok);
  health.SetCacheSynced("secrets", false);  // relisting
  EXPECT_FALSE(health.Readiness().ok);
}

TEST(HealthTest, LeaderElectionGatesReadiness) {
  Health health(/*leader_election_enabled=*/true);
  health.AddCache("databases");
  health.SetCacheSynced("databases");
  EXPECT_FALSE(health.Readiness().ok);
  EXPECT_EQ(health.Readiness().reason, "not the leader");
  health.SetLeading(true);
  EXPECT_TRUE(health.Readiness().ok);
  health.SetLeading(false);
  EXPECT_FALSE(health.Readiness().ok);
  EXPECT_TRUE(health.Liveness().ok);
}

TEST(HealthTest, ProbeHandlersAnswerHealthzReadyzAndMetrics) {
  Health health(/*leader_election_enabled=*/true);
  MetricsRegistry registry;
  registry.RegisterGauge("tenantdb_up", "Up.").WithLabels({}).Set(1);
  const HttpHandlers handlers = MakeProbeHandlers(health, registry);
  const HttpServerRequest get{"GET", ""};

  const HttpServerResponse healthz = handlers.at("/healthz")(get);
  EXPECT_EQ(healthz.status, 200);
  EXPECT_EQ(healthz.body, "ok\n");

  HttpServerResponse readyz = handlers.at("/readyz")(get);
  EXPECT_EQ(readyz.status, 503);
  EXPECT_EQ(readyz.body, "not the leader\n");
  health.SetLeading(true);
  readyz = handlers.at("/readyz")(get);
  EXPECT_EQ(readyz.status, 200);

  const HttpServerResponse metrics = handlers.at("/metrics")(get);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(metrics.body, "# HELP tenantdb_up Up.\n# TYPE tenantdb_up gauge\ntenantdb_up 1\n");
}

}  // namespace
}  // namespace tenantdb::runtime

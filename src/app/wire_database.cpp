#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "api/v1alpha1/database_server_types.h"
#include "api/v1alpha1/database_types.h"
#include "app/wiring_context.h"
#include "controllers/database/database_reconciler.h"

namespace tenantdb::app {

namespace v1 = api::v1alpha1;

void WireDatabaseController(WiringContext& ctx) {
  auto& databases = ctx.Watch<v1::Database>();
  auto& servers = ctx.Watch<v1::DatabaseServer>();

  namespace db = controllers::database;
  auto& usage = ctx.Keep<db::DatabaseMetrics>(ctx.metrics);
  auto& reconciler = ctx.Keep<db::DatabaseReconciler>(
      databases.objects, servers.objects, ctx.kube, *ctx.sessions, ctx.clock, ctx.events,
      ctx.sql_metrics, usage,
      db::DatabaseReconciler::Settings{
          .resync_period = ctx.options.resync_period,
          .ca_dir = ctx.ca_dir,
          .crash_after_database_created = FaultInjectionPoint("database-created")});
  runtime::Controller& c = ctx.AddController("database", reconciler, databases);
  // A server that changes (its spec: generation; or its Ready condition) wakes its Databases; its
  // status writes that change neither (observedGeneration, versions) do not, so 100 Databases
  // reconciling at once do not wake each other through the server. The watch thread is the only
  // caller, so `seen` needs no lock.
  auto seen = std::make_shared<std::map<std::string, std::pair<std::int64_t, bool>>>();
  servers.handlers.push_back(
      [&c, seen, cache = databases.objects](const v1::DatabaseServer& server) {
        const std::pair<std::int64_t, bool> now{
            server.metadata.generation,
            v1::IsStatusConditionTrue(server.status.conditions, v1::kReady)};
        const auto [it, first] = seen->try_emplace(server.metadata.name, now);
        if (!first && it->second == now) {
          return;
        }
        it->second = now;
        for (const auto& db : cache.List()) {
          if (v1::EffectiveServerName(*db) == server.metadata.name) {
            c.Enqueue(WiringContext::KeyOf(*db));
          }
        }
      });
}

}  // namespace tenantdb::app

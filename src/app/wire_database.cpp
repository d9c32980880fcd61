#include <memory>

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
  auto key_of = [](const v1::Database& db) {
    return runtime::ObjectKey{db.metadata.ns, db.metadata.name};
  };
  auto controller = std::make_unique<runtime::Controller>(reconciler, ctx.clock, ctx.metrics,
                                                          ctx.ControllerSettings("database"),
                                                          [cache = databases.objects, key_of] {
                                                            std::vector<runtime::ObjectKey> keys;
                                                            for (const auto& db : cache.List()) {
                                                              keys.push_back(key_of(*db));
                                                            }
                                                            return keys;
                                                          });
  runtime::Controller* c = controller.get();
  databases.handlers.push_back([c, key_of](const v1::Database& db) { c->Enqueue(key_of(db)); });
  // A server that changes (becomes Ready, changes its allowed namespaces) wakes its Databases.
  servers.handlers.push_back(
      [c, cache = databases.objects, key_of](const v1::DatabaseServer& server) {
        for (const auto& db : cache.List()) {
          if (v1::EffectiveServerName(*db) == server.metadata.name) {
            c->Enqueue(key_of(*db));
          }
        }
      });
  ctx.manager.AddController(std::move(controller));
}

}  // namespace tenantdb::app

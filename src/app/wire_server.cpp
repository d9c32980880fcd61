#include <memory>

#include "api/v1alpha1/database_server_types.h"
#include "api/v1alpha1/database_types.h"
#include "app/wiring_context.h"
#include "controllers/server/server_reconciler.h"

namespace tenantdb::app {

void WireServerController(WiringContext& ctx) {
  namespace v1 = api::v1alpha1;
  auto& servers = ctx.Watch<v1::DatabaseServer>();
  // Databases are counted per server (status.databases).
  auto& databases = ctx.Watch<v1::Database>();

  auto& reconciler = ctx.Keep<controllers::server::ServerReconciler>(
      servers.objects, databases.objects, ctx.kube, *ctx.sessions, ctx.clock, ctx.events,
      controllers::server::ServerReconciler::Settings{.resync_period = ctx.options.resync_period,
                                                      .ca_dir = ctx.ca_dir});
  auto controller = std::make_unique<runtime::Controller>(
      reconciler, ctx.clock, ctx.metrics, ctx.ControllerSettings("databaseserver"),
      [cache = servers.objects] {
        std::vector<runtime::ObjectKey> keys;
        for (const auto& server : cache.List()) {
          keys.push_back({"", server->metadata.name});
        }
        return keys;
      });
  runtime::Controller* c = controller.get();
  servers.handlers.push_back([c](const v1::DatabaseServer& server) {
    c->Enqueue({"", server.metadata.name});
  });
  databases.handlers.push_back([c](const v1::Database& db) {
    c->Enqueue({"", v1::EffectiveServerName(db)});
  });
  ctx.manager.AddController(std::move(controller));
}

}  // namespace tenantdb::app

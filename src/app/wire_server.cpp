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
  runtime::Controller& c = ctx.AddController("databaseserver", reconciler, servers);
  databases.handlers.push_back([&c](const v1::Database& db) {
    c.Enqueue({"", v1::EffectiveServerName(db)});
  });
}

}  // namespace tenantdb::app

#include <memory>

#include "app/wiring_context.h"
#include "controllers/server/server_reconciler.h"

namespace tenantdb::app {

void WireServerController(WiringContext& ctx) {
  SharedKind& servers = ctx.Watch(kube::DatabaseServersGvr(), /*namespaced=*/false);
  // Databases are counted per server (status.databases).
  SharedKind& databases = ctx.Watch(kube::DatabasesGvr(), /*namespaced=*/true);

  auto& reconciler = ctx.Keep<controllers::server::ServerReconciler>(
      servers.cache, databases.cache, ctx.kube, ctx.sql, ctx.clock, ctx.events,
      controllers::server::ServerReconciler::Settings{.resync_period = ctx.options.resync_period,
                                                      .ca_dir = ctx.ca_dir});
  auto controller = std::make_unique<runtime::Controller>(
      reconciler, ctx.clock, ctx.metrics, ctx.ControllerSettings("databaseserver"),
      [cache = servers.cache] {
        std::vector<runtime::ObjectKey> keys;
        for (const auto& obj : cache.List()) {
          keys.push_back({"", obj->at("metadata").value("name", "")});
        }
        return keys;
      });
  runtime::Controller* c = controller.get();
  servers.handlers.push_back([c](const nlohmann::json& obj) {
    c->Enqueue({"", obj.at("metadata").value("name", "")});
  });
  databases.handlers.push_back([c](const nlohmann::json& obj) {
    const auto spec = obj.value("spec", nlohmann::json::object());
    const auto ref = spec.value("serverRef", nlohmann::json::object());
    c->Enqueue({"", ref.value("name", "default")});
  });
  ctx.manager.AddController(std::move(controller));
}

}  // namespace tenantdb::app

#include <memory>

#include "app/wiring_context.h"
#include "controllers/database/database_reconciler.h"

namespace tenantdb::app {

void WireDatabaseController(WiringContext& ctx) {
  SharedKind& databases = ctx.Watch(kube::DatabasesGvr(), /*namespaced=*/true);
  SharedKind& servers = ctx.Watch(kube::DatabaseServersGvr(), /*namespaced=*/false);

  namespace db = controllers::database;
  auto& metrics = ctx.Keep<db::DatabaseMetrics>(ctx.metrics);
  auto& reconciler = ctx.Keep<db::DatabaseReconciler>(
      databases.cache, servers.cache, ctx.kube, ctx.sql, ctx.clock, ctx.events, metrics,
      db::DatabaseReconciler::Settings{
          .resync_period = ctx.options.resync_period,
          .ca_dir = ctx.ca_dir,
          .crash_after_database_created = FaultInjectionPoint("database-created")});
  auto key_of = [](const nlohmann::json& obj) {
    const auto& md = obj.at("metadata");
    return runtime::ObjectKey{md.value("namespace", ""), md.value("name", "")};
  };
  auto controller = std::make_unique<runtime::Controller>(reconciler, ctx.clock, ctx.metrics,
                                                          ctx.ControllerSettings("database"),
                                                          [cache = databases.cache, key_of] {
                                                            std::vector<runtime::ObjectKey> keys;
                                                            for (const auto& obj : cache.List()) {
                                                              keys.push_back(key_of(*obj));
                                                            }
                                                            return keys;
                                                          });
  runtime::Controller* c = controller.get();
  databases.handlers.push_back([c, key_of](const nlohmann::json& obj) { c->Enqueue(key_of(obj)); });
  // A server that changes (becomes Ready, changes its allowed namespaces) wakes its Databases.
  servers.handlers.push_back([c, cache = databases.cache, key_of](const nlohmann::json& server) {
    const std::string server_name = server.at("metadata").value("name", "");
    for (const auto& obj : cache.List()) {
      const auto spec = obj->value("spec", nlohmann::json::object());
      const auto ref = spec.value("serverRef", nlohmann::json::object());
      if (ref.value("name", "default") == server_name) {
        c->Enqueue(key_of(*obj));
      }
    }
  });
  ctx.manager.AddController(std::move(controller));
}

}  // namespace tenantdb::app

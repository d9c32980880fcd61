#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "api/v1alpha1/database_role_types.h"
#include "api/v1alpha1/database_server_types.h"
#include "api/v1alpha1/database_types.h"
#include "app/wiring_context.h"
#include "common/password.h"
#include "controllers/role/role_reconciler.h"

namespace tenantdb::app {

// The DatabaseRole controller ("role"). A role is reconciled on its own events and on events of
// its Database (every role of that namespace whose spec.databaseRef names it), so a role waiting
// for its Database proceeds as soon as the Database turns Ready. Secrets are not watched (the
// operator's RBAC has no list/watch on secrets, and caching every Secret is how operators run out
// of memory): drift of a credentials Secret or of a passwordSecretRef Secret is picked up on the
// periodic resync (--resync-period).
void WireRoleController(WiringContext& ctx) {
  namespace v1 = api::v1alpha1;
  auto& roles = ctx.Watch<v1::DatabaseRole>();
  auto& databases = ctx.Watch<v1::Database>();
  auto& servers = ctx.Watch<v1::DatabaseServer>();

  namespace role = controllers::role;
  // Fault injection for the e2e tests (RoleReconciler::Settings::crash_after_password_set), read
  // once here; unset in production.
  const bool crash_after_password_set = FaultInjectionPoint("password-set");
  const bool crash_after_role_created = FaultInjectionPoint("role-created");
  auto& reconciler = ctx.Keep<role::RoleReconciler>(
      roles.objects, databases.objects, servers.objects, ctx.kube, *ctx.sessions, ctx.clock,
      ctx.events, [] { return GeneratePassword(); },
      role::RoleReconciler::Settings{.resync_period = ctx.options.resync_period,
                                     .ca_dir = ctx.ca_dir,
                                     .metrics = ctx.sql_metrics,
                                     .crash_after_password_set = crash_after_password_set,
                                     .crash_after_role_created = crash_after_role_created});
  runtime::Controller& c = ctx.AddController("role", reconciler, roles);
  databases.handlers.push_back([&c, cache = roles.objects](const v1::Database& database) {
    for (const auto& role : cache.ListInNamespace(database.metadata.ns)) {
      if (role->spec.database_ref.name == database.metadata.name) {
        c.Enqueue(WiringContext::KeyOf(*role));
      }
    }
  });
}

}  // namespace tenantdb::app

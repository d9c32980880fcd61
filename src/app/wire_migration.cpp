#include <string>

#include "api/v1alpha1/backup_schedule_types.h"
#include "api/v1alpha1/database_role_types.h"
#include "api/v1alpha1/database_types.h"
#include "api/v1alpha1/migration_types.h"
#include "app/wiring_context.h"
#include "controllers/migration/migration_job.h"
#include "controllers/migration/migration_reconciler.h"

namespace tenantdb::app {

// The Migration controller ("migration"). A Migration is reconciled on its own events, on those
// of its Jobs (watched by label: only the Jobs tenantdb created for migrations; each names its
// Migration in the tenantdb.io/migration label), and on those of the Databases and DatabaseRoles
// of its namespace whose databaseRef it shares, so a Migration waiting for its Owner role starts
// once the role is Ready. ConfigMaps are not watched (a cluster-wide ConfigMap cache is what the
// memory goal rules out): a Ready Migration re-reads its ConfigMap by name every source_poll.
// The BackupSchedule of spec.backupBefore wakes the Migrations that name it.
void WireMigrationController(WiringContext& ctx) {
  namespace v1 = api::v1alpha1;
  namespace migration = controllers::migration;
  auto& migrations = ctx.Watch<v1::Migration>();
  auto& databases = ctx.Watch<v1::Database>();
  auto& roles = ctx.Watch<v1::DatabaseRole>();
  auto& jobs = ctx.Watch<migration::MigrationJob>();
  auto& schedules = ctx.Watch<v1::BackupSchedule>();  // spec.backupBefore

  auto& reconciler = ctx.Keep<migration::MigrationReconciler>(
      migrations.objects, databases.objects, roles.objects, jobs.objects, schedules.objects,
      ctx.kube, ctx.clock, ctx.events,
      migration::MigrationReconciler::Settings{.resync_period = ctx.options.resync_period,
                                               .job_image = ctx.options.job_image});
  runtime::Controller& c = ctx.AddController("migration", reconciler, migrations);
  jobs.handlers.push_back([&c](const migration::MigrationJob& job) {
    const auto it = job.metadata.labels.find(std::string(migration::kMigrationLabel));
    if (it != job.metadata.labels.end()) {
      c.Enqueue({job.metadata.ns, it->second});
    }
  });
  // A BackupSchedule named by spec.backupBefore that appears or changes wakes its Migrations.
  schedules.handlers.push_back([&c, cache = migrations.objects](const v1::BackupSchedule& s) {
    for (const auto& m : cache.ListInNamespace(s.metadata.ns)) {
      if (m->spec.backup_before &&
          m->spec.backup_before->backup_schedule_ref.name == s.metadata.name) {
        c.Enqueue(WiringContext::KeyOf(*m));
      }
    }
  });
  auto wake_referencing = [&c, cache = migrations.objects](const std::string& ns,
                                                           const std::string& database) {
    for (const auto& m : cache.ListInNamespace(ns)) {
      if (m->spec.database_ref.name == database) {
        c.Enqueue(WiringContext::KeyOf(*m));
      }
    }
  };
  databases.handlers.push_back([wake_referencing](const v1::Database& database) {
    wake_referencing(database.metadata.ns, database.metadata.name);
  });
  roles.handlers.push_back([wake_referencing](const v1::DatabaseRole& role) {
    wake_referencing(role.metadata.ns, role.spec.database_ref.name);
  });
}

}  // namespace tenantdb::app

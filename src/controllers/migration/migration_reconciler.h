#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/v1alpha1/backup_schedule_types.h"
#include "api/v1alpha1/database_role_types.h"
#include "api/v1alpha1/database_types.h"
#include "api/v1alpha1/migration_types.h"
#include "controllers/common/event_sink.h"
#include "controllers/common/report.h"
#include "controllers/migration/migration_job.h"
#include "controllers/migration/migration_plan.h"
#include "kube/kube_api.h"
#include "kube/typed_cache.h"
#include "runtime/clock.h"
#include "runtime/reconciler.h"

namespace tenantdb::controllers::migration {

// A Job tenantdb created for a Migration, as the Jobs cache holds it (the watch selects
// kJobSelector; a Job is decoded once into what the controller reads).
struct MigrationJob {
  static constexpr api::v1alpha1::GroupVersionKind kGvk = {"batch", "v1",  "Job",
                                                           "jobs",  "job", true};
  static constexpr std::string_view kLabelSelector =
      "app.kubernetes.io/managed-by=tenantdb,app.kubernetes.io/component=migration";
  api::v1alpha1::ObjectMeta metadata;
  ObservedJob job;
};
Expected<void> Decode(const nlohmann::json& j, const std::string& path, MigrationJob& out);
inline void ApplyDefaults(MigrationJob&) {}

// Runs a Migration's files as a Job (src/controllers/README.md shape): Observe (the Database, its
// Owner DatabaseRole, spec.backupBefore's BackupSchedule and the Jobs from the caches; the
// ConfigMap and, once, the finished Job's Pod by direct reads) -> PlanMigration (pure) -> Act
// (create the Job, prune old ones) -> ReportStatus -> Finish. Nothing to clean up on deletion: the
// Jobs are owned by the Migration.
class MigrationReconciler final : public runtime::Reconciler {
 public:
  struct Settings {
    std::chrono::seconds resync_period{600};
    // How often a reconciled Migration re-reads its ConfigMap (ConfigMaps are not watched).
    std::chrono::seconds source_poll{60};
    std::string job_image;  // --job-image
  };
  MigrationReconciler(kube::TypedCache<api::v1alpha1::Migration> migrations,
                      kube::TypedCache<api::v1alpha1::Database> databases,
                      kube::TypedCache<api::v1alpha1::DatabaseRole> roles,
                      kube::TypedCache<MigrationJob> jobs,
                      kube::TypedCache<api::v1alpha1::BackupSchedule> schedules,
                      kube::KubeApi& kube, runtime::Clock& clock, EventSink events,
                      Settings settings);

  Expected<runtime::Result> Reconcile(const runtime::ObjectKey& key) override;

 private:
  Expected<ObservedMigration> Observe(const api::v1alpha1::Migration& migration);
  // The Database and its Ready Owner role, or why the visit waits.
  std::optional<Readiness> ObserveDependencies(const api::v1alpha1::Migration& migration,
                                               JobInputs& inputs) const;
  Expected<std::optional<std::string>> TerminationMessage(const std::string& ns,
                                                          const ObservedJob& job);
  Expected<void> Act(const api::v1alpha1::Migration& migration, const MigrationPlan& plan);
  Expected<runtime::Result> Report(const api::v1alpha1::Migration& migration,
                                   const MigrationPlan& plan, std::optional<Error> error);

  kube::TypedCache<api::v1alpha1::Migration> migrations_;
  kube::TypedCache<api::v1alpha1::Database> databases_;
  kube::TypedCache<api::v1alpha1::DatabaseRole> roles_;
  kube::TypedCache<MigrationJob> jobs_;
  kube::TypedCache<api::v1alpha1::BackupSchedule> schedules_;  // spec.backupBefore
  kube::KubeApi& kube_;
  runtime::Clock& clock_;
  EventSink events_;
  Settings settings_;
};

}  // namespace tenantdb::controllers::migration

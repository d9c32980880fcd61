#pragma once

#include <compare>
#include <string>

namespace tenantdb::kube {

// Group/version/resource of a Kubernetes kind, enough to build every URL for it.
struct Gvr {
  std::string group;  // "" for the core group
  std::string version;
  std::string resource;  // plural, lower case
  std::string kind;
  bool namespaced = true;
  friend auto operator<=>(const Gvr&, const Gvr&) = default;

  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
};

inline Gvr SecretsGvr() { return {"", "v1", "secrets", "Secret", true}; }
inline Gvr ConfigMapsGvr() { return {"", "v1", "configmaps", "ConfigMap", true}; }
inline Gvr NamespacesGvr() { return {"", "v1", "namespaces", "Namespace", false}; }
inline Gvr EventsGvr() { return {"events.k8s.io", "v1", "events", "Event", true}; }
inline Gvr LeasesGvr() { return {"coordination.k8s.io", "v1", "leases", "Lease", true}; }
inline Gvr PodsGvr() { return {"", "v1", "pods", "Pod", true}; }
inline Gvr JobsGvr() { return {"batch", "v1", "jobs", "Job", true}; }
inline Gvr CronJobsGvr() { return {"batch", "v1", "cronjobs", "CronJob", true}; }
inline Gvr DatabaseServersGvr() {
  return {"tenantdb.io", "v1alpha1", "databaseservers", "DatabaseServer", false};
}
inline Gvr DatabasesGvr() { return {"tenantdb.io", "v1alpha1", "databases", "Database", true}; }
inline Gvr DatabaseRolesGvr() {
  return {"tenantdb.io", "v1alpha1", "databaseroles", "DatabaseRole", true};
}
inline Gvr MigrationsGvr() { return {"tenantdb.io", "v1alpha1", "migrations", "Migration", true}; }
inline Gvr BackupSchedulesGvr() {
  return {"tenantdb.io", "v1alpha1", "backupschedules", "BackupSchedule", true};
}

}  // namespace tenantdb::kube

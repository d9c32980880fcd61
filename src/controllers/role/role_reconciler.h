#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "api/v1alpha1/database_role_types.h"
#include "controllers/common/event_sink.h"
#include "controllers/role/role_status.h"
#include "kube/kube_api.h"
#include "kube/store.h"
#include "runtime/clock.h"
#include "runtime/reconciler.h"
#include "sql/sql_executor.h"

namespace tenantdb::controllers::role {

inline constexpr std::string_view kRoleFinalizer = "tenantdb.io/role";

// DatabaseRole: observe (the role, its Database and DatabaseServer from the caches, the password
// and credentials Secrets by direct GET, the role's catalog state in its database) -> PlanRole
// (pure) -> act (SQL in the role's database, verifiers only, redacted logs, one Event per change)
// -> the credentials Secret (server-side apply, only when its content changes, always after the
// password is set on the server) -> ComputeRoleStatus (pure), written only when it changed.
//
// Secrets are not watched (the operator may not list/watch them): a credentials Secret edited or
// deleted by hand is put back on the next periodic resync (--resync-period).
class RoleReconciler final : public runtime::Reconciler {
 public:
  struct Settings {
    std::chrono::seconds resync_period{600};
    std::string ca_dir;  // where CA bundles from sslRootCertSecretRef are written for libpq
  };
  // `generate_password`: a fresh random password (common/password.h GeneratePassword in
  // production; deterministic in tests).
  RoleReconciler(kube::CacheView roles, kube::CacheView databases, kube::CacheView servers,
                 kube::KubeApi& kube, sql::SqlConnector& sql, runtime::Clock& clock,
                 EventSink events, std::function<std::string()> generate_password,
                 Settings settings);

  Expected<runtime::Result> Reconcile(const runtime::ObjectKey& key) override;

 private:
  Expected<runtime::Result> Apply(const nlohmann::json& obj);
  Expected<runtime::Result> Cleanup(const nlohmann::json& obj);
  // Everything up to the credentials Secret; fills `outcome` as it learns things.
  Expected<std::chrono::seconds> Converge(const nlohmann::json& obj,
                                          const api::v1alpha1::DatabaseRole& role,
                                          RoleOutcome& outcome);
  void Event(const nlohmann::json& obj, std::string_view type, std::string_view reason,
             const std::string& note);

  kube::CacheView roles_;
  kube::CacheView databases_;
  kube::CacheView servers_;
  kube::KubeApi& kube_;
  sql::SqlConnector& sql_;
  runtime::Clock& clock_;
  EventSink events_;
  std::function<std::string()> generate_password_;
  Settings settings_;
};

}  // namespace tenantdb::controllers::role

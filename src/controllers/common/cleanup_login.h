#pragma once

// The first step of every finalizer that must reach PostgreSQL: find the DatabaseServer and log
// in as its admin, or give up cleanly (PITFALLS.md: a finalizer never waits for a server or a
// Secret that will not come back) with a Warning Event saying what was left behind.

#include <functional>
#include <optional>
#include <string>

#include "api/v1alpha1/database_server_types.h"
#include "common/expected.h"
#include "kube/kube_api.h"
#include "kube/store.h"
#include "kube/typed_cache.h"
#include "sql/connection.h"

namespace tenantdb::controllers {

struct AdminLogin {
  api::v1alpha1::DatabaseServer server;  // defaults applied
  sql::ConnectionParams params;          // dbname postgres
};

// std::nullopt after `warn(note)` when the server or its admin Secret no longer exists; `left`
// names what stays on the server ("PostgreSQL database "x" ... and role "y""). Other errors
// (the API unreachable) are returned, so the finalizer is retried.
Expected<std::optional<AdminLogin>> LogInForCleanup(
    const kube::CacheView& servers, kube::KubeApi& kube, const std::string& ca_dir,
    const std::string& server_name, const std::string& left,
    const std::function<void(const std::string& note)>& warn);
Expected<std::optional<AdminLogin>> LogInForCleanup(
    const kube::TypedCache<api::v1alpha1::DatabaseServer>& servers, kube::KubeApi& kube,
    const std::string& ca_dir, const std::string& server_name, const std::string& left,
    const std::function<void(const std::string& note)>& warn);

}  // namespace tenantdb::controllers

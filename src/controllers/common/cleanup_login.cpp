#include "controllers/common/cleanup_login.h"

#include <utility>

#include "api/v1alpha1/conditions.h"
#include "controllers/server/server_connection.h"

namespace tenantdb::controllers {

namespace v1 = api::v1alpha1;

namespace {

// `server` is nullptr when the DatabaseServer no longer exists.
Expected<std::optional<AdminLogin>> LogIn(
    const v1::DatabaseServer* server, kube::KubeApi& kube, const std::string& ca_dir,
    const std::string& server_name, const std::string& left,
    const std::function<void(const std::string& note)>& warn) {
  if (server == nullptr) {
    warn("DatabaseServer \"" + server_name + "\" no longer exists: " + left +
         " were left behind, if they exist; drop them by hand.");
    return std::optional<AdminLogin>();
  }
  AdminLogin login{.server = *server, .params = {}};
  auto params = ServerConnectionParams(kube, login.server, ca_dir);
  if (!params) {
    if (params.error().reason == v1::reason::kSecretNotFound) {
      warn("Cannot log in to DatabaseServer \"" + server_name + "\" (" + params.error().message +
           "): " + left + " were left behind; drop them by hand.");
      return std::optional<AdminLogin>();
    }
    return params.error();
  }
  login.params = std::move(*params);
  return std::optional<AdminLogin>(std::move(login));
}

}  // namespace

Expected<std::optional<AdminLogin>> LogInForCleanup(
    const kube::CacheView& servers, kube::KubeApi& kube, const std::string& ca_dir,
    const std::string& server_name, const std::string& left,
    const std::function<void(const std::string& note)>& warn) {
  const auto server_obj = servers.Get("", server_name);
  if (!server_obj) {
    return LogIn(nullptr, kube, ca_dir, server_name, left, warn);
  }
  v1::DatabaseServer server;
  TENANTDB_TRY_VOID(v1::Decode(*server_obj, "", server));
  v1::ApplyDefaults(server);
  return LogIn(&server, kube, ca_dir, server_name, left, warn);
}

Expected<std::optional<AdminLogin>> LogInForCleanup(
    const kube::TypedCache<v1::DatabaseServer>& servers, kube::KubeApi& kube,
    const std::string& ca_dir, const std::string& server_name, const std::string& left,
    const std::function<void(const std::string& note)>& warn) {
  const auto server = servers.Get("", server_name);
  if (server && server->invalid) {
    return *server->invalid;
  }
  return LogIn(server.get(), kube, ca_dir, server_name, left, warn);
}

}  // namespace tenantdb::controllers

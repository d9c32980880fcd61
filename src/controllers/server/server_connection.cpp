#include "controllers/server/server_connection.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "api/v1alpha1/conditions.h"
#include "kube/cluster_config.h"
#include "kube/gvr.h"

namespace tenantdb::controllers {

namespace v1 = api::v1alpha1;

namespace {

std::string SecretName(const nlohmann::json& secret) {
  const auto& md = secret.at("metadata");
  return md.value("namespace", "") + "/" + md.value("name", "");
}

Expected<nlohmann::json> GetSecret(kube::KubeApi& kube, const std::string& ns,
                                   const std::string& name, const std::string& field) {
  TENANTDB_TRY(auto secret, kube.Get(kube::SecretsGvr(), ns, name));
  if (!secret) {
    return Error::Dependency("Secret " + ns + "/" + name + " (named by " + field +
                                 ") does not exist: create it, or fix " + field + ".",
                             std::string(v1::reason::kSecretNotFound));
  }
  return *secret;
}

// Reads a whole file; std::nullopt when it cannot be read.
std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

Expected<std::string> WriteCaFile(const std::string& ca_dir, const std::string& server,
                                  const std::string& pem) {
  const std::string path = ca_dir + "/" + server + "-ca.crt";
  if (ReadFile(path) == pem) {
    return path;  // unchanged: concurrent readers keep the file they opened
  }
  std::error_code ec;
  std::filesystem::create_directories(ca_dir, ec);
  ::chmod(ca_dir.c_str(), 0700);
  // A unique temporary name in the same directory, renamed over the final one: a worker that
  // opens the file sees either the old or the new bundle, never a half-written one.
  static std::atomic<unsigned> counter{0};
  const std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << pem;
    out.flush();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return Error::Internal("cannot write the CA bundle to " + tmp);
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Error::Internal("cannot rename the CA bundle to " + path);
  }
  return path;
}

Expected<std::string> SecretValue(const nlohmann::json& secret, const std::string& key) {
  const auto data = secret.find("data");
  if (data == secret.end() || !data->contains(key) || !(*data)[key].is_string()) {
    return Error::Dependency(
        "Secret " + SecretName(secret) + " has no key \"" + key + "\": add it to the Secret.",
        std::string(v1::reason::kSecretNotFound));
  }
  auto decoded = kube::DecodeBase64((*data)[key].get<std::string>());
  if (!decoded) {
    return Error::Dependency(
        "Secret " + SecretName(secret) + " key \"" + key + "\" is not valid base64.",
        std::string(v1::reason::kSecretNotFound));
  }
  return *decoded;
}

Expected<sql::ConnectionParams> ServerConnectionParams(kube::KubeApi& kube,
                                                       const v1::DatabaseServer& server,
                                                       const std::string& ca_dir) {
  const auto& spec = server.spec;
  const auto& ref = spec.admin_credentials_secret_ref;
  TENANTDB_TRY(const auto secret,
               GetSecret(kube, ref.ns, ref.name, "spec.adminCredentialsSecretRef"));
  sql::ConnectionParams p;
  p.host = spec.host;
  p.port = spec.port.value_or(v1::kDefaultPort);
  TENANTDB_TRY(p.user, SecretValue(secret, ref.username_key.value_or("username")));
  TENANTDB_TRY(p.password, SecretValue(secret, ref.password_key.value_or("password")));
  p.sslmode = std::string(v1::ToString(spec.ssl_mode.value_or(v1::kDefaultSslMode)));
  p.max_sessions = spec.max_connections.value_or(v1::kDefaultMaxConnections);
  if (spec.ssl_root_cert_secret_ref) {
    const auto& ca_ref = *spec.ssl_root_cert_secret_ref;
    TENANTDB_TRY(const auto ca_secret,
                 GetSecret(kube, ca_ref.ns, ca_ref.name, "spec.sslRootCertSecretRef"));
    TENANTDB_TRY(const auto pem, SecretValue(ca_secret, ca_ref.key.value_or("ca.crt")));
    TENANTDB_TRY(p.sslrootcert, WriteCaFile(ca_dir, server.metadata.name, pem));
  }
  p.dbname = "postgres";
  return p;
}

}  // namespace tenantdb::controllers

#pragma once

// DatabaseServer (cluster-scoped, short name dbserver): where a PostgreSQL server is and how the
// operator logs in. See docs/api-reference.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/v1alpha1/conditions.h"
#include "api/v1alpha1/gvk.h"
#include "api/v1alpha1/json_codec.h"
#include "api/v1alpha1/meta.h"
#include "api/v1alpha1/validation.h"
#include "common/expected.h"

namespace tenantdb::api::v1alpha1 {

enum class SslMode { kDisable, kAllow, kPrefer, kRequire, kVerifyCa, kVerifyFull };
template <>
struct EnumTraits<SslMode> {
  static constexpr std::array<std::pair<SslMode, std::string_view>, 6> kNames = {{
      {SslMode::kDisable, "disable"},
      {SslMode::kAllow, "allow"},
      {SslMode::kPrefer, "prefer"},
      {SslMode::kRequire, "require"},
      {SslMode::kVerifyCa, "verify-ca"},
      {SslMode::kVerifyFull, "verify-full"},
  }};
};

inline constexpr std::int32_t kDefaultPort = 5432;
inline constexpr SslMode kDefaultSslMode = SslMode::kPrefer;
inline constexpr std::string_view kDefaultSslRootCertKey = "ca.crt";
inline constexpr std::string_view kDefaultAdminUsernameKey = "username";
inline constexpr std::string_view kDefaultAdminPasswordKey = "password";
inline constexpr std::int32_t kDefaultMaxConnections = 5;
inline constexpr std::size_t kMaxHostLength = 253;
inline constexpr std::size_t kMaxAllowedNamespaces = 1024;
inline constexpr std::size_t kMaxServerPolicyItems = 256;
// allowedNamespaces: ["*"] admits every namespace.
inline constexpr std::string_view kAllNamespaces = "*";

struct DatabaseServerSpec {
  std::string host;                                                     // required
  std::optional<std::int32_t> port;                                     // default 5432
  std::optional<SslMode> ssl_mode;                                      // default prefer
  std::optional<NamespacedSecretKeySelector> ssl_root_cert_secret_ref;  // key default ca.crt
  CredentialsSecretReference admin_credentials_secret_ref;              // required
  // Fail closed: absent (and no selector) admits no namespace; ["*"] admits every namespace.
  std::optional<std::vector<std::string>> allowed_namespaces;
  std::optional<LabelSelector> allowed_namespace_selector;
  std::optional<std::int32_t> max_connections;  // default 5
  // What tenants may use (DESIGN.md "Security model"), decided by the platform team:
  std::optional<std::vector<std::string>> allowed_templates;   // besides template0/template1
  std::optional<std::vector<std::string>> allowed_extensions;  // absent: PostgreSQL's trusted ones
  std::optional<std::vector<std::string>> grantable_roles;     // extra roles for spec.inRoles
  std::optional<bool> allow_adoption;                          // default false
  bool operator==(const DatabaseServerSpec&) const = default;
};

struct DatabaseServerStatus {
  std::int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  std::optional<std::string> server_version;
  std::optional<std::int32_t> databases;  // Databases placed on this server
  bool operator==(const DatabaseServerStatus&) const = default;
};

struct DatabaseServer {
  static constexpr GroupVersionKind kGvk = kDatabaseServerGvk;
  ObjectMeta metadata;
  DatabaseServerSpec spec;
  DatabaseServerStatus status;
  bool operator==(const DatabaseServer&) const = default;
};

// Sets every static default of the reference that is unset, as the API server does on admission.
void ApplyDefaults(DatabaseServer& server);

// The rules of the reference; an empty result means valid. Unset defaulted fields are valid.
std::vector<FieldError> Validate(const DatabaseServer& server);

// True when sslMode (after defaulting) is verify-ca or verify-full.
bool RequiresRootCertificate(const DatabaseServerSpec& spec);

Expected<void> Decode(const Json& j, const std::string& path, DatabaseServerSpec& out);
Expected<void> Decode(const Json& j, const std::string& path, DatabaseServerStatus& out);
Expected<void> Decode(const Json& j, const std::string& path, DatabaseServer& out);
Json Encode(const DatabaseServerSpec& value);
Json Encode(const DatabaseServerStatus& value);
Json Encode(const DatabaseServer& value);

}  // namespace tenantdb::api::v1alpha1

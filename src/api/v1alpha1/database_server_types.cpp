#include "api/v1alpha1/database_server_types.h"

#include <set>

namespace tenantdb::api::v1alpha1 {

void ApplyDefaults(DatabaseServer& server) {
  DatabaseServerSpec& spec = server.spec;
  if (!spec.port) {
    spec.port = kDefaultPort;
  }
  if (!spec.ssl_mode) {
    spec.ssl_mode = kDefaultSslMode;
  }
  if (spec.ssl_root_cert_secret_ref && !spec.ssl_root_cert_secret_ref->key) {
    spec.ssl_root_cert_secret_ref->key = std::string(kDefaultSslRootCertKey);
  }
  if (!spec.admin_credentials_secret_ref.username_key) {
    spec.admin_credentials_secret_ref.username_key = std::string(kDefaultAdminUsernameKey);
  }
  if (!spec.admin_credentials_secret_ref.password_key) {
    spec.admin_credentials_secret_ref.password_key = std::string(kDefaultAdminPasswordKey);
  }
  if (!spec.max_connections) {
    spec.max_connections = kDefaultMaxConnections;
  }
  if (!spec.allow_adoption) {
    spec.allow_adoption = false;
  }
}

namespace {

// A list of PostgreSQL names: each accepted by `valid`, no duplicates, at most 256.
void ValidateNameList(const std::optional<std::vector<std::string>>& names,
                      const std::string& field, bool (*valid)(std::string_view),
                      std::vector<FieldError>& errors) {
  if (!names) {
    return;
  }
  ValidateMaxItems(names->size(), kMaxServerPolicyItems, field, errors);
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < names->size(); ++i) {
    const std::string path = IndexPath(field, i);
    const std::string& name = (*names)[i];
    if (!valid(name)) {
      errors.push_back(
          {path, "\"" + name + "\" is not a valid name (lower-case letters, digits, '_'" +
                     std::string(valid == IsExtensionName ? ", '-'" : "") + "; 1-63 bytes)"});
    } else if (!seen.insert(name).second) {
      errors.push_back({path, "duplicate \"" + name + "\""});
    }
  }
}

}  // namespace

bool RequiresRootCertificate(const DatabaseServerSpec& spec) {
  const SslMode mode = spec.ssl_mode.value_or(kDefaultSslMode);
  return mode == SslMode::kVerifyCa || mode == SslMode::kVerifyFull;
}

std::vector<FieldError> Validate(const DatabaseServer& server) {
  std::vector<FieldError> errors;
  const DatabaseServerSpec& spec = server.spec;
  if (spec.host.empty()) {
    errors.push_back({"spec.host", "required"});
  } else if (Utf8Length(spec.host) > kMaxHostLength) {
    errors.push_back({"spec.host", "must be at most 253 characters"});
  }
  if (spec.port) {
    ValidateRange(*spec.port, 1, 65535, "spec.port", errors);
  }
  if (spec.ssl_root_cert_secret_ref) {
    const NamespacedSecretKeySelector& ca = *spec.ssl_root_cert_secret_ref;
    ValidateNamespaceName(ca.ns, "spec.sslRootCertSecretRef.namespace", errors);
    ValidateObjectName(ca.name, "spec.sslRootCertSecretRef.name", errors);
    if (ca.key) {
      ValidateSecretKey(*ca.key, "spec.sslRootCertSecretRef.key", errors);
    }
  } else if (RequiresRootCertificate(spec)) {
    const std::string_view mode = ToString(spec.ssl_mode.value_or(kDefaultSslMode));
    errors.push_back({"spec.sslRootCertSecretRef",
                      "required when sslMode is " + std::string(mode) +
                          ": the server certificate cannot be verified without a CA"});
  }
  const CredentialsSecretReference& admin = spec.admin_credentials_secret_ref;
  ValidateNamespaceName(admin.ns, "spec.adminCredentialsSecretRef.namespace", errors);
  ValidateObjectName(admin.name, "spec.adminCredentialsSecretRef.name", errors);
  if (admin.username_key) {
    ValidateSecretKey(*admin.username_key, "spec.adminCredentialsSecretRef.usernameKey", errors);
  }
  if (admin.password_key) {
    ValidateSecretKey(*admin.password_key, "spec.adminCredentialsSecretRef.passwordKey", errors);
  }
  if (spec.allowed_namespaces) {
    const std::vector<std::string>& namespaces = *spec.allowed_namespaces;
    ValidateMaxItems(namespaces.size(), kMaxAllowedNamespaces, "spec.allowedNamespaces", errors);
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < namespaces.size(); ++i) {
      const std::string path = IndexPath("spec.allowedNamespaces", i);
      const std::size_t before = errors.size();
      if (namespaces[i] == kAllNamespaces) {
        if (namespaces.size() != 1) {
          errors.push_back({path, "\"*\" (every namespace) must be the only entry"});
        }
        continue;
      }
      ValidateDnsLabel(namespaces[i], path, errors);
      if (errors.size() == before && !seen.insert(namespaces[i]).second) {
        errors.push_back({path, "duplicate namespace \"" + namespaces[i] + "\""});
      }
    }
  }
  if (spec.allowed_namespace_selector) {
    ValidateLabelSelector(*spec.allowed_namespace_selector, "spec.allowedNamespaceSelector",
                          errors);
  }
  if (spec.max_connections) {
    ValidateRange(*spec.max_connections, 1, 100, "spec.maxConnections", errors);
  }
  ValidateNameList(spec.allowed_templates, "spec.allowedTemplates", IsIdentifier, errors);
  ValidateNameList(spec.allowed_extensions, "spec.allowedExtensions", IsExtensionName, errors);
  ValidateNameList(spec.grantable_roles, "spec.grantableRoles", IsIdentifier, errors);
  return errors;
}

Expected<void> Decode(const Json& j, const std::string& path, DatabaseServerSpec& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "host", out.host));
  TENANTDB_TRY_VOID(DecodeField(j, path, "port", out.port));
  TENANTDB_TRY_VOID(DecodeField(j, path, "sslMode", out.ssl_mode));
  TENANTDB_TRY_VOID(DecodeField(j, path, "sslRootCertSecretRef", out.ssl_root_cert_secret_ref));
  TENANTDB_TRY_VOID(
      DecodeField(j, path, "adminCredentialsSecretRef", out.admin_credentials_secret_ref));
  TENANTDB_TRY_VOID(DecodeField(j, path, "allowedNamespaces", out.allowed_namespaces));
  TENANTDB_TRY_VOID(
      DecodeField(j, path, "allowedNamespaceSelector", out.allowed_namespace_selector));
  TENANTDB_TRY_VOID(DecodeField(j, path, "maxConnections", out.max_connections));
  TENANTDB_TRY_VOID(DecodeField(j, path, "allowedTemplates", out.allowed_templates));
  TENANTDB_TRY_VOID(DecodeField(j, path, "allowedExtensions", out.allowed_extensions));
  TENANTDB_TRY_VOID(DecodeField(j, path, "grantableRoles", out.grantable_roles));
  TENANTDB_TRY_VOID(DecodeField(j, path, "allowAdoption", out.allow_adoption));
  return {};
}

Json Encode(const DatabaseServerSpec& value) {
  Json j = Json::object();
  EncodeField(j, "host", value.host);
  EncodeField(j, "port", value.port);
  EncodeField(j, "sslMode", value.ssl_mode);
  EncodeField(j, "sslRootCertSecretRef", value.ssl_root_cert_secret_ref);
  EncodeField(j, "adminCredentialsSecretRef", value.admin_credentials_secret_ref);
  EncodeField(j, "allowedNamespaces", value.allowed_namespaces);
  EncodeField(j, "allowedNamespaceSelector", value.allowed_namespace_selector);
  EncodeField(j, "maxConnections", value.max_connections);
  EncodeField(j, "allowedTemplates", value.allowed_templates);
  EncodeField(j, "allowedExtensions", value.allowed_extensions);
  EncodeField(j, "grantableRoles", value.grantable_roles);
  EncodeField(j, "allowAdoption", value.allow_adoption);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, DatabaseServerStatus& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "observedGeneration", out.observed_generation));
  TENANTDB_TRY_VOID(DecodeField(j, path, "conditions", out.conditions));
  TENANTDB_TRY_VOID(DecodeField(j, path, "serverVersion", out.server_version));
  TENANTDB_TRY_VOID(DecodeField(j, path, "databases", out.databases));
  return {};
}

Json Encode(const DatabaseServerStatus& value) {
  Json j = Json::object();
  EncodeFieldOmitEmpty(j, "observedGeneration", value.observed_generation);
  EncodeField(j, "conditions", value.conditions);
  EncodeField(j, "serverVersion", value.server_version);
  EncodeField(j, "databases", value.databases);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, DatabaseServer& out) {
  return DecodeKubeObject(j, path, DatabaseServer::kGvk.kind, out);
}

Json Encode(const DatabaseServer& value) {
  return EncodeKubeObject(value, kApiVersion, DatabaseServer::kGvk.kind);
}

}  // namespace tenantdb::api::v1alpha1

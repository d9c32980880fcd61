#include "api/v1alpha1/database_role_types.h"

#include <set>

#include "api/v1alpha1/database_types.h"
#include "api/v1alpha1/secret_template.h"

namespace tenantdb::api::v1alpha1 {
namespace {

constexpr std::size_t kMaxListItems = 64;
constexpr std::size_t kMaxSecretTemplateKeys = 32;
constexpr std::size_t kMaxSecretTemplateValueLength = 4096;

}  // namespace

void ApplyDefaults(DatabaseRole& role) {
  DatabaseRoleSpec& spec = role.spec;
  if (!spec.login) {
    spec.login = kDefaultLogin;
  }
  if (!spec.connection_limit) {
    spec.connection_limit = kDefaultConnectionLimit;
  }
  if (!spec.privileges) {
    spec.privileges = kDefaultPrivileges;
  }
  if (spec.password_secret_ref && !spec.password_secret_ref->key) {
    spec.password_secret_ref->key = std::string(kDefaultPasswordSecretKey);
  }
  if (spec.password_rotation && !spec.password_rotation->strategy) {
    spec.password_rotation->strategy = kDefaultRotationStrategy;
  }
  if (!spec.reclaim_policy) {
    spec.reclaim_policy = kDefaultRoleReclaimPolicy;
  }
  if (!spec.adopt) {
    spec.adopt = false;
  }
}

std::vector<FieldError> Validate(const DatabaseRole& role) {
  std::vector<FieldError> errors;
  const DatabaseRoleSpec& spec = role.spec;
  ValidateObjectName(spec.database_ref.name, "spec.databaseRef.name", errors);
  if (spec.role_name) {
    ValidateRoleName(*spec.role_name, "spec.roleName", errors);
  }
  if (spec.connection_limit) {
    ValidateMinimum(*spec.connection_limit, -1, "spec.connectionLimit", errors);
  }
  if (spec.valid_until && !ParseRfc3339(*spec.valid_until)) {
    errors.push_back({"spec.validUntil", "\"" + *spec.valid_until +
                                             "\" is not an RFC 3339 date-time, e.g. "
                                             "2026-01-02T03:04:05Z"});
  }
  ValidateMaxItems(spec.in_roles.size(), kMaxListItems, "spec.inRoles", errors);
  std::set<std::string> in_roles;
  for (std::size_t i = 0; i < spec.in_roles.size(); ++i) {
    const std::string path = IndexPath("spec.inRoles", i);
    const std::size_t before = errors.size();
    ValidateIdentifier(spec.in_roles[i], path, errors);
    if (errors.size() == before && !in_roles.insert(spec.in_roles[i]).second) {
      errors.push_back({path, "duplicate role \"" + spec.in_roles[i] + "\""});
    }
  }
  ValidateMaxItems(spec.grants.size(), kMaxListItems, "spec.grants", errors);
  for (std::size_t i = 0; i < spec.grants.size(); ++i) {
    const Grant& grant = spec.grants[i];
    const std::string path = IndexPath("spec.grants", i);
    ValidateIdentifier(grant.schema, ChildPath(path, "schema"), errors);
    if (grant.table && *grant.table != kAllTables) {
      ValidateIdentifier(*grant.table, ChildPath(path, "table"), errors);
    }
    const std::string privileges_path = ChildPath(path, "privileges");
    if (grant.privileges.empty()) {
      errors.push_back({privileges_path, "must list at least one privilege"});
    }
    std::set<Privilege> seen;
    for (std::size_t k = 0; k < grant.privileges.size(); ++k) {
      if (!seen.insert(grant.privileges[k]).second) {
        errors.push_back({IndexPath(privileges_path, k),
                          "duplicate privilege " + std::string(ToString(grant.privileges[k]))});
      }
    }
  }
  if (spec.password_secret_ref) {
    ValidateObjectName(spec.password_secret_ref->name, "spec.passwordSecretRef.name", errors);
    if (spec.password_secret_ref->key) {
      ValidateSecretKey(*spec.password_secret_ref->key, "spec.passwordSecretRef.key", errors);
    }
  }
  if (spec.secret_name) {
    ValidateDnsSubdomain(*spec.secret_name, "spec.secretName", errors);
  }
  ValidateMaxItems(spec.secret_template.size(), kMaxSecretTemplateKeys, "spec.secretTemplate",
                   errors);
  for (const auto& [key, value] : spec.secret_template) {
    const std::string path = KeyPath("spec.secretTemplate", key);
    ValidateSecretKey(key, path, errors);
    if (std::optional<std::string> problem = CheckSecretTemplateValue(value)) {
      errors.push_back({path, std::move(*problem)});
    }
    ValidateMaxLength(value, kMaxSecretTemplateValueLength, path, errors);
  }
  if (spec.password_rotation) {
    const std::string every_path = "spec.passwordRotation.every";
    if (spec.password_rotation->every.empty()) {
      errors.push_back({every_path, "required"});
    } else if (spec.password_rotation->every.size() > 32) {
      errors.push_back({every_path, "must be at most 32 characters"});
    } else if (Expected<std::chrono::seconds> every =
                   ParseGoDuration(spec.password_rotation->every);
               !every) {
      errors.push_back({every_path, every.error().message});
    } else if (*every < kMinRotationPeriod) {
      errors.push_back({every_path, "must be at least 1h, is " + spec.password_rotation->every});
    }
    if (spec.password_secret_ref) {
      errors.push_back({"spec.passwordRotation",
                        "may not be set together with spec.passwordSecretRef: the operator "
                        "rotates only passwords it generates"});
    }
  }
  return errors;
}

std::vector<FieldError> ValidateUpdate(const DatabaseRole& old_role, const DatabaseRole& role) {
  std::vector<FieldError> errors = Validate(role);
  if (old_role.spec.role_name != role.spec.role_name) {
    AddImmutableError("spec.roleName", errors);
  }
  return errors;
}

Expected<std::string> EffectiveRoleName(const DatabaseRole& role) {
  if (role.spec.role_name) {
    return *role.spec.role_name;
  }
  if (role.metadata.ns.empty() || role.metadata.name.empty()) {
    return Error::Invalid(
        "metadata.namespace and metadata.name are needed to compute the "
        "default role name; set spec.roleName",
        std::string(reason::kInvalidSpec));
  }
  const std::string computed = NamespacedIdentifier(role.metadata.ns, role.metadata.name);
  if (computed.size() > kMaxIdentifierBytes) {
    return Error::Invalid("the default role name \"" + computed + "\" (<namespace>_<name>) is " +
                              std::to_string(computed.size()) +
                              " bytes, over PostgreSQL's 63-byte limit; set spec.roleName to a "
                              "name of at most 63 bytes matching ^[a-z_][a-z0-9_]*$",
                          std::string(reason::kInvalidSpec));
  }
  if (!IsIdentifier(computed) || IsReservedRoleName(computed)) {
    return Error::Invalid("the default role name \"" + computed +
                              "\" is not an acceptable role name (^[a-z_][a-z0-9_]*$, not pg_* "
                              "or public); set spec.roleName",
                          std::string(reason::kInvalidSpec));
  }
  return computed;
}

Expected<std::string> EffectiveSecretName(const DatabaseRole& role) {
  if (role.spec.secret_name) {
    return *role.spec.secret_name;
  }
  const std::string computed = role.metadata.name + std::string(kCredentialsSecretSuffix);
  if (role.metadata.name.empty() || computed.size() > kMaxDnsSubdomainBytes) {
    return Error::Invalid("the default Secret name \"" + computed +
                              "\" (<name>-credentials) is not a valid object name of at most "
                              "253 bytes; set spec.secretName",
                          std::string(reason::kInvalidSpec));
  }
  return computed;
}

Expected<void> Decode(const Json& j, const std::string& path, Grant& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "schema", out.schema));
  TENANTDB_TRY_VOID(DecodeField(j, path, "table", out.table));
  TENANTDB_TRY_VOID(DecodeField(j, path, "privileges", out.privileges));
  return {};
}

Json Encode(const Grant& value) {
  Json j = Json::object();
  EncodeField(j, "schema", value.schema);
  EncodeField(j, "table", value.table);
  EncodeField(j, "privileges", value.privileges);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, PasswordRotation& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "every", out.every));
  TENANTDB_TRY_VOID(DecodeField(j, path, "strategy", out.strategy));
  return {};
}

Json Encode(const PasswordRotation& value) {
  Json j = Json::object();
  EncodeField(j, "every", value.every);
  EncodeField(j, "strategy", value.strategy);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, DatabaseRoleSpec& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "databaseRef", out.database_ref));
  TENANTDB_TRY_VOID(DecodeField(j, path, "roleName", out.role_name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "login", out.login));
  TENANTDB_TRY_VOID(DecodeField(j, path, "connectionLimit", out.connection_limit));
  TENANTDB_TRY_VOID(DecodeField(j, path, "validUntil", out.valid_until));
  TENANTDB_TRY_VOID(DecodeField(j, path, "inRoles", out.in_roles));
  TENANTDB_TRY_VOID(DecodeField(j, path, "privileges", out.privileges));
  TENANTDB_TRY_VOID(DecodeField(j, path, "grants", out.grants));
  TENANTDB_TRY_VOID(DecodeField(j, path, "passwordSecretRef", out.password_secret_ref));
  TENANTDB_TRY_VOID(DecodeField(j, path, "secretName", out.secret_name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "secretTemplate", out.secret_template));
  TENANTDB_TRY_VOID(DecodeField(j, path, "passwordRotation", out.password_rotation));
  TENANTDB_TRY_VOID(DecodeField(j, path, "reclaimPolicy", out.reclaim_policy));
  TENANTDB_TRY_VOID(DecodeField(j, path, "adopt", out.adopt));
  return {};
}

Json Encode(const DatabaseRoleSpec& value) {
  Json j = Json::object();
  EncodeField(j, "databaseRef", value.database_ref);
  EncodeField(j, "roleName", value.role_name);
  EncodeField(j, "login", value.login);
  EncodeField(j, "connectionLimit", value.connection_limit);
  EncodeField(j, "validUntil", value.valid_until);
  EncodeField(j, "inRoles", value.in_roles);
  EncodeField(j, "privileges", value.privileges);
  EncodeField(j, "grants", value.grants);
  EncodeField(j, "passwordSecretRef", value.password_secret_ref);
  EncodeField(j, "secretName", value.secret_name);
  EncodeField(j, "secretTemplate", value.secret_template);
  EncodeField(j, "passwordRotation", value.password_rotation);
  EncodeField(j, "reclaimPolicy", value.reclaim_policy);
  EncodeField(j, "adopt", value.adopt);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, DatabaseRoleStatus& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "observedGeneration", out.observed_generation));
  TENANTDB_TRY_VOID(DecodeField(j, path, "conditions", out.conditions));
  TENANTDB_TRY_VOID(DecodeField(j, path, "roleName", out.role_name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "secretName", out.secret_name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "activeLogin", out.active_login));
  TENANTDB_TRY_VOID(DecodeField(j, path, "passwordChangedAt", out.password_changed_at));
  TENANTDB_TRY_VOID(DecodeField(j, path, "server", out.server));
  TENANTDB_TRY_VOID(DecodeField(j, path, "databaseName", out.database_name));
  return {};
}

Json Encode(const DatabaseRoleStatus& value) {
  Json j = Json::object();
  EncodeFieldOmitEmpty(j, "observedGeneration", value.observed_generation);
  EncodeField(j, "conditions", value.conditions);
  EncodeField(j, "roleName", value.role_name);
  EncodeField(j, "secretName", value.secret_name);
  EncodeField(j, "activeLogin", value.active_login);
  EncodeField(j, "passwordChangedAt", value.password_changed_at);
  EncodeField(j, "server", value.server);
  EncodeField(j, "databaseName", value.database_name);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, DatabaseRole& out) {
  return DecodeKubeObject(j, path, DatabaseRole::kGvk.kind, out);
}

Json Encode(const DatabaseRole& value) {
  return EncodeKubeObject(value, kApiVersion, DatabaseRole::kGvk.kind);
}

}  // namespace tenantdb::api::v1alpha1

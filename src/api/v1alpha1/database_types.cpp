#include "api/v1alpha1/database_types.h"

#include <set>

namespace tenantdb::api::v1alpha1 {
namespace {

constexpr std::string_view kEncodingChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
constexpr std::string_view kLocaleChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@-";
constexpr std::size_t kMaxListItems = 64;

Error ComputedNameError(std::string_view what, const std::string& computed, std::string_view rule,
                        std::string_view field) {
  return Error::Invalid("the default " + std::string(what) + " \"" + computed + "\" " +
                            std::string(rule) + "; set " + std::string(field) +
                            " to a name of at most 63 bytes matching ^[a-z_][a-z0-9_]*$",
                        std::string(reason::kInvalidSpec));
}

}  // namespace

std::string NamespacedIdentifier(std::string_view ns, std::string_view name) {
  std::string out;
  out.reserve(ns.size() + 1 + name.size());
  out += ns;
  out += '_';
  out += name;
  for (char& c : out) {
    if (c == '-' || c == '.') {
      c = '_';
    }
  }
  return out;
}

void ApplyDefaults(Database& database) {
  DatabaseSpec& spec = database.spec;
  if (!spec.server_ref) {
    spec.server_ref = LocalObjectReference{};
  }
  if (spec.server_ref->name.empty()) {
    spec.server_ref->name = std::string(kDefaultServerName);
  }
  if (!spec.encoding) {
    spec.encoding = std::string(kDefaultEncoding);
  }
  if (!spec.template_name) {
    spec.template_name = std::string(kDefaultTemplate);
  }
  if (!spec.connection_limit) {
    spec.connection_limit = kDefaultConnectionLimit;
  }
  for (DatabaseExtension& ext : spec.extensions) {
    if (!ext.ensure) {
      ext.ensure = kDefaultEnsure;
    }
  }
  for (DatabaseSchema& schema : spec.schemas) {
    if (!schema.ensure) {
      schema.ensure = kDefaultEnsure;
    }
  }
  if (!spec.reclaim_policy) {
    spec.reclaim_policy = kDefaultDatabaseReclaimPolicy;
  }
  if (!spec.adopt) {
    spec.adopt = false;
  }
  if (!spec.drift_policy) {
    spec.drift_policy = kDefaultDriftPolicy;
  }
  if (!spec.deletion_protection) {
    spec.deletion_protection = false;
  }
}

std::vector<FieldError> Validate(const Database& database) {
  std::vector<FieldError> errors;
  const DatabaseSpec& spec = database.spec;
  // An empty serverRef.name is read as unset (defaulted to "default").
  if (spec.server_ref && !spec.server_ref->name.empty()) {
    ValidateDnsSubdomain(spec.server_ref->name, "spec.serverRef.name", errors);
  }
  if (spec.name) {
    ValidateDatabaseName(*spec.name, "spec.name", errors);
  }
  if (spec.owner) {
    ValidateRoleName(*spec.owner, "spec.owner", errors);
  }
  if (spec.encoding) {
    ValidateCharset(*spec.encoding, kEncodingChars, "^[A-Za-z0-9_]+$", "spec.encoding", errors);
    ValidateMaxLength(*spec.encoding, 63, "spec.encoding", errors);
  }
  if (spec.locale) {
    ValidateCharset(*spec.locale, kLocaleChars, "^[A-Za-z0-9_.@-]+$", "spec.locale", errors);
    ValidateMaxLength(*spec.locale, 128, "spec.locale", errors);
  }
  if (spec.template_name) {
    ValidateIdentifier(*spec.template_name, "spec.template", errors);
  }
  if (spec.connection_limit) {
    ValidateMinimum(*spec.connection_limit, -1, "spec.connectionLimit", errors);
  }
  ValidateMaxItems(spec.extensions.size(), kMaxListItems, "spec.extensions", errors);
  std::set<std::string> extension_names;
  for (std::size_t i = 0; i < spec.extensions.size(); ++i) {
    const DatabaseExtension& ext = spec.extensions[i];
    const std::string path = IndexPath("spec.extensions", i);
    if (!IsExtensionName(ext.name)) {
      errors.push_back({ChildPath(path, "name"), "\"" + ext.name + "\" must match " +
                                                     std::string(kExtensionNamePattern) +
                                                     " and be 1-63 bytes"});
    } else if (!extension_names.insert(ext.name).second) {
      errors.push_back({ChildPath(path, "name"), "duplicate extension \"" + ext.name + "\""});
    }
    if (ext.version) {
      if (ext.version->empty()) {
        errors.push_back({ChildPath(path, "version"), "must not be empty"});
      }
      ValidateMaxLength(*ext.version, 63, ChildPath(path, "version"), errors);
    }
    if (ext.schema) {
      const std::size_t before = errors.size();
      ValidateIdentifier(*ext.schema, ChildPath(path, "schema"), errors);
      if (errors.size() == before && IsReservedSchemaName(*ext.schema)) {
        // Objects created in pg_catalog would shadow PostgreSQL's own for every session.
        errors.push_back({ChildPath(path, "schema"),
                          "\"" + *ext.schema +
                              "\" is a reserved schema (pg_* and information_schema belong to "
                              "PostgreSQL)"});
      }
    }
  }
  ValidateMaxItems(spec.schemas.size(), kMaxListItems, "spec.schemas", errors);
  std::set<std::string> schema_names;
  for (std::size_t i = 0; i < spec.schemas.size(); ++i) {
    const DatabaseSchema& schema = spec.schemas[i];
    const std::string path = IndexPath("spec.schemas", i);
    const std::size_t before = errors.size();
    ValidateIdentifier(schema.name, ChildPath(path, "name"), errors);
    if (errors.size() == before) {
      if (IsReservedSchemaName(schema.name)) {
        errors.push_back(
            {ChildPath(path, "name"),
             "\"" + schema.name + "\" is a reserved schema name (pg_* and information_schema)"});
      } else if (!schema_names.insert(schema.name).second) {
        errors.push_back({ChildPath(path, "name"), "duplicate schema \"" + schema.name + "\""});
      }
    }
    if (schema.owner) {
      ValidateRoleName(*schema.owner, ChildPath(path, "owner"), errors);
    }
  }
  return errors;
}

std::vector<FieldError> ValidateUpdate(const Database& old_database, const Database& database) {
  std::vector<FieldError> errors = Validate(database);
  if (old_database.spec.name != database.spec.name) {
    AddImmutableError("spec.name", errors);
  }
  if (old_database.spec.encoding != database.spec.encoding) {
    AddImmutableError("spec.encoding", errors);
  }
  if (old_database.spec.locale != database.spec.locale) {
    AddImmutableError("spec.locale", errors);
  }
  if (old_database.spec.template_name != database.spec.template_name) {
    AddImmutableError("spec.template", errors);
  }
  return errors;
}

Expected<std::string> EffectiveDatabaseName(const Database& database) {
  if (database.spec.name) {
    return *database.spec.name;
  }
  if (database.metadata.ns.empty() || database.metadata.name.empty()) {
    return Error::Invalid(
        "metadata.namespace and metadata.name are needed to compute the "
        "default database name; set spec.name",
        std::string(reason::kInvalidSpec));
  }
  const std::string computed = NamespacedIdentifier(database.metadata.ns, database.metadata.name);
  if (computed.size() > kMaxIdentifierBytes) {
    return ComputedNameError("database name", computed,
                             "(<namespace>_<name>) is " + std::to_string(computed.size()) +
                                 " bytes, over PostgreSQL's 63-byte limit",
                             "spec.name");
  }
  if (!IsIdentifier(computed) || IsReservedDatabaseName(computed)) {
    return ComputedNameError("database name", computed, "is not an acceptable identifier",
                             "spec.name");
  }
  return computed;
}

Expected<std::string> EffectiveOwner(const Database& database) {
  if (database.spec.owner) {
    return *database.spec.owner;
  }
  TENANTDB_TRY(const std::string db_name, EffectiveDatabaseName(database));
  const std::string computed = db_name + std::string(kOwnerRoleSuffix);
  if (computed.size() > kMaxIdentifierBytes) {
    return ComputedNameError("owner role", computed,
                             "(<database name>_owner) is " + std::to_string(computed.size()) +
                                 " bytes, over PostgreSQL's 63-byte limit",
                             "spec.owner");
  }
  if (!IsIdentifier(computed) || IsReservedRoleName(computed)) {
    return ComputedNameError("owner role", computed, "is not an acceptable role name",
                             "spec.owner");
  }
  return computed;
}

std::string EffectiveServerName(const Database& database) {
  if (database.spec.server_ref && !database.spec.server_ref->name.empty()) {
    return database.spec.server_ref->name;
  }
  return std::string(kDefaultServerName);
}

Expected<std::string> EffectiveSchemaOwner(const Database& database, const DatabaseSchema& schema) {
  if (schema.owner) {
    return *schema.owner;
  }
  return EffectiveOwner(database);
}

Expected<void> Decode(const Json& j, const std::string& path, DatabaseExtension& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "name", out.name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "version", out.version));
  TENANTDB_TRY_VOID(DecodeField(j, path, "schema", out.schema));
  TENANTDB_TRY_VOID(DecodeField(j, path, "ensure", out.ensure));
  return {};
}

Json Encode(const DatabaseExtension& value) {
  Json j = Json::object();
  EncodeField(j, "name", value.name);
  EncodeField(j, "version", value.version);
  EncodeField(j, "schema", value.schema);
  EncodeField(j, "ensure", value.ensure);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, DatabaseSchema& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "name", out.name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "owner", out.owner));
  TENANTDB_TRY_VOID(DecodeField(j, path, "ensure", out.ensure));
  return {};
}

Json Encode(const DatabaseSchema& value) {
  Json j = Json::object();
  EncodeField(j, "name", value.name);
  EncodeField(j, "owner", value.owner);
  EncodeField(j, "ensure", value.ensure);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, DatabaseSpec& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "serverRef", out.server_ref));
  TENANTDB_TRY_VOID(DecodeField(j, path, "name", out.name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "owner", out.owner));
  TENANTDB_TRY_VOID(DecodeField(j, path, "encoding", out.encoding));
  TENANTDB_TRY_VOID(DecodeField(j, path, "locale", out.locale));
  TENANTDB_TRY_VOID(DecodeField(j, path, "template", out.template_name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "connectionLimit", out.connection_limit));
  TENANTDB_TRY_VOID(DecodeField(j, path, "extensions", out.extensions));
  TENANTDB_TRY_VOID(DecodeField(j, path, "schemas", out.schemas));
  TENANTDB_TRY_VOID(DecodeField(j, path, "reclaimPolicy", out.reclaim_policy));
  TENANTDB_TRY_VOID(DecodeField(j, path, "adopt", out.adopt));
  TENANTDB_TRY_VOID(DecodeField(j, path, "driftPolicy", out.drift_policy));
  TENANTDB_TRY_VOID(DecodeField(j, path, "deletionProtection", out.deletion_protection));
  return {};
}

Json Encode(const DatabaseSpec& value) {
  Json j = Json::object();
  EncodeField(j, "serverRef", value.server_ref);
  EncodeField(j, "name", value.name);
  EncodeField(j, "owner", value.owner);
  EncodeField(j, "encoding", value.encoding);
  EncodeField(j, "locale", value.locale);
  EncodeField(j, "template", value.template_name);
  EncodeField(j, "connectionLimit", value.connection_limit);
  EncodeField(j, "extensions", value.extensions);
  EncodeField(j, "schemas", value.schemas);
  EncodeField(j, "reclaimPolicy", value.reclaim_policy);
  EncodeField(j, "adopt", value.adopt);
  EncodeField(j, "driftPolicy", value.drift_policy);
  EncodeField(j, "deletionProtection", value.deletion_protection);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, DriftEntry& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "field", out.field));
  TENANTDB_TRY_VOID(DecodeField(j, path, "expected", out.expected));
  TENANTDB_TRY_VOID(DecodeField(j, path, "actual", out.actual));
  return {};
}

Json Encode(const DriftEntry& value) {
  Json j = Json::object();
  EncodeField(j, "field", value.field);
  EncodeField(j, "expected", value.expected);
  EncodeField(j, "actual", value.actual);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, DatabaseStatus& out) {
  TENANTDB_TRY_VOID(ExpectObject(j, path));
  TENANTDB_TRY_VOID(DecodeField(j, path, "observedGeneration", out.observed_generation));
  TENANTDB_TRY_VOID(DecodeField(j, path, "conditions", out.conditions));
  TENANTDB_TRY_VOID(DecodeField(j, path, "databaseName", out.database_name));
  TENANTDB_TRY_VOID(DecodeField(j, path, "owner", out.owner));
  TENANTDB_TRY_VOID(DecodeField(j, path, "drift", out.drift));
  return {};
}

Json Encode(const DatabaseStatus& value) {
  Json j = Json::object();
  EncodeFieldOmitEmpty(j, "observedGeneration", value.observed_generation);
  EncodeField(j, "conditions", value.conditions);
  EncodeField(j, "databaseName", value.database_name);
  EncodeField(j, "owner", value.owner);
  EncodeField(j, "drift", value.drift);
  return j;
}

Expected<void> Decode(const Json& j, const std::string& path, Database& out) {
  return DecodeKubeObject(j, path, Database::kGvk.kind, out);
}

Json Encode(const Database& value) {
  return EncodeKubeObject(value, kApiVersion, Database::kGvk.kind);
}

}  // namespace tenantdb::api::v1alpha1

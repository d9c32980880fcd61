#include "controllers/common/tenancy.h"

#include <algorithm>
#include <array>

namespace tenantdb::controllers {

namespace v1 = api::v1alpha1;

namespace {

constexpr std::array<std::string_view, 21> kTrustedExtensions = {
    "btree_gin",       "btree_gist", "citext",   "cube",      "dict_int", "fuzzystrmatch",
    "hstore",          "intarray",   "isn",      "lo",        "ltree",    "pg_trgm",
    "pgcrypto",        "plpgsql",    "seg",      "tablefunc", "tcn",      "tsm_system_rows",
    "tsm_system_time", "unaccent",   "uuid-ossp"};

bool Listed(const std::optional<std::vector<std::string>>& list, std::string_view name) {
  return list && std::find(list->begin(), list->end(), name) != list->end();
}

std::string Quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

}  // namespace

std::string Marker(std::string_view ns, std::string_view kind, std::string_view name) {
  return std::string(kMarkerPrefix) + std::string(ns) + "/" + std::string(kind) + "/" +
         std::string(name);
}

Holder HolderOf(const std::optional<std::string>& comment, std::string_view marker) {
  if (comment && *comment == marker) {
    return Holder::kThis;
  }
  if (comment && comment->starts_with(kMarkerPrefix)) {
    return Holder::kOther;
  }
  return Holder::kUnmarked;
}

bool MarkedForNamespace(const std::optional<std::string>& comment, std::string_view ns) {
  if (!comment) {
    return false;
  }
  const std::string prefix = std::string(kMarkerPrefix) + std::string(ns) + "/";
  if (!comment->starts_with(prefix)) {
    return false;
  }
  // "<kind>/<name>" after the namespace: exactly one more '/'.
  const std::string_view rest = std::string_view(*comment).substr(prefix.size());
  const auto slash = rest.find('/');
  return slash != std::string_view::npos && slash > 0 && slash + 1 < rest.size() &&
         rest.find('/', slash + 1) == std::string_view::npos;
}

bool IsPrivilegedRole(const sql::ObservedRole& role) {
  return role.superuser || role.create_role || role.create_db || role.bypass_rls ||
         role.replication;
}

std::span<const std::string_view> TrustedExtensions() { return kTrustedExtensions; }

bool TemplateAllowed(const v1::DatabaseServerSpec& server, std::string_view name) {
  return name == "template0" || name == "template1" || Listed(server.allowed_templates, name);
}

bool ExtensionAllowed(const v1::DatabaseServerSpec& server, std::string_view name) {
  if (server.allowed_extensions) {
    return Listed(server.allowed_extensions, name);
  }
  const auto trusted = TrustedExtensions();
  return std::find(trusted.begin(), trusted.end(), name) != trusted.end();
}

bool AdoptionAllowed(const v1::DatabaseServerSpec& server) {
  return server.allow_adoption.value_or(false);
}

std::optional<Refusal> RefuseMembership(const std::string& name,
                                        const std::optional<sql::ObservedRole>& role,
                                        std::string_view ns, const v1::DatabaseServerSpec& server,
                                        std::string_view admin_user) {
  const std::string reason(v1::reason::kRoleNotAllowed);
  const std::string what = "spec.inRoles names role " + Quoted(name);
  const std::string fix =
      ": list only roles of DatabaseRoles and Databases of this namespace, or ask the platform "
      "team to add the role to the DatabaseServer's spec.grantableRoles.";
  if (name == admin_user) {
    return Refusal{reason, what + ", the operator's admin role, which is never granted" + fix};
  }
  if (role && IsPrivilegedRole(*role)) {
    return Refusal{reason, what +
                               ", which has SUPERUSER, CREATEROLE, CREATEDB, BYPASSRLS or "
                               "REPLICATION and is never granted to a tenant" +
                               fix};
  }
  const bool grantable = Listed(server.grantable_roles, name);
  if (!grantable && name.starts_with("pg_")) {
    return Refusal{reason, what +
                               ", a built-in role that the server does not list in "
                               "spec.grantableRoles" +
                               fix};
  }
  if (grantable) {
    return std::nullopt;  // absent: the GRANT itself reports it
  }
  if (!role) {
    return Refusal{std::string(v1::reason::kDependencyNotReady),
                   what +
                       ", which does not exist (yet): create the DatabaseRole or Database it "
                       "belongs to, or remove it from spec.inRoles."};
  }
  if (!MarkedForNamespace(role->comment, ns)) {
    return Refusal{reason, what + ", which tenantdb does not manage for this namespace" + fix};
  }
  return std::nullopt;
}

std::optional<Refusal> RefuseRoleAdoption(const sql::ObservedRole& role, bool adopt,
                                          const v1::DatabaseServerSpec& server,
                                          std::string_view admin_user, std::string_view field) {
  const std::string exists = "PostgreSQL role " + Quoted(role.name) + " (" + std::string(field) +
                             ") already exists and was not created by tenantdb for this object";
  if (!adopt) {
    return Refusal{
        std::string(v1::reason::kConflictingResource),
        exists + "; nothing was changed. Choose another name" +
            (AdoptionAllowed(server) ? std::string(", or set spec.adopt: true to take it over.")
                                     : std::string("."))};
  }
  if (!AdoptionAllowed(server)) {
    return Refusal{std::string(v1::reason::kAdoptionNotAllowed),
                   exists +
                       "; the DatabaseServer does not allow adoption (spec.allowAdoption). "
                       "Choose another name, or ask the platform team to allow adoption."};
  }
  if (role.name == admin_user || role.name.starts_with("pg_") || IsPrivilegedRole(role)) {
    return Refusal{std::string(v1::reason::kConflictingResource),
                   exists +
                       " and is a built-in, admin or privileged role, which is never "
                       "adopted; nothing was changed. Choose another name."};
  }
  return std::nullopt;
}

}  // namespace tenantdb::controllers

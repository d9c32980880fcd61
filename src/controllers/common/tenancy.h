#pragma once

// Tenant isolation (DESIGN.md "Security model"), as pure functions shared by every controller:
//  - ownership markers: every database and role tenantdb creates carries the comment
//    "tenantdb:<namespace>/<Kind>/<name>"; nothing without its own object's marker is altered,
//    granted, reassigned or dropped;
//  - what the platform team lets tenants use on a DatabaseServer: templates, extensions, extra
//    grantable roles, adoption.
// Refusal messages name only what the reader may know: its own objects and the server.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "api/v1alpha1/database_server_types.h"
#include "sql/catalog.h"

namespace tenantdb::controllers {

inline constexpr std::string_view kMarkerPrefix = "tenantdb:";
inline constexpr std::string_view kDatabaseKind = "Database";
inline constexpr std::string_view kDatabaseRoleKind = "DatabaseRole";

// "tenantdb:<namespace>/<kind>/<name>".
std::string Marker(std::string_view ns, std::string_view kind, std::string_view name);

// Whose an existing database or role is, judged by its comment.
enum class Holder {
  kThis,      // exactly this object's marker
  kOther,     // another tenantdb object's marker (any namespace)
  kUnmarked,  // no tenantdb marker at all: made by hand, by the platform, or a built-in role
};
Holder HolderOf(const std::optional<std::string>& comment, std::string_view marker);

// True when the comment is a tenantdb marker of an object in namespace `ns` (any kind, any name).
bool MarkedForNamespace(const std::optional<std::string>& comment, std::string_view ns);

// SUPERUSER, CREATEROLE, CREATEDB, BYPASSRLS or REPLICATION: never granted to, nor adopted by, a
// tenant.
bool IsPrivilegedRole(const sql::ObservedRole& role);

// PostgreSQL's trusted extensions (contrib's `trusted = true` control files, PostgreSQL 13-18):
// those a database owner may create without superuser. The default of allowedExtensions.
std::span<const std::string_view> TrustedExtensions();

bool TemplateAllowed(const api::v1alpha1::DatabaseServerSpec& server, std::string_view name);
bool ExtensionAllowed(const api::v1alpha1::DatabaseServerSpec& server, std::string_view name);
bool AdoptionAllowed(const api::v1alpha1::DatabaseServerSpec& server);

// A refusal: the condition reason and a message that says what to change.
struct Refusal {
  std::string reason;
  std::string message;
  bool operator==(const Refusal&) const = default;
};

// Whether a DatabaseRole of namespace `ns` may be made a member of role `name` (spec.inRoles):
// only roles tenantdb manages for the same namespace, plus the server's grantableRoles; never a
// pg_* role otherwise, never the admin role, never a privileged role (even when listed). `role`
// is the observed role, std::nullopt when it does not exist. std::nullopt = allowed.
std::optional<Refusal> RefuseMembership(const std::string& name,
                                        const std::optional<sql::ObservedRole>& role,
                                        std::string_view ns,
                                        const api::v1alpha1::DatabaseServerSpec& server,
                                        std::string_view admin_user);

// Whether tenantdb may take over the existing unmarked role `role` for one of its objects
// (spec.adopt): the server must allow adoption, and the role must not be privileged, a pg_* role
// or the admin. `field` names the spec field for the message. std::nullopt = allowed.
std::optional<Refusal> RefuseRoleAdoption(const sql::ObservedRole& role, bool adopt,
                                          const api::v1alpha1::DatabaseServerSpec& server,
                                          std::string_view admin_user, std::string_view field);

}  // namespace tenantdb::controllers

#pragma once

// The Database planner (STYLE.md R2-R3): a pure function of (desired spec, observed server state)
// to SQL actions, drift entries and an optional conflict. No I/O here.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/v1alpha1/database_server_types.h"
#include "api/v1alpha1/database_types.h"
#include "common/expected.h"
#include "controllers/common/apply_sql.h"
#include "controllers/common/readiness.h"
#include "controllers/common/tenancy.h"
#include "controllers/database/database_status.h"
#include "sql/actions.h"
#include "sql/catalog.h"

namespace tenantdb::controllers::database {

// The ownership marker tenantdb writes as the comment of the database and of its owner role:
// "tenantdb:<namespace>/Database/<name>" (controllers/common/tenancy.h).
std::string OwnershipMarker(std::string_view ns, std::string_view name);

// Drift field names (status.drift[].field).
inline constexpr std::string_view kDriftOwner = "owner";
inline constexpr std::string_view kDriftConnectionLimit = "connectionLimit";
inline constexpr std::string_view kDriftComment = "comment";
inline constexpr std::string_view kDriftPublicDatabaseAccess = "publicDatabaseAccess";
inline constexpr std::string_view kDriftPublicSchemaCreate = "publicSchemaCreate";
inline constexpr std::string_view kDriftAllowConnections = "allowConnections";
// "extensions[<name>]", "extensions[<name>].version", "schemas[<name>]", "schemas[<name>].owner".

struct DesiredSchema {
  std::string name;
  std::string owner;
  api::v1alpha1::Ensure ensure = api::v1alpha1::Ensure::kPresent;
  bool operator==(const DesiredSchema&) const = default;
};

// The spec with every default and computed name resolved.
struct DesiredDatabase {
  std::string ns;      // the Database's namespace (the tenant)
  std::string server;  // DatabaseServer name, for messages
  std::string name;    // PostgreSQL database name
  std::string owner;   // owner role (NOLOGIN, created when absent)
  std::string marker;  // OwnershipMarker(namespace, metadata.name): database and owner role
  std::string encoding = "UTF8";
  std::optional<std::string> locale;
  std::string template_name = "template1";
  std::int32_t connection_limit = -1;
  std::vector<api::v1alpha1::DatabaseExtension> extensions;  // ensure defaulted
  std::vector<DesiredSchema> schemas;                        // owner and ensure resolved
  bool adopt = false;
  api::v1alpha1::DriftPolicy drift_policy = api::v1alpha1::DriftPolicy::kCorrect;
  bool operator==(const DesiredDatabase&) const = default;
};

// Resolves defaults and computed names (EffectiveDatabaseName, EffectiveOwner, ...). kInvalid
// (reason InvalidSpec) when a computed name is not acceptable.
Expected<DesiredDatabase> Desire(const api::v1alpha1::Database& database);

// What the DatabaseServer does not let this Database use: a template other than template0,
// template1 and spec.allowedTemplates (TemplateNotAllowed), an extension outside
// spec.allowedExtensions or PostgreSQL's trusted ones (ExtensionNotAllowed), spec.adopt without
// spec.allowAdoption (AdoptionNotAllowed). Checked before any session is opened: a refused spec
// sends nothing to PostgreSQL.
std::optional<Refusal> CheckServerPolicy(const DesiredDatabase& desired,
                                         const api::v1alpha1::DatabaseServerSpec& server);

// Objects inside the database, read with a session connected to it.
struct ObservedObjects {
  std::vector<sql::ObservedExtension> extensions;
  std::vector<sql::ObservedSchema> schemas;
};

// What the server holds. `objects` is absent when the database does not exist (or was not read
// because it is someone else's).
struct ObservedCatalog {
  std::optional<sql::ObservedDatabase> database;
  std::optional<sql::ObservedRole> owner_role;  // the desired owner role
  // The admin role tenantdb logs in as. When it is not a superuser it must be a member of the
  // owner role to create the database OWNER it, connect to it after PUBLIC lost CONNECT, and
  // act as its owner; the plan grants that membership when it has anything to do.
  std::optional<sql::ObservedRole> admin_role;
  std::optional<ObservedObjects> objects;
  // The roles named by spec.schemas[].owner other than the owner (absent: no such role).
  std::map<std::string, std::optional<sql::ObservedRole>> schema_owner_roles;
  // The server's policy (allowAdoption) for adopting an unmarked owner role.
  api::v1alpha1::DatabaseServerSpec server;
};

// Whose database an existing database is.
enum class Ownership {
  kAbsent,      // no such database: create it
  kOurs,        // carries this object's marker
  kUnfinished,  // no marker, but owned by this object's marked owner role: tenantdb created it
                // and stopped before marking it (a crash); finish it
  kAdoptable,   // no tenantdb marker, spec.adopt is true: take it over (write the marker)
  kConflict,    // another object's marker, or no marker without spec.adopt
};
// `owner_role`: the desired owner role as observed (whether it carries this object's marker
// decides kUnfinished).
Ownership ClassifyOwnership(const DesiredDatabase& desired,
                            const std::optional<sql::ObservedDatabase>& database,
                            const std::optional<sql::ObservedRole>& owner_role);

struct DatabasePlan {
  std::vector<sql::SqlAction> actions;
  // Differences with the spec under driftPolicy Detect (empty under Correct and Ignore).
  std::vector<api::v1alpha1::DriftEntry> drift;
  // Set when the database or a role it names is not ours to use (ConflictingResource,
  // RoleNotAllowed, AdoptionNotAllowed, DependencyNotReady): nothing is to be touched.
  std::optional<Refusal> refusal;
  // Differences tenantdb never corrects (encoding, locale), as sentences for the Ready message.
  std::vector<std::string> immutable_differences;
  bool creates_database = false;
};

// Pure. For a missing database: owner role (NOLOGIN, with the marker, in one transaction) when
// absent, CREATE DATABASE ... ALLOW_CONNECTIONS false, the marker comment, REVOKE ALL ON DATABASE
// FROM PUBLIC, ALLOW_CONNECTIONS true, REVOKE CREATE ON SCHEMA public FROM PUBLIC, then the
// declared extensions (in schema public unless said) and schemas. An unfinished database gets the
// same minus the CREATEs, whatever the driftPolicy. For an existing one: ownership of the owner
// role, adoption, then drift (owner, connection limit, marker, connections, PUBLIC access,
// extensions, schemas) handled by driftPolicy.
DatabasePlan PlanDatabase(const DesiredDatabase& desired, const ObservedCatalog& observed);

// Pure helper for deletion: the owner role is dropped with the database (reclaimPolicy Delete)
// only when it carries this object's marker and cannot log in; the caller also checks that it
// owns no other database.
bool OwnerRoleIsOurs(const DesiredDatabase& desired,
                     const std::optional<sql::ObservedRole>& owner_role);

// --- one visit: observe -> plan -> act -> report (src/controllers/README.md) --------------------

// What one visit learned (the Observe step; the one name for it; ObservedRoleState,
// ObservedServerState likewise). Read in order, each part only when the earlier ones let the visit
// go on: a Database waiting on its DatabaseServer reads no Secret and opens no session.
struct ObservedDatabaseState {
  // The DatabaseServer spec.serverRef names, defaults applied; absent: it does not exist.
  std::optional<api::v1alpha1::DatabaseServer> server;
  bool namespace_admitted = false;  // by that server (read only when it exists)
  // The server's catalog, read once nothing above stops the visit. On deletion only `database`
  // and `owner_role` are read.
  std::optional<ObservedCatalog> catalog;
  // Deletion only: databases the owner role owns, this one included.
  int owner_databases = 0;
};

// Why the visit stops before opening a session (the DatabaseServer missing or not Ready, the
// namespace not admitted, a server policy refusing the spec); std::nullopt: go on.
std::optional<Readiness> WaitBeforeSession(const DesiredDatabase& desired,
                                           const ObservedDatabaseState& observed);

// The report of a visit that knows the names: server, database name and owner.
DatabaseReport ReportFor(const DesiredDatabase& desired);

// What a visit must do and what the status must then say (the Plan step).
struct VisitPlan {
  std::vector<SqlTransaction> transactions;  // GroupIntoTransactions of PlanDatabase's actions
  DatabaseReport report;                     // once every transaction committed
  // report.not_ready waits on another object or on a person (a refusal): no SQL, no backoff.
  bool blocked = false;
};

// Pure: WaitBeforeSession, then PlanDatabase over the catalog (its refusal blocks the visit).
VisitPlan PlanVisit(const DesiredDatabase& desired, const ObservedDatabaseState& observed);

// reclaimPolicy Delete, once logged in (the Cleanup step's plan).
struct DeletionPlan {
  // Set when nothing may be dropped (the namespace no longer admitted, the database not this
  // object's): the Warning Event (reason Deleting) that says what was left.
  std::optional<std::string> left_behind;
  std::vector<SqlTransaction> drop_database;
  // The owner role, when it is ours and owns no other database; dropped after the database, and
  // a failure only leaves it behind (with a Warning Event).
  std::vector<SqlTransaction> drop_owner;
};

// Pure: `observed.catalog` is absent when the namespace is no longer admitted.
DeletionPlan PlanDeletion(const DesiredDatabase& desired, const ObservedDatabaseState& observed);

// "PostgreSQL database "x" on DatabaseServer "y"", for deletion messages.
std::string DescribeOnServer(const DesiredDatabase& desired);

}  // namespace tenantdb::controllers::database

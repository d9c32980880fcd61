#pragma once

// Observed state of a PostgreSQL server, read from pg_catalog (STYLE.md R2: the "observe" step).
// The admin's sessions run inside tenants' databases, whose owners can create functions and
// operators: every query here names pg_catalog's functions and operators explicitly
// (CVE-2018-1058), on top of the search_path=pg_catalog every session is opened with
// (sql/connection.h). Each reader takes a session (SqlExecutor); readers of per-database objects
// (extensions, schemas, privileges, default privileges) need a session connected to that database.
// Values are catalog facts, unquoted; nothing here decides anything.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "sql/sql_executor.h"

namespace tenantdb::sql {

struct ServerInfo;  // sql/session.h

// One aclexplode() entry: `grantee` ("PUBLIC" for the public pseudo-role) holds `privilege`
// (SQL keyword, e.g. "CONNECT", "SELECT").
struct AclEntry {
  std::string grantee;
  std::string privilege;
  bool grantable = false;
  bool operator==(const AclEntry&) const = default;
};

struct ObservedDatabase {
  std::string name;
  std::string owner;
  std::string encoding;  // e.g. "UTF8"
  std::string collate;   // datcollate
  std::string ctype;     // datctype
  std::int32_t connection_limit = -1;
  std::optional<std::string> comment;  // COMMENT ON DATABASE
  bool allow_connections = true;       // datallowconn
  // datacl exploded; when datacl is NULL (defaults never changed) this holds PostgreSQL's
  // implicit defaults (owner: all; PUBLIC: CONNECT, TEMPORARY), as acldefault() gives them.
  std::vector<AclEntry> acl;
  bool operator==(const ObservedDatabase&) const = default;
};

struct ObservedExtension {
  std::string name;
  std::string version;
  std::string schema;
  bool operator==(const ObservedExtension&) const = default;
};

struct ObservedSchema {
  std::string name;
  std::string owner;
  std::vector<AclEntry> acl;  // nspacl exploded, defaults filled in as for databases
  bool operator==(const ObservedSchema&) const = default;
};

struct ObservedRole {
  std::string name;
  bool login = false;
  bool superuser = false;
  bool create_db = false;
  bool create_role = false;
  bool inherit = true;
  bool bypass_rls = false;
  bool replication = false;
  std::int32_t connection_limit = -1;
  std::optional<std::string> comment;  // COMMENT ON ROLE (tenantdb's ownership marker)
  // rolvaliduntil, absent when NULL: RFC 3339 in UTC ("2030-01-01T00:00:00Z", whole seconds)
  // whatever the session's DateStyle/TimeZone, or "infinity".
  std::optional<std::string> valid_until;
  // rolpassword IS NOT NULL. Only readable from pg_authid, which PostgreSQL restricts to
  // superusers: the operator's admin role (CREATEDB CREATEROLE LOGIN, no superuser) cannot read
  // it, and then this stays false without failing. Planners must not infer "no password" from
  // false; they track password versions themselves (e.g. a Secret's resourceVersion).
  bool has_password = false;
  // Direct memberships that carry the granted role's privileges and SET ROLE (on PostgreSQL 16+
  // a membership may carry only ADMIN OPTION, as a CREATEROLE role gets on the roles it creates:
  // such a membership is not listed, since it lets nobody act as the role), sorted.
  std::vector<std::string> member_of;  // roles this role is a member of
  std::vector<std::string> members;    // members of this role
  // ALTER ROLE ... [IN DATABASE ...] SET settings: (database or "" for all, "name=value").
  std::vector<std::pair<std::string, std::string>> settings;
  bool operator==(const ObservedRole&) const = default;
};

// Object kinds of ObservedPrivilege.
enum class ObservedObjectKind { kDatabase, kSchema, kTable, kSequence };

// One privilege a grantee holds on one object of the connected database.
struct ObservedPrivilege {
  ObservedObjectKind kind = ObservedObjectKind::kTable;
  std::string schema;  // empty for kDatabase
  std::string object;  // database name for kDatabase, schema name for kSchema, else relation name
  std::string grantee;
  std::string privilege;
  bool operator==(const ObservedPrivilege&) const = default;
};

// One pg_default_acl entry: objects of `objects` ("tables", "sequences", "functions", "types")
// created by `for_role` [in `schema`] grant `privilege` to `grantee`.
struct ObservedDefaultPrivilege {
  std::string for_role;
  std::optional<std::string> schema;
  std::string objects;
  std::string grantee;
  std::string privilege;
  bool operator==(const ObservedDefaultPrivilege&) const = default;
};

// std::nullopt when the database does not exist.
Expected<std::optional<ObservedDatabase>> ReadDatabase(SqlExecutor& session,
                                                       const std::string& name);
// Names of every database on the server (templates excluded).
Expected<std::vector<std::string>> ListDatabases(SqlExecutor& session);
// In the connected database.
Expected<std::vector<ObservedExtension>> ReadExtensions(SqlExecutor& session);
// In the connected database, without pg_* and information_schema.
Expected<std::vector<ObservedSchema>> ReadSchemas(SqlExecutor& session);
// std::nullopt when the role does not exist.
Expected<std::optional<ObservedRole>> ReadRole(SqlExecutor& session, const std::string& name);
// Every privilege `grantee` ("PUBLIC" for the public pseudo-role) holds in the connected
// database: on the database itself, its schemas (pg_* and information_schema excluded), tables
// (also views, materialized views, foreign and partitioned tables: kind kTable) and sequences.
// NULL ACLs count as PostgreSQL's defaults (acldefault), so PUBLIC's implicit CONNECT/TEMPORARY
// on the database appears until revoked; an owner's own entries are excluded (ownership implies
// them). Empty when the role does not exist.
Expected<std::vector<ObservedPrivilege>> ReadPrivileges(SqlExecutor& session,
                                                        const std::string& grantee);
// Default privileges of the connected database that grant to `grantee` (objects "tables",
// "sequences", "functions", "types"; "schemas" entries are not read). A creator's own implicit
// entries are excluded.
Expected<std::vector<ObservedDefaultPrivilege>> ReadDefaultPrivileges(SqlExecutor& session,
                                                                      const std::string& grantee);
// The relations of every user schema of the connected database (pg_* and information_schema
// excluded): (schema, name, relkind) with relkind 'r', 'p', 'v', 'm', 'f' or 'S'.
struct ObservedRelation {
  std::string schema;
  std::string name;
  char kind = 'r';
  bool operator==(const ObservedRelation&) const = default;
};
Expected<std::vector<ObservedRelation>> ReadRelations(SqlExecutor& session);
// Number of databases owned by `role` (pg_database.datdba).
Expected<int> CountOwnedDatabases(SqlExecutor& session, const std::string& role);

// Sessions of `role` on the server (pg_stat_activity), for AlternatingUsers rotation.
Expected<int> CountSessions(SqlExecutor& session, const std::string& role);

// Size in bytes and open connections of each named database that exists, for /metrics.
// size_bytes is -1 when the session's role may not CONNECT to the database (pg_database_size
// needs CONNECT or pg_read_all_stats).
struct DatabaseUsage {
  std::string name;
  std::int64_t size_bytes = 0;
  std::int32_t connections = 0;
  bool operator==(const DatabaseUsage&) const = default;
};
Expected<std::vector<DatabaseUsage>> ReadDatabaseUsage(SqlExecutor& session,
                                                       const std::vector<std::string>& names);

// The server's version (server_version up to its first space: "15.18") and whether the session's
// role is a superuser. Include sql/session.h for ServerInfo.
Expected<ServerInfo> ReadServerInfo(SqlExecutor& session);

}  // namespace tenantdb::sql

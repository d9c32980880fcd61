#include "sql/catalog.h"

#include <charconv>
#include <map>
#include <string_view>
#include <utility>

#include "sql/session.h"

namespace tenantdb::sql {
namespace {

// --- row decoding ------------------------------------------------------------------------------

Error BadRow(std::string_view what) {
  return Error::Internal("unexpected catalog result for " + std::string(what));
}

std::string Text(const Row& row, std::size_t i) {
  return i < row.size() && row[i] ? *row[i] : std::string();
}

std::optional<std::string> OptionalText(const Row& row, std::size_t i) {
  return i < row.size() ? row[i] : std::nullopt;
}

bool Bool(const Row& row, std::size_t i) { return i < row.size() && row[i] && *row[i] == "t"; }

template <class Int>
Int Number(const Row& row, std::size_t i, Int fallback) {
  if (i >= row.size() || !row[i]) {
    return fallback;
  }
  Int out = fallback;
  const std::string& s = *row[i];
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    return fallback;
  }
  return out;
}

bool HasColumns(const Rows& rows, std::size_t n) {
  for (const Row& r : rows) {
    if (r.size() != n) {
      return false;
    }
  }
  return true;
}

// The grantee oid for a role name, 0 for the PUBLIC keyword, NULL when no such role: $1.
constexpr std::string_view kGranteeOid =
    "(SELECT CASE WHEN $1::text OPERATOR(pg_catalog.=) 'PUBLIC' THEN 0::pg_catalog.oid "
    "ELSE (SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) $1::name) "
    "END)";

// aclexplode's grantee as a name ("PUBLIC" for 0).
constexpr std::string_view kGranteeName =
    "CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC' "
    "ELSE pg_catalog.pg_get_userbyid(a.grantee) END";

// Schemas tenantdb never manages.
constexpr std::string_view kUserSchema =
    "NOT pg_catalog.starts_with(n.nspname::text, 'pg_') "
    "AND n.nspname OPERATOR(pg_catalog.<>) 'information_schema'::name";

// PostgreSQL array literal of text values, sent as one bind parameter (never spliced).
std::string TextArrayLiteral(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += '"';
    for (const char c : values[i]) {
      if (c == '"' || c == '\\') {
        out += '\\';
      }
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::vector<AclEntry> ToAcl(const Rows& rows, std::size_t first) {
  std::vector<AclEntry> acl;
  acl.reserve(rows.size());
  for (const Row& r : rows) {
    acl.push_back(AclEntry{Text(r, first), Text(r, first + 1), Bool(r, first + 2)});
  }
  return acl;
}

}  // namespace

Expected<std::optional<ObservedDatabase>> ReadDatabase(SqlExecutor& session,
                                                       const std::string& name) {
  TENANTDB_TRY(
      Rows rows,
      session.Query(
          {"SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba), "
           "pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, "
           "d.datconnlimit, pg_catalog.shobj_description(d.oid, 'pg_database'), d.datallowconn "
           "FROM pg_catalog.pg_database d WHERE d.datname OPERATOR(pg_catalog.=) $1::name",
           {name}}));
  if (rows.empty()) {
    return std::optional<ObservedDatabase>();
  }
  if (rows.size() != 1 || !HasColumns(rows, 8)) {
    return BadRow("pg_database");
  }
  const Row& r = rows.front();
  ObservedDatabase db;
  db.name = Text(r, 0);
  db.owner = Text(r, 1);
  db.encoding = Text(r, 2);
  db.collate = Text(r, 3);
  db.ctype = Text(r, 4);
  db.connection_limit = Number<std::int32_t>(r, 5, -1);
  db.comment = OptionalText(r, 6);
  db.allow_connections = Bool(r, 7);

  TENANTDB_TRY(Rows acl,
               session.Query({"SELECT " + std::string(kGranteeName) +
                                  ", a.privilege_type, a.is_grantable "
                                  "FROM pg_catalog.pg_database d, pg_catalog.aclexplode("
                                  "COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba))) a "
                                  "WHERE d.datname OPERATOR(pg_catalog.=) $1::name ORDER BY 1, 2",
                              {name}}));
  if (!HasColumns(acl, 3)) {
    return BadRow("datacl");
  }
  db.acl = ToAcl(acl, 0);
  return std::optional<ObservedDatabase>(std::move(db));
}

Expected<std::vector<std::string>> ListDatabases(SqlExecutor& session) {
  TENANTDB_TRY(Rows rows, session.Query({"SELECT datname FROM pg_catalog.pg_database "
                                         "WHERE NOT datistemplate ORDER BY 1",
                                         {}}));
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    out.push_back(Text(r, 0));
  }
  return out;
}

Expected<std::vector<ObservedExtension>> ReadExtensions(SqlExecutor& session) {
  TENANTDB_TRY(Rows rows,
               session.Query({"SELECT e.extname, e.extversion, n.nspname "
                              "FROM pg_catalog.pg_extension e "
                              "JOIN pg_catalog.pg_namespace n "
                              "ON n.oid OPERATOR(pg_catalog.=) e.extnamespace ORDER BY 1",
                              {}}));
  if (!HasColumns(rows, 3)) {
    return BadRow("pg_extension");
  }
  std::vector<ObservedExtension> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    out.push_back(ObservedExtension{Text(r, 0), Text(r, 1), Text(r, 2)});
  }
  return out;
}

Expected<std::vector<ObservedSchema>> ReadSchemas(SqlExecutor& session) {
  TENANTDB_TRY(Rows schemas,
               session.Query({"SELECT n.nspname, pg_catalog.pg_get_userbyid(n.nspowner) "
                              "FROM pg_catalog.pg_namespace n WHERE " +
                                  std::string(kUserSchema) + " ORDER BY 1",
                              {}}));
  TENANTDB_TRY(
      Rows acl,
      session.Query({"SELECT n.nspname, " + std::string(kGranteeName) +
                         ", a.privilege_type, a.is_grantable "
                         "FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode("
                         "COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a WHERE " +
                         std::string(kUserSchema) + " ORDER BY 1, 2, 3",
                     {}}));
  if (!HasColumns(schemas, 2) || !HasColumns(acl, 4)) {
    return BadRow("pg_namespace");
  }
  std::map<std::string, std::vector<AclEntry>> by_schema;
  for (const Row& r : acl) {
    by_schema[Text(r, 0)].push_back(AclEntry{Text(r, 1), Text(r, 2), Bool(r, 3)});
  }
  std::vector<ObservedSchema> out;
  out.reserve(schemas.size());
  for (const Row& r : schemas) {
    ObservedSchema s{Text(r, 0), Text(r, 1), {}};
    if (auto it = by_schema.find(s.name); it != by_schema.end()) {
      s.acl = std::move(it->second);
    }
    out.push_back(std::move(s));
  }
  return out;
}

Expected<std::optional<ObservedRole>> ReadRole(SqlExecutor& session, const std::string& name) {
  // rolvaliduntil is rendered independently of the session's DateStyle/TimeZone: RFC 3339 in
  // UTC, or 'infinity'.
  TENANTDB_TRY(
      Rows rows,
      session.Query(
          {"SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolinherit, "
           "rolconnlimit, CASE WHEN rolvaliduntil IS NULL THEN NULL "
           "WHEN pg_catalog.isfinite(rolvaliduntil) THEN pg_catalog.to_char(rolvaliduntil AT "
           "TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
           "ELSE rolvaliduntil::text END, "
           "pg_catalog.has_table_privilege('pg_catalog.pg_authid', 'SELECT'), rolbypassrls, "
           "rolreplication, pg_catalog.shobj_description(oid, 'pg_authid') "
           "FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) $1::name",
           {name}}));
  if (rows.empty()) {
    return std::optional<ObservedRole>();
  }
  if (rows.size() != 1 || !HasColumns(rows, 12)) {
    return BadRow("pg_roles");
  }
  const Row& r = rows.front();
  ObservedRole role;
  role.name = Text(r, 0);
  role.login = Bool(r, 1);
  role.superuser = Bool(r, 2);
  role.create_db = Bool(r, 3);
  role.create_role = Bool(r, 4);
  role.inherit = Bool(r, 5);
  role.connection_limit = Number<std::int32_t>(r, 6, -1);
  role.valid_until = OptionalText(r, 7);
  role.bypass_rls = Bool(r, 9);
  role.replication = Bool(r, 10);
  role.comment = OptionalText(r, 11);

  if (Bool(r, 8)) {
    // Only superusers (and roles granted SELECT on pg_authid) get here; see catalog.h.
    TENANTDB_TRY(Rows pw, session.Query(
                              {"SELECT rolpassword IS NOT NULL FROM "
                               "pg_catalog.pg_authid WHERE rolname OPERATOR(pg_catalog.=) $1::name",
                               {name}}));
    role.has_password = !pw.empty() && Bool(pw.front(), 0);
  }

  // PostgreSQL 16+ records per membership whether it carries INHERIT and SET; a membership with
  // neither (the ADMIN OPTION a CREATEROLE role gets on the roles it creates) lets nobody act as
  // the role and is left out. to_jsonb keeps the query valid on PostgreSQL 15, which has no such
  // columns (every membership there carries both).
  constexpr std::string_view kUsable =
      "COALESCE((pg_catalog.to_jsonb(m) OPERATOR(pg_catalog.->>) 'set_option')::bool, true) "
      "AND COALESCE((pg_catalog.to_jsonb(m) OPERATOR(pg_catalog.->>) 'inherit_option')::bool, "
      "true)";
  TENANTDB_TRY(
      Rows membership,
      session.Query({"SELECT DISTINCT 'of', r.rolname FROM pg_catalog.pg_auth_members m "
                     "JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) m.roleid "
                     "JOIN pg_catalog.pg_roles me ON me.oid OPERATOR(pg_catalog.=) m.member "
                     "WHERE me.rolname OPERATOR(pg_catalog.=) $1::name AND " +
                         std::string(kUsable) +
                         " UNION "
                         "SELECT 'has', r.rolname FROM pg_catalog.pg_auth_members m "
                         "JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) m.member "
                         "JOIN pg_catalog.pg_roles me ON me.oid OPERATOR(pg_catalog.=) m.roleid "
                         "WHERE me.rolname OPERATOR(pg_catalog.=) $1::name AND " +
                         std::string(kUsable) + " ORDER BY 1, 2",
                     {name}}));
  for (const Row& m : membership) {
    (Text(m, 0) == "of" ? role.member_of : role.members).push_back(Text(m, 1));
  }

  TENANTDB_TRY(
      Rows settings,
      session.Query({"SELECT COALESCE(d.datname, ''), c.setting "
                     "FROM pg_catalog.pg_db_role_setting s "
                     "JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) s.setrole "
                     "LEFT JOIN pg_catalog.pg_database d "
                     "ON d.oid OPERATOR(pg_catalog.=) s.setdatabase "
                     "CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) AS c(setting) "
                     "WHERE r.rolname OPERATOR(pg_catalog.=) $1::name ORDER BY 1, 2",
                     {name}}));
  for (const Row& s : settings) {
    role.settings.emplace_back(Text(s, 0), Text(s, 1));
  }
  return std::optional<ObservedRole>(std::move(role));
}

Expected<std::vector<ObservedPrivilege>> ReadPrivileges(SqlExecutor& session,
                                                        const std::string& grantee) {
  // Effective ACLs (NULL filled in with acldefault) minus the owner's own entries, which
  // ownership implies. kind: 0 database, 1 schema, 2 table-like relation, 3 sequence.
  const std::string query =
      "WITH g AS (SELECT " + std::string(kGranteeOid) +
      " AS oid), acl AS ("
      "SELECT 0 AS kind, '' AS sch, d.datname AS obj, d.datdba AS owner, a.grantee, "
      "a.privilege_type FROM pg_catalog.pg_database d, pg_catalog.aclexplode("
      "COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba))) a "
      "WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database() "
      "UNION ALL "
      "SELECT 1, '', n.nspname, n.nspowner, a.grantee, a.privilege_type "
      "FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode("
      "COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a WHERE " +
      std::string(kUserSchema) +
      " UNION ALL "
      "SELECT CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'S' THEN 3 ELSE 2 END, n.nspname, "
      "c.relname, c.relowner, "
      "a.grantee, a.privilege_type "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
      "ON n.oid OPERATOR(pg_catalog.=) c.relnamespace, "
      "pg_catalog.aclexplode(COALESCE(c.relacl, pg_catalog.acldefault("
      "CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'S' THEN 's' ELSE 'r' END::\"char\", "
      "c.relowner))) a "
      "WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,v,m,f,S}'::\"char\"[]) AND " +
      std::string(kUserSchema) +
      ") SELECT acl.kind, acl.sch, acl.obj, acl.privilege_type FROM acl, g "
      "WHERE acl.grantee OPERATOR(pg_catalog.=) g.oid "
      "AND acl.grantee OPERATOR(pg_catalog.<>) acl.owner ORDER BY 1, 2, 3, 4";
  TENANTDB_TRY(Rows rows, session.Query({query, {grantee}}));
  if (!HasColumns(rows, 4)) {
    return BadRow("privileges");
  }
  std::vector<ObservedPrivilege> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    ObservedPrivilege p;
    switch (Number<int>(r, 0, -1)) {
      case 0:
        p.kind = ObservedObjectKind::kDatabase;
        break;
      case 1:
        p.kind = ObservedObjectKind::kSchema;
        break;
      case 2:
        p.kind = ObservedObjectKind::kTable;
        break;
      case 3:
        p.kind = ObservedObjectKind::kSequence;
        break;
      default:
        return BadRow("privileges");
    }
    p.schema = Text(r, 1);
    p.object = Text(r, 2);
    p.grantee = grantee;
    p.privilege = Text(r, 3);
    out.push_back(std::move(p));
  }
  return out;
}

Expected<std::vector<ObservedDefaultPrivilege>> ReadDefaultPrivileges(SqlExecutor& session,
                                                                      const std::string& grantee) {
  // A schema-less entry holds the creator's full ACL (its own implicit defaults included);
  // entries of the creator itself are therefore left out, as ownership implies them.
  const std::string query =
      "SELECT pg_catalog.pg_get_userbyid(d.defaclrole), n.nspname, "
      "CASE WHEN d.defaclobjtype OPERATOR(pg_catalog.=) 'r' THEN 'tables' "
      "WHEN d.defaclobjtype OPERATOR(pg_catalog.=) 'S' THEN 'sequences' "
      "WHEN d.defaclobjtype OPERATOR(pg_catalog.=) 'f' THEN 'functions' "
      "WHEN d.defaclobjtype OPERATOR(pg_catalog.=) 'T' THEN 'types' END, a.privilege_type "
      "FROM pg_catalog.pg_default_acl d "
      "LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) d.defaclnamespace, "
      "pg_catalog.aclexplode(d.defaclacl) a "
      "WHERE d.defaclobjtype OPERATOR(pg_catalog.=) ANY ('{r,S,f,T}'::\"char\"[]) "
      "AND a.grantee OPERATOR(pg_catalog.=) " +
      std::string(kGranteeOid) +
      " AND a.grantee OPERATOR(pg_catalog.<>) d.defaclrole ORDER BY 1, 2, 3, 4";
  TENANTDB_TRY(Rows rows, session.Query({query, {grantee}}));
  if (!HasColumns(rows, 4)) {
    return BadRow("pg_default_acl");
  }
  std::vector<ObservedDefaultPrivilege> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    out.push_back(
        ObservedDefaultPrivilege{Text(r, 0), OptionalText(r, 1), Text(r, 2), grantee, Text(r, 3)});
  }
  return out;
}

Expected<std::vector<ObservedRelation>> ReadRelations(SqlExecutor& session) {
  TENANTDB_TRY(
      const Rows rows,
      session.Query(
          {"SELECT n.nspname, c.relname, c.relkind::text "
           "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
           "ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
           "WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,v,m,f,S}'::\"char\"[]) AND " +
               std::string(kUserSchema) + " ORDER BY 1, 2",
           {}}));
  if (!HasColumns(rows, 3)) {
    return BadRow("pg_class");
  }
  std::vector<ObservedRelation> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    const std::string kind = Text(r, 2);
    out.push_back(ObservedRelation{Text(r, 0), Text(r, 1), kind.empty() ? 'r' : kind.front()});
  }
  return out;
}

Expected<int> CountOwnedDatabases(SqlExecutor& session, const std::string& role) {
  TENANTDB_TRY(const Rows rows,
               session.Query({"SELECT pg_catalog.count(*)::int FROM pg_catalog.pg_database d "
                              "JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) d.datdba "
                              "WHERE r.rolname OPERATOR(pg_catalog.=) $1::name",
                              {role}}));
  if (rows.size() != 1) {
    return BadRow("pg_database owners");
  }
  return Number<int>(rows.front(), 0, 0);
}

Expected<int> CountSessions(SqlExecutor& session, const std::string& role) {
  TENANTDB_TRY(Rows rows,
               session.Query({"SELECT pg_catalog.count(*)::int FROM pg_catalog.pg_stat_activity "
                              "WHERE usename OPERATOR(pg_catalog.=) $1::name",
                              {role}}));
  if (rows.size() != 1) {
    return BadRow("pg_stat_activity");
  }
  return Number<int>(rows.front(), 0, 0);
}

Expected<std::vector<DatabaseUsage>> ReadDatabaseUsage(SqlExecutor& session,
                                                       const std::vector<std::string>& names) {
  // pg_database_size needs CONNECT on the database (or pg_read_all_stats); without it the size
  // is reported as -1 instead of failing the whole scrape.
  TENANTDB_TRY(
      Rows rows,
      session.Query(
          {"SELECT d.datname, CASE WHEN pg_catalog.has_database_privilege(d.oid, 'CONNECT') "
           "OR pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE') "
           "THEN pg_catalog.pg_database_size(d.oid) ELSE -1 END, "
           "(SELECT pg_catalog.count(*)::int FROM pg_catalog.pg_stat_activity s "
           "WHERE s.datid OPERATOR(pg_catalog.=) d.oid) "
           "FROM pg_catalog.pg_database d "
           "WHERE d.datname::text OPERATOR(pg_catalog.=) ANY($1::text[]) ORDER BY 1",
           {TextArrayLiteral(names)}}));
  if (!HasColumns(rows, 3)) {
    return BadRow("database usage");
  }
  std::vector<DatabaseUsage> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    out.push_back(
        DatabaseUsage{Text(r, 0), Number<std::int64_t>(r, 1, -1), Number<std::int32_t>(r, 2, 0)});
  }
  return out;
}

Expected<ServerInfo> ReadServerInfo(SqlExecutor& session) {
  TENANTDB_TRY(const Rows rows,
               session.Query({"SELECT pg_catalog.current_setting('server_version'), r.rolsuper "
                              "FROM pg_catalog.pg_roles r "
                              "WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER",
                              {}}));
  if (rows.size() != 1 || !HasColumns(rows, 2) || !rows.front()[0] || !rows.front()[1]) {
    return BadRow("the server version");
  }
  ServerInfo info;
  info.version = Text(rows.front(), 0);
  if (const auto space = info.version.find(' '); space != std::string::npos) {
    info.version.resize(space);  // "15.18 (Debian 15.18-0+deb12u1)" -> "15.18"
  }
  info.admin_is_superuser = Bool(rows.front(), 1);
  return info;
}

}  // namespace tenantdb::sql

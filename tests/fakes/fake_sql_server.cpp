#include "fakes/fake_sql_server.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <deque>
#include <mutex>
#include <tuple>
#include <type_traits>

#include "sql/sql_error.h"

namespace tenantdb::fakes {

using Acl = FakeSqlServer::Acl;
using State = FakeSqlServer::State;
using RoleState = FakeSqlServer::RoleState;
using DatabaseState = FakeSqlServer::DatabaseState;
using SchemaState = FakeSqlServer::SchemaState;
using RelationState = FakeSqlServer::RelationState;
using DefaultAclKey = FakeSqlServer::DefaultAclKey;

struct FakeSqlServer::Impl {
  struct SessionInfo {
    std::string user;
    std::string database;
    bool alive = true;
  };
  struct Failure {
    std::function<bool(const sql::SqlAction&)> match;
    Error error;
  };

  mutable std::mutex mu;
  Options options;
  int major = 15;
  State state;
  std::map<std::string, AvailableExtension> available;
  std::map<int, SessionInfo> sessions;
  int next_session = 1;
  std::map<std::pair<std::string, std::string>, int> external;  // (role, database) -> sessions
  bool down = false;
  std::deque<Failure> failures;
  std::deque<Error> connect_failures;
  std::vector<Applied> applied;
  std::vector<sql::ConnectionParams> connects;
};

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

constexpr std::string_view kPublic = "PUBLIC";
constexpr std::string_view kDatabaseOwner = "pg_database_owner";

// An error as PostgreSQL would raise it, classified as PqxxExecutor classifies it.
Error Pg(std::string_view sqlstate, const std::string& message) {
  return sql::ClassifySqlState(sqlstate, "fake PostgreSQL: ERROR:  " + message + " (SQLSTATE " +
                                             std::string(sqlstate) + ")");
}

Error Unreachable() {
  return Error::Transient("fake PostgreSQL: server closed the connection unexpectedly",
                          "ServerUnreachable");
}

std::string Q(const std::string& name) { return "\"" + name + "\""; }

// --- privileges and ACLs -----------------------------------------------------------------------

// acl kinds: d database, n schema, r table-like relation, s sequence, f function, T type.
std::vector<std::string> AllPrivileges(char kind, int major) {
  switch (kind) {
    case 'd':
      return {"CREATE", "TEMPORARY", "CONNECT"};
    case 'n':
      return {"USAGE", "CREATE"};
    case 'r': {
      std::vector<std::string> out = {"SELECT",   "INSERT",     "UPDATE", "DELETE",
                                      "TRUNCATE", "REFERENCES", "TRIGGER"};
      if (major >= 17) {
        out.emplace_back("MAINTAIN");
      }
      return out;
    }
    case 's':
      return {"USAGE", "SELECT", "UPDATE"};
    case 'f':
      return {"EXECUTE"};
    case 'T':
      return {"USAGE"};
  }
  return {};
}

char AclKindOfRelation(char relkind) { return relkind == 'S' ? 's' : 'r'; }
char AclKindOfObjtype(char objtype) {
  switch (objtype) {
    case 'S':
      return 's';
    case 'f':
      return 'f';
    case 'T':
      return 'T';
    default:
      return 'r';
  }
}

void Add(Acl& acl, const std::string& grantee, const std::string& privilege) {
  for (const auto& e : acl) {
    if (e.grantee == grantee && e.privilege == privilege) {
      return;
    }
  }
  acl.push_back(sql::AclEntry{grantee, privilege, false});
}

void Remove(Acl& acl, const std::string& grantee, const std::string& privilege) {
  std::erase_if(acl, [&](const sql::AclEntry& e) {
    return e.grantee == grantee && e.privilege == privilege;
  });
}

// acldefault(kind, owner).
Acl AclDefault(char kind, const std::string& owner, int major) {
  Acl acl;
  for (const auto& p : AllPrivileges(kind, major)) {
    Add(acl, owner, p);
  }
  if (kind == 'd') {
    Add(acl, std::string(kPublic), "TEMPORARY");
    Add(acl, std::string(kPublic), "CONNECT");
  } else if (kind == 'f') {
    Add(acl, std::string(kPublic), "EXECUTE");
  } else if (kind == 'T') {
    Add(acl, std::string(kPublic), "USAGE");
  }
  return acl;
}

Acl Sorted(Acl acl) {
  std::sort(acl.begin(), acl.end(), [](const sql::AclEntry& a, const sql::AclEntry& b) {
    return std::tie(a.grantee, a.privilege) < std::tie(b.grantee, b.privilege);
  });
  return acl;
}

bool SameAcl(const Acl& a, const Acl& b) { return Sorted(a) == Sorted(b); }

// COALESCE(acl, acldefault(kind, owner)), sorted as the catalog queries sort it.
Acl Effective(const std::optional<Acl>& acl, char kind, const std::string& owner, int major) {
  return Sorted(acl ? *acl : AclDefault(kind, owner, major));
}

Acl& Materialize(std::optional<Acl>& acl, char kind, const std::string& owner, int major) {
  if (!acl) {
    acl = AclDefault(kind, owner, major);
  }
  return *acl;
}

// aclnewowner(): the old owner's entries become the new owner's; a NULL ACL stays NULL.
void NewOwner(std::optional<Acl>& acl, const std::string& old_owner, const std::string& new_owner) {
  if (!acl) {
    return;
  }
  Acl out;
  for (auto e : *acl) {
    if (e.grantee == old_owner) {
      e.grantee = new_owner;
    }
    Add(out, e.grantee, e.privilege);
  }
  acl = std::move(out);
}

void RemoveGrantee(std::optional<Acl>& acl, const std::string& grantee) {
  if (acl) {
    std::erase_if(*acl, [&](const sql::AclEntry& e) { return e.grantee == grantee; });
  }
}

bool Holds(const std::optional<Acl>& acl, const std::string& grantee) {
  return acl && std::any_of(acl->begin(), acl->end(),
                            [&](const sql::AclEntry& e) { return e.grantee == grantee; });
}

// The privilege keywords an action names, ALL expanded for `kind` (validation already ran).
std::vector<std::string> Keywords(const std::vector<std::string>& privileges, char kind,
                                  int major) {
  std::vector<std::string> out;
  for (const auto& p : privileges) {
    std::string k;
    for (const char c : p) {
      k.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
    if (k == "ALL") {
      return AllPrivileges(kind, major);
    }
    out.push_back(k == "TEMP" ? std::string("TEMPORARY") : k);
  }
  return out;
}

// --- roles -------------------------------------------------------------------------------------

bool IsUserSchema(const std::string& name) {
  return !name.starts_with("pg_") && name != "information_schema";
}

std::set<std::string> Reachable(const State& s, const std::string& user) {
  std::set<std::string> seen = {user};
  std::vector<std::string> todo = {user};
  while (!todo.empty()) {
    const std::string r = todo.back();
    todo.pop_back();
    const auto it = s.roles.find(r);
    if (it == s.roles.end()) {
      continue;
    }
    for (const auto& m : it->second.member_of) {
      if (seen.insert(m).second) {
        todo.push_back(m);
      }
    }
  }
  return seen;
}

bool IsSuperuser(const State& s, const std::string& user) {
  const auto it = s.roles.find(user);
  return it != s.roles.end() && it->second.superuser;
}

// has_privs_of_role(user, role) in `db` (pg_database_owner: the members of its owner).
bool IsMember(const State& s, const std::string& user, const std::string& role,
              const DatabaseState* db = nullptr) {
  if (IsSuperuser(s, user)) {
    return true;
  }
  const auto reach = Reachable(s, user);
  return reach.contains(role) ||
         (role == kDatabaseOwner && db != nullptr && reach.contains(db->owner));
}

bool HasPrivilege(const State& s, const std::string& user, const std::optional<Acl>& acl, char kind,
                  const std::string& owner, const std::string& privilege, int major,
                  const DatabaseState* db = nullptr) {
  if (IsMember(s, user, owner, db)) {
    return true;
  }
  const auto reach = Reachable(s, user);
  for (const auto& e : Effective(acl, kind, owner, major)) {
    if (e.privilege == privilege && (e.grantee == kPublic || reach.contains(e.grantee))) {
      return true;
    }
  }
  return false;
}

bool HasDatabasePrivilege(const State& s, const std::string& user, const DatabaseState& db,
                          const std::string& privilege, int major) {
  return HasPrivilege(s, user, db.acl, 'd', db.owner, privilege, major);
}

// CREATEROLE's reach: PostgreSQL 15 lets it manage every non-superuser role, 16+ only the roles
// it holds ADMIN OPTION on.
bool CanManageRole(const State& s, int major, const std::string& user, const RoleState& target) {
  const auto u = s.roles.find(user);
  if (u == s.roles.end()) {
    return false;
  }
  if (u->second.superuser) {
    return true;
  }
  if (target.superuser || !u->second.create_role) {
    return false;
  }
  return major < 16 || target.admin_option_from.contains(user);
}

// --- timestamps --------------------------------------------------------------------------------

std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void CivilFromDays(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

// VALID UNTIL's input as ReadRole renders rolvaliduntil: RFC 3339 in UTC or "infinity"
// (a time without an offset is read in UTC, the session's TimeZone here).
std::optional<std::string> NormalizeTimestamp(const std::string& in) {
  if (in == "infinity" || in == "-infinity") {
    return in;
  }
  int y = 0;
  unsigned mo = 0;
  unsigned d = 0;
  int h = 0;
  int mi = 0;
  int sec = 0;
  int consumed = 0;
  if (std::sscanf(in.c_str(), "%4d-%2u-%2u%n", &y, &mo, &d, &consumed) != 3 || mo < 1 || mo > 12 ||
      d < 1 || d > 31) {
    return std::nullopt;
  }
  std::size_t pos = static_cast<std::size_t>(consumed);
  if (pos < in.size() && (in[pos] == 'T' || in[pos] == ' ')) {
    int n = 0;
    if (std::sscanf(in.c_str() + pos + 1, "%2d:%2d%n", &h, &mi, &n) != 2) {
      return std::nullopt;
    }
    pos += 1 + static_cast<std::size_t>(n);
    if (pos < in.size() && in[pos] == ':') {
      if (std::sscanf(in.c_str() + pos + 1, "%2d%n", &sec, &n) != 1) {
        return std::nullopt;
      }
      pos += 1 + static_cast<std::size_t>(n);
      if (pos < in.size() && in[pos] == '.') {
        ++pos;
        while (pos < in.size() && std::isdigit(static_cast<unsigned char>(in[pos]))) {
          ++pos;  // to_char(..., 'SS') truncates fractions
        }
      }
    }
  }
  int offset_minutes = 0;
  if (pos < in.size() && in[pos] == ' ') {
    ++pos;
  }
  if (pos < in.size()) {
    const std::string zone = in.substr(pos);
    if (zone == "Z" || zone == "z" || zone == "UTC") {
    } else if (zone[0] == '+' || zone[0] == '-') {
      int oh = 0;
      int om = 0;
      if (std::sscanf(zone.c_str() + 1, "%2d:%2d", &oh, &om) < 1 &&
          std::sscanf(zone.c_str() + 1, "%2d%2d", &oh, &om) < 1) {
        return std::nullopt;
      }
      offset_minutes = (zone[0] == '-' ? -1 : 1) * (oh * 60 + om);
    } else {
      return std::nullopt;
    }
  }
  if (h > 24 || mi > 59 || sec > 60) {
    return std::nullopt;
  }
  std::int64_t t = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
                   static_cast<std::int64_t>(offset_minutes) * 60;
  const std::int64_t days = (t >= 0 ? t : t - 86399) / 86400;
  const std::int64_t rest = t - days * 86400;
  int oy = 0;
  unsigned om = 0;
  unsigned od = 0;
  CivilFromDays(days, oy, om, od);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", oy, om, od,
                static_cast<int>(rest / 3600), static_cast<int>(rest % 3600 / 60),
                static_cast<int>(rest % 60));
  return std::string(buf);
}

// --- misc --------------------------------------------------------------------------------------

std::optional<std::string> CanonicalEncoding(const std::string& in) {
  std::string clean;
  for (const char c : in) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      clean.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  static const std::map<std::string, std::string> kNames = {
      {"utf8", "UTF8"},       {"unicode", "UTF8"},       {"latin1", "LATIN1"},
      {"iso88591", "LATIN1"}, {"sqlascii", "SQL_ASCII"}, {"win1252", "WIN1252"},
      {"latin9", "LATIN9"},   {"eucjp", "EUC_JP"},       {"win1251", "WIN1251"}};
  const auto it = kNames.find(clean);
  if (it == kNames.end()) {
    return std::nullopt;
  }
  return it->second;
}

// quote_identifier(): quoted only when it would not read back as itself.
std::string QuoteIdentIfNeeded(const std::string& v) {
  bool safe = !v.empty() && (std::islower(static_cast<unsigned char>(v[0])) || v[0] == '_');
  for (const char c : v) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_')) {
      safe = false;
    }
  }
  if (safe) {
    return v;
  }
  std::string out = "\"";
  for (const char c : v) {
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  }
  return out + "\"";
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return s;
}

void SeedDatabaseContents(DatabaseState& db, const std::string& superuser) {
  db.schemas["pg_catalog"] = SchemaState{superuser, std::nullopt};
  db.schemas["information_schema"] = SchemaState{superuser, std::nullopt};
  // PostgreSQL 15+: public belongs to pg_database_owner; PUBLIC keeps USAGE only.
  db.schemas["public"] =
      SchemaState{std::string(kDatabaseOwner), Acl{{std::string(kDatabaseOwner), "USAGE", false},
                                                   {std::string(kDatabaseOwner), "CREATE", false},
                                                   {std::string(kPublic), "USAGE", false}}};
  db.extensions["plpgsql"] = FakeSqlServer::ExtensionState{"1.0", "pg_catalog", superuser};
}

// CREATE DATABASE's copy of `tmpl` (checks done by the caller).
DatabaseState CopyOf(const DatabaseState& tmpl, const std::string& name, const std::string& owner) {
  DatabaseState db;
  db.name = name;
  db.owner = owner;
  db.encoding = tmpl.encoding;
  db.collate = tmpl.collate;
  db.ctype = tmpl.ctype;
  db.schemas = tmpl.schemas;
  db.extensions = tmpl.extensions;
  db.relations = tmpl.relations;
  db.default_acls = tmpl.default_acls;
  return db;
}

// What still makes DROP ROLE fail (2BP01), or empty.
std::string Dependents(const State& s, const std::string& role) {
  for (const auto& [dbname, db] : s.databases) {
    if (db.owner == role) {
      return "owner of database " + Q(dbname);
    }
    if (Holds(db.acl, role)) {
      return "privileges for database " + Q(dbname);
    }
    for (const auto& [name, schema] : db.schemas) {
      if (schema.owner == role) {
        return "owner of schema " + Q(name) + " in database " + Q(dbname);
      }
      if (Holds(schema.acl, role)) {
        return "privileges for schema " + Q(name) + " in database " + Q(dbname);
      }
    }
    for (const auto& [key, rel] : db.relations) {
      if (rel.owner == role) {
        return "owner of table " + Q(key.first) + "." + Q(key.second) + " in database " + Q(dbname);
      }
      if (Holds(rel.acl, role)) {
        return "privileges for table " + Q(key.first) + "." + Q(key.second) + " in database " +
               Q(dbname);
      }
    }
    for (const auto& [name, ext] : db.extensions) {
      if (ext.owner == role) {
        return "owner of extension " + Q(name) + " in database " + Q(dbname);
      }
    }
    for (const auto& [key, acl] : db.default_acls) {
      if (key.for_role == role || Holds(std::optional<Acl>(acl), role)) {
        return "default privileges of role " + Q(key.for_role) + " in database " + Q(dbname);
      }
    }
  }
  return "";
}

// pg_default_acl rows that equal the hard-wired default (global) or are empty (per schema) are
// deleted, as ALTER DEFAULT PRIVILEGES deletes them.
void PruneDefaultAcls(DatabaseState& db, int major) {
  std::erase_if(db.default_acls, [&](const auto& entry) {
    const auto& [key, acl] = entry;
    if (key.schema) {
      return acl.empty();
    }
    return SameAcl(acl, AclDefault(AclKindOfObjtype(key.objtype), key.for_role, major));
  });
}

// The ACL a relation created by `owner` in `schema` starts with (get_user_default_acl).
std::optional<Acl> InitialAcl(const DatabaseState& db, const std::string& owner,
                              const std::string& schema, char relkind, int major) {
  const char objtype = relkind == 'S' ? 'S' : 'r';
  const char kind = AclKindOfRelation(relkind);
  const auto global = db.default_acls.find(DefaultAclKey{owner, std::nullopt, objtype});
  const auto in_schema = db.default_acls.find(DefaultAclKey{owner, schema, objtype});
  if (global == db.default_acls.end() && in_schema == db.default_acls.end()) {
    return std::nullopt;
  }
  Acl acl = global != db.default_acls.end() ? global->second : AclDefault(kind, owner, major);
  if (in_schema != db.default_acls.end()) {
    for (const auto& e : in_schema->second) {
      Add(acl, e.grantee, e.privilege);
    }
  }
  if (SameAcl(acl, AclDefault(kind, owner, major))) {
    return std::nullopt;
  }
  return acl;
}

// --- applying actions --------------------------------------------------------------------------

struct Ctx {
  FakeSqlServer::Impl& impl;
  State& s;
  const std::string& user;
  const std::string& db;  // the session's database
  int session;
};

class Applier {
 public:
  explicit Applier(Ctx ctx) : c_(ctx), major_(ctx.impl.major) {}

  Expected<void> operator()(const sql::CreateRole& a) {
    if (!IsSuperuser(c_.s, c_.user) && !Self().create_role) {
      return Pg("42501", "permission denied to create role");
    }
    if (a.role.starts_with("pg_")) {
      return Pg("42939", "role name " + Q(a.role) + " is reserved");
    }
    if (c_.s.roles.contains(a.role)) {
      return Pg("42710", "role " + Q(a.role) + " already exists");
    }
    RoleState r;
    r.name = a.role;
    r.login = a.login;
    r.connection_limit = a.connection_limit;
    if (a.valid_until) {
      TENANTDB_TRY(r.valid_until, Timestamp(*a.valid_until));
    }
    r.password_verifier = a.password_verifier;
    if (major_ >= 16 && !IsSuperuser(c_.s, c_.user)) {
      r.admin_option_from.insert(c_.user);  // the creator's implicit ADMIN OPTION (16+)
    }
    c_.s.roles[a.role] = std::move(r);
    return {};
  }

  Expected<void> operator()(const sql::AlterRole& a) {
    TENANTDB_TRY(RoleState * r, Manageable(a.role));
    if (a.valid_until) {
      TENANTDB_TRY(std::string v, Timestamp(*a.valid_until));
      r->valid_until = v;
    }
    if (a.login) {
      r->login = *a.login;
    }
    if (a.connection_limit) {
      r->connection_limit = *a.connection_limit;
    }
    if (a.password_verifier) {
      r->password_verifier = a.password_verifier;
    }
    return {};
  }

  Expected<void> operator()(const sql::DropRole& a) {
    if (!c_.s.roles.contains(a.role)) {
      return {};  // IF EXISTS
    }
    if (a.role == c_.user) {
      return Pg("55006", "current user cannot be dropped");
    }
    TENANTDB_TRY(RoleState * r, Manageable(a.role));
    static_cast<void>(r);
    if (const std::string why = Dependents(c_.s, a.role); !why.empty()) {
      return Pg("2BP01", "role " + Q(a.role) +
                             " cannot be dropped because some objects depend on it: " + why);
    }
    c_.s.roles.erase(a.role);
    for (auto& [name, other] : c_.s.roles) {
      other.member_of.erase(a.role);
      other.admin_option_from.erase(a.role);
    }
    return {};
  }

  Expected<void> operator()(const sql::ReassignOwned& a) {
    TENANTDB_TRY_VOID(RoleExists(a.role));
    TENANTDB_TRY_VOID(RoleExists(a.new_owner));
    if (!IsMember(c_.s, c_.user, a.role) || !IsMember(c_.s, c_.user, a.new_owner)) {
      return Pg("42501", "permission denied to reassign objects");
    }
    DatabaseState& db = Here();
    const auto move = [&](std::string& owner, std::optional<Acl>& acl) {
      if (owner == a.role) {
        NewOwner(acl, owner, a.new_owner);
        owner = a.new_owner;
      }
    };
    for (auto& [name, schema] : db.schemas) {
      move(schema.owner, schema.acl);
    }
    for (auto& [key, rel] : db.relations) {
      move(rel.owner, rel.acl);
    }
    for (auto& [name, ext] : db.extensions) {
      if (ext.owner == a.role) {
        ext.owner = a.new_owner;
      }
    }
    for (auto& [name, other] : c_.s.databases) {  // shared objects: every database
      move(other.owner, other.acl);
    }
    return {};
  }

  Expected<void> operator()(const sql::DropOwned& a) {
    TENANTDB_TRY_VOID(RoleExists(a.role));
    if (!IsMember(c_.s, c_.user, a.role)) {
      return Pg("42501", "permission denied to drop objects");
    }
    DatabaseState& db = Here();
    std::erase_if(db.relations, [&](const auto& r) { return r.second.owner == a.role; });
    std::erase_if(db.extensions, [&](const auto& e) { return e.second.owner == a.role; });
    for (const auto& [name, schema] : db.schemas) {
      if (schema.owner != a.role) {
        continue;
      }
      for (const auto& [key, rel] : db.relations) {
        if (key.first == name) {
          return Pg("2BP01", "cannot drop schema " + Q(name) + " because table " + Q(key.second) +
                                 " (owned by " + Q(rel.owner) + ") depends on it");
        }
      }
      for (const auto& [ext_name, ext] : db.extensions) {
        if (ext.schema == name) {
          return Pg("2BP01", "cannot drop schema " + Q(name) + " because extension " + Q(ext_name) +
                                 " depends on it");
        }
      }
    }
    for (auto it = db.schemas.begin(); it != db.schemas.end();) {
      if (it->second.owner == a.role) {
        const std::string name = it->first;
        std::erase_if(db.default_acls, [&](const auto& d) { return d.first.schema == name; });
        it = db.schemas.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [name, schema] : db.schemas) {
      RemoveGrantee(schema.acl, a.role);
    }
    for (auto& [key, rel] : db.relations) {
      RemoveGrantee(rel.acl, a.role);
    }
    std::erase_if(db.default_acls, [&](const auto& d) { return d.first.for_role == a.role; });
    for (auto& [key, acl] : db.default_acls) {
      std::erase_if(acl, [&](const sql::AclEntry& e) { return e.grantee == a.role; });
    }
    PruneDefaultAcls(db, major_);
    for (auto& [name, other] : c_.s.databases) {  // privileges on shared objects
      RemoveGrantee(other.acl, a.role);
    }
    return {};
  }

  Expected<void> operator()(const sql::GrantMembership& a) {
    TENANTDB_TRY(RoleState * role, Grantable(a.role));
    TENANTDB_TRY_VOID(RoleExists(a.member));
    if (a.role == a.member || Reachable(c_.s, a.role).contains(a.member)) {
      return Pg("0LP01", "role " + Q(a.member) + " is a member of role " + Q(a.role));
    }
    static_cast<void>(role);
    c_.s.roles[a.member].member_of.insert(a.role);
    return {};
  }

  Expected<void> operator()(const sql::RevokeMembership& a) {
    TENANTDB_TRY(RoleState * role, Grantable(a.role));
    static_cast<void>(role);
    TENANTDB_TRY_VOID(RoleExists(a.member));
    c_.s.roles[a.member].member_of.erase(a.role);  // not a member: a WARNING only
    return {};
  }

  Expected<void> operator()(const sql::SetRoleConfig& a) {
    TENANTDB_TRY_VOID(RoleExists(a.role));
    RoleState& r = c_.s.roles[a.role];
    if (a.role != c_.user && !CanManageRole(c_.s, major_, c_.user, r)) {
      return Pg("42501", "permission denied to alter role " + Q(a.role));
    }
    if (a.database && !c_.s.databases.contains(*a.database)) {
      return Pg("3D000", "database " + Q(*a.database) + " does not exist");
    }
    const std::string parameter = Lower(a.parameter);
    const std::pair<std::string, std::string> key(a.database.value_or(""), parameter);
    if (!a.value) {
      r.settings.erase(key);
      return {};
    }
    r.settings[key] = parameter == "search_path" || parameter == "temp_tablespaces"
                          ? QuoteIdentIfNeeded(*a.value)
                          : *a.value;
    return {};
  }

  Expected<void> operator()(const sql::CreateDatabase& a) {
    if (!IsSuperuser(c_.s, c_.user) && !Self().create_db) {
      return Pg("42501", "permission denied to create database");
    }
    TENANTDB_TRY_VOID(RoleExists(a.owner));
    if (!IsMember(c_.s, c_.user, a.owner)) {
      return Pg("42501", "must be able to SET ROLE " + Q(a.owner));
    }
    const auto tmpl = c_.s.databases.find(a.template_name);
    if (tmpl == c_.s.databases.end()) {
      return Pg("3D000", "template database " + Q(a.template_name) + " does not exist");
    }
    if (!tmpl->second.is_template && !IsMember(c_.s, c_.user, tmpl->second.owner)) {
      return Pg("42501", "permission denied to copy database " + Q(a.template_name));
    }
    if (c_.s.databases.contains(a.name)) {
      return Pg("42P04", "database " + Q(a.name) + " already exists");
    }
    if (SessionsOn(a.template_name) > 0) {
      return Pg("55006",
                "source database " + Q(a.template_name) + " is being accessed by other users");
    }
    const auto encoding = CanonicalEncoding(a.encoding);
    if (!encoding) {
      return Pg("42704", a.encoding + " is not a valid encoding name");
    }
    const bool from_template0 = a.template_name == "template0";
    if (!from_template0 && *encoding != tmpl->second.encoding) {
      return Pg("22023", "new encoding (" + *encoding +
                             ") is incompatible with the encoding of the template database (" +
                             tmpl->second.encoding + ")");
    }
    if (!from_template0 && a.locale && *a.locale != tmpl->second.collate) {
      return Pg("22023", "new collation (" + *a.locale +
                             ") is incompatible with the collation of the template database (" +
                             tmpl->second.collate + ")");
    }
    DatabaseState db = CopyOf(tmpl->second, a.name, a.owner);
    db.encoding = *encoding;
    if (a.locale) {
      db.collate = *a.locale;
      db.ctype = *a.locale;
    }
    db.connection_limit = a.connection_limit;
    db.allow_connections = a.allow_connections;
    c_.s.databases[a.name] = std::move(db);
    return {};
  }

  Expected<void> operator()(const sql::AlterDatabaseOwner& a) {
    TENANTDB_TRY(DatabaseState * db, Database(a.name));
    if (db->owner == a.owner) {
      return {};
    }
    TENANTDB_TRY_VOID(RoleExists(a.owner));
    if (!IsMember(c_.s, c_.user, db->owner)) {
      return Pg("42501", "must be owner of database " + Q(a.name));
    }
    if (!IsMember(c_.s, c_.user, a.owner)) {
      return Pg("42501", "must be able to SET ROLE " + Q(a.owner));
    }
    if (!IsSuperuser(c_.s, c_.user) && !Self().create_db) {
      return Pg("42501", "permission denied to change owner of database");
    }
    NewOwner(db->acl, db->owner, a.owner);
    db->owner = a.owner;
    return {};
  }

  Expected<void> operator()(const sql::AlterDatabaseConnectionLimit& a) {
    TENANTDB_TRY(DatabaseState * db, OwnedDatabase(a.name));
    db->connection_limit = a.connection_limit;
    return {};
  }

  Expected<void> operator()(const sql::AlterDatabaseAllowConnections& a) {
    TENANTDB_TRY(DatabaseState * db, OwnedDatabase(a.name));
    db->allow_connections = a.allow;
    return {};
  }

  Expected<void> operator()(const sql::CommentOnDatabase& a) {
    TENANTDB_TRY(DatabaseState * db, OwnedDatabase(a.name));
    db->comment = a.comment.empty() ? std::nullopt : std::optional<std::string>(a.comment);
    return {};
  }

  Expected<void> operator()(const sql::CommentOnRole& a) {
    TENANTDB_TRY(RoleState * r, Manageable(a.role));
    r->comment = a.comment.empty() ? std::nullopt : std::optional<std::string>(a.comment);
    return {};
  }

  Expected<void> operator()(const sql::DropDatabase& a) {
    const auto it = c_.s.databases.find(a.name);
    if (it == c_.s.databases.end()) {
      return {};  // IF EXISTS
    }
    if (a.name == c_.db) {
      return Pg("55006", "cannot drop the currently open database");
    }
    if (it->second.is_template) {
      return Pg("42809", "cannot drop a template database");
    }
    if (!IsMember(c_.s, c_.user, it->second.owner)) {
      return Pg("42501", "must be owner of database " + Q(a.name));
    }
    if (SessionsOn(a.name) > 0) {
      if (!a.force) {
        return Pg("55006", "database " + Q(a.name) + " is being accessed by other users");
      }
      for (auto& [id, info] : c_.impl.sessions) {  // WITH (FORCE) terminates them
        if (info.database == a.name) {
          info.alive = false;
        }
      }
      std::erase_if(c_.impl.external, [&](const auto& e) { return e.first.second == a.name; });
    }
    c_.s.databases.erase(it);
    for (auto& [name, role] : c_.s.roles) {
      std::erase_if(role.settings, [&](const auto& s) { return s.first.first == a.name; });
    }
    return {};
  }

  Expected<void> operator()(const sql::CreateExtension& a) {
    DatabaseState& db = Here();
    if (db.extensions.contains(a.name)) {
      return {};  // IF NOT EXISTS
    }
    const auto available = c_.impl.available.find(a.name);
    if (available == c_.impl.available.end()) {
      return Pg("0A000", "extension " + Q(a.name) + " is not available");
    }
    const std::string schema = a.schema.value_or("public");
    if (!db.schemas.contains(schema)) {
      return Pg("3F000", "schema " + Q(schema) + " does not exist");
    }
    const std::string version = a.version.value_or(available->second.default_version);
    const auto& versions = available->second.versions;
    if (std::find(versions.begin(), versions.end(), version) == versions.end()) {
      return Pg("22023", "extension " + Q(a.name) +
                             " has no installation script nor update "
                             "path for version " +
                             Q(version));
    }
    if (!IsSuperuser(c_.s, c_.user)) {
      if (!available->second.trusted) {
        return Pg("42501", "permission denied to create extension " + Q(a.name));
      }
      if (!HasDatabasePrivilege(c_.s, c_.user, db, "CREATE", major_)) {
        return Pg("42501", "permission denied for database " + Q(db.name));
      }
    }
    db.extensions[a.name] = FakeSqlServer::ExtensionState{version, schema, c_.user};
    return {};
  }

  Expected<void> operator()(const sql::UpdateExtension& a) {
    DatabaseState& db = Here();
    const auto it = db.extensions.find(a.name);
    if (it == db.extensions.end()) {
      return Pg("42704", "extension " + Q(a.name) + " does not exist");
    }
    if (!IsMember(c_.s, c_.user, it->second.owner)) {
      return Pg("42501", "must be owner of extension " + Q(a.name));
    }
    if (it->second.version == a.version) {
      return {};  // a NOTICE only
    }
    const auto available = c_.impl.available.find(a.name);
    if (available == c_.impl.available.end() ||
        std::find(available->second.versions.begin(), available->second.versions.end(),
                  a.version) == available->second.versions.end()) {
      return Pg("22023", "extension " + Q(a.name) + " has no update path from version " +
                             Q(it->second.version) + " to version " + Q(a.version));
    }
    it->second.version = a.version;
    return {};
  }

  Expected<void> operator()(const sql::DropExtension& a) {
    DatabaseState& db = Here();
    const auto it = db.extensions.find(a.name);
    if (it == db.extensions.end()) {
      return {};
    }
    if (!IsMember(c_.s, c_.user, it->second.owner)) {
      return Pg("42501", "must be owner of extension " + Q(a.name));
    }
    db.extensions.erase(it);
    return {};
  }

  Expected<void> operator()(const sql::CreateSchema& a) {
    DatabaseState& db = Here();
    TENANTDB_TRY_VOID(RoleExists(a.owner));
    if (!HasDatabasePrivilege(c_.s, c_.user, db, "CREATE", major_)) {
      return Pg("42501", "permission denied for database " + Q(db.name));
    }
    if (!IsMember(c_.s, c_.user, a.owner)) {
      return Pg("42501", "must be able to SET ROLE " + Q(a.owner));
    }
    if (a.name.starts_with("pg_")) {
      return Pg("42939", "unacceptable schema name " + Q(a.name));
    }
    if (db.schemas.contains(a.name)) {
      return {};  // IF NOT EXISTS: a NOTICE, whoever owns it
    }
    db.schemas[a.name] = SchemaState{a.owner, std::nullopt};
    return {};
  }

  Expected<void> operator()(const sql::AlterSchemaOwner& a) {
    DatabaseState& db = Here();
    const auto it = db.schemas.find(a.name);
    if (it == db.schemas.end()) {
      return Pg("3F000", "schema " + Q(a.name) + " does not exist");
    }
    if (it->second.owner == a.owner) {
      return {};
    }
    TENANTDB_TRY_VOID(RoleExists(a.owner));
    if (!IsMember(c_.s, c_.user, it->second.owner, &db)) {
      return Pg("42501", "must be owner of schema " + Q(a.name));
    }
    if (!IsMember(c_.s, c_.user, a.owner)) {
      return Pg("42501", "must be able to SET ROLE " + Q(a.owner));
    }
    if (!HasDatabasePrivilege(c_.s, c_.user, db, "CREATE", major_)) {
      return Pg("42501", "permission denied for database " + Q(db.name));
    }
    NewOwner(it->second.acl, it->second.owner, a.owner);
    it->second.owner = a.owner;
    return {};
  }

  Expected<void> operator()(const sql::DropSchema& a) {
    DatabaseState& db = Here();
    const auto it = db.schemas.find(a.name);
    if (it == db.schemas.end()) {
      return {};
    }
    if (!IsMember(c_.s, c_.user, it->second.owner, &db)) {
      return Pg("42501", "must be owner of schema " + Q(a.name));
    }
    for (const auto& [key, rel] : db.relations) {
      if (key.first == a.name) {
        return Pg("2BP01", "cannot drop schema " + Q(a.name) +
                               " because other objects depend on it (table " + Q(key.second) + ")");
      }
    }
    for (const auto& [name, ext] : db.extensions) {
      if (ext.schema == a.name) {
        return Pg("2BP01", "cannot drop schema " + Q(a.name) + " because extension " + Q(name) +
                               " depends on it");
      }
    }
    db.schemas.erase(it);
    std::erase_if(db.default_acls, [&](const auto& d) { return d.first.schema == a.name; });
    return {};
  }

  Expected<void> operator()(const sql::GrantPrivileges& a) { return ChangePrivileges(a, true); }
  Expected<void> operator()(const sql::RevokePrivileges& a) { return ChangePrivileges(a, false); }

  Expected<void> operator()(const sql::AlterDefaultPrivileges& a) {
    DatabaseState& db = Here();
    TENANTDB_TRY_VOID(RoleExists(a.for_role));
    TENANTDB_TRY_VOID(GranteeExists(a.grantee));
    if (a.schema && !db.schemas.contains(*a.schema)) {
      return Pg("3F000", "schema " + Q(*a.schema) + " does not exist");
    }
    if (!IsMember(c_.s, c_.user, a.for_role)) {
      return Pg("42501", "permission denied to change default privileges");
    }
    char objtype = 'r';
    switch (a.objects) {
      case sql::DefaultPrivilegeObject::kTables:
        objtype = 'r';
        break;
      case sql::DefaultPrivilegeObject::kSequences:
        objtype = 'S';
        break;
      case sql::DefaultPrivilegeObject::kFunctions:
        objtype = 'f';
        break;
      case sql::DefaultPrivilegeObject::kTypes:
        objtype = 'T';
        break;
    }
    const char kind = AclKindOfObjtype(objtype);
    const DefaultAclKey key{a.for_role, a.schema, objtype};
    auto it = db.default_acls.find(key);
    if (it == db.default_acls.end()) {
      it = db.default_acls.emplace(key, a.schema ? Acl{} : AclDefault(kind, a.for_role, major_))
               .first;
    }
    for (const auto& p : Keywords(a.privileges, kind, major_)) {
      if (a.grant) {
        Add(it->second, a.grantee, p);
      } else {
        Remove(it->second, a.grantee, p);
      }
    }
    PruneDefaultAcls(db, major_);
    return {};
  }

 private:
  template <class A>
  Expected<void> ChangePrivileges(const A& a, bool grant) {
    TENANTDB_TRY_VOID(GranteeExists(a.grantee));
    const auto change = [&](std::optional<Acl>& acl, char kind, const std::string& owner,
                            const std::vector<std::string>& privileges) {
      Acl& materialized = Materialize(acl, kind, owner, major_);
      for (const auto& p : privileges) {
        if (grant) {
          Add(materialized, a.grantee, p);
        } else {
          Remove(materialized, a.grantee, p);
        }
      }
    };
    const auto may = [&](const std::string& owner, const DatabaseState* db,
                         const std::string& what) -> Expected<void> {
      if (!IsMember(c_.s, c_.user, owner, db)) {
        return Pg("42501", "permission denied for " + what);
      }
      return {};
    };
    if (a.target == sql::PrivilegeTarget::kDatabase) {
      const auto it = c_.s.databases.find(a.database);
      if (it == c_.s.databases.end()) {
        return Pg("3D000", "database " + Q(a.database) + " does not exist");
      }
      TENANTDB_TRY_VOID(may(it->second.owner, nullptr, "database " + Q(a.database)));
      change(it->second.acl, 'd', it->second.owner, Keywords(a.privileges, 'd', major_));
      return {};
    }
    DatabaseState& db = Here();
    const auto schema = db.schemas.find(a.schema);
    if (schema == db.schemas.end()) {
      return Pg("3F000", "schema " + Q(a.schema) + " does not exist");
    }
    switch (a.target) {
      case sql::PrivilegeTarget::kDatabase:
        break;
      case sql::PrivilegeTarget::kSchema:
        TENANTDB_TRY_VOID(may(schema->second.owner, &db, "schema " + Q(a.schema)));
        change(schema->second.acl, 'n', schema->second.owner, Keywords(a.privileges, 'n', major_));
        break;
      case sql::PrivilegeTarget::kTable:
      case sql::PrivilegeTarget::kSequence: {
        const auto rel = db.relations.find({a.schema, a.object});
        if (rel == db.relations.end()) {
          return Pg("42P01", "relation " + Q(a.schema) + "." + Q(a.object) + " does not exist");
        }
        const bool is_sequence = rel->second.kind == 'S';
        if (a.target == sql::PrivilegeTarget::kSequence && !is_sequence) {
          return Pg("42809", Q(a.schema) + "." + Q(a.object) + " is not a sequence");
        }
        TENANTDB_TRY_VOID(may(rel->second.owner, &db, "table " + Q(a.object)));
        std::vector<std::string> privileges =
            Keywords(a.privileges, is_sequence ? 's' : 'r', major_);
        if (is_sequence) {  // ON TABLE of a sequence: a WARNING, its privileges only
          const auto valid = AllPrivileges('s', major_);
          std::erase_if(privileges, [&](const std::string& p) {
            return std::find(valid.begin(), valid.end(), p) == valid.end();
          });
        }
        change(rel->second.acl, AclKindOfRelation(rel->second.kind), rel->second.owner, privileges);
        break;
      }
      case sql::PrivilegeTarget::kAllTablesInSchema:
      case sql::PrivilegeTarget::kAllSequencesInSchema: {
        const bool sequences = a.target == sql::PrivilegeTarget::kAllSequencesInSchema;
        const char kind = sequences ? 's' : 'r';
        for (auto& [key, rel] : db.relations) {
          if (key.first != a.schema || (rel.kind == 'S') != sequences) {
            continue;
          }
          TENANTDB_TRY_VOID(may(rel.owner, &db, "table " + Q(key.second)));
          change(rel.acl, kind, rel.owner, Keywords(a.privileges, kind, major_));
        }
        break;
      }
    }
    return {};
  }

  RoleState& Self() { return c_.s.roles[c_.user]; }

  DatabaseState& Here() { return c_.s.databases.at(c_.db); }

  Expected<void> RoleExists(const std::string& name) {
    if (!c_.s.roles.contains(name)) {
      return Pg("42704", "role " + Q(name) + " does not exist");
    }
    return {};
  }

  Expected<void> GranteeExists(const std::string& name) {
    if (name == kPublic) {
      return {};
    }
    return RoleExists(name);
  }

  Expected<std::string> Timestamp(const std::string& in) {
    auto out = NormalizeTimestamp(in);
    if (!out) {
      return Pg("22007", "invalid input syntax for type timestamp with time zone: \"" + in + "\"");
    }
    return *out;
  }

  Expected<RoleState*> Manageable(const std::string& name) {
    const auto it = c_.s.roles.find(name);
    if (it == c_.s.roles.end()) {
      return Pg("42704", "role " + Q(name) + " does not exist");
    }
    if (!CanManageRole(c_.s, major_, c_.user, it->second)) {
      return Pg("42501", "permission denied to alter role " + Q(name));
    }
    return &it->second;
  }

  // The role whose membership is granted or revoked: PostgreSQL 15 lets CREATEROLE grant any
  // non-superuser role, 16+ needs ADMIN OPTION on it.
  Expected<RoleState*> Grantable(const std::string& name) {
    const auto it = c_.s.roles.find(name);
    if (it == c_.s.roles.end()) {
      return Pg("42704", "role " + Q(name) + " does not exist");
    }
    if (!CanManageRole(c_.s, major_, c_.user, it->second)) {
      return Pg("42501", "permission to grant role " + Q(name) + " denied");
    }
    return &it->second;
  }

  Expected<DatabaseState*> Database(const std::string& name) {
    const auto it = c_.s.databases.find(name);
    if (it == c_.s.databases.end()) {
      return Pg("3D000", "database " + Q(name) + " does not exist");
    }
    return &it->second;
  }

  Expected<DatabaseState*> OwnedDatabase(const std::string& name) {
    TENANTDB_TRY(DatabaseState * db, Database(name));
    if (!IsMember(c_.s, c_.user, db->owner)) {
      return Pg("42501", "must be owner of database " + Q(name));
    }
    return db;
  }

  int SessionsOn(const std::string& database) const {
    int n = 0;
    for (const auto& [id, info] : c_.impl.sessions) {
      n += info.alive && info.database == database && id != c_.session ? 1 : 0;
    }
    for (const auto& [key, count] : c_.impl.external) {
      n += key.second == database ? count : 0;
    }
    return n;
  }

  Ctx c_;
  int major_;
};

// --- sessions ----------------------------------------------------------------------------------

class FakeSession final : public sql::Session {
 public:
  FakeSession(std::shared_ptr<FakeSqlServer::Impl> impl, int id, std::string user,
              std::string database)
      : impl_(std::move(impl)), id_(id), user_(std::move(user)), database_(std::move(database)) {}

  ~FakeSession() override {
    std::lock_guard lock(impl_->mu);
    impl_->sessions.erase(id_);
  }

  const std::string& database() const override { return database_; }

  Expected<std::optional<sql::ObservedDatabase>> ReadDatabase(const std::string& name) override {
    std::lock_guard lock(impl_->mu);
    TENANTDB_TRY_VOID(Alive());
    const auto it = S().databases.find(name);
    if (it == S().databases.end()) {
      return std::optional<sql::ObservedDatabase>();
    }
    const DatabaseState& d = it->second;
    sql::ObservedDatabase out;
    out.name = d.name;
    out.owner = d.owner;
    out.encoding = d.encoding;
    out.collate = d.collate;
    out.ctype = d.ctype;
    out.connection_limit = d.connection_limit;
    out.comment = d.comment;
    out.allow_connections = d.allow_connections;
    out.acl = Effective(d.acl, 'd', d.owner, impl_->major);
    return std::optional<sql::ObservedDatabase>(std::move(out));
  }

  Expected<std::optional<sql::ObservedRole>> ReadRole(const std::string& name) override {
    std::lock_guard lock(impl_->mu);
    TENANTDB_TRY_VOID(Alive());
    const auto it = S().roles.find(name);
    if (it == S().roles.end()) {
      return std::optional<sql::ObservedRole>();
    }
    const RoleState& r = it->second;
    sql::ObservedRole out;
    out.name = r.name;
    out.login = r.login;
    out.superuser = r.superuser;
    out.create_db = r.create_db;
    out.create_role = r.create_role;
    out.inherit = r.inherit;
    out.bypass_rls = r.bypass_rls;
    out.replication = r.replication;
    out.connection_limit = r.connection_limit;
    out.comment = r.comment;
    out.valid_until = r.valid_until;
    // pg_authid is readable by superusers only.
    out.has_password = IsSuperuser(S(), user_) && r.password_verifier.has_value();
    out.member_of.assign(r.member_of.begin(), r.member_of.end());
    for (const auto& [other_name, other] : S().roles) {
      if (other.member_of.contains(name)) {
        out.members.push_back(other_name);
      }
    }
    for (const auto& [key, value] : r.settings) {
      out.settings.emplace_back(key.first, key.second + "=" + value);
    }
    std::sort(out.settings.begin(), out.settings.end());
    return std::optional<sql::ObservedRole>(std::move(out));
  }

  Expected<std::vector<sql::ObservedExtension>> ReadExtensions() override {
    std::lock_guard lock(impl_->mu);
    TENANTDB_TRY_VOID(Alive());
    std::vector<sql::ObservedExtension> out;
    for (const auto& [name, e] : Here().extensions) {
      out.push_back(sql::ObservedExtension{name, e.version, e.schema});
    }
    return out;
  }

  Expected<std::vector<sql::ObservedSchema>> ReadSchemas() override {
    std::lock_guard lock(impl_->mu);
    TENANTDB_TRY_VOID(Alive());
    std::vector<sql::ObservedSchema> out;
    for (const auto& [name, s] : Here().schemas) {
      if (IsUserSchema(name)) {
        out.push_back(
            sql::ObservedSchema{name, s.owner, Effective(s.acl, 'n', s.owner, impl_->major)});
      }
    }
    return out;
  }

  Expected<std::vector<sql::ObservedRelation>> ReadRelations() override {
    std::lock_guard lock(impl_->mu);
    TENANTDB_TRY_VOID(Alive());
    std::vector<sql::ObservedRelation> out;
    for (const auto& [key, rel] : Here().relations) {
      if (IsUserSchema(key.first)) {
        out.push_back(sql::ObservedRelation{key.first, key.second, rel.kind});
      }
    }
    return out;
  }

  Expected<std::vector<sql::ObservedPrivilege>> ReadPrivileges(
      const std::string& grantee) override {
    std::lock_guard lock(impl_->mu);
    TENANTDB_TRY_VOID(Alive());
    std::vector<sql::ObservedPrivilege> out;
    if (grantee != kPublic && !S().roles.contains(grantee)) {
      return out;
    }
    const DatabaseState& db = Here();
    const int major = impl_->major;
    const auto collect = [&](sql::ObservedObjectKind kind, const std::string& schema,
                             const std::string& object, const Acl& acl, const std::string& owner) {
      for (const auto& e : acl) {
        if (e.grantee == grantee && e.grantee != owner) {
          out.push_back(sql::ObservedPrivilege{kind, schema, object, grantee, e.privilege});
        }
      }
    };
    collect(sql::ObservedObjectKind::kDatabase, "", db.name,
            Effective(db.acl, 'd', db.owner, major), db.owner);
    for (const auto& [name, s] : db.schemas) {
      if (IsUserSchema(name)) {
        collect(sql::ObservedObjectKind::kSchema, "", name, Effective(s.acl, 'n', s.owner, major),
                s.owner);
      }
    }
    for (const auto& [key, rel] : db.relations) {
      if (IsUserSchema(key.first)) {
        collect(
            rel.kind == 'S' ? sql::ObservedObjectKind::kSequence : sql::ObservedObjectKind::kTable,
            key.first, key.second,
            Effective(rel.acl, AclKindOfRelation(rel.kind), rel.owner, major), rel.owner);
      }
    }
    std::sort(out.begin(), out.end(),
              [](const sql::ObservedPrivilege& a, const sql::ObservedPrivilege& b) {
                const auto rank = [](sql::ObservedObjectKind k) {
                  switch (k) {
                    case sql::ObservedObjectKind::kDatabase:
                      return 0;
                    case sql::ObservedObjectKind::kSchema:
                      return 1;
                    case sql::ObservedObjectKind::kTable:
                      return 2;
                    case sql::ObservedObjectKind::kSequence:
                      return 3;
                  }
                  return 4;
                };
                return std::make_tuple(rank(a.kind), a.schema, a.object, a.privilege) <
                       std::make_tuple(rank(b.kind), b.schema, b.object, b.privilege);
              });
    return out;
  }

  Expected<std::vector<sql::ObservedDefaultPrivilege>> ReadDefaultPrivileges(
      const std::string& grantee) override {
    std::lock_guard lock(impl_->mu);
    TENANTDB_TRY_VOID(Alive());
    std::vector<sql::ObservedDefaultPrivilege> out;
    if (grantee != kPublic && !S().roles.contains(grantee)) {
      return out;
    }
    for (const auto& [key, acl] : Here().default_acls) {
      const std::string objects = key.objtype == 'r'   ? "tables"
                                  : key.objtype == 'S' ? "sequences"
                                  : key.objtype == 'f' ? "functions"
                                                       : "types";
      for (const auto& e : acl) {
        if (e.grantee == grantee && e.grantee != key.for_role) {
          out.push_back(sql::ObservedDefaultPrivilege{key.for_role, key.schema, objects, grantee,
                                                      e.privilege});
        }
      }
    }
    // ORDER BY role, schema (NULL last), objects, privilege.
    std::sort(out.begin(), out.end(),
              [](const sql::ObservedDefaultPrivilege& a, const sql::ObservedDefaultPrivilege& b) {
                return std::make_tuple(a.for_role, !a.schema.has_value(), a.schema.value_or(""),
                                       a.objects, a.privilege) <
                       std::make_tuple(b.for_role, !b.schema.has_value(), b.schema.value_or(""),
                                       b.objects, b.privilege);
              });
    return out;
  }

  Expected<int> CountOwnedDatabases(const std::string& role) override {
    std::lock_guard lock(impl_->mu);
    TENANTDB_TRY_VOID(Alive());
    int n = 0;
    for (const auto& [name, db] : S().databases) {
      n += db.owner == role ? 1 : 0;
    }
    return n;
  }

  Expected<int> CountSessions(const std::string& role) override {
    std::lock_guard lock(impl_->mu);
    TENANTDB_TRY_VOID(Alive());
    int n = 0;
    for (const auto& [id, info] : impl_->sessions) {
      n += info.alive && info.user == role ? 1 : 0;
    }
    for (const auto& [key, count] : impl_->external) {
      n += key.first == role ? count : 0;
    }
    return n;
  }

  Expected<std::vector<sql::DatabaseUsage>> ReadDatabaseUsage(
      const std::vector<std::string>& names) override {
    std::lock_guard lock(impl_->mu);
    TENANTDB_TRY_VOID(Alive());
    std::set<std::string> wanted(names.begin(), names.end());
    std::vector<sql::DatabaseUsage> out;
    for (const auto& [name, db] : S().databases) {
      if (!wanted.contains(name)) {
        continue;
      }
      const bool may = HasDatabasePrivilege(S(), user_, db, "CONNECT", impl_->major) ||
                       Reachable(S(), user_).contains("pg_read_all_stats");
      std::int32_t connections = 0;
      for (const auto& [id, info] : impl_->sessions) {
        connections += info.alive && info.database == name ? 1 : 0;
      }
      for (const auto& [key, count] : impl_->external) {
        connections += key.second == name ? count : 0;
      }
      out.push_back(sql::DatabaseUsage{name, may ? db.size_bytes : -1, connections});
    }
    return out;
  }

  Expected<sql::ServerInfo> ReadServerInfo() override {
    std::lock_guard lock(impl_->mu);
    TENANTDB_TRY_VOID(Alive());
    return sql::ServerInfo{impl_->options.version, IsSuperuser(S(), user_)};
  }

  Expected<std::string> EncryptPassword(const std::string& role,
                                        const std::string& password) override {
    return FakeSqlServer::Verifier(role, password);  // client-side, as libpq computes it
  }

  Expected<void> Apply(std::span<const sql::SqlAction> actions,
                       std::span<const sql::Statement> statements) override {
    std::lock_guard lock(impl_->mu);
    TENANTDB_TRY_VOID(Alive());
    TENANTDB_TRY_VOID(Check(actions, statements));
    if (actions.empty()) {
      return {};
    }
    for (auto it = impl_->failures.begin(); it != impl_->failures.end(); ++it) {
      if (std::any_of(actions.begin(), actions.end(), it->match)) {
        Error error = std::move(it->error);
        impl_->failures.erase(it);
        return error;
      }
    }
    State next = S();  // one transaction: all or nothing
    for (const sql::SqlAction& action : actions) {
      Applier applier(Ctx{*impl_, next, user_, database_, id_});
      TENANTDB_TRY_VOID(std::visit(applier, action));
    }
    S() = std::move(next);
    for (const sql::SqlAction& action : actions) {
      impl_->applied.push_back(FakeSqlServer::Applied{database_, user_, action});
    }
    return {};
  }

 private:
  State& S() { return impl_->state; }

  const DatabaseState& Here() { return impl_->state.databases.at(database_); }

  Expected<void> Alive() const {
    const auto it = impl_->sessions.find(id_);
    if (impl_->down || it == impl_->sessions.end() || !it->second.alive ||
        !impl_->state.databases.contains(database_)) {
      return Unreachable();
    }
    return {};
  }

  // What PgSession refuses, and what PostgreSQL would run somewhere it should not: caller bugs.
  Expected<void> Check(std::span<const sql::SqlAction> actions,
                       std::span<const sql::Statement> statements) const {
    if (actions.size() != statements.size()) {
      return Error::Internal("Apply got " + std::to_string(actions.size()) + " actions but " +
                             std::to_string(statements.size()) + " statements");
    }
    for (std::size_t i = 0; i < actions.size(); ++i) {
      const sql::SqlAction& action = actions[i];
      if (sql::MustRunOutsideTransaction(action) && actions.size() != 1) {
        return Error::Internal("refusing to run " + std::string(sql::ActionKind(action)) +
                               " with other actions: it must run alone, outside a transaction");
      }
      TENANTDB_TRY(const sql::RenderedAction rendered, sql::RenderChecked(action));
      if (rendered.statement.text != statements[i].text ||
          rendered.statement.params != statements[i].params) {
        return Error::Internal("statement " + std::to_string(i) +
                               " is not RenderChecked(action) of " +
                               std::string(sql::ActionKind(action)));
      }
      if (const auto target = sql::TargetDatabase(action); target && *target != database_) {
        return Error::Internal(std::string(sql::ActionKind(action)) + " for database " +
                               Q(*target) + " sent to a session on " + Q(database_));
      }
    }
    return {};
  }

  std::shared_ptr<FakeSqlServer::Impl> impl_;
  int id_;
  std::string user_;
  std::string database_;
};

RoleState BuiltinRole(const std::string& name) {
  RoleState r;
  r.name = name;
  return r;
}

}  // namespace

// --- FakeSqlServer -----------------------------------------------------------------------------

FakeSqlServer::FakeSqlServer(Options options)
    : options_(std::move(options)), impl_(std::make_shared<Impl>()) {
  impl_->options = options_;
  try {
    impl_->major = std::stoi(options_.version.substr(0, options_.version.find('.')));
  } catch (const std::exception&) {
    impl_->major = 15;
  }
  State& s = impl_->state;
  for (const char* name :
       {"pg_database_owner", "pg_read_all_data", "pg_write_all_data", "pg_monitor",
        "pg_read_all_settings", "pg_read_all_stats", "pg_stat_scan_tables", "pg_signal_backend",
        "pg_checkpoint", "pg_read_server_files", "pg_write_server_files",
        "pg_execute_server_program"}) {
    s.roles[name] = BuiltinRole(name);
  }
  if (impl_->major >= 16) {
    s.roles["pg_create_subscription"] = BuiltinRole("pg_create_subscription");
    s.roles["pg_use_reserved_connections"] = BuiltinRole("pg_use_reserved_connections");
  }
  if (impl_->major >= 17) {
    s.roles["pg_maintain"] = BuiltinRole("pg_maintain");
  }
  s.roles["pg_monitor"].member_of = {"pg_read_all_settings", "pg_read_all_stats",
                                     "pg_stat_scan_tables"};

  RoleState super = BuiltinRole(options_.superuser);
  super.login = super.superuser = super.create_db = super.create_role = true;
  super.replication = super.bypass_rls = true;
  s.roles[super.name] = super;

  RoleState admin = BuiltinRole(options_.admin);
  admin.login = admin.create_db = admin.create_role = true;
  admin.superuser = options_.admin_superuser;
  admin.password_verifier = Verifier(options_.admin, options_.admin_password);
  s.roles[admin.name] = admin;

  DatabaseState base;
  base.owner = options_.superuser;
  base.encoding = options_.encoding;
  base.collate = options_.locale;
  base.ctype = options_.locale;
  SeedDatabaseContents(base, options_.superuser);
  const Acl template_acl = {{std::string(kPublic), "CONNECT", false},
                            {options_.superuser, "CREATE", false},
                            {options_.superuser, "TEMPORARY", false},
                            {options_.superuser, "CONNECT", false}};
  for (const char* name : {"template0", "template1", "postgres"}) {
    DatabaseState db = base;
    db.name = name;
    db.is_template = db.name != "postgres";
    db.allow_connections = db.name != "template0";
    if (db.is_template) {
      db.acl = template_acl;
    }
    s.databases[name] = std::move(db);
  }

  impl_->available = {
      {"plpgsql", {"1.0", {"1.0"}, true}},
      {"citext", {"1.6", {"1.4", "1.5", "1.6"}, true}},
      {"pgcrypto", {"1.3", {"1.2", "1.3"}, true}},
      {"hstore", {"1.8", {"1.7", "1.8"}, true}},
      {"uuid-ossp", {"1.1", {"1.1"}, true}},
      {"pg_trgm", {"1.6", {"1.5", "1.6"}, true}},
      {"btree_gist", {"1.7", {"1.7"}, true}},
      {"pg_stat_statements", {"1.10", {"1.9", "1.10"}, false}},
      {"postgres_fdw", {"1.1", {"1.1"}, false}},
  };
}

FakeSqlServer::~FakeSqlServer() = default;

std::string FakeSqlServer::Verifier(const std::string& role, const std::string& clear) {
  // Deterministic (so Connect can check a password against it), never holding `clear`.
  for (std::size_t round = 0;; ++round) {
    std::size_t h1 = std::hash<std::string>{}(role + '\0' + clear + '\0' + std::to_string(round));
    std::size_t h2 = std::hash<std::string>{}(clear + '\x01' + role + std::to_string(round));
    std::string key;
    for (const std::size_t h : {h1, h2, h1 ^ (h2 << 1)}) {
      for (int i = 0; i < 16; ++i) {
        key.push_back(static_cast<char>('g' + ((h >> (i * 4)) & 0xF)));
      }
    }
    std::string out =
        "SCRAM-SHA-256$4096:" + key.substr(0, 16) + "$" + key.substr(16, 16) + ":" + key.substr(32);
    if (clear.empty() || out.find(clear) == std::string::npos) {
      return out;
    }
  }
}

Expected<std::unique_ptr<sql::Session>> FakeSqlServer::Connect(
    const sql::ConnectionParams& params) {
  std::lock_guard lock(impl_->mu);
  impl_->connects.push_back(params);
  if (!impl_->connect_failures.empty()) {
    Error e = std::move(impl_->connect_failures.front());
    impl_->connect_failures.pop_front();
    return e;
  }
  const std::string where = "cannot connect to " + params.host + ":" + std::to_string(params.port) +
                            " as " + params.user + ": ";
  if (impl_->down) {
    return Error::Transient(where + "connection refused (fake PostgreSQL is down)",
                            "ServerUnreachable");
  }
  const State& s = impl_->state;
  const auto role = s.roles.find(params.user);
  if (role == s.roles.end() || !role->second.password_verifier ||
      *role->second.password_verifier != Verifier(params.user, params.password)) {
    return Error::Permission(
        where + "FATAL:  password authentication failed for user \"" + params.user + "\"",
        "AuthenticationFailed");
  }
  if (!role->second.login) {
    return Error::Permission(
        where + "FATAL:  role \"" + params.user + "\" is not permitted to log in",
        "PermissionDenied");
  }
  const auto db = s.databases.find(params.dbname);
  if (db == s.databases.end()) {
    return Error::Dependency(where + "FATAL:  database \"" + params.dbname + "\" does not exist",
                             "DependencyNotReady");
  }
  if (!db->second.allow_connections) {
    return Error::Transient(
        where + "FATAL:  database \"" + params.dbname + "\" is not currently accepting connections",
        "ServerUnreachable");
  }
  if (!HasDatabasePrivilege(s, params.user, db->second, "CONNECT", impl_->major)) {
    return Error::Permission(
        where + "FATAL:  permission denied for database \"" + params.dbname + "\"",
        "PermissionDenied");
  }
  if (!role->second.superuser) {
    int by_role = 0;
    int on_db = 0;
    for (const auto& [id, info] : impl_->sessions) {
      by_role += info.alive && info.user == params.user ? 1 : 0;
      on_db += info.alive && info.database == params.dbname ? 1 : 0;
    }
    for (const auto& [key, count] : impl_->external) {
      by_role += key.first == params.user ? count : 0;
      on_db += key.second == params.dbname ? count : 0;
    }
    if (role->second.connection_limit >= 0 && by_role >= role->second.connection_limit) {
      return Error::Transient(
          where + "FATAL:  too many connections for role \"" + params.user + "\"",
          "ServerUnreachable");
    }
    if (db->second.connection_limit >= 0 && on_db >= db->second.connection_limit) {
      return Error::Transient(
          where + "FATAL:  too many connections for database \"" + params.dbname + "\"",
          "ServerUnreachable");
    }
  }
  const int id = impl_->next_session++;
  impl_->sessions[id] = Impl::SessionInfo{params.user, params.dbname, true};
  return std::unique_ptr<sql::Session>(
      std::make_unique<FakeSession>(impl_, id, params.user, params.dbname));
}

void FakeSqlServer::AddRole(RoleState role, bool admin_has_admin_option) {
  std::lock_guard lock(impl_->mu);
  if (admin_has_admin_option && role.name != options_.admin) {
    role.admin_option_from.insert(options_.admin);
  }
  impl_->state.roles[role.name] = std::move(role);
}

void FakeSqlServer::AddDatabase(const std::string& name, const std::string& owner) {
  std::lock_guard lock(impl_->mu);
  impl_->state.databases[name] = CopyOf(impl_->state.databases.at("template1"), name, owner);
}

void FakeSqlServer::AddSchema(const std::string& database, const std::string& schema,
                              const std::string& owner) {
  std::lock_guard lock(impl_->mu);
  impl_->state.databases.at(database).schemas[schema] = SchemaState{owner, std::nullopt};
}

void FakeSqlServer::AddTable(const std::string& database, const std::string& schema,
                             const std::string& name, const std::string& owner, char kind) {
  std::lock_guard lock(impl_->mu);
  DatabaseState& db = impl_->state.databases.at(database);
  std::string creator = owner;
  if (creator.empty()) {
    creator = db.schemas.at(schema).owner;
    if (creator == kDatabaseOwner) {
      creator = db.owner;
    }
  }
  db.relations[{schema, name}] =
      RelationState{creator, kind, InitialAcl(db, creator, schema, kind, impl_->major)};
}

void FakeSqlServer::AddExtension(const std::string& database, const std::string& name,
                                 const std::string& version, const std::string& schema) {
  std::lock_guard lock(impl_->mu);
  impl_->state.databases.at(database).extensions[name] =
      ExtensionState{version, schema, options_.admin};
}

void FakeSqlServer::SetAvailableExtension(const std::string& name, AvailableExtension extension) {
  std::lock_guard lock(impl_->mu);
  impl_->available[name] = std::move(extension);
}

void FakeSqlServer::SetPassword(const std::string& role, const std::string& clear) {
  std::lock_guard lock(impl_->mu);
  impl_->state.roles.at(role).password_verifier = Verifier(role, clear);
}

void FakeSqlServer::SetExternalSessions(const std::string& role, const std::string& database,
                                        int count) {
  std::lock_guard lock(impl_->mu);
  if (count <= 0) {
    impl_->external.erase({role, database});
  } else {
    impl_->external[{role, database}] = count;
  }
}

void FakeSqlServer::Mutate(const std::function<void(State&)>& change) {
  std::lock_guard lock(impl_->mu);
  change(impl_->state);
}

std::optional<RoleState> FakeSqlServer::Role(const std::string& name) const {
  std::lock_guard lock(impl_->mu);
  const auto it = impl_->state.roles.find(name);
  if (it == impl_->state.roles.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<DatabaseState> FakeSqlServer::Database(const std::string& name) const {
  std::lock_guard lock(impl_->mu);
  const auto it = impl_->state.databases.find(name);
  if (it == impl_->state.databases.end()) {
    return std::nullopt;
  }
  return it->second;
}

State FakeSqlServer::Snapshot() const {
  std::lock_guard lock(impl_->mu);
  return impl_->state;
}

void FakeSqlServer::SetDown(bool down) {
  std::lock_guard lock(impl_->mu);
  impl_->down = down;
}

void FakeSqlServer::FailNext(std::string_view kind, Error error) {
  FailNext([k = std::string(kind)](const sql::SqlAction& a) { return sql::ActionKind(a) == k; },
           std::move(error));
}

void FakeSqlServer::FailNext(std::function<bool(const sql::SqlAction&)> match, Error error) {
  std::lock_guard lock(impl_->mu);
  impl_->failures.push_back(Impl::Failure{std::move(match), std::move(error)});
}

void FakeSqlServer::FailNextConnect(Error error) {
  std::lock_guard lock(impl_->mu);
  impl_->connect_failures.push_back(std::move(error));
}

std::vector<FakeSqlServer::Applied> FakeSqlServer::applied() const {
  std::lock_guard lock(impl_->mu);
  return impl_->applied;
}

std::vector<std::string> FakeSqlServer::applied_kinds() const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& a : impl_->applied) {
    out.emplace_back(sql::ActionKind(a.action));
  }
  return out;
}

void FakeSqlServer::ClearApplied() {
  std::lock_guard lock(impl_->mu);
  impl_->applied.clear();
}

std::vector<sql::ConnectionParams> FakeSqlServer::connects() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connects;
}

void FakeSqlServer::ClearConnects() {
  std::lock_guard lock(impl_->mu);
  impl_->connects.clear();
}

int FakeSqlServer::open_sessions() const {
  std::lock_guard lock(impl_->mu);
  return static_cast<int>(impl_->sessions.size());
}

}  // namespace tenantdb::fakes

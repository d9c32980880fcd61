#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/expected.h"
#include "sql/actions.h"
#include "sql/catalog.h"
#include "sql/connection.h"
#include "sql/session.h"

namespace tenantdb::fakes {

// A state-based, in-memory PostgreSQL server (STYLE.md R23), as FakeKubeApi is for objects:
// reconciler tests assert the catalog it ends up holding, not the statements sent. Each
// sql::SqlAction changes the state the way PostgreSQL does (see fake_sql_server.cpp for each one),
// and each read returns what sql/catalog.cpp's query returns for that state, ordered the same:
//  - ACLs: NULL until the first GRANT/REVOKE, read as acldefault() (a database: owner CREATE,
//    TEMPORARY, CONNECT and PUBLIC CONNECT, TEMPORARY; a schema or relation: owner only); an
//    owner change carries the old owner's entries over to the new owner; ReadPrivileges leaves
//    out an object's owner's own entries, ReadDefaultPrivileges a creator's own;
//  - every new database copies template1: PostgreSQL 15's public schema (owned by
//    pg_database_owner, PUBLIC USAGE only) and plpgsql in pg_catalog;
//  - AddTable applies the owner's default privileges, as CREATE TABLE does;
//  - permissions of a CREATEDB CREATEROLE admin: CREATE DATABASE ... OWNER r, CREATE SCHEMA
//    AUTHORIZATION r and ALTER ... OWNER TO r need membership in r (PostgreSQL 15 and 16+);
//    changing a database/schema needs (membership in) its owner; on major_version >= 16 a
//    non-superuser may manage only roles it holds ADMIN OPTION on (the roles it created, and
//    those seeded with admin_has_admin_option); memberships carrying only that ADMIN OPTION are
//    not listed; ObservedRole.has_password is false unless the session's role is a superuser;
//  - errors are the SQLSTATEs PostgreSQL raises, mapped by sql::ClassifySqlState (duplicate
//    role 42710 -> kConflict, missing role 42704 -> kDependency, DROP ROLE of a role that still
//    owns or holds something 2BP01 -> kConflict, ...); Connect fails as PqxxConnector does.
// Stricter than PostgreSQL on purpose: an action whose sql::TargetDatabase is not the session's
// database, statements that are not RenderChecked(action).statement, and groups that put
// CREATE/DROP DATABASE with anything else are refused with kInternal (caller bugs).
// Thread-safe; sessions share the server's state and may outlive nothing (keep the server alive).
class FakeSqlServer final : public sql::SessionFactory {
 public:
  struct Options {
    std::string admin = "tenantdb_admin";  // CREATEDB CREATEROLE LOGIN
    std::string admin_password = "admin-password";
    bool admin_superuser = false;
    std::string superuser = "postgres";  // bootstrap superuser, owner of the preloaded databases
    std::string version = "15.18";       // ServerInfo.version; its major decides 16+ rules
    std::string encoding = "UTF8";       // of template0/template1/postgres
    std::string locale = "C.UTF-8";      // their datcollate/datctype
  };

  // Privilege list of one ACL as aclexplode shows it (privileges as SQL keywords).
  using Acl = std::vector<sql::AclEntry>;

  struct RoleState {
    std::string name;
    bool login = false;
    bool superuser = false;
    bool create_db = false;
    bool create_role = false;
    bool inherit = true;
    bool bypass_rls = false;
    bool replication = false;
    std::int32_t connection_limit = -1;
    std::optional<std::string> comment;
    std::optional<std::string> valid_until;  // as ReadRole shows it
    std::optional<std::string> password_verifier;
    std::set<std::string> member_of;          // usable (SET/INHERIT) direct memberships
    std::set<std::string> admin_option_from;  // roles holding only ADMIN OPTION on this one
    // (database or "", parameter) -> value, from ALTER ROLE [IN DATABASE] SET.
    std::map<std::pair<std::string, std::string>, std::string> settings;
  };

  struct RelationState {
    std::string owner;
    char kind = 'r';         // r, p, v, m, f or S
    std::optional<Acl> acl;  // NULL until the first GRANT/REVOKE
  };
  struct SchemaState {
    std::string owner;
    std::optional<Acl> acl;
  };
  struct ExtensionState {
    std::string version;
    std::string schema;
    std::string owner;
  };
  struct DefaultAclKey {
    std::string for_role;
    std::optional<std::string> schema;
    char objtype = 'r';  // r tables, S sequences, f functions, T types
    auto operator<=>(const DefaultAclKey&) const = default;
  };
  struct DatabaseState {
    std::string name;
    std::string owner;
    std::string encoding;
    std::string collate;
    std::string ctype;
    std::int32_t connection_limit = -1;
    std::optional<std::string> comment;
    bool allow_connections = true;
    bool is_template = false;
    std::optional<Acl> acl;
    std::int64_t size_bytes = 7'500'000;
    std::map<std::string, SchemaState> schemas;
    std::map<std::string, ExtensionState> extensions;
    std::map<std::pair<std::string, std::string>, RelationState> relations;  // (schema, name)
    std::map<DefaultAclKey, Acl> default_acls;
  };

  // An extension CREATE EXTENSION can install.
  struct AvailableExtension {
    std::string default_version;
    std::vector<std::string> versions;  // default_version included
    bool trusted = true;
  };

  struct State {
    std::map<std::string, RoleState> roles;
    std::map<std::string, DatabaseState> databases;
  };

  // One Apply's action as it was committed, with the session it came through.
  struct Applied {
    std::string database;  // the session's
    std::string user;
    sql::SqlAction action;
  };

  explicit FakeSqlServer(Options options);
  FakeSqlServer() : FakeSqlServer(Options{}) {}
  ~FakeSqlServer() override;
  FakeSqlServer(const FakeSqlServer&) = delete;
  FakeSqlServer& operator=(const FakeSqlServer&) = delete;

  // Errors as PqxxConnector's: kTransient when down (or FailNextConnect); AuthenticationFailed
  // for an unknown role, no password or a wrong one; kDependency (DependencyNotReady) for a
  // database that does not exist; kTransient for one with allow_connections false (libpq's "is
  // not currently accepting connections" has no mapping of its own); PermissionDenied for a
  // NOLOGIN role or one without CONNECT; kTransient for a connection limit reached.
  Expected<std::unique_ptr<sql::Session>> Connect(const sql::ConnectionParams& params) override;

  const Options& options() const { return options_; }

  // --- seeding (no log, no checks beyond existence) ---
  // Adds or replaces a role. admin_has_admin_option: the admin holds ADMIN OPTION on it, as on
  // a role it created (matters on 16+ only).
  void AddRole(RoleState role, bool admin_has_admin_option = true);
  // A database as CREATE DATABASE from template1 makes it (owner must exist), open for connections.
  void AddDatabase(const std::string& name, const std::string& owner);
  void AddSchema(const std::string& database, const std::string& schema, const std::string& owner);
  // A relation created by `owner` (empty: the schema's owner), with its default privileges.
  void AddTable(const std::string& database, const std::string& schema, const std::string& name,
                const std::string& owner = "", char kind = 'r');
  void AddSequence(const std::string& database, const std::string& schema, const std::string& name,
                   const std::string& owner = "") {
    AddTable(database, schema, name, owner, 'S');
  }
  void AddExtension(const std::string& database, const std::string& name,
                    const std::string& version, const std::string& schema = "public");
  void SetAvailableExtension(const std::string& name, AvailableExtension extension);
  // Sets the password `clear` logs in with (the verifier EncryptPassword gives).
  void SetPassword(const std::string& role, const std::string& clear);
  // Sessions other clients hold (CountSessions, ReadDatabaseUsage, DROP DATABASE without FORCE).
  void SetExternalSessions(const std::string& role, const std::string& database, int count);
  // Any other change: runs `change` on the state under the lock.
  void Mutate(const std::function<void(State&)>& change);

  // --- inspection (copies) ---
  std::optional<RoleState> Role(const std::string& name) const;
  std::optional<DatabaseState> Database(const std::string& name) const;
  State Snapshot() const;

  // --- failures ---
  // Down: Connect and every call of an open session fail with kTransient (ServerUnreachable).
  void SetDown(bool down);
  // The next Apply holding an action of this kind (sql::ActionKind, e.g. "CreateRole"), or one
  // matching `match`, fails with `error` and changes nothing. Queued: one failure per call.
  void FailNext(std::string_view kind, Error error);
  void FailNext(std::function<bool(const sql::SqlAction&)> match, Error error);
  // The next Connect fails with `error`.
  void FailNextConnect(Error error);

  // --- logs ---
  std::vector<Applied> applied() const;
  std::vector<std::string> applied_kinds() const;  // ActionKind of each, in order
  void ClearApplied();
  std::vector<sql::ConnectionParams> connects() const;
  void ClearConnects();
  int open_sessions() const;  // sessions of this fake not yet destroyed

  // The fake verifier: "SCRAM-SHA-256$4096:<salt>$<key>:<key>", derived from (role, clear) but
  // never containing the clear password.
  static std::string Verifier(const std::string& role, const std::string& clear);

  struct Impl;

 private:
  Options options_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tenantdb::fakes

#pragma once

// One PostgreSQL session as a reconciler sees it: the catalog reads of sql/catalog.h and the
// actions of sql/actions.h, nothing else. PgSession (sql/pg_session.h) implements it over a
// SqlExecutor (libpq); the reconciler unit tests use an in-memory server whose catalog the
// actions change (tests/fakes/fake_sql_server.h), as FakeKubeApi does for objects.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/expected.h"
#include "sql/actions.h"
#include "sql/catalog.h"
#include "sql/connection.h"
#include "sql/sql_executor.h"

namespace tenantdb::sql {

// What DatabaseServer's status reports about the server and the admin's login.
struct ServerInfo {
  std::string version;  // "15.18" (the first word of server_version)
  bool admin_is_superuser = false;
  bool operator==(const ServerInfo&) const = default;
};

class Session {
 public:
  virtual ~Session() = default;

  // The database this session is connected to.
  virtual const std::string& database() const = 0;

  // Catalog reads (sql/catalog.h has each one's meaning). Per-database reads (extensions,
  // schemas, relations, privileges, default privileges) see the connected database.
  virtual Expected<std::optional<ObservedDatabase>> ReadDatabase(const std::string& name) = 0;
  virtual Expected<std::optional<ObservedRole>> ReadRole(const std::string& name) = 0;
  virtual Expected<std::vector<ObservedExtension>> ReadExtensions() = 0;
  virtual Expected<std::vector<ObservedSchema>> ReadSchemas() = 0;
  virtual Expected<std::vector<ObservedRelation>> ReadRelations() = 0;
  virtual Expected<std::vector<ObservedPrivilege>> ReadPrivileges(const std::string& grantee) = 0;
  virtual Expected<std::vector<ObservedDefaultPrivilege>> ReadDefaultPrivileges(
      const std::string& grantee) = 0;
  virtual Expected<int> CountOwnedDatabases(const std::string& role) = 0;
  virtual Expected<int> CountSessions(const std::string& role) = 0;
  virtual Expected<std::vector<DatabaseUsage>> ReadDatabaseUsage(
      const std::vector<std::string>& names) = 0;
  virtual Expected<ServerInfo> ReadServerInfo() = 0;

  // The SCRAM-SHA-256 verifier of `password` for `role`, computed client-side (the clear
  // password never reaches the server or its log).
  virtual Expected<std::string> EncryptPassword(const std::string& role,
                                                const std::string& password) = 0;

  // Runs `actions` in one transaction (all or nothing) or, for a single action that
  // MustRunOutsideTransaction, on its own. `statements[i]` is RenderChecked(actions[i]).statement:
  // PgSession sends the statements; the fake applies the actions to its catalog. Callers go
  // through controllers/common/apply_sql.h ApplySqlActions, which renders, logs and counts.
  virtual Expected<void> Apply(std::span<const SqlAction> actions,
                               std::span<const Statement> statements) = 0;
};

class SessionFactory {
 public:
  virtual ~SessionFactory() = default;
  // Errors: kTransient (server unreachable), kPermission/AuthenticationFailed, kDependency
  // (the database does not exist), as SqlConnector::Connect returns them.
  virtual Expected<std::unique_ptr<Session>> Connect(const ConnectionParams& params) = 0;
};

}  // namespace tenantdb::sql

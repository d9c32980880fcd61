#pragma once

// sql::Session over libpq (through a SqlExecutor): every read is the catalog.h function of the
// same name, Apply sends the rendered statements. PgSessionFactory opens one per Connect through
// a SqlConnector (in production the session pool, sql/pool.h).

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sql/session.h"

namespace tenantdb::sql {

class PgSession final : public Session {
 public:
  PgSession(std::unique_ptr<SqlExecutor> executor, std::string database);

  const std::string& database() const override { return database_; }

  Expected<std::optional<ObservedDatabase>> ReadDatabase(const std::string& name) override;
  Expected<std::optional<ObservedRole>> ReadRole(const std::string& name) override;
  Expected<std::vector<ObservedExtension>> ReadExtensions() override;
  Expected<std::vector<ObservedSchema>> ReadSchemas() override;
  Expected<std::vector<ObservedRelation>> ReadRelations() override;
  Expected<std::vector<ObservedPrivilege>> ReadPrivileges(const std::string& grantee) override;
  Expected<std::vector<ObservedDefaultPrivilege>> ReadDefaultPrivileges(
      const std::string& grantee) override;
  Expected<int> CountOwnedDatabases(const std::string& role) override;
  Expected<int> CountSessions(const std::string& role) override;
  Expected<std::vector<DatabaseUsage>> ReadDatabaseUsage(
      const std::vector<std::string>& names) override;
  Expected<ServerInfo> ReadServerInfo() override;

  Expected<std::string> EncryptPassword(const std::string& role,
                                        const std::string& password) override;

  // One action that MustRunOutsideTransaction: sent alone, outside a transaction block; anything
  // else: one transaction. A group that mixes the two, or holds more than one outside-transaction
  // action, is refused (Error::Internal) before anything is sent, as is a statement count that
  // does not match the action count.
  Expected<void> Apply(std::span<const SqlAction> actions,
                       std::span<const Statement> statements) override;

 private:
  std::unique_ptr<SqlExecutor> executor_;
  std::string database_;
};

class PgSessionFactory final : public SessionFactory {
 public:
  explicit PgSessionFactory(SqlConnector& connector) : connector_(connector) {}
  Expected<std::unique_ptr<Session>> Connect(const ConnectionParams& params) override;

 private:
  SqlConnector& connector_;
};

}  // namespace tenantdb::sql

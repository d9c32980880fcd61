#include "sql/pg_session.h"

#include <algorithm>
#include <string>
#include <utility>

namespace tenantdb::sql {

PgSession::PgSession(std::unique_ptr<SqlExecutor> executor, std::string database)
    : executor_(std::move(executor)), database_(std::move(database)) {}

Expected<std::optional<ObservedDatabase>> PgSession::ReadDatabase(const std::string& name) {
  return sql::ReadDatabase(*executor_, name);
}

Expected<std::optional<ObservedRole>> PgSession::ReadRole(const std::string& name) {
  return sql::ReadRole(*executor_, name);
}

Expected<std::vector<ObservedExtension>> PgSession::ReadExtensions() {
  return sql::ReadExtensions(*executor_);
}

Expected<std::vector<ObservedSchema>> PgSession::ReadSchemas() {
  return sql::ReadSchemas(*executor_);
}

Expected<std::vector<ObservedRelation>> PgSession::ReadRelations() {
  return sql::ReadRelations(*executor_);
}

Expected<std::vector<ObservedPrivilege>> PgSession::ReadPrivileges(const std::string& grantee) {
  return sql::ReadPrivileges(*executor_, grantee);
}

Expected<std::vector<ObservedDefaultPrivilege>> PgSession::ReadDefaultPrivileges(
    const std::string& grantee) {
  return sql::ReadDefaultPrivileges(*executor_, grantee);
}

Expected<int> PgSession::CountOwnedDatabases(const std::string& role) {
  return sql::CountOwnedDatabases(*executor_, role);
}

Expected<int> PgSession::CountSessions(const std::string& role) {
  return sql::CountSessions(*executor_, role);
}

Expected<std::vector<DatabaseUsage>> PgSession::ReadDatabaseUsage(
    const std::vector<std::string>& names) {
  return sql::ReadDatabaseUsage(*executor_, names);
}

Expected<ServerInfo> PgSession::ReadServerInfo() { return sql::ReadServerInfo(*executor_); }

Expected<std::string> PgSession::EncryptPassword(const std::string& role,
                                                 const std::string& password) {
  return executor_->EncryptPassword(role, password);
}

Expected<void> PgSession::Apply(std::span<const SqlAction> actions,
                                std::span<const Statement> statements) {
  if (actions.size() != statements.size()) {
    return Error::Internal("Apply got " + std::to_string(actions.size()) + " actions but " +
                           std::to_string(statements.size()) + " statements");
  }
  if (actions.empty()) {
    return {};
  }
  const auto outside = std::find_if(actions.begin(), actions.end(), [](const SqlAction& a) {
    return MustRunOutsideTransaction(a);
  });
  if (outside != actions.end()) {
    // CREATE/DROP DATABASE cannot run in a transaction block, so it cannot share one either:
    // a caller that grouped it with anything else has a bug.
    if (actions.size() != 1) {
      return Error::Internal("refusing to run " + std::string(ActionKind(*outside)) + " with " +
                             std::to_string(actions.size() - 1) +
                             " other action(s): an action that must run outside a transaction "
                             "block runs alone");
    }
    TENANTDB_TRY(Rows ignored, executor_->Query(statements.front()));
    static_cast<void>(ignored);
    return {};
  }
  return executor_->ExecuteInTransaction(
      std::vector<Statement>(statements.begin(), statements.end()));
}

Expected<std::unique_ptr<Session>> PgSessionFactory::Connect(const ConnectionParams& params) {
  TENANTDB_TRY(std::unique_ptr<SqlExecutor> executor, connector_.Connect(params));
  return std::unique_ptr<Session>(std::make_unique<PgSession>(std::move(executor), params.dbname));
}

}  // namespace tenantdb::sql

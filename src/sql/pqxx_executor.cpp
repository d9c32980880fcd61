#include "sql/pqxx_executor.h"

#include <pqxx/pqxx>
#include <string>
#include <utility>

#include "sql/sql_error.h"

namespace tenantdb::sql {
namespace {

Error FromException(const std::exception& e, const std::string& context) {
  if (const auto* sqle = dynamic_cast<const pqxx::sql_error*>(&e)) {
    return ClassifySqlState(sqle->sqlstate(), context + ": " + sqle->what());
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return Error::Transient(context + ": commit outcome unknown: " + e.what(), "Reconciling");
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    const std::string what = e.what();
    if (what.find("password authentication failed") != std::string::npos ||
        what.find("no password supplied") != std::string::npos) {
      return Error::Permission(context + ": " + what, "AuthenticationFailed");
    }
    return Error::Transient(context + ": " + what, "ServerUnreachable");
  }
  return Error::Transient(context + ": " + e.what(), "Reconciling");
}

Rows ToRows(const pqxx::result& result) {
  Rows rows;
  rows.reserve(result.size());
  for (const auto& r : result) {
    Row row;
    row.reserve(r.size());
    for (const auto& field : r) {
      if (field.is_null()) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(field.c_str());
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

pqxx::result Run(pqxx::transaction_base& tx, const Statement& s) {
  if (s.params.empty()) {
    return tx.exec(s.text);
  }
  return tx.exec_params(s.text, pqxx::prepare::make_dynamic_params(s.params));
}

class PqxxExecutor final : public SqlExecutor {
 public:
  explicit PqxxExecutor(std::unique_ptr<pqxx::connection> conn) : conn_(std::move(conn)) {}

  Expected<Rows> Query(const Statement& statement) override {
    try {
      pqxx::nontransaction tx(*conn_);
      return ToRows(Run(tx, statement));
    } catch (const std::exception& e) {
      return FromException(e, "query failed");
    }
  }

  Expected<void> ExecuteInTransaction(const std::vector<Statement>& statements) override {
    try {
      pqxx::work tx(*conn_);
      for (const auto& s : statements) {
        Run(tx, s);
      }
      tx.commit();
      return {};
    } catch (const std::exception& e) {
      return FromException(e, "transaction failed");
    }
  }

 private:
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace

Expected<std::unique_ptr<SqlExecutor>> PqxxConnector::Connect(const ConnectionParams& params) {
  try {
    auto conn = std::make_unique<pqxx::connection>(ToConninfo(params));
    return std::unique_ptr<SqlExecutor>(std::make_unique<PqxxExecutor>(std::move(conn)));
  } catch (const std::exception& e) {
    // libpq's message never contains the password; the context names the server, not secrets.
    return FromException(e, "cannot connect to " + params.host + ":" + std::to_string(params.port) +
                                " as " + params.user);
  }
}

}  // namespace tenantdb::sql

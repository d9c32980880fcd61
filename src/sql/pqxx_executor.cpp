#include "sql/pqxx_executor.h"

#include <libpq-fe.h>

#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <utility>

#include "sql/sql_error.h"

namespace tenantdb::sql {
namespace {

template <class T>
bool Is(const std::exception& e) {
  return dynamic_cast<const T*>(&e) != nullptr;
}

// The SQLSTATE of a failed statement. libpqxx 6.4 throws some of its SQLSTATE-specific
// exceptions without the code (insufficient_privilege, for one: seen against PostgreSQL 15) and
// its transaction_rollback family outside sql_error, so the type stands in for a missing code
// (most derived first). Empty when neither says anything.
std::string SqlStateOf(const std::exception& e) {
  if (const auto* sqle = dynamic_cast<const pqxx::sql_error*>(&e);
      sqle != nullptr && !sqle->sqlstate().empty()) {
    return sqle->sqlstate();
  }
  if (Is<pqxx::serialization_failure>(e)) {
    return "40001";
  }
  if (Is<pqxx::deadlock_detected>(e)) {
    return "40P01";
  }
  if (Is<pqxx::insufficient_privilege>(e)) {
    return "42501";
  }
  if (Is<pqxx::undefined_table>(e)) {
    return "42P01";
  }
  if (Is<pqxx::undefined_column>(e)) {
    return "42703";
  }
  if (Is<pqxx::undefined_function>(e)) {
    return "42883";
  }
  if (Is<pqxx::syntax_error>(e)) {
    return "42601";
  }
  if (Is<pqxx::feature_not_supported>(e)) {
    return "0A000";
  }
  if (Is<pqxx::data_exception>(e)) {
    return "22000";
  }
  if (Is<pqxx::unique_violation>(e)) {
    return "23505";
  }
  if (Is<pqxx::integrity_constraint_violation>(e)) {
    return "23000";
  }
  if (Is<pqxx::insufficient_resources>(e)) {
    return "53000";
  }
  return "";
}

Error FromException(const std::exception& e, const std::string& context) {
  if (Is<pqxx::statement_completion_unknown>(e)) {  // 40003: like a commit in doubt
    return Error::Transient(context + ": statement outcome unknown: " + e.what(), "Reconciling");
  }
  if (const std::string sqlstate = SqlStateOf(e); !sqlstate.empty()) {
    return ClassifySqlState(sqlstate, context + ": " + e.what());
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return Error::Transient(context + ": commit outcome unknown: " + e.what(), "Reconciling");
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    // A failed connection attempt carries no SQLSTATE through libpqxx 6.4, only the server's
    // (unlocalised: lc_messages is C on the servers tenantdb manages) FATAL text.
    const std::string what = e.what();
    const auto has = [&what](const char* needle) { return what.find(needle) != std::string::npos; };
    if (has("password authentication failed") || has("no password supplied") ||
        has("FATAL:  role \"") || has("no pg_hba.conf entry")) {
      return Error::Permission(context + ": " + what, "AuthenticationFailed");
    }
    if (has("FATAL:  database \"") && has("\" does not exist")) {  // 3D000 at connect
      return Error::Dependency(context + ": " + what, "DependencyNotReady");
    }
    if (has("permission denied for database") || has("not permitted to log in")) {  // 42501/28000
      return Error::Permission(context + ": " + what, "PermissionDenied");
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

// libpq's PQencryptPasswordConn needs a PGconn only to ask the server for its default algorithm
// and to hold an error message; with the algorithm named it computes the SCRAM-SHA-256 verifier
// locally. libpqxx 6.4 keeps its PGconn private, so a never-connected PGconn serves (the socket
// path below does not exist: PQconnectStart fails at once without network traffic).
Expected<std::string> ScramVerifier(const std::string& user, const std::string& password) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(
      PQconnectStart("host=/nonexistent/tenantdb-scram-only"), &PQfinish);
  if (!conn) {
    return Error::Internal("libpq could not allocate a connection object");
  }
  char* verifier =
      PQencryptPasswordConn(conn.get(), password.c_str(), user.c_str(), "scram-sha-256");
  if (verifier == nullptr) {
    return Error::Internal(std::string("libpq could not compute a SCRAM verifier: ") +
                           PQerrorMessage(conn.get()));
  }
  std::string out(verifier);
  PQfreemem(verifier);
  return out;
}

// Render() yields an empty statement for an invalid action: refuse it rather than send nothing
// and report success.
Error EmptyStatement() {
  return Error::Invalid("refusing to run an empty statement (an action that failed validation)");
}

class PqxxExecutor final : public SqlExecutor {
 public:
  explicit PqxxExecutor(std::unique_ptr<pqxx::connection> conn) : conn_(std::move(conn)) {}

  // pqxx::nontransaction: the statement runs in autocommit mode, outside any transaction block,
  // as CREATE DATABASE and DROP DATABASE require (PITFALLS.md).
  Expected<Rows> Query(const Statement& statement) override {
    if (statement.text.empty()) {
      return EmptyStatement();
    }
    try {
      pqxx::nontransaction tx(*conn_);
      return ToRows(Run(tx, statement));
    } catch (const std::exception& e) {
      return FromException(e, "query failed");
    }
  }

  Expected<std::string> EncryptPassword(const std::string& user,
                                        const std::string& password) override {
    return ScramVerifier(user, password);
  }

  Expected<void> ExecuteInTransaction(const std::vector<Statement>& statements) override {
    for (const auto& s : statements) {
      if (s.text.empty()) {
        return EmptyStatement();
      }
    }
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

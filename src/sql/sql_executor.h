#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "sql/connection.h"

namespace tenantdb::sql {

// One row of text values; NULL is std::nullopt.
using Row = std::vector<std::optional<std::string>>;
using Rows = std::vector<Row>;

// A statement with bind parameters ($1, $2, ...). User input reaches SQL only as parameters or
// through QuoteIdent/QuoteLiteral.
struct Statement {
  std::string text;
  std::vector<std::string> params;
};

// The narrow seam between controllers and PostgreSQL (STYLE.md R4). One session.
class SqlExecutor {
 public:
  virtual ~SqlExecutor() = default;
  // Runs one statement outside any transaction block (CREATE/DROP DATABASE need this).
  virtual Expected<Rows> Query(const Statement& statement) = 0;
  // Runs statements in one transaction; all or nothing.
  virtual Expected<void> ExecuteInTransaction(const std::vector<Statement>& statements) = 0;
  // The SCRAM-SHA-256 verifier of `password` for `user`, computed client-side by libpq
  // (PQencryptPasswordConn), so the clear password never travels to the server or its log.
  virtual Expected<std::string> EncryptPassword(const std::string& user,
                                                const std::string& password) = 0;
};

class SqlConnector {
 public:
  virtual ~SqlConnector() = default;
  virtual Expected<std::unique_ptr<SqlExecutor>> Connect(const ConnectionParams& params) = 0;
};

}  // namespace tenantdb::sql

#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/expected.h"
#include "sql/sql_executor.h"

namespace tenantdb::migrate {

// An error the server reported for a statement of a migration script.
struct ServerError {
  std::string sqlstate;
  std::string message;  // PostgreSQL's primary message
  std::string detail;
  std::string hint;
  int position = 0;  // 1-based character position in the statement, 0 when not given
};

// One PostgreSQL session, kept for the whole run: the advisory lock is a session lock, and
// BEGIN/COMMIT around a migration are statements of their own. The I/O seam of the engine
// (STYLE.md R4); the libpq adapter is pq_session.cpp.
class Session {
 public:
  virtual ~Session() = default;
  // One statement with bind parameters; rows as text. Errors carry PostgreSQL's SQLSTATE.
  virtual Expected<sql::Rows> Query(const sql::Statement& statement) = 0;
  // One statement of a migration, sent as written (simple query protocol), result discarded.
  virtual std::optional<ServerError> Run(std::string_view statement) = 0;
};

// Where to connect: libpq keywords (host, port, user, password, dbname, sslmode, ...), applied
// in order, with a `postgresql://` URL or a conninfo string accepted as `dbname` (libpq's
// expand_dbname). Whatever is not given comes from libpq's PG* environment and ~/.pgpass.
struct ConnectOptions {
  std::vector<std::pair<std::string, std::string>> keywords;
};

class Connector {
 public:
  virtual ~Connector() = default;
  virtual Expected<std::unique_ptr<Session>> Connect(const ConnectOptions& options) = 0;
};

// The keywords of tenantdb's ConnectionParams for a migration session: never with a pinned
// search_path (a tenant's SQL runs with the tenant's own search_path).
ConnectOptions FromConnectionParams(sql::ConnectionParams params);

}  // namespace tenantdb::migrate

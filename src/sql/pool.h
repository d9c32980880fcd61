#pragma once

// A session pool in front of any SqlConnector (normally PqxxConnector).
//
//  - Idle sessions are reused only for exactly the same connection parameters (host, port, user,
//    password, dbname, sslmode, sslrootcert, application_name, connect timeout). The key is kept
//    in memory only; logs and messages name the server as host:port, never the password.
//  - Each server (host:port) has a budget of open sessions (in use + idle): SetLimit(), or the
//    per-call overload of Connect(); default Settings::default_max_sessions (5, as
//    DatabaseServer.spec.maxConnections).
//  - When the budget is used up: if an idle session of that server exists for other parameters
//    (e.g. another dbname), it is closed and a new one opened in its place; otherwise Connect
//    waits (condition variable) up to Settings::acquire_timeout for a session to come back, then
//    fails with Error::Transient ("connection budget ... exhausted", reason Reconciling).
//  - The SqlExecutor returned by Connect gives the session back on destruction. A session whose
//    last call failed with a transient error (connection-class: reason ServerUnreachable, or a
//    commit in doubt) is closed instead. Sessions may outlive the pool: they are then closed.
//  - Thread-safe. Opening and closing sessions (network I/O) happen outside the lock.

#include <chrono>
#include <memory>
#include <string>

#include "sql/sql_executor.h"

namespace tenantdb::sql {

class PooledConnector final : public SqlConnector {
 public:
  struct Settings {
    int default_max_sessions = 5;
    std::chrono::milliseconds acquire_timeout{std::chrono::seconds(30)};
  };

  // Counts for one server, for metrics and tests.
  struct ServerStats {
    int open = 0;  // in use + idle (+ being opened)
    int idle = 0;
    int limit = 0;
  };

  PooledConnector(SqlConnector& inner, Settings settings);
  explicit PooledConnector(SqlConnector& inner) : PooledConnector(inner, Settings{}) {}
  ~PooledConnector() override;
  PooledConnector(const PooledConnector&) = delete;
  PooledConnector& operator=(const PooledConnector&) = delete;

  // The budget of open sessions to host:port (at least 1). Lowering it closes nothing at once:
  // sessions above the budget are closed as they come back.
  void SetLimit(const std::string& host, int port, int max_sessions);

  Expected<std::unique_ptr<SqlExecutor>> Connect(const ConnectionParams& params) override;
  // The same with the budget of params.host:params.port set to `max_sessions` first.
  Expected<std::unique_ptr<SqlExecutor>> Connect(const ConnectionParams& params, int max_sessions);

  ServerStats Stats(const std::string& host, int port) const;

  // Closes every idle session (e.g. after the server's credentials changed).
  void CloseIdle();

  struct State;  // shared with the sessions handed out

 private:
  SqlConnector& inner_;
  std::shared_ptr<State> state_;
};

}  // namespace tenantdb::sql

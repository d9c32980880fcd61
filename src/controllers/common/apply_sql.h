#pragma once

// The "act" step of every controller that changes a PostgreSQL server (src/controllers/README.md):
// planned transactions, each rendered with RenderChecked, logged redacted, counted in
// tenantdb_sql_statements_total{kind}, sent through a sql::Session of the database it targets, and
// announced by one Normal Event per call listing what committed (not one per action: each Event
// is an API write). Stops at the first failure.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "controllers/common/event_sink.h"
#include "runtime/metrics.h"
#include "sql/actions.h"
#include "sql/connection.h"
#include "sql/session.h"

namespace tenantdb::controllers {

// Actions committed together, in one session. Rule (checked by ApplySqlActions): the actions
// that name a database (sql::TargetDatabase) all name the same one, whose session runs the
// transaction; actions that name none (roles, ALTER/COMMENT ON DATABASE: shared catalogs) run in
// any session, the home session when no action names a database; an action that
// MustRunOutsideTransaction (CREATE/DROP DATABASE) is alone in its transaction.
using SqlTransaction = std::vector<sql::SqlAction>;

// The default grouping: consecutive actions share a transaction while they target the same
// database and none must run outside one. A role and its marker, or a database's marker, PUBLIC
// revoke and opening, are then all or nothing.
std::vector<SqlTransaction> GroupIntoTransactions(const std::vector<sql::SqlAction>& actions);

// tenantdb_sql_statements_total{kind}: registered once (by the wiring), shared by every controller.
class SqlStatementMetrics {
 public:
  explicit SqlStatementMetrics(runtime::MetricsRegistry& registry);
  void Count(std::string_view kind);

 private:
  runtime::CounterFamily& statements_;
};

// The sessions one visit uses on one server: the home session (params.dbname) or the one on the
// database an action or a read targets, opened on first use (a database created by this visit is
// connected to after its CREATE DATABASE). One at a time: asking for another database's session
// closes the one held (its pointer is then invalid), so a visit never holds a pool session while
// it waits for a second.
class ServerSessions {
 public:
  ServerSessions(sql::SessionFactory& factory, sql::ConnectionParams params);

  // The home session.
  Expected<sql::Session*> Home() { return For(std::nullopt); }
  // The session on `database` (std::nullopt: the home session); closes any other one.
  Expected<sql::Session*> For(const std::optional<std::string>& database);

  const sql::ConnectionParams& params() const { return params_; }
  const std::string& admin_user() const { return params_.user; }

 private:
  sql::SessionFactory& factory_;
  sql::ConnectionParams params_;
  std::map<std::string, std::unique_ptr<sql::Session>> sessions_;
};

// Who the act step works for: the Events' object and reason, and the log's database field.
struct ApplyContext {
  EventSink events;                        // may be empty (no Events)
  nlohmann::json event_object;             // the reconciled object, as EventSink wants it
  std::string_view event_reason;           // v1alpha1 reason: Reconciled, Deleting
  std::string database;                    // for log lines
  SqlStatementMetrics* metrics = nullptr;  // may be null (tests)
  // Called after each committed transaction (fault injection in e2e tests; empty in production).
  std::function<void(const SqlTransaction&)> after_commit;
};

struct ApplyOutcome {
  std::size_t committed = 0;   // transactions committed
  std::size_t actions = 0;     // actions in those transactions
  std::optional<Error> error;  // the first failure; the transactions after it were not tried
  bool ok() const { return !error.has_value(); }
  // The failure as Expected, for TENANTDB_TRY_VOID.
  Expected<void> status() const;
};

// Runs `transactions` in order through `sessions`, stopping at the first failure. A failed
// transaction's error message is prefixed with what it tried ("create role "x", then ...: ").
ApplyOutcome ApplySqlActions(ServerSessions& sessions,
                             const std::vector<SqlTransaction>& transactions,
                             const ApplyContext& context);

}  // namespace tenantdb::controllers

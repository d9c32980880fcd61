#include "controllers/common/apply_sql.h"

#include <spdlog/spdlog.h>

#include <string>
#include <utility>
#include <vector>

#include "runtime/controller.h"

namespace tenantdb::controllers {

std::vector<SqlTransaction> GroupIntoTransactions(const std::vector<sql::SqlAction>& actions) {
  std::vector<SqlTransaction> groups;
  for (const auto& action : actions) {
    if (groups.empty() || sql::MustRunOutsideTransaction(action) ||
        sql::MustRunOutsideTransaction(groups.back().front()) ||
        sql::TargetDatabase(groups.back().front()) != sql::TargetDatabase(action)) {
      groups.emplace_back();
    }
    groups.back().push_back(action);
  }
  return groups;
}

SqlStatementMetrics::SqlStatementMetrics(runtime::MetricsRegistry& registry)
    : statements_(registry.RegisterCounter(
          "tenantdb_sql_statements_total",
          "SQL statements tenantdb ran to change a server, by action kind.", {"kind"})) {}

void SqlStatementMetrics::Count(std::string_view kind) {
  statements_.WithLabels({std::string(kind)}).Inc();
}

ServerSessions::ServerSessions(sql::SessionFactory& factory, sql::ConnectionParams params)
    : factory_(factory), params_(std::move(params)) {}

Expected<sql::Session*> ServerSessions::For(const std::optional<std::string>& database) {
  const std::string dbname = database.value_or(params_.dbname);
  if (const auto it = sessions_.find(dbname); it != sessions_.end()) {
    return it->second.get();
  }
  // At most one open session per visit: the one held goes back to the pool before another is
  // taken. A visit that held its home session while it waited for a second one could, with as
  // many workers as the pool has sessions, leave every worker holding one and waiting (bench/scale
  // at 8 workers never finished). Pointers from earlier calls are invalid from here on.
  sessions_.clear();
  sql::ConnectionParams p = params_;
  p.dbname = dbname;
  TENANTDB_TRY(auto session, factory_.Connect(p));
  sql::Session* raw = session.get();
  sessions_.emplace(dbname, std::move(session));
  return raw;
}

Expected<void> ApplyOutcome::status() const {
  if (error) {
    return *error;
  }
  return {};
}

namespace {

// The transaction rule of apply_sql.h (a violation is a planner bug); returns the database whose
// session runs the transaction (std::nullopt: the home session).
Expected<std::optional<std::string>> SessionDatabase(const SqlTransaction& transaction) {
  if (transaction.empty()) {
    return Error::Internal("planner produced an empty SQL transaction");
  }
  std::optional<std::string> database;
  for (const auto& action : transaction) {
    if (transaction.size() > 1 && sql::MustRunOutsideTransaction(action)) {
      return Error::Internal("planner put " + sql::Describe(action) +
                             " in a transaction with other actions");
    }
    auto target = sql::TargetDatabase(action);
    if (target && database && *target != *database) {
      return Error::Internal("planner mixed databases in one SQL transaction: " +
                             sql::Describe(transaction.front()) + " and " + sql::Describe(action));
    }
    if (target) {
      database = std::move(target);
    }
  }
  return database;
}

// Renders, logs (redacted) and counts one transaction, then sends it.
Expected<void> ApplyOne(ServerSessions& sessions, const SqlTransaction& transaction,
                        const ApplyContext& context) {
  TENANTDB_TRY(const auto database, SessionDatabase(transaction));
  TENANTDB_TRY(sql::Session * session, sessions.For(database));
  std::vector<sql::Statement> statements;
  statements.reserve(transaction.size());
  std::string described;
  for (const auto& action : transaction) {
    TENANTDB_TRY(sql::RenderedAction rendered, sql::RenderChecked(action));
    const std::string_view kind = sql::ActionKind(action);
    spdlog::info("Applying SQL action {} action={} database={} statement={}",
                 runtime::ReconcileLogFields(), kind, context.database, rendered.redacted);
    if (context.metrics != nullptr) {
      context.metrics->Count(kind);
    }
    statements.push_back(std::move(rendered.statement));
    described += (described.empty() ? "" : ", then ") + sql::Describe(action);
  }
  if (auto done = session->Apply(transaction, statements); !done) {
    Error e = std::move(done).error();
    spdlog::info("SQL action failed {} action={} database={} reason={}",
                 runtime::ReconcileLogFields(), sql::ActionKind(transaction.front()),
                 context.database, e.reason);
    e.message = described + ": " + e.message;
    return e;
  }
  return {};
}

}  // namespace

namespace {

// An Event's note is at most 1 KiB (events.k8s.io/v1): the changes, as many as fit.
constexpr std::size_t kMaxEventNote = 1000;

// One Normal Event for what a visit committed ("Applied 3 changes: ...; ...; ..."), not one per
// action: an Event is an API write, and a new Database + role pair is about 20 actions.
void EmitApplied(const ApplyContext& context, const std::vector<std::string>& described) {
  if (!context.events || described.empty()) {
    return;
  }
  std::string note = described.size() == 1
                         ? described.front()
                         : "Applied " + std::to_string(described.size()) + " changes: ";
  for (std::size_t i = 0; described.size() > 1 && i < described.size(); ++i) {
    const std::string item = (i == 0 ? "" : "; ") + described[i];
    const std::string more = " (+" + std::to_string(described.size() - i) + " more)";
    if (note.size() + item.size() + more.size() > kMaxEventNote) {
      note += more;
      break;
    }
    note += item;
  }
  if (note.size() > kMaxEventNote) {  // one change whose description alone is too long
    note.resize(kMaxEventNote - 3);
    note += "...";
  }
  context.events(context.event_object, "Normal", context.event_reason, note);
}

}  // namespace

ApplyOutcome ApplySqlActions(ServerSessions& sessions,
                             const std::vector<SqlTransaction>& transactions,
                             const ApplyContext& context) {
  ApplyOutcome outcome;
  std::vector<std::string> described;
  for (const auto& transaction : transactions) {
    if (auto done = ApplyOne(sessions, transaction, context); !done) {
      outcome.error = std::move(done).error();
      EmitApplied(context, described);  // what did commit before the failure
      return outcome;
    }
    ++outcome.committed;
    outcome.actions += transaction.size();
    for (const auto& action : transaction) {
      described.push_back(sql::Describe(action));
    }
    if (context.after_commit) {
      context.after_commit(transaction);
    }
  }
  EmitApplied(context, described);
  return outcome;
}

}  // namespace tenantdb::controllers

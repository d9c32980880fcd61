#include "migrate/engine.h"

#include <chrono>
#include <ctime>
#include <functional>

#include "migrate/checksum.h"
#include "migrate/splitter.h"
#include "sql/quoting.h"

namespace tenantdb::migrate {

struct Engine::Context {
  std::string schema;
  std::string table;  // quoted, qualified
  std::string lock_key;
  std::string user;
  std::string database;
  std::string search_path;
  std::string installed_by;
  bool locked = false;
  bool history_exists = false;
  bool schema_exists = true;
  int next_rank = 1;
};

namespace {

using sql::QuoteIdent;

constexpr std::size_t kMaxServerText = 600;

std::string Cut(std::string s, std::size_t max = kMaxServerText) {
  if (s.size() > max) {
    s.resize(max);
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0U) == 0x80U) {
      s.pop_back();  // do not cut a character in two
    }
    s.pop_back();
    s += "...";
  }
  return s;
}

std::string Describe(const Script& s) {
  if (s.versioned()) {
    return "version " + s.name.version->Text() +
           (s.name.description.empty() ? "" : " - " + s.name.description) + " (" + s.file_name +
           ")";
  }
  return "repeatable " + s.name.description + " (" + s.file_name + ")";
}

std::string ServerText(const ServerError& e) {
  std::string out = "ERROR " + e.sqlstate + ": " + Cut(e.message);
  if (!e.detail.empty()) {
    out += " DETAIL: " + Cut(e.detail, 300);
  }
  if (!e.hint.empty()) {
    out += " HINT: " + Cut(e.hint, 300);
  }
  return out;
}

std::string Timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

const std::string& Cell(const sql::Row& row, std::size_t i) {
  static const std::string kEmpty;
  return i < row.size() && row[i] ? *row[i] : kEmpty;
}

}  // namespace

Engine::Engine(Session& session, Options options, std::ostream& log)
    : session_(session), options_(std::move(options)), log_(log) {}

Expected<sql::Rows> Engine::Query(const std::string& text, std::vector<std::string> params) {
  return session_.Query(sql::Statement{.text = text, .params = std::move(params)});
}

Expected<Engine::Context> Engine::Start(const std::string& command, Result& result) {
  Context ctx;
  TENANTDB_TRY(sql::Rows rows, Query("SELECT current_user, current_database(), current_schema(), "
                                     "pg_catalog.current_setting('search_path')"));
  if (rows.empty()) {
    return Error::Internal("the session did not say who it is");
  }
  ctx.user = Cell(rows[0], 0);
  ctx.database = Cell(rows[0], 1);
  ctx.search_path = Cell(rows[0], 3);
  ctx.schema = options_.schema.empty() ? Cell(rows[0], 2) : options_.schema;
  if (ctx.schema.empty()) {
    return Error::Invalid("no schema for the history table: the session's search_path (" +
                          ctx.search_path + ") names no existing schema; pass --schema");
  }
  ctx.installed_by = options_.installed_by.empty() ? ctx.user : options_.installed_by;
  ctx.table = QuoteIdent(ctx.schema) + "." + QuoteIdent(options_.table);
  ctx.lock_key = std::to_string(FlywayLockKey(ctx.table));
  result.schema = ctx.schema;
  result.table = ctx.table;

  if (command != "info" && command != "validate") {
    TENANTDB_TRY(sql::Rows got,
                 Query("SELECT pg_catalog.pg_try_advisory_lock($1::bigint)", {ctx.lock_key}));
    if (got.empty() || Cell(got[0], 0) != "t") {
      log_ << "Waiting for the advisory lock of " << ctx.table
           << ": another migration run holds it\n";
      TENANTDB_TRY_VOID(Query("SELECT pg_catalog.pg_advisory_lock($1::bigint)", {ctx.lock_key}));
    }
    ctx.locked = true;
  }

  TENANTDB_TRY(sql::Rows state,
               Query("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1), "
                     "EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                     "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 "
                     "AND c.relkind IN ('r', 'p'))",
                     {ctx.schema, options_.table}));
  ctx.schema_exists = !state.empty() && Cell(state[0], 0) == "t";
  ctx.history_exists = !state.empty() && Cell(state[0], 1) == "t";
  return ctx;
}

Result Engine::Run(const std::string& command,
                   const std::function<Expected<void>(Context&, Result&)>& body) {
  Result result;
  result.command = command;
  auto ctx = Start(command, result);
  Expected<void> outcome = ctx ? body(*ctx, result) : Expected<void>(ctx.error());
  if (ctx && ctx->locked) {
    // Closing the session would release it as well; unlocking says so at once.
    Query("SELECT pg_catalog.pg_advisory_unlock($1::bigint)", {ctx->lock_key}).IgnoreError();
  }
  if (!outcome && !result.failure) {
    result.failure = Failure{.message = outcome.error().message};
  }
  result.success = outcome.has_value() && !result.failure && result.problems.empty();
  return result;
}

Expected<void> Engine::CreateHistory(Context& ctx, bool with_baseline) {
  const std::string& t = ctx.table;
  TENANTDB_TRY_VOID(Query("BEGIN"));
  const auto body = [&]() -> Expected<void> {
    if (!ctx.schema_exists) {
      TENANTDB_TRY_VOID(Query("CREATE SCHEMA " + QuoteIdent(ctx.schema)));
    }
    TENANTDB_TRY_VOID(
        Query("CREATE TABLE " + t +
              " (\n    \"installed_rank\" INT NOT NULL,\n    \"version\" VARCHAR(50),\n"
              "    \"description\" VARCHAR(200) NOT NULL,\n    \"type\" VARCHAR(20) NOT NULL,\n"
              "    \"script\" VARCHAR(1000) NOT NULL,\n    \"checksum\" INTEGER,\n"
              "    \"installed_by\" VARCHAR(100) NOT NULL,\n"
              "    \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),\n"
              "    \"execution_time\" INTEGER NOT NULL,\n    \"success\" BOOLEAN NOT NULL\n)"));
    if (with_baseline) {
      const std::string description = AbbreviateDescription(options_.baseline_description);
      TENANTDB_TRY_VOID(
          Query("INSERT INTO " + t +
                    " (\"installed_rank\", \"version\", \"description\", \"type\", "
                    "\"script\", \"checksum\", \"installed_by\", \"execution_time\", "
                    "\"success\") VALUES (1, $1, $2, 'BASELINE', $2, NULL, $3, 0, true)",
                {options_.baseline_version, description, ctx.installed_by}));
    }
    TENANTDB_TRY_VOID(Query("ALTER TABLE " + t + " ADD CONSTRAINT " +
                            QuoteIdent(options_.table + "_pk") +
                            " PRIMARY KEY (\"installed_rank\")"));
    TENANTDB_TRY_VOID(Query("CREATE INDEX " + QuoteIdent(options_.table + "_s_idx") + " ON " + t +
                            " (\"success\")"));
    if (!ctx.schema_exists) {  // Flyway's marker: the schema is Flyway's (here tenantdb's) own
      TENANTDB_TRY_VOID(Query("INSERT INTO " + t +
                                  " (\"installed_rank\", \"version\", \"description\", \"type\", "
                                  "\"script\", \"checksum\", \"installed_by\", \"execution_time\", "
                                  "\"success\") VALUES (0, NULL, '<< Flyway Schema Creation >>', "
                                  "'SCHEMA', $1, NULL, $2, 0, true)",
                              {QuoteIdent(ctx.schema), ctx.installed_by}));
    }
    return Query("COMMIT").has_value() ? Expected<void>() : Error::Internal("COMMIT failed");
  };
  if (auto done = body(); !done) {
    Query("ROLLBACK").IgnoreError();
    return Error::Invalid("cannot create the history table " + t + ": " + done.error().message);
  }
  log_ << "Created the history table " << t
       << (with_baseline ? " with a baseline at version " + options_.baseline_version : "") << "\n";
  ctx.schema_exists = true;
  ctx.history_exists = true;
  return {};
}

Expected<void> Engine::EnsureHistory(Context& ctx, Result& result, bool migrating) {
  if (ctx.history_exists) {
    return {};
  }
  bool empty = true;
  if (ctx.schema_exists) {
    // What Flyway counts as "not empty": tables, views, sequences, types (not arrays or row
    // types) and functions that no extension brought.
    TENANTDB_TRY(
        sql::Rows rows,
        Query("SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c "
              "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 "
              "AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND NOT EXISTS (SELECT 1 FROM "
              "pg_catalog.pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')) "
              "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n "
              "ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typcategory NOT IN ('A', 'C') "
              "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = t.oid AND "
              "d.deptype = 'e')) "
              "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n "
              "ON n.oid = p.pronamespace WHERE n.nspname = $1 AND NOT EXISTS (SELECT 1 FROM "
              "pg_catalog.pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e'))",
              {ctx.schema}));
    empty = !rows.empty() && Cell(rows[0], 0) == "t";
  }
  if (!migrating || empty) {
    return CreateHistory(ctx, false);
  }
  if (!options_.baseline_on_migrate) {
    return Error::Invalid("schema " + QuoteIdent(ctx.schema) +
                          " is not empty but has no history table " + ctx.table +
                          ": run `tenantdb migrate baseline` once, or pass --baseline-on-migrate "
                          "(spec.baselineOnMigrate), so that migrations after version " +
                          options_.baseline_version + " are applied");
  }
  result.notes.push_back("baselined the existing schema at version " + options_.baseline_version);
  return CreateHistory(ctx, true);
}

Expected<std::vector<AppliedMigration>> Engine::ReadHistory(Context& ctx) {
  std::vector<AppliedMigration> out;
  ctx.next_rank = 1;
  if (!ctx.history_exists) {
    return out;
  }
  TENANTDB_TRY(sql::Rows rows,
               Query("SELECT \"installed_rank\", \"version\", \"description\", \"type\", "
                     "\"script\", \"checksum\", \"installed_by\", \"installed_on\"::text, "
                     "\"execution_time\", \"success\" FROM " +
                     ctx.table + " ORDER BY \"installed_rank\""));
  for (const sql::Row& r : rows) {
    AppliedMigration a;
    a.installed_rank = std::stoi(Cell(r, 0));
    if (r.size() > 1 && r[1]) {
      a.version = *r[1];
    }
    a.description = Cell(r, 2);
    a.type = Cell(r, 3);
    a.script = Cell(r, 4);
    if (r.size() > 5 && r[5]) {
      a.checksum = static_cast<std::int32_t>(std::stol(*r[5]));
    }
    a.installed_by = Cell(r, 6);
    a.installed_on = Cell(r, 7);
    a.execution_time = std::stoi(Cell(r, 8).empty() ? "0" : Cell(r, 8));
    a.success = Cell(r, 9) == "t";
    ctx.next_rank = std::max(ctx.next_rank, a.installed_rank + 1);
    out.push_back(std::move(a));
  }
  return out;
}

Expected<void> Engine::Insert(Context& ctx, int rank, const Script& script, int execution_ms,
                              bool success) {
  return Query("INSERT INTO " + ctx.table +
                   " (\"installed_rank\", \"version\", \"description\", \"type\", \"script\", "
                   "\"checksum\", \"installed_by\", \"execution_time\", \"success\") VALUES "
                   "($1::int, NULLIF($2, ''), $3, 'SQL', $4, $5::int, $6, $7::int, $8::boolean)",
               {std::to_string(rank),
                script.versioned() ? script.name.version->Text() : std::string(),
                AbbreviateDescription(script.name.description), script.file_name,
                std::to_string(script.checksum), ctx.installed_by, std::to_string(execution_ms),
                success ? "true" : "false"})
                 .has_value()
             ? Expected<void>()
             : Error::Transient("cannot record " + script.file_name + " in " + ctx.table);
}

// Applies one script; false (with result.failure set) when one of its statements failed.
Expected<bool> Engine::Apply(Context& ctx, Result& result, const Script& script, int rank) {
  Placeholders values = options_.placeholders;
  values.emplace("flyway:defaultSchema", ctx.schema);
  values.emplace("flyway:user", ctx.user);
  values.emplace("flyway:database", ctx.database);
  values.emplace("flyway:timestamp", Timestamp());
  values.emplace("flyway:filename", script.file_name);
  values.emplace("flyway:table", options_.table);
  auto text = ReplacePlaceholders(script.content, values, script.file_name);
  if (!text) {
    result.failure = Failure{.file = script.file_name, .message = text.error().message};
    return false;
  }
  const std::vector<ScriptStatement> statements = SplitStatements(*text);
  log_ << "Migrating " << QuoteIdent(ctx.schema) << " to " << Describe(script)
       << (script.in_transaction ? "" : " [non-transactional]") << "\n";
  const auto started = std::chrono::steady_clock::now();
  const auto elapsed_ms = [&started]() {
    return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count());
  };
  if (script.in_transaction) {
    TENANTDB_TRY_VOID(Query("BEGIN"));
  }
  for (const ScriptStatement& statement : statements) {
    const std::optional<ServerError> error = session_.Run(statement.text);
    if (!error) {
      continue;
    }
    const int ms = elapsed_ms();
    if (script.in_transaction) {
      Query("ROLLBACK").IgnoreError();
    }
    const int line =
        error->position > 0 ? LineOfPosition(statement, error->position) : statement.line;
    result.failure = Failure{
        .file = script.file_name,
        .message =
            script.file_name + " line " + std::to_string(line) + ": " + ServerText(*error) +
            (script.in_transaction ? "; the migration was rolled back"
                                   : "; it ran outside a transaction: the statements before line " +
                                         std::to_string(statement.line) + " stay applied"),
        .sqlstate = error->sqlstate,
        .line = line};
    // As Flyway records a failed migration: a row with success = false, which blocks later
    // runs until `repair` removes it (a person has to look, and a Job retry cannot loop).
    TENANTDB_TRY_VOID(Insert(ctx, rank, script, ms, false));
    log_ << "Migration " << script.file_name << " failed at line " << line << " ("
         << error->sqlstate << ")\n";
    return false;
  }
  const int ms = elapsed_ms();
  TENANTDB_TRY_VOID(Insert(ctx, rank, script, ms, true));
  if (script.in_transaction) {
    if (const std::optional<ServerError> error = session_.Run("COMMIT")) {
      result.failure =
          Failure{.file = script.file_name,
                  .message = script.file_name + ": COMMIT failed: " + ServerText(*error) +
                             "; the migration was rolled back",
                  .sqlstate = error->sqlstate};
      TENANTDB_TRY_VOID(Insert(ctx, rank, script, ms, false));
      return false;
    }
  }
  result.applied.push_back(
      AppliedScript{.version = script.versioned() ? script.name.version->Text() : "",
                    .description = script.name.description,
                    .file = script.file_name,
                    .execution_ms = ms});
  return true;
}

Expected<void> Engine::DoMigrate(Context& ctx, Result& result, const std::vector<Script>& scripts) {
  TENANTDB_TRY_VOID(EnsureHistory(ctx, result, true));
  TENANTDB_TRY(std::vector<AppliedMigration> applied, ReadHistory(ctx));
  TENANTDB_TRY(Info info,
               ComputeInfo(scripts, applied, InfoOptions{.out_of_order = options_.out_of_order}));
  if (info.current) {
    result.current_version = info.current->Text();
  }
  const auto pending_names = [&info](std::size_t from) {
    std::vector<std::string> out;
    for (std::size_t i = from; i < info.pending.size(); ++i) {
      const Script& s = *info.pending[i];
      out.push_back(s.versioned() ? s.name.version->Text() : s.name.description);
    }
    return out;
  };
  result.pending = pending_names(0);
  if (options_.validate_on_migrate || info.has_failed) {
    std::vector<std::string> problems = Validate(info, true);
    if (!options_.validate_on_migrate) {  // a failed row blocks in any case, as in Flyway
      std::erase_if(problems, [](const std::string& p) {
        return p.find(" failed when it ran") == std::string::npos;
      });
    }
    if (!problems.empty()) {
      result.problems = problems;
      result.failure =
          Failure{.message = "validation failed, nothing applied: " + problems[0] +
                             (problems.size() > 1
                                  ? " (and " + std::to_string(problems.size() - 1) + " more)"
                                  : "")};
      for (const InfoEntry& e : info.entries) {
        if (e.File().size() > 0 && problems[0].starts_with(e.File())) {
          result.failure->file = e.File();
          break;
        }
      }
      return {};
    }
  }
  for (const Script* s : info.ignored) {
    log_ << "Skipping " << s->file_name << ": older than version " << info.current->Text()
         << " and outOfOrder is off\n";
  }
  if (!options_.schema.empty() && ctx.search_path != QuoteIdent(ctx.schema) &&
      !ctx.search_path.starts_with(QuoteIdent(ctx.schema) + ",") && ctx.search_path != ctx.schema &&
      !ctx.search_path.starts_with(ctx.schema + ",")) {
    // As Flyway: the schema first, then the session's own search_path.
    TENANTDB_TRY_VOID(
        Query("SELECT pg_catalog.set_config('search_path', $1, false)",
              {QuoteIdent(ctx.schema) + (ctx.search_path.empty() ? "" : "," + ctx.search_path)}));
  }
  if (options_.backup_before && !info.pending.empty()) {
    log_ << "Taking a backup before the first pending migration ("
         << info.pending.front()->file_name << ")\n";
    auto backup = options_.backup_before();
    if (!backup) {
      result.pending = pending_names(0);
      return Error::Internal("The backup before migrating failed, so nothing was applied: " +
                             backup.error().message);
    }
    log_ << "Backup " << backup->name << " taken (" << backup->size_bytes << " bytes)\n";
    result.backup = std::move(*backup);
  }
  for (std::size_t i = 0; i < info.pending.size(); ++i) {
    const Script& s = *info.pending[i];
    TENANTDB_TRY(bool ok, Apply(ctx, result, s, ctx.next_rank));
    ++ctx.next_rank;
    if (!ok) {
      result.pending = pending_names(i);
      return {};
    }
    if (s.versioned() &&
        (!result.current_version || *s.name.version > *Version::Parse(*result.current_version))) {
      result.current_version = s.name.version->Text();
    }
  }
  result.pending.clear();
  log_ << (result.applied.empty() ? "Schema " + QuoteIdent(ctx.schema) + " is up to date"
                                  : "Applied " + std::to_string(result.applied.size()) +
                                        " migration(s) to schema " + QuoteIdent(ctx.schema))
       << (result.current_version ? ", now at version " + *result.current_version : "") << "\n";
  return {};
}

Result Engine::Migrate(const std::vector<Script>& scripts) {
  return Run("migrate",
             [&](Context& ctx, Result& result) { return DoMigrate(ctx, result, scripts); });
}

Result Engine::InfoCommand(const std::vector<Script>& scripts) {
  return Run("info", [&](Context& ctx, Result& result) -> Expected<void> {
    TENANTDB_TRY(std::vector<AppliedMigration> applied, ReadHistory(ctx));
    TENANTDB_TRY(Info info,
                 ComputeInfo(scripts, applied, InfoOptions{.out_of_order = options_.out_of_order}));
    if (info.current) {
      result.current_version = info.current->Text();
    }
    for (const Script* s : info.pending) {
      result.pending.push_back(s->versioned() ? s->name.version->Text() : s->name.description);
    }
    for (const InfoEntry& e : info.entries) {
      const bool versioned = !e.Version().empty() || e.Type() == "SCHEMA";
      result.info.push_back(Result::Row{.category = versioned ? "Versioned" : "Repeatable",
                                        .version = e.Version(),
                                        .description = e.Description(),
                                        .type = e.Type(),
                                        .installed_on = e.applied ? e.applied->installed_on : "",
                                        .state = std::string(StateName(e.state)),
                                        .file = e.File()});
    }
    return {};
  });
}

Result Engine::ValidateCommand(const std::vector<Script>& scripts) {
  return Run("validate", [&](Context& ctx, Result& result) -> Expected<void> {
    TENANTDB_TRY(std::vector<AppliedMigration> applied, ReadHistory(ctx));
    TENANTDB_TRY(Info info,
                 ComputeInfo(scripts, applied, InfoOptions{.out_of_order = options_.out_of_order}));
    if (info.current) {
      result.current_version = info.current->Text();
    }
    result.problems = Validate(info, false);
    if (!result.problems.empty()) {
      result.failure = Failure{.message = "validation failed: " + result.problems[0]};
    }
    return {};
  });
}

Expected<void> Engine::DoRepair(Context& ctx, Result& result, const std::vector<Script>& scripts) {
  if (!ctx.history_exists) {
    result.notes.push_back("no history table " + ctx.table + ": nothing to repair");
    return {};
  }
  TENANTDB_TRY(std::vector<AppliedMigration> applied, ReadHistory(ctx));
  TENANTDB_TRY(Info info,
               ComputeInfo(scripts, applied, InfoOptions{.out_of_order = options_.out_of_order}));
  std::vector<sql::Statement> changes;
  for (const InfoEntry& e : info.entries) {
    if (e.applied == nullptr || e.applied->type == "DELETE" || e.state == State::kDeleted) {
      continue;
    }
    if (!e.applied->success) {
      changes.push_back({.text = "DELETE FROM " + ctx.table +
                                 " WHERE \"installed_rank\" = $1::int "
                                 "AND \"success\" = false",
                         .params = {std::to_string(e.applied->installed_rank)}});
      result.notes.push_back("removed the failed row of " + e.File());
      continue;
    }
    if (e.state == State::kMissing && e.applied->type == "SQL") {
      // As Flyway's repair: a DELETE row marks the applied migration whose file is gone.
      changes.push_back(
          {.text = "INSERT INTO " + ctx.table +
                   " (\"installed_rank\", \"version\", \"description\", \"type\", \"script\", "
                   "\"checksum\", \"installed_by\", \"execution_time\", \"success\") VALUES "
                   "($1::int, NULLIF($2, ''), $3, 'DELETE', $4, NULLIF($5, '')::int, $6, 0, true)",
           .params = {std::to_string(ctx.next_rank++), e.applied->version.value_or(""),
                      e.applied->description, e.applied->script,
                      e.applied->checksum ? std::to_string(*e.applied->checksum) : "",
                      ctx.installed_by}});
      result.notes.push_back("marked " + e.File() + " as deleted (its file is gone)");
      continue;
    }
    if (e.script == nullptr || !e.script->versioned() || e.state == State::kIgnored ||
        e.applied->type == "BASELINE" || e.applied->type == "SCHEMA") {
      continue;
    }
    const std::string description = AbbreviateDescription(e.script->name.description);
    if (e.applied->checksum != e.script->checksum || e.applied->description != description ||
        e.applied->type != "SQL") {
      changes.push_back({.text = "UPDATE " + ctx.table +
                                 " SET \"description\" = $1, \"type\" = 'SQL', \"checksum\" = "
                                 "$2::int WHERE \"installed_rank\" = $3::int",
                         .params = {description, std::to_string(e.script->checksum),
                                    std::to_string(e.applied->installed_rank)}});
      result.notes.push_back("realigned " + e.File() + " with its file (checksum " +
                             std::to_string(e.script->checksum) + ")");
    }
  }
  if (changes.empty()) {
    result.notes.push_back("the history table matches the files: nothing to repair");
    return {};
  }
  TENANTDB_TRY_VOID(Query("BEGIN"));
  for (const sql::Statement& s : changes) {
    if (auto done = session_.Query(s); !done) {
      Query("ROLLBACK").IgnoreError();
      return done.error();
    }
  }
  TENANTDB_TRY_VOID(Query("COMMIT"));
  for (const std::string& note : result.notes) {
    log_ << "Repair: " << note << "\n";
  }
  return {};
}

Result Engine::Repair(const std::vector<Script>& scripts) {
  return Run("repair",
             [&](Context& ctx, Result& result) { return DoRepair(ctx, result, scripts); });
}

Expected<void> Engine::DoBaseline(Context& ctx, Result& result) {
  TENANTDB_TRY(Version version, Version::Parse(options_.baseline_version));
  if (!ctx.history_exists) {
    TENANTDB_TRY_VOID(CreateHistory(ctx, true));
    result.current_version = version.Text();
    result.notes.push_back("baselined at version " + version.Text());
    return {};
  }
  TENANTDB_TRY(std::vector<AppliedMigration> applied, ReadHistory(ctx));
  for (const AppliedMigration& a : applied) {
    if (a.type != "BASELINE") {
      continue;
    }
    if (a.version && *Version::Parse(*a.version) == version &&
        a.description == AbbreviateDescription(options_.baseline_description)) {
      result.current_version = *a.version;
      result.notes.push_back("already baselined at version " + *a.version);
      return {};
    }
    return Error::Invalid("the history table " + ctx.table + " is already baselined at version " +
                          a.version.value_or("") + " ('" + a.description + "')");
  }
  return Error::Invalid("cannot baseline: the history table " + ctx.table +
                        " already exists and holds migrations (baseline is for a schema that "
                        "has none yet)");
}

Result Engine::Baseline() {
  return Run("baseline", [&](Context& ctx, Result& result) { return DoBaseline(ctx, result); });
}

}  // namespace tenantdb::migrate

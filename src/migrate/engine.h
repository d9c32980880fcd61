#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/expected.h"
#include "migrate/placeholders.h"
#include "migrate/plan.h"
#include "migrate/script.h"
#include "migrate/session.h"

namespace tenantdb::migrate {

// A backup taken before the first pending version (Options::backup_before).
struct TakenBackup {
  std::string name;  // file (or folder) name in the storage directory
  std::string time;  // RFC 3339 UTC
  std::int64_t size_bytes = 0;
  std::string sha256;
};

// Flyway's option names and defaults.
struct Options {
  std::string schema;  // empty: the session's current schema (the first of its search_path)
  std::string table = "flyway_schema_history";
  std::string baseline_version = "1";
  std::string baseline_description = "<< Flyway Baseline >>";
  bool baseline_on_migrate = false;
  bool out_of_order = false;
  bool validate_on_migrate = true;
  Placeholders placeholders;
  std::string installed_by;  // empty: current_user
  // Called once by `migrate`, under the advisory lock and after validation, when there is at
  // least one pending migration, before the first one runs; an error applies nothing.
  std::function<Expected<TakenBackup>()> backup_before;
};

struct Failure {
  std::string file;     // empty when no file is at fault (connection, lock, history table)
  std::string message;  // names the file, the line and PostgreSQL's error with its SQLSTATE
  std::string sqlstate;
  int line = 0;
};

struct AppliedScript {
  std::string version;  // "" for a repeatable
  std::string description;
  std::string file;
  int execution_ms = 0;
};

// What a command did; rendered by report.h as text or as the JSON summary.
struct Result {
  std::string command;
  std::string schema;
  std::string table;  // quoted, qualified
  bool success = false;
  std::vector<AppliedScript> applied;          // by this run, in order
  std::optional<std::string> current_version;  // after the run
  std::vector<std::string> pending;   // versions, or descriptions of repeatables, still to apply
  std::vector<std::string> problems;  // validation errors (each names its file)
  std::optional<Failure> failure;
  std::optional<TakenBackup> backup;  // taken by backup_before
  std::vector<std::string> notes;     // what repair or baseline changed
  // `info`: one row per entry.
  struct Row {
    std::string category;  // Versioned, Repeatable
    std::string version;
    std::string description;
    std::string type;
    std::string installed_on;
    std::string state;
    std::string file;
  };
  std::vector<Row> info;
};

// The Flyway-compatible engine: `migrate`, `info`, `validate`, `repair`, `baseline` over one
// session, each under the advisory lock Flyway takes for the same history table. Progress goes
// to `log`, one line per step; a script's SQL never does.
class Engine {
 public:
  Engine(Session& session, Options options, std::ostream& log);

  Result Migrate(const std::vector<Script>& scripts);
  Result InfoCommand(const std::vector<Script>& scripts);
  Result ValidateCommand(const std::vector<Script>& scripts);
  Result Repair(const std::vector<Script>& scripts);
  Result Baseline();

 private:
  struct Context;
  Expected<Context> Start(const std::string& command, Result& result);
  Result Run(const std::string& command,
             const std::function<Expected<void>(Context&, Result&)>& body);

  Expected<void> DoMigrate(Context& ctx, Result& result, const std::vector<Script>& scripts);
  Expected<void> DoRepair(Context& ctx, Result& result, const std::vector<Script>& scripts);
  Expected<void> DoBaseline(Context& ctx, Result& result);
  Expected<void> EnsureHistory(Context& ctx, Result& result, bool migrating);
  Expected<void> CreateHistory(Context& ctx, bool with_baseline);
  Expected<std::vector<AppliedMigration>> ReadHistory(Context& ctx);
  Expected<bool> Apply(Context& ctx, Result& result, const Script& script, int rank);
  Expected<void> Insert(Context& ctx, int rank, const Script& script, int execution_ms,
                        bool success);
  Expected<sql::Rows> Query(const std::string& text, std::vector<std::string> params = {});

  Session& session_;
  Options options_;
  std::ostream& log_;
};

}  // namespace tenantdb::migrate

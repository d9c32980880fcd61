#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tenantdb::migrate {

struct ScriptStatement {
  std::string text;  // without the terminating semicolon
  int line = 1;      // 1-based line of the script where the statement starts
};

// Splits a PostgreSQL script into statements at the semicolons that end them, as psql and Flyway
// do: not inside '...' and E'...' literals, "..." identifiers, $tag$...$tag$ bodies, -- and
// (nested) /* */ comments, nor inside a BEGIN ATOMIC ... END function body. Statements that hold
// only whitespace and comments are dropped. A leading byte order mark is skipped.
std::vector<ScriptStatement> SplitStatements(std::string_view script);

// The 1-based line of `script` at which a server's error position points: `position` counts
// characters (not bytes) from 1 at the start of `statement`, which starts at `statement_line`.
int LineOfPosition(const ScriptStatement& statement, int position);

}  // namespace tenantdb::migrate

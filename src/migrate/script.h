#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "migrate/version.h"

namespace tenantdb::migrate {

// The first line that makes a file run outside a transaction (for CREATE INDEX CONCURRENTLY and
// other statements PostgreSQL refuses in a transaction block).
inline constexpr std::string_view kNoTransactionMarker = "-- tenantdb:no-transaction";

// What a file name says, by Flyway's default naming rules.
struct ScriptName {
  std::optional<Version> version;  // empty for a repeatable (R__) migration
  std::string description;         // underscores as spaces, as Flyway stores it
};

// `V<version>__<description>.sql` or `R__<description>.sql` (`.sql` in any case). Any other name
// is refused with a message naming it and the expected form.
Expected<ScriptName> ParseScriptName(std::string_view file_name);

// One migration file, read and checked.
struct Script {
  std::string file_name;  // as stored in the history table's `script` column
  ScriptName name;
  std::string content;  // the file's bytes, as read
  std::int32_t checksum = 0;
  bool in_transaction = true;  // false when the first line is kNoTransactionMarker

  bool versioned() const { return name.version.has_value(); }
};

// Every migration of `dir`: versioned ones in version order, then repeatables by description.
// Names starting with `.` are skipped (a mounted ConfigMap's `..data` and timestamped folders);
// any other file that is not a migration, a subdirectory, a file that is not UTF-8, two files
// with one version or two repeatables with one description are refused, naming the files.
Expected<std::vector<Script>> ScanDirectory(const std::filesystem::path& dir);

// Orders scripts as ScanDirectory does and refuses two with one version or one description.
Expected<std::vector<Script>> SortAndCheck(std::vector<Script> scripts);

// Checks a file's content and fills checksum and in_transaction.
Expected<Script> MakeScript(std::string file_name, std::string content);

// True when `text` is well-formed UTF-8.
bool IsUtf8(std::string_view text);

}  // namespace tenantdb::migrate

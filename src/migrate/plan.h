#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "migrate/script.h"
#include "migrate/version.h"

namespace tenantdb::migrate {

// One row of the history table (flyway_schema_history).
struct AppliedMigration {
  int installed_rank = 0;
  std::optional<std::string> version;
  std::string description;
  std::string type;  // SQL, BASELINE, SCHEMA (schema created by Flyway), DELETE (Flyway's repair)
  std::string script;
  std::optional<std::int32_t> checksum;
  std::string installed_by;
  std::string installed_on;
  int execution_time = 0;
  bool success = true;
};

// Flyway's migration states, with the names `flyway info` prints.
enum class State {
  kPending,
  kIgnored,          // older than the last applied version, outOfOrder off
  kBelowBaseline,    // older than the baseline
  kBaselineIgnored,  // the baseline's own version
  kBaseline,
  kSuccess,
  kFailed,
  kOutOfOrder,
  kOutdated,    // repeatable changed since its last run
  kSuperseded,  // an older run of a repeatable
  kMissing,     // applied, file gone
  kMissingFailed,
  kFuture,  // applied, newer than every file
  kFutureFailed,
  kDeleted,  // marked deleted by Flyway's repair
};
std::string_view StateName(State state);

// An applied row, a file, or both.
struct InfoEntry {
  const AppliedMigration* applied = nullptr;
  const Script* script = nullptr;
  State state = State::kPending;

  std::string Version() const;  // "" for a repeatable
  std::string Description() const;
  std::string Type() const;
  std::string File() const;
};

struct InfoOptions {
  bool out_of_order = false;
};

// What the history and the files say together. Pointers refer into the two vectors given.
struct Info {
  std::vector<InfoEntry>
      entries;  // applied rows in installed_rank order, then the files not applied
  std::optional<migrate::Version> current;  // highest applied version (a baseline counts)
  std::vector<const Script*> pending;       // what migrate applies, in order
  std::vector<const Script*> ignored;       // out of order, not applied (outOfOrder off)
  bool has_failed = false;
};

// Flyway's rules (MigrationInfoService): versioned files pair with applied rows by version,
// repeatables by description (their latest run); pending versioned files in version order, then
// new or changed repeatables by description.
Expected<Info> ComputeInfo(const std::vector<Script>& scripts,
                           const std::vector<AppliedMigration>& applied,
                           const InfoOptions& options);

// Flyway's validation: failed rows, applied files gone, checksum, description or type changed,
// files older than the last applied version (outOfOrder off); pending and changed repeatable
// files too unless `ignore_pending` (as migrate validates). Each message names the file.
std::vector<std::string> Validate(const Info& info, bool ignore_pending);

// Flyway's cut of a description to the column's 200 characters.
std::string AbbreviateDescription(std::string_view description);

}  // namespace tenantdb::migrate

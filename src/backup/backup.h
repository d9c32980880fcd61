#pragma once

// `tenantdb backup`: one pg_dump of one database into a storage directory, streamed through a
// SHA-256 into a temporary name that is renamed only on success, a JSON manifest beside it, then
// retention. The contract shared with the BackupSchedule controller and `tenantdb migrate
// --backup-dir` is /tmp/agents/BACKUP-CLI.md (files, manifest, summary); docs in
// examples/README.md. No libpq here: the server is reached through backup::Server (server.h).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"

namespace tenantdb::backup {

enum class Format { kCustom, kPlain, kDirectory };

// Grandfather-father-son by each backup's own time (UTC days, ISO weeks, months). An unset field
// keeps nothing by that rule; all unset keeps everything. The newest backup is always kept.
struct Retention {
  std::optional<int> keep_last;
  std::optional<int> keep_daily;
  std::optional<int> keep_weekly;
  std::optional<int> keep_monthly;
  bool Empty() const { return !keep_last && !keep_daily && !keep_weekly && !keep_monthly; }
};

struct BackupOptions {
  std::string dir;
  Format format = Format::kCustom;
  int compression = 6;  // 0-9; plain with compression > 0 is written gzip'ed (.sql.gz)
  Retention retention;
  std::string pg_dump;   // "" = the newest pg_dump on PATH or under /usr/lib/postgresql/*/bin
  std::string database;  // "" = $PGDATABASE
  std::string reason = "manual";  // "scheduled" | "manual" | "pre-migration"
};

struct BackupResult {
  std::string name;  // file (or folder) name in dir, e.g. shop-20261202T020000Z.dump
  std::string time;  // RFC 3339 UTC
  std::int64_t size_bytes = 0;
  std::string sha256;
  std::string format;  // custom | plain | directory
  std::vector<std::string> pruned;
};

// Error reasons (Error::reason) of a failed backup or restore; also the summary's error.reason.
inline constexpr const char* kReasonPgDumpFailed = "PgDumpFailed";
inline constexpr const char* kReasonVersionMismatch = "VersionMismatch";
inline constexpr const char* kReasonStorageError = "StorageError";
inline constexpr const char* kReasonConnectionFailed = "ConnectionFailed";
inline constexpr const char* kReasonToolNotFound = "ToolNotFound";
inline constexpr const char* kReasonAlreadyRunning = "AlreadyRunning";
inline constexpr const char* kReasonInvalidOptions = "InvalidOptions";
inline constexpr const char* kReasonBackupNotFound = "BackupNotFound";
inline constexpr const char* kReasonChecksumMismatch = "ChecksumMismatch";
inline constexpr const char* kReasonTargetNotEmpty = "TargetNotEmpty";
inline constexpr const char* kReasonRestoreFailed = "RestoreFailed";

// The connection comes from the PG* environment only (PGHOST PGPORT PGUSER PGPASSWORD
// PGDATABASE PGSSLMODE); the password never reaches an argv. Defined in pq_command.cpp.
Expected<BackupResult> RunBackup(const BackupOptions& options);
// The same at a given time (the backup's name, manifest time and retention's "now"): for tests
// that take a sequence of backups at chosen times.
Expected<BackupResult> RunBackup(const BackupOptions& options,
                                 std::chrono::system_clock::time_point now);

std::string FormatName(Format format);
std::optional<Format> ParseFormat(const std::string& text);

}  // namespace tenantdb::backup

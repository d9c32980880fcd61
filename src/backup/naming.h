#pragma once

// Names of the files in a backup directory (pure):
//   <database>-<YYYYMMDDTHHMMSSZ>.dump | .sql | .sql.gz | .dir   the dump (a folder for .dir)
//   <name>.manifest.json                                        its manifest, written last
//   .<name>.partial, .<name>.manifest.json.partial              in progress (removed if left over)

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "backup/backup.h"

namespace tenantdb::backup {

using Seconds = std::chrono::sys_seconds;

inline constexpr std::string_view kManifestSuffix = ".manifest.json";
inline constexpr std::string_view kPartialSuffix = ".partial";

// 2026-12-02T02:00:00Z and 20261202T020000Z; parsing accepts only exactly these shapes.
std::string Rfc3339(Seconds t);
std::optional<Seconds> ParseRfc3339(std::string_view text);
std::string CompactTime(Seconds t);
std::optional<Seconds> ParseCompactTime(std::string_view text);

// ".dump", ".sql", ".sql.gz" or ".dir".
std::string Extension(Format format, int compression);

// A database name as a file name: '/' and NUL become '_' and a leading '.' becomes '_', so a
// name never leaves the directory or hides itself; the manifest keeps the real name.
std::string FileSafe(std::string_view database);

std::string BackupName(std::string_view database, Seconds t, Format format, int compression);

struct ParsedName {
  std::string database;  // as in the file name (FileSafe of the real one)
  Seconds time;
  std::string extension;
};
// Parses a dump name (not a manifest name); nullopt when it is not one of ours.
std::optional<ParsedName> ParseBackupName(std::string_view name);

inline std::string ManifestName(std::string_view name) {
  return std::string(name) + std::string(kManifestSuffix);
}
inline std::string PartialName(std::string_view name) {
  return "." + std::string(name) + std::string(kPartialSuffix);
}

// For ".<name>.partial" or ".<name>.manifest.json.partial": the dump name inside, when it parses.
std::optional<std::string> LeftoverOf(std::string_view file_name);

}  // namespace tenantdb::backup

#pragma once

// `tenantdb restore`: checks the chosen backup's SHA-256 against its manifest, then restores it
// into a target database (created when absent; a non-empty one only with --clean) with
// pg_restore (custom, directory) or psql (plain; .sql.gz through gzip -dc), each in one
// transaction so a failed restore leaves the target as it was (a target it created stays, empty:
// a retry accepts an empty target).

#include <string>
#include <vector>

#include "backup/catalog.h"
#include "backup/server.h"
#include "common/expected.h"

namespace tenantdb::backup {

struct RestoreOptions {
  std::string dir;
  std::string name;  // "" = the newest backup whose dump is present
  std::string target_database;
  bool clean = false;  // custom/directory: pg_restore --clean --if-exists into a non-empty target
  std::string pg_restore;  // "" = the newest found (as for pg_dump)
  std::string psql;
};

struct RestoreResult {
  std::string name;
  std::string target_database;
  bool created = false;
};

// The backup restore would use: `name`, else the newest present one.
Expected<StoredBackup> ChooseBackup(const std::vector<StoredBackup>& backups,
                                    const std::string& name);
// Recomputes the dump's SHA-256; reason ChecksumMismatch, naming the file, when it differs.
Expected<void> VerifyBackup(const std::string& dir, const StoredBackup& backup);

Expected<RestoreResult> RunRestore(const RestoreOptions& options, Server& server);

// For --list of a custom/directory backup: pg_restore --list's table of contents.
Expected<std::string> TableOfContents(const std::string& dir, const StoredBackup& backup,
                                      const std::string& pg_restore);

}  // namespace tenantdb::backup

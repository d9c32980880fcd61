#pragma once

// `tenantdb backup` and `tenantdb restore` after the command line was parsed (app/cli.cpp).
// RunBackupCommand and RunRestoreCommand are in pq_command.cpp: they reach the server through
// libpq (PG* environment only).

#include <ostream>
#include <string>

#include "backup/backup.h"
#include "backup/restore.h"

namespace tenantdb::backup {

struct BackupCommand {
  BackupOptions backup;
  bool json = false;         // --output json: the JSON summary on stdout
  std::string summary_file;  // also write the JSON summary here (/dev/termination-log)
};

struct RestoreCommand {
  RestoreOptions restore;
  bool list = false;  // print the backups (and, with --name, pg_restore --list of a custom one)
};

// Exit code 0 on success, 1 when the backup failed; the summary on `out`, errors on `err`.
int RunBackupCommand(const BackupCommand& command, std::ostream& out, std::ostream& err);
int RunRestoreCommand(const RestoreCommand& command, std::ostream& out, std::ostream& err);

// The part of RunBackupCommand after the backup ran (pure but for the summary file).
int ReportBackup(const Expected<BackupResult>& result, const BackupCommand& command,
                 std::ostream& out, std::ostream& err);

}  // namespace tenantdb::backup

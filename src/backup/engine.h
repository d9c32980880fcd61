#pragma once

#include "backup/backup.h"
#include "backup/naming.h"
#include "backup/server.h"

namespace tenantdb::backup {

// RunBackup over a given Server and time (RunBackup in pq_command.cpp passes libpq's and now).
// In order: options checked, the directory locked (.tenantdb-backup.lock, flock), leftovers of a
// crashed run of this database removed, pg_dump chosen and its version compared with the
// server's, the dump streamed through a SHA-256 into .<name>.partial (fsync, rename), the
// manifest written (temp + rename), then retention over this database's backups.
Expected<BackupResult> RunBackupWith(const BackupOptions& options, Server& server, Seconds now);

}  // namespace tenantdb::backup

#pragma once

// The backups a directory holds: only names with a manifest of ours beside them.

#include <string>
#include <vector>

#include "backup/manifest.h"
#include "backup/naming.h"
#include "common/expected.h"

namespace tenantdb::backup {

struct StoredBackup {
  std::string name;  // the dump's file (or folder) name
  Manifest manifest;
  Seconds time;
  bool present = false;  // the dump itself exists
};

// Newest first (by the manifest's time, then name). A missing directory fails (StorageError).
Expected<std::vector<StoredBackup>> ListBackups(const std::string& dir);

}  // namespace tenantdb::backup

#pragma once

// Which backups retention deletes (pure). Grandfather-father-son by each backup's own time, as
// restic's `forget --keep-*` does: walking from the newest, keep-last keeps the first N; keep-daily
// keeps the newest backup of each of the N most recent UTC days that have one; keep-weekly the
// same per ISO week (Monday to Sunday), keep-monthly per calendar month. A backup kept by any rule
// stays. The newest backup always stays; with no rule set nothing is deleted.

#include <string>
#include <vector>

#include "backup/backup.h"
#include "backup/naming.h"

namespace tenantdb::backup {

struct Dated {
  std::string name;
  Seconds time;
};

// The names to delete, newest first. `backups` holds only successful backups (with a manifest of
// ours) of one database.
std::vector<std::string> SelectPruned(std::vector<Dated> backups, const Retention& retention);

}  // namespace tenantdb::backup

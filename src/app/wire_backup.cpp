#include "app/wiring_context.h"

namespace tenantdb::app {

// The BackupSchedule controller ("backup"): not wired yet (its watches need RBAC for
// backupschedules, cronjobs, jobs and pods that operator/ and the chart do not grant yet; the
// wiring is kept in git history, commit e22bc67).
void WireBackupController(WiringContext& /*ctx*/) {}

}  // namespace tenantdb::app

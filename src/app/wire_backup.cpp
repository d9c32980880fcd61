#include "app/wiring_context.h"

namespace tenantdb::app {

// The BackupSchedule controller ("backup"): not wired yet.
void WireBackupController(WiringContext& /*ctx*/) {}

}  // namespace tenantdb::app

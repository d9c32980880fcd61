#include "app/wiring_context.h"

namespace tenantdb::app {

// Not wired yet.
void WireDatabaseController(WiringContext& /*ctx*/) {}

}  // namespace tenantdb::app

#include "app/wiring_context.h"

namespace tenantdb::app {

// Not wired yet.
void WireRoleController(WiringContext& /*ctx*/) {}

}  // namespace tenantdb::app

#include "app/wiring_context.h"

namespace tenantdb::app {

// The Migration controller ("migration"): not wired yet.
void WireMigrationController(WiringContext& /*ctx*/) {}

}  // namespace tenantdb::app

#pragma once

#include "app/options.h"

namespace tenantdb::app {

// The composition root (STYLE.md R5): builds the concrete transport, SQL connector, caches,
// controllers and servers from `options`, runs the manager until SIGTERM/SIGINT or lost
// leadership, and returns the process exit code (0, 1 on lost leadership or a fatal error,
// 2 when the configuration cannot be used).
int RunOperator(const RunOptions& options);

}  // namespace tenantdb::app

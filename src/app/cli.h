#pragma once

#include <functional>
#include <ostream>

#include "app/options.h"
#include "migrate/command.h"

namespace tenantdb::app {

// Exit codes of the `tenantdb` command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;  // unknown subcommand or flag, unreadable configuration

// What `tenantdb run` does with its parsed options (app/wiring.h's RunOperator in the binary; a
// fake in tests).
using RunFunction = std::function<int(const RunOptions&)>;

// What `tenantdb migrate` does with its parsed options (migrate::RunCommand over libpq in the
// binary; a fake in tests).
using MigrateFunction = std::function<int(const migrate::CommandOptions&)>;

// Parses the command line and runs the chosen subcommand. `--help` prints usage and returns 0;
// an unknown subcommand or flag prints the error and usage to `err` and returns kExitUsage.
int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
           const RunFunction& run = {}, const MigrateFunction& migrate = {});

}  // namespace tenantdb::app

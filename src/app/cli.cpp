#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <string>

#include "app/version.h"

namespace tenantdb::app {

int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App cli{
      "tenantdb: a Kubernetes operator that gives every service its own PostgreSQL database, "
      "scoped roles, versioned migrations and scheduled backups on a shared server.",
      "tenantdb"};
  cli.require_subcommand(1);
  cli.fallthrough(false);

  CLI::App* version = cli.add_subcommand("version", "Print the tenantdb version and exit");

  // Name an unknown subcommand plainly (CLI11 would only say that one is required).
  if (argc > 1 && argv[1][0] != '-') {
    const std::string first = argv[1];
    bool known = false;
    for (const CLI::App* sub : cli.get_subcommands({})) {
      known = known || sub->get_name() == first;
    }
    if (!known) {
      err << "tenantdb: unknown subcommand '" << first << "'\n\n" << cli.help();
      return kExitUsage;
    }
  }

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    out << cli.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    out << cli.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "tenantdb: " << e.what() << "\n\n" << cli.help();
    return kExitUsage;
  }

  if (version->parsed()) {
    out << "tenantdb " << kVersion << "\n";
    return kExitOk;
  }
  err << cli.help();
  return kExitUsage;
}

}  // namespace tenantdb::app

// The `tenantdb` command: version today; run | migrate | backup | restore as they land.
#include <iostream>

#include "app/cli.h"
#include "app/wiring.h"
#include "migrate/command.h"
#include "migrate/pq_session.h"

int main(int argc, char** argv) {
  return tenantdb::app::RunCli(argc, argv, std::cout, std::cerr, tenantdb::app::RunOperator,
                               [](const tenantdb::migrate::CommandOptions& options) {
                                 tenantdb::migrate::PqConnector connector;
                                 return tenantdb::migrate::RunCommand(options, connector, std::cout,
                                                                      std::cerr);
                               });
}

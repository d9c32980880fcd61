// The `tenantdb` command: version today; run | migrate | backup | restore as they land.
#include <iostream>

#include "app/cli.h"
#include "app/wiring.h"

int main(int argc, char** argv) {
  return tenantdb::app::RunCli(argc, argv, std::cout, std::cerr, tenantdb::app::RunOperator);
}

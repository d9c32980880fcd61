#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "migrate/engine.h"
#include "migrate/session.h"

namespace tenantdb::migrate {

// `tenantdb migrate [migrate|info|validate|repair|baseline]` after the command line was parsed.
struct CommandOptions {
  std::string command = "migrate";
  std::string dir = ".";
  // Connection: a URL or conninfo (--url, else $DATABASE_URL), then the single flags on top;
  // libpq takes the rest from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE.
  std::string url;
  std::string host;
  std::string port;
  std::string user;
  std::string dbname;
  std::string sslmode;
  Options engine;
  bool json = false;
  std::string summary_file;  // also write the JSON summary here (/dev/termination-log in a Job)
};

// Runs the command; progress on `err`, the report (or the JSON summary) on `out`. Exit code 0
// when it succeeded, 1 when a migration, validation or connection failed.
int RunCommand(const CommandOptions& options, Connector& connector, std::ostream& out,
               std::ostream& err);

ConnectOptions ToConnectOptions(const CommandOptions& options);

}  // namespace tenantdb::migrate

#pragma once

#include <optional>
#include <string>

namespace tenantdb::sql {

// Where and as whom to connect. The password is handed to libpq as a connection parameter
// and never appears in a log line or an error message.
struct ConnectionParams {
  std::string host;
  int port = 5432;
  std::string user;
  std::string password;
  std::string dbname = "postgres";
  std::string sslmode = "prefer";
  std::optional<std::string> sslrootcert;  // path of a PEM file
  std::string application_name = "tenantdb";
  int connect_timeout_seconds = 10;
  // Open the session with search_path=pg_catalog (libpq `options`, which overrides ALTER
  // DATABASE/ROLE ... SET search_path): the operator's admin sessions run in tenants' databases,
  // whose owners may plant functions and operators in their schemas (PITFALLS.md, CVE-2018-1058).
  // Off only for sessions that run a tenant's own SQL as the tenant (migrations).
  bool pin_search_path = true;
  // The operator's own session budget on this server (DatabaseServer.spec.maxConnections), for
  // a pooling connector; 0 = its default. Not a libpq parameter.
  int max_sessions = 0;
};

// libpq keyword/value connection string with every value single-quoted and escaped, so no
// value (password included) can inject another keyword.
std::string ToConninfo(const ConnectionParams& params);

// The same without the password, for logs and messages.
std::string DescribeForLog(const ConnectionParams& params);

}  // namespace tenantdb::sql

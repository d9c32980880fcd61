#pragma once

// The few questions backup and restore ask PostgreSQL (STYLE.md R4: the I/O seam; the libpq
// adapter is pq_server.cpp). Connections use the PG* environment, with the database given.

#include <cstdint>
#include <string>

#include "common/expected.h"

namespace tenantdb::backup {

class Server {
 public:
  virtual ~Server() = default;
  // server_version_num, connecting to `database` (so a wrong password or a missing database
  // fails here, before pg_dump starts). Errors carry reason ConnectionFailed.
  virtual Expected<int> VersionNum(const std::string& database) = 0;
  virtual Expected<bool> DatabaseExists(const std::string& name) = 0;
  // CREATE DATABASE <QuoteIdent(name)>.
  virtual Expected<void> CreateDatabase(const std::string& name) = 0;
  // Relations, functions, types, schemas other than public, and large objects in `database`
  // that are not part of a new database.
  virtual Expected<std::int64_t> CountUserObjects(const std::string& database) = 0;
};

}  // namespace tenantdb::backup

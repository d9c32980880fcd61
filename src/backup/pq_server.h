#pragma once

#include "backup/server.h"

namespace tenantdb::backup {

// The libpq adapter of Server (STYLE.md R22: with pq_command.cpp the only
// files of src/backup/ that use libpq). Each call opens its own short session from the PG*
// environment, with search_path pinned to pg_catalog.
class PqServer final : public Server {
 public:
  Expected<int> VersionNum(const std::string& database) override;
  Expected<bool> DatabaseExists(const std::string& name) override;
  Expected<void> CreateDatabase(const std::string& name) override;
  Expected<std::int64_t> CountUserObjects(const std::string& database) override;
};

}  // namespace tenantdb::backup

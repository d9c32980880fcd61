#pragma once

#include "migrate/session.h"

namespace tenantdb::migrate {

// The libpq adapter of Session (STYLE.md R22: the only file of src/migrate/ that includes
// libpq). libpq directly, not libpqxx: a migration needs the server's error fields (SQLSTATE,
// statement position, detail, hint) and BEGIN/COMMIT as plain statements on one session.
class PqConnector final : public Connector {
 public:
  Expected<std::unique_ptr<Session>> Connect(const ConnectOptions& options) override;
};

}  // namespace tenantdb::migrate

#pragma once

#include "sql/sql_executor.h"

namespace tenantdb::sql {

// The libpqxx adapter: the only code that includes libpqxx (STYLE.md R22).
class PqxxConnector final : public SqlConnector {
 public:
  Expected<std::unique_ptr<SqlExecutor>> Connect(const ConnectionParams& params) override;
};

}  // namespace tenantdb::sql

#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace tenantdb::sql {

// Maps a PostgreSQL SQLSTATE to tenantdb's error classes (STYLE.md R17), most specific first.
Error ClassifySqlState(std::string_view sqlstate, std::string message);

}  // namespace tenantdb::sql

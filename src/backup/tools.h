#pragma once

// Which pg_dump / pg_restore / psql runs, and their versions. pg_dump refuses a server newer than
// itself, so the versions are compared before a dump starts.

#include <optional>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace tenantdb::backup {

struct ToolVersion {
  int major = 0;
  int minor = 0;
  std::string Text() const { return std::to_string(major) + "." + std::to_string(minor); }
  friend auto operator<=>(const ToolVersion&, const ToolVersion&) = default;
};

// "pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)" -> 15.14; "psql (PostgreSQL) 18beta1"
// -> 18.0.
std::optional<ToolVersion> ParseToolVersion(std::string_view version_output);
// 150014 -> 15.14, 180001 -> 18.1 (server_version_num).
ToolVersion FromVersionNum(int version_num);

struct Tool {
  std::string path;
  ToolVersion version;
};

// `explicit_path` when given (its version read with --version), else the newest `name` among
// PATH and /usr/lib/postgresql/*/bin. Fails with reason ToolNotFound.
Expected<Tool> FindTool(const std::string& name, const std::string& explicit_path);

// `dbname='<database>'` (libpq conninfo quoting) for --dbname: a name holding '=' or spaces, or
// looking like a URL, stays one database name.
std::string DbnameConninfo(const std::string& database);

}  // namespace tenantdb::backup

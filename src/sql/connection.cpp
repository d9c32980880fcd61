#include "sql/connection.h"

#include <string_view>

namespace tenantdb::sql {
namespace {

void AppendKeyword(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) {
    out += ' ';
  }
  out += key;
  out += "='";
  for (const char c : value) {
    if (c == '\'' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '\'';
}

std::string Build(const ConnectionParams& p, bool with_password) {
  std::string out;
  AppendKeyword(out, "host", p.host);
  AppendKeyword(out, "port", std::to_string(p.port));
  AppendKeyword(out, "user", p.user);
  if (with_password) {
    AppendKeyword(out, "password", p.password);
  }
  AppendKeyword(out, "dbname", p.dbname);
  AppendKeyword(out, "sslmode", p.sslmode);
  if (p.sslrootcert) {
    AppendKeyword(out, "sslrootcert", *p.sslrootcert);
  }
  AppendKeyword(out, "application_name", p.application_name);
  AppendKeyword(out, "connect_timeout", std::to_string(p.connect_timeout_seconds));
  if (p.pin_search_path) {
    AppendKeyword(out, "options", "-csearch_path=pg_catalog");
  }
  return out;
}

}  // namespace

std::string ToConninfo(const ConnectionParams& params) { return Build(params, true); }

std::string DescribeForLog(const ConnectionParams& params) { return Build(params, false); }

}  // namespace tenantdb::sql

#include "sql/sql_error.h"

#include <utility>

namespace tenantdb::sql {

Error ClassifySqlState(std::string_view s, std::string message) {
  const std::string_view cls = s.substr(0, 2);
  if (s == "28P01" || s == "28000") {
    return Error::Permission(std::move(message), "AuthenticationFailed");
  }
  if (cls == "08" || s == "57P01" || s == "57P02" || s == "57P03" || cls == "53") {
    return Error::Transient(std::move(message), "ServerUnreachable");
  }
  if (s == "40001" || s == "40P01" || s == "55006" || s == "55P03") {
    return Error::Conflict(std::move(message), "Reconciling");
  }
  if (s == "42501") {
    return Error::Permission(std::move(message), "PermissionDenied");
  }
  if (s == "3D000" || s == "42704") {
    return Error::Dependency(std::move(message), "DependencyNotReady");
  }
  if (cls == "42" || cls == "22") {
    return Error::Invalid(std::move(message), "InvalidSpec");
  }
  return Error::Transient(std::move(message), "Reconciling");
}

}  // namespace tenantdb::sql

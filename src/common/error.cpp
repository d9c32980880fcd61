#include "common/error.h"

#include <utility>

namespace tenantdb {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kTransient:
      return "Transient";
    case ErrorCode::kConflict:
      return "Conflict";
    case ErrorCode::kPermission:
      return "Permission";
    case ErrorCode::kDependency:
      return "Dependency";
    case ErrorCode::kInvalid:
      return "Invalid";
    case ErrorCode::kNotFound:
      return "NotFound";
    case ErrorCode::kInternal:
      return "Internal";
  }
  return "Unknown";
}

Error Error::Transient(std::string message, std::string reason) {
  return {ErrorCode::kTransient, std::move(message), std::move(reason), false};
}
Error Error::Conflict(std::string message, std::string reason) {
  return {ErrorCode::kConflict, std::move(message), std::move(reason), false};
}
Error Error::Permission(std::string message, std::string reason) {
  return {ErrorCode::kPermission, std::move(message), std::move(reason), false};
}
Error Error::Dependency(std::string message, std::string reason) {
  return {ErrorCode::kDependency, std::move(message), std::move(reason), false};
}
Error Error::Invalid(std::string message, std::string reason) {
  return {ErrorCode::kInvalid, std::move(message), std::move(reason), true};
}
Error Error::NotFound(std::string message, std::string reason) {
  return {ErrorCode::kNotFound, std::move(message), std::move(reason), false};
}
Error Error::Internal(std::string message, std::string reason) {
  return {ErrorCode::kInternal, std::move(message), std::move(reason), false};
}

}  // namespace tenantdb

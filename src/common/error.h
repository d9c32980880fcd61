#pragma once

#include <string>
#include <string_view>

namespace tenantdb {

// The class of a failure, which decides how a controller retries it (STYLE.md R17).
enum class ErrorCode {
  kTransient,   // network, server restarting: retry with backoff
  kConflict,    // 409, serialization failure, object in use: retry soon
  kPermission,  // insufficient privilege, 403: slow retry
  kDependency,  // a referenced object is missing: slow retry
  kInvalid,     // the spec is wrong: terminal until the spec changes
  kNotFound,    // the object asked for does not exist
  kInternal,    // a bug in tenantdb
};

std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // The condition reason this error maps to (one of api/v1alpha1/conditions.h).
  std::string reason;
  bool terminal = false;
  // Set by the Kubernetes client: the HTTP status (0 otherwise) and a 429's Retry-After.
  int http_status = 0;
  int retry_after_seconds = 0;

  static Error Transient(std::string message, std::string reason = "ServerUnreachable");
  static Error Conflict(std::string message, std::string reason = "Reconciling");
  static Error Permission(std::string message, std::string reason = "PermissionDenied");
  static Error Dependency(std::string message, std::string reason = "DependencyNotReady");
  static Error Invalid(std::string message, std::string reason = "InvalidSpec");
  static Error NotFound(std::string message, std::string reason = "DependencyNotReady");
  static Error Internal(std::string message, std::string reason = "Reconciling");
};

}  // namespace tenantdb

#pragma once

// Kubernetes API responses -> tenantdb Errors (STYLE.md R17). The HTTP status is kept in
// Error::http_status so callers can tell 409 from 410 and 401 from 403; Error::reason stays a
// condition reason (api/v1alpha1/conditions.h), the server's own Status.reason goes into the
// message.

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "kube/http_transport.h"

namespace tenantdb::kube {

// The fields of a metav1.Status that matter to a client.
struct ApiStatus {
  int code = 0;
  std::string reason;   // e.g. NotFound, AlreadyExists, Conflict, Expired, Invalid, Forbidden
  std::string message;  // human-readable, from the server
  int retry_after_seconds = 0;  // details.retryAfterSeconds
};

// Parses a Status object (a response body, or the object of a watch ERROR event). std::nullopt
// when `body` is not JSON with kind Status.
std::optional<ApiStatus> ParseStatus(std::string_view body);

// Maps an HTTP status and the server's Status to an Error:
//   404 -> kNotFound; 409 -> kConflict; 410 -> kConflict (the list/watch resourceVersion expired:
//   relist); 400, 422 -> kInvalid (terminal); 401, 403 -> kPermission; 429 -> kTransient with
//   retry_after_seconds; 5xx -> kTransient; anything else -> kInternal.
// `what` names the request for the message, e.g. "get configmaps ns/name".
Error ErrorFromStatus(int http_status, const ApiStatus& status, std::string_view what);

// ErrorFromStatus for a non-2xx response: parses the body as a Status when it is one and takes
// Retry-After from the headers.
Error ErrorFromResponse(const HttpResponse& response, std::string_view what);

inline bool IsNotFound(const Error& e) { return e.code == ErrorCode::kNotFound; }
inline bool IsConflict(const Error& e) { return e.http_status == 409; }
// 410 Gone / Expired: the resourceVersion is too old; list again.
inline bool IsGone(const Error& e) { return e.http_status == 410; }
inline bool IsInvalid(const Error& e) { return e.code == ErrorCode::kInvalid; }
inline bool IsUnauthorized(const Error& e) { return e.http_status == 401; }
inline bool IsForbidden(const Error& e) { return e.http_status == 403; }

}  // namespace tenantdb::kube

#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/expected.h"

namespace tenantdb::kube {

struct HttpRequest {
  std::string method = "GET";
  std::string path;  // absolute path with the query string, e.g. /api/v1/namespaces?limit=500
  std::vector<std::pair<std::string, std::string>> headers;  // besides Authorization/Accept
  std::string body;
  std::string content_type;  // e.g. application/merge-patch+json; empty without a body
  // Idle-read timeout on the client side. For watches it must exceed the server's
  // timeoutSeconds (PITFALLS.md: cpprest's timeout is an idle-read timeout).
  std::chrono::seconds timeout{30};
  friend bool operator==(const HttpRequest&, const HttpRequest&) = default;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Called with each chunk of a streamed body, as the bytes arrive (not framed). Return false to
// stop reading.
using ChunkHandler = std::function<bool(std::string_view chunk)>;

// The HTTP seam to the Kubernetes API (STYLE.md R4). One implementation uses cpprestsdk
// (kube/cpprest_transport.cpp, the only file that includes it); a second must be possible without
// touching anything else. Transport failures (connect, TLS, timeout) are ErrorCode::kTransient;
// HTTP error statuses are returned as responses, not errors.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Expected<HttpResponse> Send(const HttpRequest& request) = 0;
  // Sends the request and streams the body to `on_chunk` until the server ends it, `on_chunk`
  // returns false, the idle timeout fires, or `stop` is requested. The returned response has
  // status and headers (and the body only when the status is not 2xx).
  virtual Expected<HttpResponse> Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                                        std::stop_token stop) = 0;
};

}  // namespace tenantdb::kube

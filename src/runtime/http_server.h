#pragma once

#include <functional>
#include <map>
#include <string>

#include "common/expected.h"

namespace tenantdb::runtime {

// The small HTTP server behind /metrics, /healthz and /readyz. The runtime only sees this
// interface; kube/cpprest_http_server.h implements it (the only place that includes cpprest).

struct HttpServerRequest {
  std::string method;  // "GET", ...
  std::string path;    // without the query string
};

struct HttpServerResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Handlers run on the server's threads, possibly concurrently: they must be thread-safe, quick
// and must not throw (a throwing handler answers 500).
using HttpHandler = std::function<HttpServerResponse(const HttpServerRequest&)>;
// Exact path -> handler; other paths answer 404.
using HttpHandlers = std::map<std::string, HttpHandler>;

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // Starts listening; kTransient when the address cannot be bound.
  virtual Expected<void> Start(HttpHandlers handlers) = 0;
  // Stops listening and waits for running handlers. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace tenantdb::runtime

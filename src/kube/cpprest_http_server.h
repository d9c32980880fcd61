#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/expected.h"
#include "runtime/http_server.h"

namespace tenantdb::kube {

// runtime::HttpServer over cpprestsdk's http_listener (the probe and metrics endpoint). Handlers
// run on cpprest's thread pool and are answered without blocking it (PITFALLS.md: never block
// inside a cpprest task). Plain HTTP only: /metrics, /healthz and /readyz carry nothing secret.
class CpprestHttpServer final : public runtime::HttpServer {
 public:
  // `address` is a host or IP to bind ("0.0.0.0" for every interface), `port` > 0.
  CpprestHttpServer(std::string address, int port);
  ~CpprestHttpServer() override;  // Stop()
  CpprestHttpServer(const CpprestHttpServer&) = delete;
  CpprestHttpServer& operator=(const CpprestHttpServer&) = delete;

  Expected<void> Start(runtime::HttpHandlers handlers) override;
  void Stop() override;

 private:
  struct Impl;
  const std::string address_;
  const int port_;
  std::mutex mu_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenantdb::kube

#pragma once

// HttpTransport over cpprestsdk (STYLE.md R22: cpprest_transport.cpp is the only file that
// includes cpprest; this header does not, so nothing else sees it).

#include <cstddef>
#include <memory>
#include <stop_token>

#include "kube/cluster_config.h"
#include "kube/http_transport.h"

namespace tenantdb::kube {

// Sizes cpprestsdk's shared thread pool (40 threads by default). Every blocking call of this
// transport waits on the caller's own thread, so the pool only runs I/O completions and short
// handlers and a few threads suffice. Call once at start-up, before any client or listener
// exists; later calls (or a pool already started) are ignored.
void ConfigureCpprestThreads(std::size_t threads);

// TLS: the server is verified against ClusterConfig::ca_pem only (the system trust store only when
// no CA is configured), including its host name or IP address; the client certificate and key are
// loaded from memory; insecure_skip_tls_verify turns verification off. Every request carries
// "Authorization: Bearer <token>" from the token source, read at each request.
//
// Threading: Send() and Stream() block the calling thread and may be called from many threads at
// once; never call them from a cpprest/pplx continuation (PITFALLS.md). Each Stream() uses its own
// connection. At most kMaxRequestsInFlight Send() calls talk to the server at once (the others
// wait their turn), so the pool holds at most that many connections: each costs ~84 KiB (asio's
// TLS stream buffers and BIO pair), and twenty reconcile workers would otherwise open twenty. A GET
// that fails on a connection the server closed is retried once on a fresh client
// (microsoft/cpprestsdk#592).
class CpprestTransport final : public HttpTransport {
 public:
  static constexpr std::ptrdiff_t kMaxRequestsInFlight = 4;

  // Fails (kInvalid) when the server URL or the PEM material (CA, client certificate/key) is
  // unusable, with a message saying which.
  static Expected<std::unique_ptr<CpprestTransport>> Create(ClusterConfig config);

  ~CpprestTransport() override;
  CpprestTransport(const CpprestTransport&) = delete;
  CpprestTransport& operator=(const CpprestTransport&) = delete;

  Expected<HttpResponse> Send(const HttpRequest& request) override;
  Expected<HttpResponse> Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                                std::stop_token stop) override;

 private:
  struct Impl;
  explicit CpprestTransport(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace tenantdb::kube

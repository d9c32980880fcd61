#include "kube/cpprest_http_server.h"

// spdlog (fmt) before cpprest: cpprest defines a U() macro that breaks fmt's templates.
// clang-format off
#include <spdlog/spdlog.h>
#include <cpprest/http_listener.h>
// clang-format on

#include <exception>
#include <utility>

#include "common/logging.h"

namespace tenantdb::kube {

namespace {

namespace http = web::http;
using web::http::experimental::listener::http_listener;

void Answer(const http::http_request& request, const runtime::HttpServerResponse& response) {
  http::http_response reply(static_cast<http::status_code>(response.status));
  reply.set_body(response.body, response.content_type);
  // Fire and forget: waiting here would block a cpprest pool thread.
  request.reply(reply).then([](const pplx::task<void>& sent) {
    try {
      sent.get();
    } catch (const std::exception& e) {
      spdlog::debug("HTTP reply failed error={}", e.what());
    }
  });
}

}  // namespace

struct CpprestHttpServer::Impl {
  explicit Impl(const std::string& uri) : listener(web::uri(uri)) {}
  http_listener listener;
  runtime::HttpHandlers handlers;
};

CpprestHttpServer::CpprestHttpServer(std::string address, int port)
    : address_(std::move(address)), port_(port) {}

CpprestHttpServer::~CpprestHttpServer() { Stop(); }

Expected<void> CpprestHttpServer::Start(runtime::HttpHandlers handlers) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (impl_) {
    return Error::Internal("HTTP server already started");
  }
  const std::string uri = "http://" + address_ + ":" + std::to_string(port_) + "/";
  try {
    auto impl = std::make_unique<Impl>(uri);
    impl->handlers = std::move(handlers);
    const runtime::HttpHandlers* table = &impl->handlers;  // stable: Impl is heap-allocated
    impl->listener.support([table](const http::http_request& request) {
      runtime::HttpServerResponse response;
      try {
        const runtime::HttpServerRequest req{request.method(), request.relative_uri().path()};
        const auto it = table->find(req.path);
        if (it == table->end()) {
          response.status = 404;
          response.body = "not found\n";
        } else if (req.method != http::methods::GET && req.method != http::methods::HEAD) {
          response.status = 405;
          response.body = "method not allowed\n";
        } else {
          response = it->second(req);
        }
      } catch (const std::exception& e) {
        spdlog::error("HTTP handler failed error={}", e.what());
        response =
            runtime::HttpServerResponse{500, "text/plain; charset=utf-8", "internal error\n"};
      }
      Answer(request, response);
    });
    impl->listener.open().wait();
    impl_ = std::move(impl);
  } catch (const std::exception& e) {
    return Error::Transient("cannot listen on " + uri + ": " + e.what());
  }
  spdlog::info("HTTP server listening address={} port={}", address_, port_);
  return {};
}

void CpprestHttpServer::Stop() {
  const std::lock_guard<std::mutex> lock(mu_);
  if (!impl_) {
    return;
  }
  try {
    impl_->listener.close().wait();
  } catch (const std::exception& e) {
    spdlog::warn("HTTP server close failed error={}", e.what());
  }
  impl_.reset();
}

}  // namespace tenantdb::kube

#pragma once

// A scripted HttpTransport: answers requests in order from a queue of responses (or errors) and
// records every request it was given. Thread-safe.

#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "kube/http_transport.h"

namespace tenantdb::kube {

class FakeHttpTransport final : public HttpTransport {
 public:
  // A response with a JSON body; for streams, `chunks` are delivered to the handler in order
  // (only when the status is 2xx).
  FakeHttpTransport& Respond(int status, const nlohmann::json& body,
                             std::map<std::string, std::string> headers = {});
  FakeHttpTransport& RespondRaw(HttpResponse response);
  FakeHttpTransport& RespondStream(int status, std::vector<std::string> chunks);
  // A kubernetes metav1.Status body with this code, reason and message.
  FakeHttpTransport& RespondStatus(int status, const std::string& reason,
                                   const std::string& message,
                                   std::map<std::string, std::string> headers = {});
  FakeHttpTransport& Fail(Error error);

  Expected<HttpResponse> Send(const HttpRequest& request) override;
  Expected<HttpResponse> Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                                std::stop_token stop) override;

  std::vector<HttpRequest> requests() const;
  HttpRequest last_request() const;
  std::size_t pending() const;

 private:
  struct Scripted {
    std::variant<HttpResponse, Error> outcome;
    std::vector<std::string> chunks;
  };
  Scripted Next(const HttpRequest& request);

  mutable std::mutex mu_;
  std::deque<Scripted> script_;
  std::vector<HttpRequest> requests_;
};

}  // namespace tenantdb::kube

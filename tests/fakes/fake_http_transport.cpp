#include "fakes/fake_http_transport.h"

#include <utility>

namespace tenantdb::kube {

FakeHttpTransport& FakeHttpTransport::Respond(int status, const nlohmann::json& body,
                                              std::map<std::string, std::string> headers) {
  HttpResponse response;
  response.status = status;
  response.headers = std::move(headers);
  response.headers.emplace("content-type", "application/json");
  response.body = body.dump();
  return RespondRaw(std::move(response));
}

FakeHttpTransport& FakeHttpTransport::RespondRaw(HttpResponse response) {
  std::lock_guard lock(mu_);
  script_.push_back(Scripted{std::move(response), {}});
  return *this;
}

FakeHttpTransport& FakeHttpTransport::RespondStream(int status, std::vector<std::string> chunks) {
  HttpResponse response;
  response.status = status;
  std::lock_guard lock(mu_);
  script_.push_back(Scripted{std::move(response), std::move(chunks)});
  return *this;
}

FakeHttpTransport& FakeHttpTransport::RespondStatus(int status, const std::string& reason,
                                                    const std::string& message,
                                                    std::map<std::string, std::string> headers) {
  return Respond(status,
                 {{"kind", "Status"},
                  {"apiVersion", "v1"},
                  {"metadata", nlohmann::json::object()},
                  {"status", "Failure"},
                  {"message", message},
                  {"reason", reason},
                  {"code", status}},
                 std::move(headers));
}

FakeHttpTransport& FakeHttpTransport::Fail(Error error) {
  std::lock_guard lock(mu_);
  script_.push_back(Scripted{std::move(error), {}});
  return *this;
}

FakeHttpTransport::Scripted FakeHttpTransport::Next(const HttpRequest& request) {
  std::lock_guard lock(mu_);
  requests_.push_back(request);
  if (script_.empty()) {
    return Scripted{Error::Internal("FakeHttpTransport: no scripted response for " +
                                    request.method + " " + request.path),
                    {}};
  }
  Scripted next = std::move(script_.front());
  script_.pop_front();
  return next;
}

Expected<HttpResponse> FakeHttpTransport::Send(const HttpRequest& request) {
  Scripted next = Next(request);
  if (auto* error = std::get_if<Error>(&next.outcome)) {
    return *error;
  }
  return std::get<HttpResponse>(std::move(next.outcome));
}

Expected<HttpResponse> FakeHttpTransport::Stream(const HttpRequest& request,
                                                 const ChunkHandler& on_chunk,
                                                 std::stop_token stop) {
  Scripted next = Next(request);
  if (auto* error = std::get_if<Error>(&next.outcome)) {
    return *error;
  }
  HttpResponse response = std::get<HttpResponse>(std::move(next.outcome));
  if (response.status >= 200 && response.status <= 299) {
    for (const std::string& chunk : next.chunks) {
      if (stop.stop_requested() || !on_chunk(chunk)) {
        break;
      }
    }
  }
  return response;
}

std::vector<HttpRequest> FakeHttpTransport::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

HttpRequest FakeHttpTransport::last_request() const {
  std::lock_guard lock(mu_);
  return requests_.empty() ? HttpRequest{} : requests_.back();
}

std::size_t FakeHttpTransport::pending() const {
  std::lock_guard lock(mu_);
  return script_.size();
}

}  // namespace tenantdb::kube

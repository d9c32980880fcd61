#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "kube/http_transport.h"
#include "kube/kube_api.h"
#include "kube/request_builder.h"

namespace tenantdb::kube {

// KubeApi over RequestBuilder + HttpTransport. Stateless apart from its settings and observer:
// safe to use from several threads when the transport is.
class RestKubeApi final : public KubeApi {
 public:
  struct Settings {
    std::chrono::seconds request_timeout{30};
    // Sent with create and update (patches carry PatchOptions::field_manager).
    std::string field_manager = "tenantdb";
  };
  // Called once per request with verb (get, list, create, update, patch, delete, watch) and the
  // HTTP status (0 when the transport failed), for "API requests by verb and code" metrics.
  // Called from the requesting thread; must be thread-safe.
  using RequestObserver = std::function<void(std::string_view verb, int code)>;

  explicit RestKubeApi(HttpTransport& transport);
  RestKubeApi(HttpTransport& transport, Settings settings);

  // Set before the first request; not synchronised with requests in flight.
  void SetRequestObserver(RequestObserver observer) { observer_ = std::move(observer); }

  Expected<std::optional<json>> Get(const Gvr& gvr, const std::string& ns,
                                    const std::string& name) override;
  Expected<json> List(const Gvr& gvr, const std::string& ns, const ListOptions& opts) override;
  Expected<json> Create(const Gvr& gvr, const std::string& ns, const json& obj) override;
  Expected<json> Update(const Gvr& gvr, const json& obj,
                        const std::string& subresource = "") override;
  Expected<json> Patch(const Gvr& gvr, const std::string& ns, const std::string& name,
                       PatchType type, const json& patch, const PatchOptions& opts = {}) override;
  Expected<void> Delete(const Gvr& gvr, const std::string& ns, const std::string& name,
                        const DeleteOptions& opts = {}) override;

  // Streams a watch (not part of KubeApi: the watcher drives it). Raw bytes go to `on_chunk` (frame
  // them into lines with the watch framer). Ends without error when the server closes the stream
  // (timeoutSeconds), `on_chunk` returns false, or `stop` is requested; a non-2xx status is
  // mapped like any other response (410 => kConflict with http_status 410: relist).
  Expected<void> Watch(const Gvr& gvr, const std::string& ns, const WatchRequestOptions& opts,
                       const ChunkHandler& on_chunk, std::stop_token stop);

  const RequestBuilder& builder() const { return builder_; }

 private:
  // Sends and reports to the observer; only transport failures are errors.
  Expected<HttpResponse> SendObserved(std::string_view verb, const HttpRequest& request,
                                      std::string_view what);
  // SendObserved, and a non-2xx status mapped to an Error.
  Expected<HttpResponse> Do(std::string_view verb, const HttpRequest& request,
                            std::string_view what);
  static Expected<json> ParseBody(const HttpResponse& response, std::string_view what);
  Expected<json> DoJson(std::string_view verb, const HttpRequest& request, std::string_view what);
  void Observe(std::string_view verb, int code) const;

  HttpTransport& transport_;
  Settings settings_;
  RequestBuilder builder_;
  RequestObserver observer_;
};

}  // namespace tenantdb::kube

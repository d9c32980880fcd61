#pragma once

// Sans-IO construction of Kubernetes API requests: URL paths for any group/version/resource,
// query strings, bodies and content types. Pure functions; no sockets, no clocks.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kube/gvr.h"
#include "kube/http_transport.h"
#include "kube/kube_api.h"

namespace tenantdb::kube {

struct WatchRequestOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;  // from the list's metadata.resourceVersion (PITFALLS.md)
  bool allow_bookmarks = true;
  // The server ends the watch after this long; the client's idle-read timeout is set above it.
  std::chrono::seconds timeout{290};
};

// Percent-encodes everything but RFC 3986 unreserved characters (A-Z a-z 0-9 - _ . ~).
std::string UrlEncode(std::string_view value);

// Builds an ordered query string: Add("limit", "2").Add("continue", tok).Str() => "?limit=2&...".
class QueryString {
 public:
  QueryString& Add(std::string_view key, std::string_view value);
  QueryString& AddIfNotEmpty(std::string_view key, std::string_view value);
  std::string Str() const;  // "" when empty, else "?k=v&..."

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

// The Content-Type of each patch type.
std::string_view PatchContentType(PatchType type);

class RequestBuilder {
 public:
  // Extra margin of the client's idle timeout over a watch's server-side timeoutSeconds.
  static constexpr std::chrono::seconds kWatchTimeoutMargin{30};

  explicit RequestBuilder(std::chrono::seconds request_timeout = std::chrono::seconds(30))
      : request_timeout_(request_timeout) {}

  // /api/v1[/namespaces/ns]/resource or /apis/group/version[/namespaces/ns]/resource. A
  // namespaced resource with ns "" addresses all namespaces; a cluster-scoped one ignores ns.
  static std::string CollectionPath(const Gvr& gvr, std::string_view ns);
  // CollectionPath/name[/subresource].
  static std::string ObjectPath(const Gvr& gvr, std::string_view ns, std::string_view name,
                                std::string_view subresource = "");

  HttpRequest Get(const Gvr& gvr, std::string_view ns, std::string_view name) const;
  HttpRequest List(const Gvr& gvr, std::string_view ns, const ListOptions& opts) const;
  HttpRequest Watch(const Gvr& gvr, std::string_view ns, const WatchRequestOptions& opts) const;
  HttpRequest Create(const Gvr& gvr, std::string_view ns, const json& obj,
                     std::string_view field_manager = "") const;
  HttpRequest Update(const Gvr& gvr, std::string_view ns, std::string_view name, const json& obj,
                     std::string_view subresource = "", std::string_view field_manager = "") const;
  HttpRequest Patch(const Gvr& gvr, std::string_view ns, std::string_view name, PatchType type,
                    const json& patch, const PatchOptions& opts) const;
  HttpRequest Delete(const Gvr& gvr, std::string_view ns, std::string_view name,
                     const DeleteOptions& opts) const;

 private:
  HttpRequest Make(std::string method, std::string path) const;

  std::chrono::seconds request_timeout_;
};

}  // namespace tenantdb::kube

#include "kube/request_builder.h"

#include <algorithm>
#include <array>

namespace tenantdb::kube {
namespace {

constexpr std::string_view kJsonContentType = "application/json";

}  // namespace

std::string UrlEncode(std::string_view value) {
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') ||
                            (u >= '0' && u <= '9') || u == '-' || u == '_' || u == '.' || u == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0x0F]);
    }
  }
  return out;
}

QueryString& QueryString::Add(std::string_view key, std::string_view value) {
  params_.emplace_back(std::string(key), std::string(value));
  return *this;
}

QueryString& QueryString::AddIfNotEmpty(std::string_view key, std::string_view value) {
  if (!value.empty()) {
    Add(key, value);
  }
  return *this;
}

std::string QueryString::Str() const {
  std::string out;
  for (const auto& [key, value] : params_) {
    out += out.empty() ? "?" : "&";
    out += UrlEncode(key);
    out += "=";
    out += UrlEncode(value);
  }
  return out;
}

std::string_view PatchContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kApply:
      // Server-side apply takes YAML, and JSON is YAML.
      return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

std::string RequestBuilder::CollectionPath(const Gvr& gvr, std::string_view ns) {
  std::string path = gvr.group.empty()
                         ? "/api/" + UrlEncode(gvr.version)
                         : "/apis/" + UrlEncode(gvr.group) + "/" + UrlEncode(gvr.version);
  if (gvr.namespaced && !ns.empty()) {
    path += "/namespaces/" + UrlEncode(ns);
  }
  path += "/" + UrlEncode(gvr.resource);
  return path;
}

std::string RequestBuilder::ObjectPath(const Gvr& gvr, std::string_view ns, std::string_view name,
                                       std::string_view subresource) {
  std::string path = CollectionPath(gvr, ns) + "/" + UrlEncode(name);
  if (!subresource.empty()) {
    path += "/" + UrlEncode(subresource);
  }
  return path;
}

HttpRequest RequestBuilder::Make(std::string method, std::string path) const {
  HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.timeout = request_timeout_;
  return request;
}

HttpRequest RequestBuilder::Get(const Gvr& gvr, std::string_view ns, std::string_view name) const {
  return Make("GET", ObjectPath(gvr, ns, name));
}

HttpRequest RequestBuilder::List(const Gvr& gvr, std::string_view ns,
                                 const ListOptions& opts) const {
  QueryString query;
  query.AddIfNotEmpty("labelSelector", opts.label_selector)
      .AddIfNotEmpty("fieldSelector", opts.field_selector);
  if (opts.limit > 0) {
    query.Add("limit", std::to_string(opts.limit));
  }
  query.AddIfNotEmpty("continue", opts.continue_token)
      .AddIfNotEmpty("resourceVersion", opts.resource_version);
  return Make("GET", CollectionPath(gvr, ns) + query.Str());
}

HttpRequest RequestBuilder::Watch(const Gvr& gvr, std::string_view ns,
                                  const WatchRequestOptions& opts) const {
  QueryString query;
  query.Add("watch", "true");
  if (opts.allow_bookmarks) {
    query.Add("allowWatchBookmarks", "true");
  }
  query.AddIfNotEmpty("labelSelector", opts.label_selector)
      .AddIfNotEmpty("fieldSelector", opts.field_selector)
      .AddIfNotEmpty("resourceVersion", opts.resource_version);
  if (opts.timeout.count() > 0) {
    query.Add("timeoutSeconds", std::to_string(opts.timeout.count()));
  }
  HttpRequest request = Make("GET", CollectionPath(gvr, ns) + query.Str());
  // cpprest's timeout is an idle-read timeout: it must outlast the quietest stretch of the
  // watch, which the server bounds with timeoutSeconds (PITFALLS.md).
  request.timeout = opts.timeout.count() > 0
                        ? opts.timeout + kWatchTimeoutMargin
                        : std::max(request_timeout_, std::chrono::seconds(330));
  return request;
}

HttpRequest RequestBuilder::Create(const Gvr& gvr, std::string_view ns, const json& obj,
                                   std::string_view field_manager) const {
  QueryString query;
  query.AddIfNotEmpty("fieldManager", field_manager);
  HttpRequest request = Make("POST", CollectionPath(gvr, ns) + query.Str());
  request.body = obj.dump();
  request.content_type = kJsonContentType;
  return request;
}

HttpRequest RequestBuilder::Update(const Gvr& gvr, std::string_view ns, std::string_view name,
                                   const json& obj, std::string_view subresource,
                                   std::string_view field_manager) const {
  QueryString query;
  query.AddIfNotEmpty("fieldManager", field_manager);
  HttpRequest request = Make("PUT", ObjectPath(gvr, ns, name, subresource) + query.Str());
  request.body = obj.dump();
  request.content_type = kJsonContentType;
  return request;
}

HttpRequest RequestBuilder::Patch(const Gvr& gvr, std::string_view ns, std::string_view name,
                                  PatchType type, const json& patch,
                                  const PatchOptions& opts) const {
  QueryString query;
  query.AddIfNotEmpty("fieldManager", opts.field_manager);
  // The server rejects `force` on anything but an apply patch.
  if (type == PatchType::kApply && opts.force) {
    query.Add("force", "true");
  }
  HttpRequest request = Make("PATCH", ObjectPath(gvr, ns, name, opts.subresource) + query.Str());
  request.body = patch.dump();
  request.content_type = PatchContentType(type);
  return request;
}

HttpRequest RequestBuilder::Delete(const Gvr& gvr, std::string_view ns, std::string_view name,
                                   const DeleteOptions& opts) const {
  HttpRequest request = Make("DELETE", ObjectPath(gvr, ns, name));
  json body = json::object();
  if (!opts.propagation_policy.empty()) {
    body["propagationPolicy"] = opts.propagation_policy;
  }
  if (opts.precondition_uid) {
    body["preconditions"]["uid"] = *opts.precondition_uid;
  }
  if (opts.precondition_resource_version) {
    body["preconditions"]["resourceVersion"] = *opts.precondition_resource_version;
  }
  if (!body.empty()) {
    body["apiVersion"] = "v1";
    body["kind"] = "DeleteOptions";
    request.body = body.dump();
    request.content_type = kJsonContentType;
  }
  return request;
}

}  // namespace tenantdb::kube

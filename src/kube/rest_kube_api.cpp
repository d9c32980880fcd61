#include "kube/rest_kube_api.h"

#include <algorithm>
#include <utility>

#include "kube/api_error.h"

namespace tenantdb::kube {
namespace {

bool Is2xx(int status) { return status >= 200 && status <= 299; }

std::string ResourceName(const Gvr& gvr) {
  return gvr.group.empty() ? gvr.resource : gvr.resource + "." + gvr.group;
}

// "get configmaps ns/name", "list databases.tenantdb.io in ns", for messages.
std::string Describe(std::string_view verb, const Gvr& gvr, std::string_view ns,
                     std::string_view name) {
  std::string out(verb);
  out += " " + ResourceName(gvr);
  if (!name.empty()) {
    out += " ";
    if (gvr.namespaced && !ns.empty()) {
      out += std::string(ns) + "/";
    }
    out += name;
  } else if (gvr.namespaced && !ns.empty()) {
    out += " in " + std::string(ns);
  }
  return out;
}

// A namespaced object needs a namespace and every object a name: anything else is a bug in the
// caller, not something to send to the server.
Expected<void> CheckKey(const Gvr& gvr, std::string_view ns, std::string_view name,
                        std::string_view what) {
  if (name.empty()) {
    return Error::Internal(std::string(what) + ": no object name given");
  }
  if (gvr.namespaced && ns.empty()) {
    return Error::Internal(std::string(what) + ": " + gvr.resource +
                           " are namespaced but no namespace was given");
  }
  return {};
}

std::string MetaString(const json& obj, const char* field) {
  const auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) {
    return "";
  }
  const auto it = meta->find(field);
  return it != meta->end() && it->is_string() ? it->get<std::string>() : "";
}

// Whether a 422 answer to a JSON Patch means that one of its `test` operations failed: the object
// changed since it was read, which is a conflict to retry after re-reading, not an invalid spec.
// Older servers say "testing value ... failed"; current ones (1.36) answer a failed test with
// the same generic Status as a malformed operation ("the server rejected our request due to an
// error in our request", no causes), so any 422 without field causes on a patch that has a test
// op counts. Patches are built by our code (kube/patch.h), so a malformed op is a bug that shows
// up in tests, while a failed test is routine concurrency (STYLE.md R11).
bool IsFailedJsonPatchTest(const json& patch, const HttpResponse& response) {
  if (response.status != 422 || !patch.is_array()) {
    return false;
  }
  const bool has_test = std::any_of(patch.begin(), patch.end(), [](const json& op) {
    return op.is_object() && op.value("op", "") == "test";
  });
  if (!has_test) {
    return false;
  }
  const json status = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!status.is_object()) {
    return false;
  }
  const std::string message = status.value("message", "");
  if (message.find("test failed") != std::string::npos ||
      message.find("testing value") != std::string::npos) {
    return true;
  }
  const auto details = status.find("details");
  const bool has_causes = details != status.end() && details->is_object() &&
                          details->contains("causes") && !(*details)["causes"].empty();
  return !has_causes;
}

}  // namespace

RestKubeApi::RestKubeApi(HttpTransport& transport) : RestKubeApi(transport, Settings{}) {}

RestKubeApi::RestKubeApi(HttpTransport& transport, Settings settings)
    : transport_(transport), settings_(std::move(settings)), builder_(settings_.request_timeout) {}

void RestKubeApi::Observe(std::string_view verb, int code) const {
  if (observer_) {
    observer_(verb, code);
  }
}

Expected<HttpResponse> RestKubeApi::SendObserved(std::string_view verb, const HttpRequest& request,
                                                 std::string_view what) {
  auto response = transport_.Send(request);
  if (!response) {
    Observe(verb, 0);
    Error error = std::move(response).error();
    error.message = std::string(what) + ": " + error.message;
    return error;
  }
  Observe(verb, response->status);
  return response;
}

Expected<HttpResponse> RestKubeApi::Do(std::string_view verb, const HttpRequest& request,
                                       std::string_view what) {
  TENANTDB_TRY(HttpResponse response, SendObserved(verb, request, what));
  if (!Is2xx(response.status)) {
    return ErrorFromResponse(response, what);
  }
  return response;
}

Expected<json> RestKubeApi::ParseBody(const HttpResponse& response, std::string_view what) {
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return Error::Internal(std::string(what) + ": the server's response is not JSON");
  }
  return body;
}

Expected<json> RestKubeApi::DoJson(std::string_view verb, const HttpRequest& request,
                                   std::string_view what) {
  TENANTDB_TRY(HttpResponse response, Do(verb, request, what));
  return ParseBody(response, what);
}

Expected<std::optional<json>> RestKubeApi::Get(const Gvr& gvr, const std::string& ns,
                                               const std::string& name) {
  const std::string what = Describe("get", gvr, ns, name);
  TENANTDB_TRY_VOID(CheckKey(gvr, ns, name, what));
  auto obj = DoJson("get", builder_.Get(gvr, ns, name), what);
  if (!obj) {
    if (obj.error().http_status == 404) {
      return std::optional<json>();
    }
    return std::move(obj).error();
  }
  return std::optional<json>(std::move(obj).value());
}

Expected<json> RestKubeApi::List(const Gvr& gvr, const std::string& ns, const ListOptions& opts) {
  return DoJson("list", builder_.List(gvr, ns, opts), Describe("list", gvr, ns, ""));
}

Expected<json> RestKubeApi::Create(const Gvr& gvr, const std::string& ns, const json& obj) {
  const std::string name = MetaString(obj, "name");
  const std::string target_ns = ns.empty() ? MetaString(obj, "namespace") : ns;
  const std::string what = Describe("create", gvr, target_ns, name);
  if (gvr.namespaced && target_ns.empty()) {
    return Error::Internal(what + ": " + gvr.resource +
                           " are namespaced but no namespace was given");
  }
  return DoJson("create", builder_.Create(gvr, target_ns, obj, settings_.field_manager), what);
}

Expected<json> RestKubeApi::Update(const Gvr& gvr, const json& obj,
                                   const std::string& subresource) {
  const std::string name = MetaString(obj, "name");
  const std::string ns = gvr.namespaced ? MetaString(obj, "namespace") : "";
  std::string what = Describe("update", gvr, ns, name);
  if (!subresource.empty()) {
    what += " (" + subresource + ")";
  }
  TENANTDB_TRY_VOID(CheckKey(gvr, ns, name, what));
  return DoJson("update", builder_.Update(gvr, ns, name, obj, subresource, settings_.field_manager),
                what);
}

Expected<json> RestKubeApi::Patch(const Gvr& gvr, const std::string& ns, const std::string& name,
                                  PatchType type, const json& patch, const PatchOptions& opts) {
  std::string what = Describe("patch", gvr, ns, name);
  if (!opts.subresource.empty()) {
    what += " (" + opts.subresource + ")";
  }
  TENANTDB_TRY_VOID(CheckKey(gvr, ns, name, what));
  TENANTDB_TRY(HttpResponse response,
               SendObserved("patch", builder_.Patch(gvr, ns, name, type, patch, opts), what));
  if (!Is2xx(response.status)) {
    Error error = ErrorFromResponse(response, what);
    if (type == PatchType::kJson && IsFailedJsonPatchTest(patch, response)) {
      Error conflict =
          Error::Conflict(error.message +
                          "; a test operation of the JSON patch failed: the object changed since "
                          "it was read");
      conflict.http_status = error.http_status;
      return conflict;
    }
    return error;
  }
  return ParseBody(response, what);
}

Expected<void> RestKubeApi::Delete(const Gvr& gvr, const std::string& ns, const std::string& name,
                                   const DeleteOptions& opts) {
  const std::string what = Describe("delete", gvr, ns, name);
  TENANTDB_TRY_VOID(CheckKey(gvr, ns, name, what));
  TENANTDB_TRY_VOID(Do("delete", builder_.Delete(gvr, ns, name, opts), what));
  return {};
}

Expected<void> RestKubeApi::Watch(const Gvr& gvr, const std::string& ns,
                                  const WatchRequestOptions& opts, const ChunkHandler& on_chunk,
                                  std::stop_token stop) {
  const std::string what = Describe("watch", gvr, ns, "");
  auto response = transport_.Stream(builder_.Watch(gvr, ns, opts), on_chunk, std::move(stop));
  if (!response) {
    Observe("watch", 0);
    Error error = std::move(response).error();
    error.message = what + ": " + error.message;
    return error;
  }
  Observe("watch", response->status);
  if (!Is2xx(response->status)) {
    return ErrorFromResponse(*response, what);
  }
  return {};
}

}  // namespace tenantdb::kube

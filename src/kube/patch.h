#pragma once

// Patch bodies: JSON Patch (RFC 6902) with `test` guards, JSON merge patch (RFC 7386) diffs and
// server-side-apply bodies. Pure.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "kube/gvr.h"
#include "kube/kube_api.h"

namespace tenantdb::kube {

// Escapes one JSON Pointer reference token (RFC 6901): "~" -> "~0", "/" -> "~1".
std::string EscapeJsonPointerToken(std::string_view token);
// "/" + escaped tokens joined by "/": JsonPointer({"metadata", "labels", "a/b"}) ==
// "/metadata/labels/a~1b".
std::string JsonPointer(std::initializer_list<std::string_view> tokens);

// Builds a JSON Patch document. Send with PatchType::kJson. The server applies all operations or
// none; a failed `test` fails the whole patch (RestKubeApi maps that to kConflict).
class JsonPatch {
 public:
  JsonPatch& Test(std::string path, json value);
  JsonPatch& Add(std::string path, json value);
  JsonPatch& Replace(std::string path, json value);
  JsonPatch& Remove(std::string path);

  bool empty() const { return ops_.empty(); }
  const json& ToJson() const { return ops_; }

 private:
  JsonPatch& Op(std::string_view op, std::string path, const json* value);
  json ops_ = json::array();
};

// Adds `finalizer` to obj's metadata.finalizers, guarded by a test of the current list (so a
// concurrent change makes the patch fail instead of clobbering). std::nullopt when present.
std::optional<JsonPatch> AddFinalizerPatch(const json& obj, std::string_view finalizer);
// Removes `finalizer`, guarded by a test of the element being removed. std::nullopt when absent.
std::optional<JsonPatch> RemoveFinalizerPatch(const json& obj, std::string_view finalizer);

// The RFC 7386 merge patch that turns `from` into `to`: changed members, null for removed ones,
// arrays and scalars replaced whole. An empty object when they are equal.
json MergePatchDiff(const json& from, const json& to);

// A server-side-apply body for the object: apiVersion, kind, metadata.name (and namespace) plus
// `fields` (everything the field manager owns). Send with PatchType::kApply.
json ApplyBody(const Gvr& gvr, const std::string& ns, const std::string& name, json fields);

}  // namespace tenantdb::kube

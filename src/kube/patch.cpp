#include "kube/patch.h"

#include <utility>

namespace tenantdb::kube {

std::string EscapeJsonPointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (const char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string JsonPointer(std::initializer_list<std::string_view> tokens) {
  std::string out;
  for (const std::string_view token : tokens) {
    out += "/";
    out += EscapeJsonPointerToken(token);
  }
  return out;
}

JsonPatch& JsonPatch::Op(std::string_view op, std::string path, const json* value) {
  json entry = {{"op", op}, {"path", std::move(path)}};
  if (value != nullptr) {
    entry["value"] = *value;
  }
  ops_.push_back(std::move(entry));
  return *this;
}

JsonPatch& JsonPatch::Test(std::string path, json value) {
  return Op("test", std::move(path), &value);
}
JsonPatch& JsonPatch::Add(std::string path, json value) {
  return Op("add", std::move(path), &value);
}
JsonPatch& JsonPatch::Replace(std::string path, json value) {
  return Op("replace", std::move(path), &value);
}
JsonPatch& JsonPatch::Remove(std::string path) { return Op("remove", std::move(path), nullptr); }

namespace {

const json* Finalizers(const json& obj) {
  const auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) {
    return nullptr;
  }
  const auto list = meta->find("finalizers");
  if (list == meta->end() || !list->is_array()) {
    return nullptr;
  }
  return &*list;
}

}  // namespace

std::optional<JsonPatch> AddFinalizerPatch(const json& obj, std::string_view finalizer) {
  const json* current = Finalizers(obj);
  JsonPatch patch;
  if (current == nullptr || current->empty()) {
    // The server omits an empty list: test that there is none (null matches a missing member).
    patch.Test("/metadata/finalizers", nullptr)
        .Add("/metadata/finalizers", json::array({finalizer}));
    return patch;
  }
  for (const json& f : *current) {
    if (f.is_string() && f.get<std::string>() == finalizer) {
      return std::nullopt;
    }
  }
  patch.Test("/metadata/finalizers", *current).Add("/metadata/finalizers/-", finalizer);
  return patch;
}

std::optional<JsonPatch> RemoveFinalizerPatch(const json& obj, std::string_view finalizer) {
  const json* current = Finalizers(obj);
  if (current == nullptr) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < current->size(); ++i) {
    const json& f = (*current)[i];
    if (f.is_string() && f.get<std::string>() == finalizer) {
      const std::string path = "/metadata/finalizers/" + std::to_string(i);
      JsonPatch patch;
      patch.Test(path, finalizer).Remove(path);
      return patch;
    }
  }
  return std::nullopt;
}

json MergePatchDiff(const json& from, const json& to) {
  if (!from.is_object() || !to.is_object()) {
    return to;
  }
  json patch = json::object();
  for (const auto& [key, old_value] : from.items()) {
    if (!to.contains(key)) {
      patch[key] = nullptr;
    }
  }
  for (const auto& [key, new_value] : to.items()) {
    const auto old = from.find(key);
    if (old == from.end()) {
      patch[key] = new_value;
    } else if (*old != new_value) {
      if (old->is_object() && new_value.is_object()) {
        patch[key] = MergePatchDiff(*old, new_value);
      } else {
        patch[key] = new_value;
      }
    }
  }
  return patch;
}

json ApplyBody(const Gvr& gvr, const std::string& ns, const std::string& name, json fields) {
  json body = fields.is_object() ? std::move(fields) : json::object();
  body["apiVersion"] = gvr.ApiVersion();
  body["kind"] = gvr.kind;
  json& meta = body["metadata"];
  if (!meta.is_object()) {
    meta = json::object();
  }
  meta["name"] = name;
  if (gvr.namespaced && !ns.empty()) {
    meta["namespace"] = ns;
  } else {
    meta.erase("namespace");
  }
  return body;
}

}  // namespace tenantdb::kube

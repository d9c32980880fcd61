#pragma once

// JSON (de)serialisation building blocks shared by the API types.
//
// Every API type T has, in namespace tenantdb::api::v1alpha1:
//   Expected<void> Decode(const nlohmann::json& j, const std::string& path, T& out);
//   nlohmann::json Encode(const T& value);
// `path` is the JSON path of `j` ("spec.grants[1]"), used to prefix error messages
// ("spec.port: expected integer"). Decode reports only type errors; rules (required fields,
// ranges, patterns) are Validate()'s job. Unknown fields are ignored; a null field is absent.
// Encode emits known fields only and omits unset optionals and empty lists/maps.
//
// FromJson<T>(j) / ToJson(v) are the entry points for whole objects.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/v1alpha1/enum_traits.h"
#include "api/v1alpha1/time.h"
#include "common/expected.h"

namespace tenantdb::api::v1alpha1 {

using Json = nlohmann::json;

// Path building: ChildPath("spec", "port") == "spec.port"; ChildPath("", "spec") == "spec";
// IndexPath("spec.grants", 1) == "spec.grants[1]"; KeyPath("spec.secretTemplate", "DSN") ==
// "spec.secretTemplate[DSN]".
std::string ChildPath(std::string_view parent, std::string_view child);
std::string IndexPath(std::string_view parent, std::size_t index);
std::string KeyPath(std::string_view parent, std::string_view key);

// kInvalid error "<path>: expected <what>".
Error TypeError(std::string_view path, std::string_view what);

Expected<void> ExpectObject(const Json& j, const std::string& path);

// Scalars.
Expected<void> Decode(const Json& j, const std::string& path, std::string& out);
Expected<void> Decode(const Json& j, const std::string& path, bool& out);
Expected<void> Decode(const Json& j, const std::string& path, std::int32_t& out);
Expected<void> Decode(const Json& j, const std::string& path, std::int64_t& out);
Expected<void> Decode(const Json& j, const std::string& path, Timestamp& out);
Json Encode(const std::string& value);
Json Encode(bool value);
Json Encode(std::int32_t value);
Json Encode(std::int64_t value);
Json Encode(Timestamp value);

// Kubernetes quantity ("500m", "1Gi"): a string, or a JSON integer (int-or-string) kept as text.
struct Quantity {
  std::string value;
  bool operator==(const Quantity&) const = default;
};
Expected<void> Decode(const Json& j, const std::string& path, Quantity& out);
Json Encode(const Quantity& value);

// Enums: the JSON spelling from EnumTraits; any other string is an error naming the choices.
template <NamedEnum E>
Expected<void> Decode(const Json& j, const std::string& path, E& out) {
  if (!j.is_string()) {
    return TypeError(path, "string");
  }
  const std::string& text = j.get_ref<const std::string&>();
  const std::optional<E> value = ParseEnum<E>(text);
  if (!value) {
    return Error::Invalid((path.empty() ? std::string() : path + ": ") + "unsupported value \"" +
                          text + "\": supported values: " + EnumNames<E>());
  }
  out = *value;
  return {};
}
template <NamedEnum E>
Json Encode(E value) {
  return Json(std::string(ToString(value)));
}

// Containers (declared first so that they can nest: optional<vector<string>>).
template <class T>
Expected<void> Decode(const Json& j, const std::string& path, std::optional<T>& out);
template <class T>
Expected<void> Decode(const Json& j, const std::string& path, std::vector<T>& out);
template <class T>
Expected<void> Decode(const Json& j, const std::string& path, std::map<std::string, T>& out);
template <class T>
Json Encode(const std::vector<T>& values);
template <class T>
Json Encode(const std::map<std::string, T>& values);

template <class T>
Expected<void> Decode(const Json& j, const std::string& path, std::optional<T>& out) {
  T value{};
  TENANTDB_TRY_VOID(Decode(j, path, value));
  out = std::move(value);
  return {};
}

template <class T>
Expected<void> Decode(const Json& j, const std::string& path, std::vector<T>& out) {
  if (!j.is_array()) {
    return TypeError(path, "array");
  }
  out.clear();
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    T value{};
    TENANTDB_TRY_VOID(Decode(j[i], IndexPath(path, i), value));
    out.push_back(std::move(value));
  }
  return {};
}

template <class T>
Expected<void> Decode(const Json& j, const std::string& path, std::map<std::string, T>& out) {
  if (!j.is_object()) {
    return TypeError(path, "object");
  }
  out.clear();
  for (const auto& [key, item] : j.items()) {
    T value{};
    TENANTDB_TRY_VOID(Decode(item, KeyPath(path, key), value));
    out.emplace(key, std::move(value));
  }
  return {};
}

template <class T>
Json Encode(const std::vector<T>& values) {
  Json out = Json::array();
  for (const T& v : values) {
    out.push_back(Encode(v));
  }
  return out;
}

template <class T>
Json Encode(const std::map<std::string, T>& values) {
  Json out = Json::object();
  for (const auto& [key, v] : values) {
    out[key] = Encode(v);
  }
  return out;
}

// Reads obj[key] into `out` when present and not null; leaves `out` untouched otherwise.
template <class T>
Expected<void> DecodeField(const Json& obj, const std::string& path, const char* key, T& out) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return {};
  }
  return Decode(*it, ChildPath(path, key), out);
}

// Writes a field that is always present.
template <class T>
void EncodeField(Json& obj, const char* key, const T& value) {
  obj[key] = Encode(value);
}
// Optional fields: omitted when unset.
template <class T>
void EncodeField(Json& obj, const char* key, const std::optional<T>& value) {
  if (value.has_value()) {
    obj[key] = Encode(*value);
  }
}
// Lists and maps: omitted when empty (Go's omitempty).
template <class T>
void EncodeField(Json& obj, const char* key, const std::vector<T>& values) {
  if (!values.empty()) {
    obj[key] = Encode(values);
  }
}
template <class T>
void EncodeField(Json& obj, const char* key, const std::map<std::string, T>& values) {
  if (!values.empty()) {
    obj[key] = Encode(values);
  }
}
// Go omitempty for plain strings and integers (ObjectMeta, observedGeneration).
void EncodeFieldOmitEmpty(Json& obj, const char* key, const std::string& value);
void EncodeFieldOmitEmpty(Json& obj, const char* key, std::int64_t value);

// Checks obj["kind"], when present, against the expected kind.
Expected<void> CheckKind(const Json& obj, const std::string& path, std::string_view kind);

// Entry points for whole objects (and any type with Decode/Encode).
template <class T>
Expected<T> FromJson(const Json& j) {
  T out{};
  TENANTDB_TRY_VOID(Decode(j, std::string(), out));
  return out;
}

template <class T>
Json ToJson(const T& value) {
  return Encode(value);
}

}  // namespace tenantdb::api::v1alpha1

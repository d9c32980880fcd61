#include "api/v1alpha1/json_codec.h"

#include <limits>

namespace tenantdb::api::v1alpha1 {

std::string ChildPath(std::string_view parent, std::string_view child) {
  if (parent.empty()) {
    return std::string(child);
  }
  std::string out(parent);
  out += '.';
  out += child;
  return out;
}

std::string IndexPath(std::string_view parent, std::size_t index) {
  std::string out(parent);
  out += '[';
  out += std::to_string(index);
  out += ']';
  return out;
}

std::string KeyPath(std::string_view parent, std::string_view key) {
  std::string out(parent);
  out += '[';
  out += key;
  out += ']';
  return out;
}

Error TypeError(std::string_view path, std::string_view what) {
  std::string message = path.empty() ? std::string() : std::string(path) + ": ";
  message += "expected ";
  message += what;
  return Error::Invalid(std::move(message));
}

Expected<void> ExpectObject(const Json& j, const std::string& path) {
  if (!j.is_object()) {
    return TypeError(path, "object");
  }
  return {};
}

Expected<void> Decode(const Json& j, const std::string& path, std::string& out) {
  if (!j.is_string()) {
    return TypeError(path, "string");
  }
  out = j.get<std::string>();
  return {};
}

Expected<void> Decode(const Json& j, const std::string& path, bool& out) {
  if (!j.is_boolean()) {
    return TypeError(path, "boolean");
  }
  out = j.get<bool>();
  return {};
}

Expected<void> Decode(const Json& j, const std::string& path, std::int64_t& out) {
  if (!j.is_number_integer()) {
    return TypeError(path, "integer");
  }
  if (j.is_number_unsigned() &&
      j.get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return TypeError(path, "64-bit integer");
  }
  out = j.get<std::int64_t>();
  return {};
}

Expected<void> Decode(const Json& j, const std::string& path, std::int32_t& out) {
  std::int64_t wide = 0;
  TENANTDB_TRY_VOID(Decode(j, path, wide));
  if (wide < std::numeric_limits<std::int32_t>::min() ||
      wide > std::numeric_limits<std::int32_t>::max()) {
    return TypeError(path, "32-bit integer");
  }
  out = static_cast<std::int32_t>(wide);
  return {};
}

Expected<void> Decode(const Json& j, const std::string& path, Timestamp& out) {
  if (!j.is_string()) {
    return TypeError(path, "RFC 3339 date-time string");
  }
  Expected<Timestamp> parsed = ParseRfc3339(j.get_ref<const std::string&>());
  if (!parsed) {
    return TypeError(path, "RFC 3339 date-time, got \"" + j.get<std::string>() + "\"");
  }
  out = *parsed;
  return {};
}

Json Encode(const std::string& value) { return Json(value); }
Json Encode(bool value) { return Json(value); }
Json Encode(std::int32_t value) { return Json(value); }
Json Encode(std::int64_t value) { return Json(value); }
Json Encode(Timestamp value) { return Json(FormatRfc3339(value)); }

Expected<void> Decode(const Json& j, const std::string& path, Quantity& out) {
  if (j.is_string()) {
    out.value = j.get<std::string>();
    return {};
  }
  if (j.is_number_integer()) {
    out.value = j.dump();
    return {};
  }
  return TypeError(path, "quantity (string or integer)");
}

Json Encode(const Quantity& value) { return Json(value.value); }

void EncodeFieldOmitEmpty(Json& obj, const char* key, const std::string& value) {
  if (!value.empty()) {
    obj[key] = value;
  }
}

void EncodeFieldOmitEmpty(Json& obj, const char* key, std::int64_t value) {
  if (value != 0) {
    obj[key] = value;
  }
}

Expected<void> CheckKind(const Json& obj, const std::string& path, std::string_view kind) {
  const auto it = obj.find("kind");
  if (it == obj.end() || it->is_null()) {
    return {};
  }
  if (!it->is_string()) {
    return TypeError(ChildPath(path, "kind"), "string");
  }
  if (it->get_ref<const std::string&>() != kind) {
    return Error::Invalid(ChildPath(path, "kind") + ": expected " + std::string(kind) + ", got " +
                          it->get<std::string>());
  }
  return {};
}

}  // namespace tenantdb::api::v1alpha1

#pragma once

// String conversion for the API's enums. Each enum specialises EnumTraits with its JSON spellings:
//
//   template <> struct EnumTraits<SslMode> {
//     static constexpr std::array<std::pair<SslMode, std::string_view>, 6> kNames = {{...}};
//   };
//
// and then gets ToString(e), ParseEnum<E>(text), EnumNames<E>() and JSON (de)serialisation.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace tenantdb::api::v1alpha1 {

template <class E>
struct EnumTraits;

template <class E>
concept NamedEnum = std::is_enum_v<E> && requires {
  EnumTraits<E>::kNames;
};

template <NamedEnum E>
constexpr std::string_view ToString(E value) {
  for (const auto& [v, name] : EnumTraits<E>::kNames) {
    if (v == value) {
      return name;
    }
  }
  return "";
}

// Exact, case-sensitive match against the JSON spelling.
template <NamedEnum E>
constexpr std::optional<E> ParseEnum(std::string_view text) {
  for (const auto& [v, name] : EnumTraits<E>::kNames) {
    if (name == text) {
      return v;
    }
  }
  return std::nullopt;
}

// "a, b, c": the accepted spellings, for error messages.
template <NamedEnum E>
std::string EnumNames() {
  std::string out;
  for (const auto& [v, name] : EnumTraits<E>::kNames) {
    if (!out.empty()) {
      out += ", ";
    }
    out += name;
  }
  return out;
}

}  // namespace tenantdb::api::v1alpha1

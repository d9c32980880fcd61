#include "api/v1alpha1/secret_template.h"

#include <algorithm>

namespace tenantdb::api::v1alpha1 {
namespace {

std::string AllowedList() {
  std::string out;
  for (const std::string_view name : kSecretTemplatePlaceholders) {
    if (!out.empty()) {
      out += ", ";
    }
    out += "{{ .";
    out += name;
    out += " }}";
  }
  return out;
}

bool IsBlank(char c) { return c == ' '; }

// Walks `value`, calling on_text(text) for literal text and on_placeholder(name) for each known
// placeholder. Returns an error message for the first bad placeholder.
template <class OnText, class OnPlaceholder>
std::optional<std::string> Walk(std::string_view value, OnText on_text,
                                OnPlaceholder on_placeholder) {
  std::size_t pos = 0;
  while (pos < value.size()) {
    const std::size_t open = value.find("{{", pos);
    if (open == std::string_view::npos) {
      on_text(value.substr(pos));
      return std::nullopt;
    }
    on_text(value.substr(pos, open - pos));
    const std::size_t close = value.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return "unterminated placeholder \"" + std::string(value.substr(open)) +
             "\": a {{ needs a matching }}";
    }
    const std::string_view raw = value.substr(open, close + 2 - open);
    std::string_view inner = value.substr(open + 2, close - open - 2);
    while (!inner.empty() && IsBlank(inner.front())) {
      inner.remove_prefix(1);
    }
    while (!inner.empty() && IsBlank(inner.back())) {
      inner.remove_suffix(1);
    }
    const bool known =
        inner.starts_with(".") &&
        std::find(kSecretTemplatePlaceholders.begin(), kSecretTemplatePlaceholders.end(),
                  inner.substr(1)) != kSecretTemplatePlaceholders.end();
    if (!known) {
      return "unknown placeholder \"" + std::string(raw) + "\" (allowed: " + AllowedList() + ")";
    }
    on_placeholder(inner.substr(1));
    pos = close + 2;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> CheckSecretTemplateValue(std::string_view value) {
  return Walk(
      value, [](std::string_view) {}, [](std::string_view) {});
}

Expected<std::string> ExpandSecretTemplate(std::string_view value,
                                           const std::map<std::string, std::string>& values) {
  std::string out;
  std::optional<std::string> missing;
  const std::optional<std::string> error = Walk(
      value, [&](std::string_view text) { out += text; },
      [&](std::string_view name) {
        const auto it = values.find(std::string(name));
        if (it == values.end()) {
          if (!missing) {
            missing = std::string(name);
          }
          return;
        }
        out += it->second;
      });
  if (error) {
    return Error::Invalid(*error);
  }
  if (missing) {
    return Error::Internal("no value for placeholder {{ ." + *missing + " }}");
  }
  return out;
}

}  // namespace tenantdb::api::v1alpha1

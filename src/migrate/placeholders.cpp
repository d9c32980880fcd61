#include "migrate/placeholders.h"

#include <algorithm>

namespace tenantdb::migrate {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

int LineAt(std::string_view text, std::size_t pos) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
}

}  // namespace

Expected<std::string> ReplacePlaceholders(std::string_view text, const Placeholders& values,
                                          std::string_view file) {
  if (text.find("${") == std::string_view::npos) {
    return std::string(text);
  }
  Placeholders lowered;
  for (const auto& [name, value] : values) {
    lowered[Lower(name)] = value;
  }
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (true) {
    const std::size_t start = text.find("${", pos);
    if (start == std::string_view::npos) {
      out.append(text.substr(pos));
      return out;
    }
    out.append(text.substr(pos, start - pos));
    const std::size_t end = text.find('}', start + 2);
    if (end == std::string_view::npos) {
      return Error::Invalid(std::string(file) + " line " + std::to_string(LineAt(text, start)) +
                            ": a placeholder starts with ${ but has no closing }");
    }
    const std::string_view name = text.substr(start + 2, end - start - 2);
    const auto it = lowered.find(Lower(name));
    if (it == lowered.end()) {
      return Error::Invalid(std::string(file) + " line " + std::to_string(LineAt(text, start)) +
                            ": no value for placeholder ${" + std::string(name) +
                            "} (give it with --placeholder " + std::string(name) +
                            "=VALUE, or spec.placeholders)");
    }
    out.append(it->second);
    pos = end + 1;
  }
}

}  // namespace tenantdb::migrate

#include "migrate/version.h"

#include <algorithm>

namespace tenantdb::migrate {

Expected<Version> Version::Parse(std::string_view text) {
  Version v;
  v.text_.assign(text);
  std::replace(v.text_.begin(), v.text_.end(), '_', '.');
  const auto invalid = [&text]() {
    return Error::Invalid("invalid version '" + std::string(text) +
                          "': a version is digits separated by dots or underscores, e.g. 1, 1.1, "
                          "2026.11.22.1 or 1_2");
  };
  if (v.text_.empty()) {
    return invalid();
  }
  std::string part;
  const auto flush = [&]() -> bool {
    if (part.empty()) {
      return false;
    }
    const auto first = part.find_first_not_of('0');
    v.parts_.push_back(first == std::string::npos ? "0" : part.substr(first));
    part.clear();
    return true;
  };
  for (const char c : v.text_) {
    if (c == '.') {
      if (!flush()) {
        return invalid();
      }
    } else if (c >= '0' && c <= '9') {
      part += c;
    } else {
      return invalid();
    }
  }
  if (!flush()) {
    return invalid();
  }
  while (v.parts_.size() > 1 && v.parts_.back() == "0") {
    v.parts_.pop_back();
  }
  return v;
}

std::strong_ordering operator<=>(const Version& a, const Version& b) {
  const std::size_t n = std::max(a.parts_.size(), b.parts_.size());
  static const std::string kZero = "0";
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& x = i < a.parts_.size() ? a.parts_[i] : kZero;
    const std::string& y = i < b.parts_.size() ? b.parts_[i] : kZero;
    if (x.size() != y.size()) {
      return x.size() <=> y.size();
    }
    if (const int c = x.compare(y); c != 0) {
      return c <=> 0;
    }
  }
  return std::strong_ordering::equal;
}

}  // namespace tenantdb::migrate

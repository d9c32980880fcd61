#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace tenantdb::migrate {

// Placeholder values by name. Names are matched without regard to case, as Flyway does.
using Placeholders = std::map<std::string, std::string>;

// Replaces every `${name}` in `text` (comments and quoted text included, as Flyway does) with its
// value. A name without a value, or a `${` without its `}`, is an error naming `file`, the line
// and the placeholder.
Expected<std::string> ReplacePlaceholders(std::string_view text, const Placeholders& values,
                                          std::string_view file);

}  // namespace tenantdb::migrate

#pragma once

#include <string>
#include <string_view>

namespace tenantdb {

enum class LogFormat { kText, kJson };

// Sets up the process-wide spdlog logger: JSON lines (one object per line, for in-cluster log
// collectors) or human-readable text, on stderr. `level` is one of trace|debug|info|warn|error.
// Returns false (and leaves the defaults) when the level is unknown.
bool InitLogging(LogFormat format, std::string_view level);

// Replaces every occurrence of `secret` in `text` with "[REDACTED]". Used before anything that
// could contain a password (connection strings, server error texts) is logged.
std::string Redact(std::string_view text, std::string_view secret);

// Escapes text for inclusion in a JSON string (the JSON log format escapes every message with it).
std::string JsonEscape(std::string_view value);

}  // namespace tenantdb

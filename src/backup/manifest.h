#pragma once

// The manifest beside each dump: what was dumped, when, and the SHA-256 restore checks first.
// {"tenantdb":"backup/v1","database","time","format","compression","sizeBytes","sha256",
//  "pgDumpVersion","serverVersion","tenantdbVersion","reason"}
// For the directory format, sha256 is over the folder's listing (see checksum.h).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace tenantdb::backup {

inline constexpr std::string_view kManifestKind = "backup/v1";

struct Manifest {
  std::string database;
  std::string time;  // RFC 3339 UTC
  std::string format;
  int compression = 0;
  std::int64_t size_bytes = 0;
  std::string sha256;
  std::string pg_dump_version;  // "18.1"
  std::string server_version;   // "18.1" (from server_version_num: major.minor)
  std::string tenantdb_version;
  std::string reason;
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

std::string ToJson(const Manifest& manifest);
// Refuses anything that is not a complete manifest of ours ("tenantdb":"backup/v1").
Expected<Manifest> ParseManifest(std::string_view text);

}  // namespace tenantdb::backup

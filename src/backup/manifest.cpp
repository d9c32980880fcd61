#include "backup/manifest.h"

#include <nlohmann/json.hpp>

#include "backup/naming.h"

namespace tenantdb::backup {

std::string ToJson(const Manifest& m) {
  nlohmann::ordered_json j;
  j["tenantdb"] = kManifestKind;
  j["database"] = m.database;
  j["time"] = m.time;
  j["format"] = m.format;
  j["compression"] = m.compression;
  j["sizeBytes"] = m.size_bytes;
  j["sha256"] = m.sha256;
  j["pgDumpVersion"] = m.pg_dump_version;
  j["serverVersion"] = m.server_version;
  j["tenantdbVersion"] = m.tenantdb_version;
  j["reason"] = m.reason;
  return j.dump(2) + "\n";
}

Expected<Manifest> ParseManifest(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto invalid = [](const std::string& why) {
    return Error::Invalid("not a tenantdb backup manifest: " + why, kReasonBackupNotFound);
  };
  if (!j.is_object()) {
    return invalid("not a JSON object");
  }
  if (!j.contains("tenantdb") || j["tenantdb"] != kManifestKind) {
    return invalid("no \"tenantdb\": \"backup/v1\"");
  }
  Manifest m;
  auto str = [&](const char* key, std::string& out) {
    if (!j.contains(key) || !j[key].is_string()) {
      return false;
    }
    out = j[key].get<std::string>();
    return true;
  };
  if (!str("database", m.database) || !str("time", m.time) || !str("format", m.format) ||
      !str("sha256", m.sha256)) {
    return invalid("database, time, format or sha256 missing");
  }
  if (!ParseRfc3339(m.time)) {
    return invalid("time " + m.time + " is not RFC 3339 UTC");
  }
  if (!ParseFormat(m.format)) {
    return invalid("format " + m.format);
  }
  if (m.sha256.size() != 64) {
    return invalid("sha256 is not 64 hex digits");
  }
  if (j.contains("compression") && j["compression"].is_number_integer()) {
    m.compression = j["compression"].get<int>();
  }
  if (j.contains("sizeBytes") && j["sizeBytes"].is_number_integer()) {
    m.size_bytes = j["sizeBytes"].get<std::int64_t>();
  }
  str("pgDumpVersion", m.pg_dump_version);
  str("serverVersion", m.server_version);
  str("tenantdbVersion", m.tenantdb_version);
  str("reason", m.reason);
  return m;
}

}  // namespace tenantdb::backup

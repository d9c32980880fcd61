#include "backup/summary.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace tenantdb::backup {

namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) {
  // Replacement characters rather than an exception for non-UTF-8 bytes (a pg_dump message in a
  // Latin-1 locale).
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string CutUtf8(const std::string& text, std::size_t limit) {
  if (text.size() <= limit) {
    return text;
  }
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end) + "...";
}

std::string Size(std::int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace

std::string SuccessJson(const BackupResult& r) {
  Json j;
  j["success"] = true;
  j["backup"] = Json{{"name", r.name},
                     {"time", r.time},
                     {"sizeBytes", r.size_bytes},
                     {"sha256", r.sha256},
                     {"format", r.format}};
  j["pruned"] = Json::array();
  j["prunedCount"] = r.pruned.size();
  std::size_t size = Dump(j).size();
  for (const std::string& p : r.pruned) {
    const std::string item = Dump(Json(p));
    if (size + item.size() + 1 >= kSummaryLimit - 64) {
      break;
    }
    j["pruned"].push_back(p);
    size += item.size() + 1;
  }
  return Dump(j);
}

std::string FailureJson(const Error& e) {
  Json j;
  j["success"] = false;
  j["error"] = Json{{"reason", e.reason.empty() ? "BackupFailed" : e.reason},
                    {"message", CutUtf8(e.message, kMessageLimit)}};
  std::string out = Dump(j);
  if (out.size() >= kSummaryLimit) {  // escaping can grow a message up to 6x
    j["error"]["message"] = CutUtf8(e.message, kMessageLimit / 8);
    out = Dump(j);
  }
  return out;
}

std::string SuccessText(const BackupResult& r) {
  std::string out = "backup " + r.name + " (" + r.format + ", " + Size(r.size_bytes) + ") at " +
                    r.time + ", sha256 " + r.sha256 + "\n";
  if (!r.pruned.empty()) {
    out += "retention removed " + std::to_string(r.pruned.size()) + ":";
    for (const std::string& p : r.pruned) {
      out += " " + p;
    }
    out += "\n";
  }
  return out;
}

}  // namespace tenantdb::backup

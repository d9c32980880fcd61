#include "migrate/report.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tenantdb::migrate {
namespace {

std::string Shorten(const std::string& s, std::size_t max) {
  if (s.size() <= max) {
    return s;
  }
  std::string out = s.substr(0, max);
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0U) == 0x80U) {
    out.pop_back();
  }
  if (!out.empty()) {
    out.pop_back();
  }
  return out + "...";
}

std::string Name(const AppliedScript& a) { return a.version.empty() ? a.description : a.version; }

nlohmann::json Summary(const Result& r, std::size_t max_list, std::size_t max_message) {
  nlohmann::json j;
  j["command"] = r.command;
  j["success"] = r.success;
  j["schema"] = r.schema;
  j["table"] = r.table;
  nlohmann::json applied = nlohmann::json::array();
  // The latest ones matter most: keep the tail of a long list.
  const std::size_t skip = r.applied.size() > max_list ? r.applied.size() - max_list : 0;
  for (std::size_t i = skip; i < r.applied.size(); ++i) {
    applied.push_back(Name(r.applied[i]));
  }
  j["applied"] = applied;
  j["appliedCount"] = r.applied.size();
  j["lastAppliedVersion"] = r.current_version ? nlohmann::json(*r.current_version) : nullptr;
  nlohmann::json pending = nlohmann::json::array();
  for (std::size_t i = 0; i < r.pending.size() && i < max_list; ++i) {
    pending.push_back(r.pending[i]);
  }
  j["pending"] = pending;
  j["pendingCount"] = r.pending.size();
  if (r.backup) {
    j["backup"] = {{"name", r.backup->name},
                   {"time", r.backup->time},
                   {"sizeBytes", r.backup->size_bytes},
                   {"sha256", r.backup->sha256}};
  }
  if (r.failure) {
    j["failure"] = {{"file", r.failure->file},
                    {"message", Shorten(r.failure->message, max_message)},
                    {"sqlstate", r.failure->sqlstate},
                    {"line", r.failure->line}};
  }
  return j;
}

}  // namespace

std::string JsonSummary(const Result& result) {
  std::size_t max_list = 50;
  std::size_t max_message = 1500;
  while (true) {
    std::string out = Summary(result, max_list, max_message)
                          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (out.size() < kMaxSummaryBytes || (max_list == 0 && max_message <= 100)) {
      return out;
    }
    max_list /= 2;
    max_message = std::max<std::size_t>(100, max_message / 2);
  }
}

std::string HumanReport(const Result& r) {
  std::ostringstream out;
  if (r.command == "info") {
    std::vector<std::vector<std::string>> rows = {
        {"Category", "Version", "Description", "Type", "Installed On", "State", "File"}};
    for (const Result::Row& row : r.info) {
      rows.push_back({row.category, row.version, row.description, row.type, row.installed_on,
                      row.state, row.file});
    }
    std::vector<std::size_t> width(rows[0].size(), 0);
    for (const auto& row : rows) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        width[i] = std::max(width[i], row[i].size());
      }
    }
    out << "Schema " << r.schema << ", history table " << r.table << ", current version "
        << r.current_version.value_or("none") << "\n";
    for (const auto& row : rows) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        out << (i == 0 ? "" : " | ") << row[i] << std::string(width[i] - row[i].size(), ' ');
      }
      out << "\n";
    }
  }
  if (r.backup) {
    out << "backup " << r.backup->name << " (" << r.backup->size_bytes << " bytes, sha256 "
        << r.backup->sha256 << ") taken before migrating\n";
  }
  for (const AppliedScript& a : r.applied) {
    out << "applied " << a.file << " (" << a.execution_ms << " ms)\n";
  }
  for (const std::string& note : r.notes) {
    out << note << "\n";
  }
  for (const std::string& p : r.problems) {
    out << "problem: " << p << "\n";
  }
  const std::string label =
      r.command == "migrate" ? "tenantdb migrate" : "tenantdb migrate " + r.command;
  if (r.failure) {
    out << label << " failed: " << r.failure->message << "\n";
  } else if (r.command != "info") {
    out << label << ": ok";
    if (r.current_version) {
      out << ", schema " << r.schema << " at version " << *r.current_version;
    }
    out << "\n";
  }
  if (!r.pending.empty() && r.command != "info") {
    out << "pending: " << r.pending.size() << " migration(s), first " << r.pending.front() << "\n";
  }
  return out.str();
}

}  // namespace tenantdb::migrate

#include "backup/tools.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#include "backup/backup.h"
#include "backup/process.h"

namespace tenantdb::backup {

std::optional<ToolVersion> ParseToolVersion(std::string_view out) {
  const std::string_view marker = "(PostgreSQL) ";
  const auto at = out.find(marker);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view rest = out.substr(at + marker.size());
  auto number = [&rest]() -> std::optional<int> {
    std::size_t i = 0;
    int v = 0;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9' && i < 6) {
      v = v * 10 + (rest[i] - '0');
      ++i;
    }
    if (i == 0) {
      return std::nullopt;
    }
    rest.remove_prefix(i);
    return v;
  };
  const auto major = number();
  if (!major) {
    return std::nullopt;
  }
  ToolVersion v{.major = *major, .minor = 0};
  if (!rest.empty() && rest[0] == '.') {
    rest.remove_prefix(1);
    v.minor = number().value_or(0);
  }
  return v;
}

ToolVersion FromVersionNum(int num) {
  return ToolVersion{.major = num / 10000, .minor = num % 10000};
}

namespace {

Expected<ToolVersion> VersionOf(const std::string& path) {
  std::string out;
  TENANTDB_TRY(ChildResult r, RunCapture({path, "--version"}, out));
  const auto v = ParseToolVersion(out);
  if (!r.Succeeded() || !v) {
    return Error::NotFound(
        path + " --version: " + (r.Succeeded() ? "unexpected output: " + out : r.Describe()),
        kReasonToolNotFound);
  }
  return *v;
}

std::vector<std::string> Candidates(const std::string& name) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::string dir;
    for (const char* p = path;; ++p) {
      if (*p == ':' || *p == '\0') {
        if (!dir.empty()) {
          out.push_back(dir + "/" + name);
        }
        dir.clear();
        if (*p == '\0') {
          break;
        }
      } else {
        dir += *p;
      }
    }
  }
  std::error_code ec;
  for (fs::directory_iterator it("/usr/lib/postgresql", ec), end; !ec && it != end;
       it.increment(ec)) {
    out.push_back(it->path().string() + "/bin/" + name);
  }
  std::vector<std::string> usable;
  for (const std::string& c : out) {
    if (::access(c.c_str(), X_OK) == 0 &&
        std::find(usable.begin(), usable.end(), c) == usable.end()) {
      usable.push_back(c);
    }
  }
  return usable;
}

}  // namespace

Expected<Tool> FindTool(const std::string& name, const std::string& explicit_path) {
  if (!explicit_path.empty()) {
    TENANTDB_TRY(ToolVersion v, VersionOf(explicit_path));
    return Tool{.path = explicit_path, .version = v};
  }
  std::optional<Tool> best;
  for (const std::string& c : Candidates(name)) {
    auto v = VersionOf(c);
    if (v && (!best || *v > best->version)) {
      best = Tool{.path = c, .version = *v};
    }
  }
  if (!best) {
    return Error::NotFound("no " + name + " found on PATH or under /usr/lib/postgresql/*/bin",
                           kReasonToolNotFound);
  }
  return *best;
}

std::string DbnameConninfo(const std::string& database) {
  std::string out = "dbname='";
  for (char c : database) {
    if (c == '\'' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "'";
}

}  // namespace tenantdb::backup

#include "migrate/script.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

#include "migrate/checksum.h"

namespace tenantdb::migrate {
namespace {

constexpr std::string_view kSeparator = "__";

bool EndsWithSqlSuffix(std::string_view name) {
  if (name.size() < 4) {
    return false;
  }
  std::string suffix(name.substr(name.size() - 4));
  std::transform(suffix.begin(), suffix.end(), suffix.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return suffix == ".sql";
}

std::string Description(std::string_view raw) {
  std::string out(raw);
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

std::string FirstLine(std::string_view content) {
  if (content.substr(0, 3) == "\xEF\xBB\xBF") {
    content.remove_prefix(3);
  }
  const auto end = content.find_first_of("\r\n");
  std::string line(content.substr(0, end));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
    line.pop_back();
  }
  return line;
}

}  // namespace

Expected<ScriptName> ParseScriptName(std::string_view file_name) {
  const std::string name(file_name);
  const auto refuse = [&name](const std::string& why) {
    return Error::Invalid("'" + name + "' is not a migration file name: " + why +
                          " (expected V<version>__<description>.sql, e.g. V1.2__add_users.sql, or "
                          "R__<description>.sql)");
  };
  if (!EndsWithSqlSuffix(file_name)) {
    return refuse("it does not end in .sql");
  }
  std::string_view stem = file_name.substr(0, file_name.size() - 4);
  if (stem.starts_with('R')) {
    stem.remove_prefix(1);
    if (!stem.starts_with(kSeparator)) {
      return refuse("a repeatable migration has no version: R__ then its description");
    }
    stem.remove_prefix(kSeparator.size());
    if (stem.empty()) {
      return refuse("a repeatable migration needs a description");
    }
    return ScriptName{.version = std::nullopt, .description = Description(stem)};
  }
  if (!stem.starts_with('V')) {
    return refuse("it starts with neither V nor R");
  }
  stem.remove_prefix(1);
  const auto sep = stem.find(kSeparator);
  if (sep == std::string_view::npos) {
    return refuse("there is no __ between version and description");
  }
  if (sep == 0) {
    return refuse("the version is missing");
  }
  auto version = Version::Parse(stem.substr(0, sep));
  if (!version) {
    return refuse(version.error().message);
  }
  return ScriptName{.version = std::move(*version),
                    .description = Description(stem.substr(sep + kSeparator.size()))};
}

bool IsUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    }
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
      cp = b & 0x1FU;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      cp = b & 0x0FU;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      cp = b & 0x07U;
    } else {
      return false;
    }
    if (i + len > text.size()) {
      return false;
    }
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0U) != 0x80U) {
        return false;
      }
      cp = (cp << 6) | (c & 0x3FU);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;  // overlong, surrogate or out of range
    }
    i += len;
  }
  return true;
}

Expected<Script> MakeScript(std::string file_name, std::string content) {
  TENANTDB_TRY(ScriptName name, ParseScriptName(file_name));
  if (!IsUtf8(content)) {
    return Error::Invalid(file_name +
                          " is not valid UTF-8: save it as UTF-8 (Flyway's default encoding) so "
                          "that its checksum is the one Flyway computes");
  }
  Script s;
  s.checksum = FlywayChecksum(content);
  s.in_transaction = FirstLine(content) != kNoTransactionMarker;
  s.file_name = std::move(file_name);
  s.name = std::move(name);
  s.content = std::move(content);
  return s;
}

Expected<std::vector<Script>> SortAndCheck(std::vector<Script> scripts) {
  std::stable_sort(scripts.begin(), scripts.end(), [](const Script& a, const Script& b) {
    if (a.versioned() != b.versioned()) {
      return a.versioned();
    }
    if (a.versioned()) {
      return *a.name.version < *b.name.version;
    }
    return a.name.description < b.name.description;
  });
  for (std::size_t i = 1; i < scripts.size(); ++i) {
    const Script& a = scripts[i - 1];
    const Script& b = scripts[i];
    if (a.versioned() && b.versioned() && *a.name.version == *b.name.version) {
      return Error::Invalid("two migrations have version " + b.name.version->Text() + ": " +
                            a.file_name + " and " + b.file_name);
    }
    if (!a.versioned() && !b.versioned() && a.name.description == b.name.description) {
      return Error::Invalid("two repeatable migrations have the description '" +
                            b.name.description + "': " + a.file_name + " and " + b.file_name);
    }
  }
  return scripts;
}

Expected<std::vector<Script>> ScanDirectory(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Error::Invalid("migration directory " + dir.string() +
                          " does not exist or is not a directory");
  }
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) {
    return Error::Invalid("cannot list " + dir.string() + ": " + ec.message());
  }
  std::sort(names.begin(), names.end());
  std::vector<Script> scripts;
  std::vector<std::string> refused;
  for (const std::string& name : names) {
    if (name.starts_with('.')) {
      continue;
    }
    const fs::path path = dir / name;
    if (fs::is_directory(path, ec)) {
      refused.push_back("'" + name + "' is a directory (migrations are read from " + dir.string() +
                        " only, not from subdirectories)");
      continue;
    }
    if (auto parsed = ParseScriptName(name); !parsed) {
      refused.push_back(parsed.error().message);
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (!in.good() && !in.eof()) {
      refused.push_back("cannot read " + path.string());
      continue;
    }
    auto script = MakeScript(name, buffer.str());
    if (!script) {
      refused.push_back(script.error().message);
      continue;
    }
    scripts.push_back(std::move(*script));
  }
  if (!refused.empty()) {
    std::string message = "refusing the migrations in " + dir.string() + ": ";
    for (std::size_t i = 0; i < refused.size(); ++i) {
      message += (i == 0 ? "" : "; ") + refused[i];
    }
    return Error::Invalid(message);
  }
  return SortAndCheck(std::move(scripts));
}

}  // namespace tenantdb::migrate

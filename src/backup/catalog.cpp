#include "backup/catalog.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "backup/storage.h"

namespace tenantdb::backup {

Expected<std::vector<StoredBackup>> ListBackups(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    return StorageError("listing " + dir, ec.value());
  }
  std::vector<StoredBackup> out;
  for (fs::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) {
      return StorageError("listing " + dir, ec.value());
    }
    const std::string file = it->path().filename().string();
    if (file.size() <= kManifestSuffix.size() || file[0] == '.' ||
        file.substr(file.size() - kManifestSuffix.size()) != kManifestSuffix) {
      continue;
    }
    const std::string name = file.substr(0, file.size() - kManifestSuffix.size());
    const auto parsed = ParseBackupName(name);
    if (!parsed) {
      continue;
    }
    auto text = ReadSmallFile(it->path().string());
    if (!text) {
      continue;
    }
    auto manifest = ParseManifest(*text);
    if (!manifest) {
      continue;
    }
    const auto format = ParseFormat(manifest->format);
    const auto time = ParseRfc3339(manifest->time);
    // A manifest describes the dump beside it only when the name says the same.
    if (!format || !time || FileSafe(manifest->database) != parsed->database ||
        Extension(*format, manifest->compression) != parsed->extension) {
      continue;
    }
    std::error_code exists_ec;
    out.push_back(StoredBackup{.name = name,
                               .manifest = std::move(*manifest),
                               .time = *time,
                               .present = fs::exists(fs::path(dir) / name, exists_ec)});
  }
  std::sort(out.begin(), out.end(), [](const StoredBackup& a, const StoredBackup& b) {
    return a.time != b.time ? a.time > b.time : a.name > b.name;
  });
  return out;
}

}  // namespace tenantdb::backup

#include "backup/naming.h"

#include <array>
#include <cstdio>
#include <ctime>

namespace tenantdb::backup {

namespace {

bool Digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return !s.empty();
}

int Number(std::string_view s) {
  int v = 0;
  for (char c : s) {
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<Seconds> FromFields(int year, int month, int day, int hour, int minute, int second) {
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year{year},
                           std::chrono::month{static_cast<unsigned>(month)},
                           std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  return Seconds{sys_days{ymd}.time_since_epoch() + hours{hour} + minutes{minute} +
                 std::chrono::seconds{second}};
}

std::string Strftime(Seconds t, const char* pattern) {
  const std::time_t tt = t.time_since_epoch().count();
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::array<char, 32> buf{};
  const std::size_t n = std::strftime(buf.data(), buf.size(), pattern, &tm);
  return std::string(buf.data(), n);
}

}  // namespace

std::string Rfc3339(Seconds t) { return Strftime(t, "%Y-%m-%dT%H:%M:%SZ"); }

std::optional<Seconds> ParseRfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SSZ
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != 'Z') {
    return std::nullopt;
  }
  const std::array<std::string_view, 6> f{s.substr(0, 4),  s.substr(5, 2),  s.substr(8, 2),
                                          s.substr(11, 2), s.substr(14, 2), s.substr(17, 2)};
  for (std::string_view p : f) {
    if (!Digits(p)) {
      return std::nullopt;
    }
  }
  return FromFields(Number(f[0]), Number(f[1]), Number(f[2]), Number(f[3]), Number(f[4]),
                    Number(f[5]));
}

std::string CompactTime(Seconds t) { return Strftime(t, "%Y%m%dT%H%M%SZ"); }

std::optional<Seconds> ParseCompactTime(std::string_view s) {
  // YYYYMMDDTHHMMSSZ
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !Digits(s.substr(0, 8)) ||
      !Digits(s.substr(9, 6))) {
    return std::nullopt;
  }
  return FromFields(Number(s.substr(0, 4)), Number(s.substr(4, 2)), Number(s.substr(6, 2)),
                    Number(s.substr(9, 2)), Number(s.substr(11, 2)), Number(s.substr(13, 2)));
}

std::string Extension(Format format, int compression) {
  switch (format) {
    case Format::kCustom:
      return ".dump";
    case Format::kPlain:
      return compression > 0 ? ".sql.gz" : ".sql";
    case Format::kDirectory:
      return ".dir";
  }
  return ".dump";
}

std::string FileSafe(std::string_view database) {
  std::string out(database);
  for (char& c : out) {
    if (c == '/' || c == '\0') {
      c = '_';
    }
  }
  if (!out.empty() && out[0] == '.') {
    out[0] = '_';
  }
  return out;
}

std::string BackupName(std::string_view database, Seconds t, Format format, int compression) {
  return FileSafe(database) + "-" + CompactTime(t) + Extension(format, compression);
}

std::optional<ParsedName> ParseBackupName(std::string_view name) {
  for (std::string_view ext : {".sql.gz", ".dump", ".sql", ".dir"}) {
    if (name.size() <= ext.size() || name.substr(name.size() - ext.size()) != ext) {
      continue;
    }
    const std::string_view stem = name.substr(0, name.size() - ext.size());
    // <database>-<16 characters of time>; the database may itself hold '-'.
    if (stem.size() < 18 || stem[stem.size() - 17] != '-') {
      return std::nullopt;
    }
    auto t = ParseCompactTime(stem.substr(stem.size() - 16));
    if (!t) {
      return std::nullopt;
    }
    return ParsedName{.database = std::string(stem.substr(0, stem.size() - 17)),
                      .time = *t,
                      .extension = std::string(ext)};
  }
  return std::nullopt;
}

std::optional<std::string> LeftoverOf(std::string_view file_name) {
  if (file_name.size() < 2 || file_name[0] != '.' ||
      file_name.size() <= kPartialSuffix.size() + 1 ||
      file_name.substr(file_name.size() - kPartialSuffix.size()) != kPartialSuffix) {
    return std::nullopt;
  }
  std::string_view inner = file_name.substr(1, file_name.size() - 1 - kPartialSuffix.size());
  if (inner.size() > kManifestSuffix.size() &&
      inner.substr(inner.size() - kManifestSuffix.size()) == kManifestSuffix) {
    inner = inner.substr(0, inner.size() - kManifestSuffix.size());
  }
  if (!ParseBackupName(inner)) {
    return std::nullopt;
  }
  return std::string(inner);
}

}  // namespace tenantdb::backup

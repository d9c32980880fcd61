#include "api/v1alpha1/time.h"

#include <cstdint>
#include <cstdio>
#include <optional>

namespace tenantdb::api::v1alpha1 {
namespace {

// Parses exactly `width` decimal digits at `pos`.
std::optional<int> Digits(std::string_view s, std::size_t pos, std::size_t width) {
  if (pos + width > s.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return std::nullopt;
    }
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

Error NotRfc3339(std::string_view text) {
  return Error::Invalid("\"" + std::string(text) + "\" is not an RFC 3339 date-time");
}

}  // namespace

std::string FormatRfc3339(Timestamp t) {
  using std::chrono::days;
  const auto day_point = std::chrono::floor<days>(t);
  const std::chrono::year_month_day ymd{day_point};
  const std::int64_t secs = (t - day_point).count();
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60));
  return buf;
}

Expected<Timestamp> ParseRfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  const auto year = Digits(text, 0, 4);
  const auto month = Digits(text, 5, 2);
  const auto day = Digits(text, 8, 2);
  const auto hour = Digits(text, 11, 2);
  const auto minute = Digits(text, 14, 2);
  const auto second = Digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return NotRfc3339(text);
  }
  const std::chrono::year_month_day ymd{std::chrono::year{*year},
                                        std::chrono::month{static_cast<unsigned>(*month)},
                                        std::chrono::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok() || *hour > 23 || *minute > 59 || *second > 59) {
    return NotRfc3339(text);
  }
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      ++pos;
    }
    if (pos == start) {
      return NotRfc3339(text);
    }
  }
  int offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '+' ? 1 : -1;
    const auto off_hour = Digits(text, pos + 1, 2);
    const auto off_minute = Digits(text, pos + 4, 2);
    if (!off_hour || !off_minute || text[pos + 3] != ':' || *off_hour > 23 || *off_minute > 59) {
      return NotRfc3339(text);
    }
    offset_seconds = sign * (*off_hour * 3600 + *off_minute * 60);
    pos += 6;
  } else {
    return NotRfc3339(text);
  }
  if (pos != text.size()) {
    return NotRfc3339(text);
  }
  const Timestamp local = std::chrono::sys_days{ymd} + std::chrono::hours{*hour} +
                          std::chrono::minutes{*minute} + std::chrono::seconds{*second};
  return local - std::chrono::seconds{offset_seconds};
}

Expected<std::chrono::seconds> ParseGoDuration(std::string_view text) {
  const auto invalid = [&] {
    return Error::Invalid(
        "\"" + std::string(text) +
        "\" is not a duration of the form ^([0-9]+(h|m|s))+$, e.g. 720h or 1h30m");
  };
  if (text.empty()) {
    return invalid();
  }
  // Far beyond any sensible rotation period, small enough that nothing overflows.
  constexpr std::int64_t kMaxSeconds = std::int64_t{1} << 50;
  std::int64_t total = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = pos;
    std::int64_t number = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      number = number * 10 + (text[pos] - '0');
      if (number > kMaxSeconds) {
        return invalid();
      }
      ++pos;
    }
    if (pos == start || pos == text.size()) {
      return invalid();
    }
    std::int64_t unit = 0;
    switch (text[pos]) {
      case 'h':
        unit = 3600;
        break;
      case 'm':
        unit = 60;
        break;
      case 's':
        unit = 1;
        break;
      default:
        return invalid();
    }
    ++pos;
    total += number * unit;
    if (total > kMaxSeconds) {
      return invalid();
    }
  }
  return std::chrono::seconds{total};
}

}  // namespace tenantdb::api::v1alpha1

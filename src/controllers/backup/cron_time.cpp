#include "controllers/backup/cron_time.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

namespace tenantdb::controllers::backup {

namespace v1 = api::v1alpha1;
using std::chrono::days;
using std::chrono::minutes;
using std::chrono::seconds;

std::chrono::seconds TimeZone::OffsetAt(v1::Timestamp utc) const {
  const std::int64_t t = utc.time_since_epoch().count();
  const auto it = std::upper_bound(transitions.begin(), transitions.end(), t,
                                   [](std::int64_t v, const auto& tr) { return v < tr.first; });
  return it == transitions.begin() ? initial : std::prev(it)->second;
}

namespace {

std::int64_t BigEndian(std::string_view bytes, std::size_t at, std::size_t width) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  }
  if (width == 4) {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  }
  return static_cast<std::int64_t>(v);
}

struct TzifCounts {
  std::size_t isut, isstd, leap, time, type, chars;
  // Bytes of the data block that follows a header, with `width`-byte transition times.
  std::size_t DataSize(std::size_t width) const {
    return time * width + time + type * 6 + chars + leap * (width + 4) + isstd + isut;
  }
};

Expected<TzifCounts> ReadHeader(std::string_view bytes, std::size_t at) {
  if (bytes.size() < at + 44 || bytes.substr(at, 4) != "TZif") {
    return Error::Invalid("not a TZif file");
  }
  auto count = [&](int i) {
    return static_cast<std::size_t>(BigEndian(bytes, at + 20 + 4 * i, 4));
  };
  return TzifCounts{count(0), count(1), count(2), count(3), count(4), count(5)};
}

}  // namespace

Expected<TimeZone> ParseTzif(std::string_view bytes) {
  TENANTDB_TRY(TzifCounts counts, ReadHeader(bytes, 0));
  std::size_t at = 44;
  std::size_t width = 4;
  if (bytes[4] >= '2') {  // skip the 32-bit block: the 64-bit one follows with its own header
    at += counts.DataSize(4);
    TENANTDB_TRY(counts, ReadHeader(bytes, at));
    at += 44;
    width = 8;
  }
  if (counts.type == 0 || bytes.size() < at + counts.DataSize(width)) {
    return Error::Invalid("truncated TZif file");
  }
  const std::size_t indices = at + counts.time * width;
  const std::size_t types = indices + counts.time;
  auto offset = [&](std::size_t type) {
    return seconds(BigEndian(bytes, types + 6 * std::min(type, counts.type - 1), 4));
  };
  TimeZone zone;
  zone.initial = offset(0);
  for (std::size_t i = 0; i < counts.time; ++i) {
    zone.transitions.emplace_back(BigEndian(bytes, at + i * width, width),
                                  offset(static_cast<unsigned char>(bytes[indices + i])));
  }
  return zone;
}

Expected<TimeZone> LoadTimeZone(std::string_view name, const std::string& dir) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos) {
    return Error::Invalid("unknown time zone \"" + std::string(name) + "\"");
  }
  std::ifstream in(dir + "/" + std::string(name), std::ios::binary);
  if (!in) {
    return Error::Invalid("unknown time zone \"" + std::string(name) + "\"");
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  auto zone = ParseTzif(bytes.str());
  if (!zone) {
    return Error::Invalid("time zone \"" + std::string(name) + "\": " + zone.error().message);
  }
  return zone;
}

namespace {

bool DayMatches(const v1::CronSchedule& s, const std::chrono::year_month_day& ymd,
                const std::chrono::weekday& wd) {
  const bool dom = s.days_of_month.test(static_cast<unsigned>(ymd.day()));
  const bool dow = s.days_of_week.test(wd.c_encoding());
  if (s.day_of_month_restricted && s.day_of_week_restricted) {
    return dom || dow;  // Vixie cron: either restricted day field
  }
  return dom && dow;  // the unrestricted one has every bit set
}

}  // namespace

std::optional<v1::Timestamp> NextScheduleTime(const v1::CronSchedule& schedule,
                                              const TimeZone& zone, v1::Timestamp after) {
  using std::chrono::floor;
  v1::Timestamp t = floor<minutes>(after) + minutes(1);
  const v1::Timestamp end = after + days(5 * 366);
  while (t < end) {
    const auto local = t + zone.OffsetAt(t);  // wall-clock time, as a sys time
    const auto day = floor<days>(local);
    const std::chrono::year_month_day ymd(day);
    const auto of_day = std::chrono::hh_mm_ss<seconds>(local - day);
    if (!schedule.months.test(static_cast<unsigned>(ymd.month())) ||
        !DayMatches(schedule, ymd, std::chrono::weekday(day))) {
      // The next local midnight; when the offset grows on the way (DST starts), the wall clock
      // jumped past it by that much.
      const v1::Timestamp next = t + ((day + days(1)) - local);
      const seconds grew = zone.OffsetAt(next) - zone.OffsetAt(t);
      t = grew > seconds(0) ? next - grew : next;
    } else if (!schedule.hours.test(static_cast<std::size_t>(of_day.hours().count()))) {
      t += minutes(60 - of_day.minutes().count());  // the next local hour
    } else if (!schedule.minutes.test(static_cast<std::size_t>(of_day.minutes().count()))) {
      t += minutes(1);
    } else {
      return t;
    }
  }
  return std::nullopt;
}

}  // namespace tenantdb::controllers::backup

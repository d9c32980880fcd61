#pragma once

// When a BackupSchedule's CronJob fires next (status.nextScheduleTime), in its spec.timeZone as
// the cronjob controller reads it. GCC 12's libstdc++ has no std::chrono::tzdb, so a zone is read
// from the system's TZif file (RFC 8536) once, then used purely.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/v1alpha1/cron.h"
#include "api/v1alpha1/time.h"
#include "common/expected.h"

namespace tenantdb::controllers::backup {

// A zone's UTC offsets: `initial` before the first transition, then each transition's offset
// from its instant on. After the last transition the last offset holds (the TZif files Debian
// ships list transitions up to 2037; the POSIX rule after them is not evaluated).
struct TimeZone {
  std::chrono::seconds initial{0};
  std::vector<std::pair<std::int64_t, std::chrono::seconds>> transitions;  // unix time, offset
  std::chrono::seconds OffsetAt(api::v1alpha1::Timestamp utc) const;
  bool operator==(const TimeZone&) const = default;
};

// UTC (also for an unset spec.timeZone: the controller manager runs in UTC).
inline TimeZone UtcZone() { return {}; }

// The zone from TZif bytes (version 2+ uses the 64-bit block); kInvalid when they are not TZif.
Expected<TimeZone> ParseTzif(std::string_view bytes);

// Reads `<dir>/<name>` (an IANA name, e.g. "Europe/Berlin"); kInvalid when no such zone.
Expected<TimeZone> LoadTimeZone(std::string_view name,
                                const std::string& dir = "/usr/share/zoneinfo");

// The first instant strictly after `after` (whole minutes) whose local time in `zone` matches
// `schedule`, within the next 5 years; std::nullopt when none does (e.g. "0 0 31 2 *").
std::optional<api::v1alpha1::Timestamp> NextScheduleTime(
    const api::v1alpha1::CronSchedule& schedule, const TimeZone& zone,
    api::v1alpha1::Timestamp after);

}  // namespace tenantdb::controllers::backup

#pragma once

// The cron dialect of BackupSchedule spec.schedule, which is what a batch/v1 CronJob accepts
// (robfig/cron's standard parser): five space-separated fields "minute hour day-of-month month
// day-of-week" with *, ?, lists (1,2), ranges (1-5), steps (*/15, 1-30/5, 5/10) and names
// (JAN-DEC, SUN-SAT, case-insensitive), or one of @hourly, @daily, @weekly, @monthly, @yearly.

#include <bitset>
#include <string_view>

#include "common/expected.h"

namespace tenantdb::api::v1alpha1 {

struct CronSchedule {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  // bits 1..31
  std::bitset<13> months;         // bits 1..12
  std::bitset<7> days_of_week;    // 0 = Sunday
  // False when the field was "*" or "?": cron then matches a day when the *other* day field
  // matches; when both are restricted a day matching either one runs (Vixie cron semantics).
  bool day_of_month_restricted = false;
  bool day_of_week_restricted = false;
  bool operator==(const CronSchedule&) const = default;
};

// Errors are kInvalid with a message naming the offending field.
Expected<CronSchedule> ParseCronSchedule(std::string_view text);

}  // namespace tenantdb::api::v1alpha1

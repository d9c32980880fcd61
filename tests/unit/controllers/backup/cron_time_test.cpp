// When a BackupSchedule fires next: cron fields, the day-of-month/day-of-week rule, impossible
// dates, and a time zone read from the system's TZif file (DST both ways).
#include "controllers/backup/cron_time.h"

#include <gtest/gtest.h>

#include <string>

namespace tenantdb::controllers::backup {
namespace {

namespace v1 = api::v1alpha1;

v1::Timestamp At(const std::string& rfc3339) { return *v1::ParseRfc3339(rfc3339); }

std::string Next(const std::string& cron, const std::string& after,
                 const TimeZone& zone = UtcZone()) {
  const auto schedule = v1::ParseCronSchedule(cron);
  EXPECT_TRUE(schedule.has_value()) << cron;
  const auto next = NextScheduleTime(*schedule, zone, At(after));
  return next ? v1::FormatRfc3339(*next) : "none";
}

TEST(CronTimeTest, EveryMinuteIsTheNextWholeMinute) {
  EXPECT_EQ(Next("* * * * *", "2026-12-02T08:15:00Z"), "2026-12-02T08:16:00Z");
  EXPECT_EQ(Next("* * * * *", "2026-12-02T08:15:59Z"), "2026-12-02T08:16:00Z");
}

TEST(CronTimeTest, FieldsStepsAndMacros) {
  EXPECT_EQ(Next("0 2 * * *", "2026-12-02T08:15:00Z"), "2026-12-03T02:00:00Z");
  EXPECT_EQ(Next("*/15 * * * *", "2026-12-02T08:15:00Z"), "2026-12-02T08:30:00Z");
  EXPECT_EQ(Next("@weekly", "2026-12-02T08:15:00Z"), "2026-12-06T00:00:00Z");  // a Sunday
  EXPECT_EQ(Next("@monthly", "2026-12-02T08:15:00Z"), "2027-01-01T00:00:00Z");
  EXPECT_EQ(Next("30 4 * * MON-FRI", "2026-12-04T05:00:00Z"), "2026-12-07T04:30:00Z");
}

TEST(CronTimeTest, BothDayFieldsRestrictedMeansEither) {
  // The 15th or any Monday: Monday 2026-12-07 comes before the 15th.
  EXPECT_EQ(Next("0 0 15 * 1", "2026-12-02T00:00:00Z"), "2026-12-07T00:00:00Z");
  // The 15th only, whatever the weekday (day of week unrestricted).
  EXPECT_EQ(Next("0 0 15 * *", "2026-12-02T00:00:00Z"), "2026-12-15T00:00:00Z");
  EXPECT_EQ(Next("0 0 29 2 *", "2026-12-02T00:00:00Z"), "2028-02-29T00:00:00Z");
}

TEST(CronTimeTest, AnImpossibleDateNeverComes) {
  EXPECT_EQ(Next("0 0 31 2 *", "2026-12-02T00:00:00Z"), "none");
}

TEST(CronTimeTest, LocalTimeInAZoneFollowsDaylightSavingTime) {
  const auto berlin = LoadTimeZone("Europe/Berlin");
  ASSERT_TRUE(berlin.has_value()) << berlin.error().message;
  // 02:00 in Berlin: 01:00 UTC in winter (CET), 00:00 UTC in summer (CEST).
  EXPECT_EQ(Next("0 2 * * *", "2026-12-02T08:00:00Z", *berlin), "2026-12-03T01:00:00Z");
  EXPECT_EQ(Next("0 2 * * *", "2026-07-01T08:00:00Z", *berlin), "2026-07-02T00:00:00Z");
  // 2027-03-28 has no 02:00 in Berlin (01:59 CET -> 03:00 CEST): the next is the 29th's.
  EXPECT_EQ(Next("30 2 * * *", "2027-03-27T12:00:00Z", *berlin), "2027-03-29T00:30:00Z");
  // Midnight just after the switch to summer time is not skipped.
  EXPECT_EQ(Next("0 0 29 3 *", "2027-03-27T12:00:00Z", *berlin), "2027-03-28T22:00:00Z");
  EXPECT_EQ(berlin->OffsetAt(At("2026-12-02T00:00:00Z")), std::chrono::hours(1));
}

TEST(CronTimeTest, AnUnknownZoneOrAPathIsRefused) {
  EXPECT_FALSE(LoadTimeZone("Mars/Olympus_Mons").has_value());
  EXPECT_FALSE(LoadTimeZone("../../etc/passwd").has_value());
  EXPECT_FALSE(LoadTimeZone("/etc/passwd").has_value());
  EXPECT_FALSE(ParseTzif("not a zone file").has_value());
}

}  // namespace
}  // namespace tenantdb::controllers::backup

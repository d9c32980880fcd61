#include "api/v1alpha1/cron.h"

#include <gtest/gtest.h>

namespace tenantdb::api::v1alpha1 {
namespace {

TEST(CronTest, ParsesFieldsListsRangesStepsAndNames) {
  const Expected<CronSchedule> s = ParseCronSchedule("*/15 0-6/3 1,15 JAN-mar mon-FRI");
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->minutes.count(), 4u);
  EXPECT_TRUE(s->minutes[0] && s->minutes[15] && s->minutes[30] && s->minutes[45]);
  EXPECT_EQ(s->hours.count(), 3u);
  EXPECT_TRUE(s->hours[0] && s->hours[3] && s->hours[6]);
  EXPECT_EQ(s->days_of_month.count(), 2u);
  EXPECT_TRUE(s->days_of_month[1] && s->days_of_month[15]);
  EXPECT_EQ(s->months.count(), 3u);
  EXPECT_TRUE(s->months[1] && s->months[2] && s->months[3]);
  EXPECT_EQ(s->days_of_week.count(), 5u);
  EXPECT_FALSE(s->days_of_week[0]);
  EXPECT_TRUE(s->days_of_week[1] && s->days_of_week[5]);
  EXPECT_TRUE(s->day_of_month_restricted);
  EXPECT_TRUE(s->day_of_week_restricted);
}

TEST(CronTest, StarsAreUnrestricted) {
  const Expected<CronSchedule> s = ParseCronSchedule("0 0 * * ?");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->days_of_month.count(), 31u);
  EXPECT_EQ(s->days_of_week.count(), 7u);
  EXPECT_FALSE(s->day_of_month_restricted);
  EXPECT_FALSE(s->day_of_week_restricted);
  // A stepped star is a restriction (robfig/cron).
  EXPECT_TRUE(ParseCronSchedule("0 0 */2 * *")->day_of_month_restricted);
}

TEST(CronTest, MacrosExpandToTheirFiveFieldForms) {
  EXPECT_EQ(*ParseCronSchedule("@hourly"), *ParseCronSchedule("0 * * * *"));
  EXPECT_EQ(*ParseCronSchedule("@daily"), *ParseCronSchedule("0 0 * * *"));
  EXPECT_EQ(*ParseCronSchedule("@weekly"), *ParseCronSchedule("0 0 * * 0"));
  EXPECT_EQ(*ParseCronSchedule("@monthly"), *ParseCronSchedule("0 0 1 * *"));
  EXPECT_EQ(*ParseCronSchedule("@yearly"), *ParseCronSchedule("0 0 1 1 *"));
}

TEST(CronTest, SingleValueWithStepRunsToTheEnd) {
  const Expected<CronSchedule> s = ParseCronSchedule("50/5 * * * *");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->minutes.count(), 2u);
  EXPECT_TRUE(s->minutes[50] && s->minutes[55]);
}

TEST(CronTest, FieldsAreSeparatedBySpaces) {
  EXPECT_TRUE(ParseCronSchedule("0  3 * *   *").has_value());
  EXPECT_FALSE(ParseCronSchedule("0\t3 * * *").has_value());
}

TEST(CronTest, RefusesBadSchedules) {
  for (const char* bad : {"", "* * * *", "60 * * * *", "* 24 * * *", "* * 32 * *", "* * * 0 *",
                          "* * * * 7", "*/0 * * * *", "5-1 * * * *", "a * * * *", "* * * FOO *",
                          "1,,2 * * * *", "@reboot", "-1 * * * *", "1-2-3 * * * *"}) {
    const Expected<CronSchedule> s = ParseCronSchedule(bad);
    ASSERT_FALSE(s.has_value()) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalid) << bad;
  }
}

}  // namespace
}  // namespace tenantdb::api::v1alpha1

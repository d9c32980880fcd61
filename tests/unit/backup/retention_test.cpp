#include "backup/retention.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tenantdb::backup {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

Seconds T(const std::string& rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(Seconds{});
}

// One backup per given time, named after it.
std::vector<Dated> At(const std::vector<std::string>& times) {
  std::vector<Dated> out;
  for (const std::string& t : times) {
    out.push_back(Dated{.name = t, .time = T(t)});
  }
  return out;
}

// Every day at 02:00 from 2026-01-01 for `days` days.
std::vector<Dated> Daily(int days) {
  std::vector<Dated> out;
  const Seconds start = T("2026-01-01T02:00:00Z");
  for (int i = 0; i < days; ++i) {
    const Seconds t = start + std::chrono::days{i};
    out.push_back(Dated{.name = Rfc3339(t), .time = t});
  }
  return out;
}

std::vector<std::string> Kept(const std::vector<Dated>& all, const Retention& r) {
  const auto pruned = SelectPruned(all, r);
  std::vector<std::string> kept;
  for (const Dated& d : all) {
    if (std::find(pruned.begin(), pruned.end(), d.name) == pruned.end()) {
      kept.push_back(d.name);
    }
  }
  return kept;
}

TEST(RetentionTest, NoRuleDeletesNothing) {
  EXPECT_THAT(SelectPruned(Daily(40), Retention{}), IsEmpty());
}

TEST(RetentionTest, KeepLastKeepsTheNewestNWhateverTheInputOrder) {
  auto all = At({"2026-03-02T00:00:00Z", "2026-03-05T00:00:00Z", "2026-03-01T00:00:00Z",
                 "2026-03-04T00:00:00Z", "2026-03-03T00:00:00Z"});
  EXPECT_THAT(SelectPruned(all, Retention{.keep_last = 2}),
              ElementsAre("2026-03-03T00:00:00Z", "2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z"));
}

TEST(RetentionTest, ThirtyDailyOfFortyKeepsTheLastThirtyDays) {
  const auto all = Daily(40);
  const auto kept = Kept(all, Retention{.keep_daily = 30});
  ASSERT_EQ(kept.size(), 30U);
  EXPECT_EQ(kept.front(), "2026-01-11T02:00:00Z");
  EXPECT_EQ(kept.back(), "2026-02-09T02:00:00Z");
}

TEST(RetentionTest, DailyKeepsTheNewestOfEachDay) {
  auto all = At({"2026-03-01T01:00:00Z", "2026-03-01T13:00:00Z", "2026-03-01T23:59:59Z",
                 "2026-03-02T00:00:00Z", "2026-03-02T12:00:00Z"});
  EXPECT_THAT(Kept(all, Retention{.keep_daily = 5}),
              ElementsAre("2026-03-01T23:59:59Z", "2026-03-02T12:00:00Z"));
}

TEST(RetentionTest, WeeklyBucketsRunMondayToSunday) {
  // 2026-03-01 is a Sunday, 2026-03-02 a Monday, 2026-03-08 a Sunday.
  auto all = At({"2026-02-28T10:00:00Z", "2026-03-01T10:00:00Z", "2026-03-02T10:00:00Z",
                 "2026-03-08T10:00:00Z", "2026-03-09T10:00:00Z"});
  EXPECT_THAT(Kept(all, Retention{.keep_weekly = 3}),
              ElementsAre("2026-03-01T10:00:00Z", "2026-03-08T10:00:00Z", "2026-03-09T10:00:00Z"));
}

TEST(RetentionTest, GrandfatherFatherSonIsTheUnionOfTheRules) {
  // A year of daily backups: 7 daily, 4 weekly, 6 monthly.
  const auto all = Daily(365);  // 2026-01-01 .. 2026-12-31
  const auto kept = Kept(all, Retention{.keep_daily = 7, .keep_weekly = 4, .keep_monthly = 6});
  std::vector<std::string> expected = {
      // monthly: the last backup of Jul..Nov (December's is the newest, kept as daily)
      "2026-07-31T02:00:00Z", "2026-08-31T02:00:00Z", "2026-09-30T02:00:00Z",
      "2026-10-31T02:00:00Z", "2026-11-30T02:00:00Z",
      // weekly: the current week's newest (2026-12-31, Thursday) and the Sundays of the three
      // weeks before it
      "2026-12-13T02:00:00Z", "2026-12-20T02:00:00Z",
      // daily: the last 7 days (2026-12-27 is also the Sunday of its week)
      "2026-12-25T02:00:00Z", "2026-12-26T02:00:00Z", "2026-12-27T02:00:00Z",
      "2026-12-28T02:00:00Z", "2026-12-29T02:00:00Z", "2026-12-30T02:00:00Z",
      "2026-12-31T02:00:00Z"};
  EXPECT_THAT(kept, UnorderedElementsAreArray(expected));
}

TEST(RetentionTest, TheNewestIsAlwaysKept) {
  const auto all = Daily(5);
  EXPECT_THAT(Kept(all, Retention{.keep_last = 0}), ElementsAre("2026-01-05T02:00:00Z"));
  EXPECT_THAT(
      Kept(all, Retention{.keep_last = 0, .keep_daily = 0, .keep_weekly = 0, .keep_monthly = 0}),
      ElementsAre("2026-01-05T02:00:00Z"));
}

TEST(RetentionTest, EmptyInputPrunesNothing) {
  EXPECT_THAT(SelectPruned({}, Retention{.keep_last = 1}), IsEmpty());
}

}  // namespace
}  // namespace tenantdb::backup

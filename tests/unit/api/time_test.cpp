#include "api/v1alpha1/time.h"

#include <gtest/gtest.h>

namespace tenantdb::api::v1alpha1 {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

Timestamp At(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{mo} /
                               std::chrono::day{d}} +
         hours{h} + minutes{mi} + seconds{s};
}

TEST(TimeTest, FormatsRfc3339InUtcWithZ) {
  EXPECT_EQ(FormatRfc3339(At(2026, 1, 2, 3, 4, 5)), "2026-01-02T03:04:05Z");
  EXPECT_EQ(FormatRfc3339(Timestamp{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(At(1999, 12, 31, 23, 59, 59)), "1999-12-31T23:59:59Z");
}

TEST(TimeTest, ParsesWhatItFormats) {
  const Timestamp t = At(2026, 1, 2, 3, 4, 5);
  const Expected<Timestamp> parsed = ParseRfc3339(FormatRfc3339(t));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, t);
}

TEST(TimeTest, ParsesOffsetsFractionsAndLowerCase) {
  EXPECT_EQ(*ParseRfc3339("2026-01-02T05:04:05+02:00"), At(2026, 1, 2, 3, 4, 5));
  EXPECT_EQ(*ParseRfc3339("2026-01-01T23:34:05-03:30"), At(2026, 1, 2, 3, 4, 5));
  EXPECT_EQ(*ParseRfc3339("2026-01-02T03:04:05.999999Z"), At(2026, 1, 2, 3, 4, 5));
  EXPECT_EQ(*ParseRfc3339("2026-01-02t03:04:05z"), At(2026, 1, 2, 3, 4, 5));
}

TEST(TimeTest, RefusesMalformedDates) {
  for (const char* bad :
       {"", "2026-01-02", "2026-01-02T03:04:05", "2026-02-30T00:00:00Z", "2026-01-02T24:00:00Z",
        "2026-01-02T03:04:05+0200", "2026-01-02 03:04:05Z", "2026-01-02T03:04:05Zjunk", "tomorrow",
        "2026-01-02T03:04:05.Z"}) {
    const Expected<Timestamp> parsed = ParseRfc3339(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalid) << bad;
  }
}

TEST(TimeTest, ToTimestampDropsSubSeconds) {
  const auto t =
      std::chrono::system_clock::time_point{} + seconds{10} + std::chrono::milliseconds{999};
  EXPECT_EQ(ToTimestamp(t), Timestamp{} + seconds{10});
}

TEST(TimeTest, ParsesGoDurations) {
  EXPECT_EQ(*ParseGoDuration("720h"), hours{720});
  EXPECT_EQ(*ParseGoDuration("1h30m"), minutes{90});
  EXPECT_EQ(*ParseGoDuration("90m"), minutes{90});
  EXPECT_EQ(*ParseGoDuration("3600s"), hours{1});
  EXPECT_EQ(*ParseGoDuration("1h1m1s"), seconds{3661});
}

TEST(TimeTest, RefusesDurationsOutsideThePattern) {
  for (const char* bad :
       {"", "1d", "h", "1", "1.5h", "-1h", "1ms", "1h ", "99999999999999999999h"}) {
    const Expected<std::chrono::seconds> parsed = ParseGoDuration(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalid) << bad;
  }
}

}  // namespace
}  // namespace tenantdb::api::v1alpha1

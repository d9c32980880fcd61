#include "common/logging.h"

#include <gtest/gtest.h>

namespace tenantdb {
namespace {

TEST(RedactTest, ReplacesEveryOccurrence) {
  EXPECT_EQ(Redact("password=s3cr3t and again s3cr3t", "s3cr3t"),
            "password=[REDACTED] and again [REDACTED]");
  EXPECT_EQ(Redact("nothing here", ""), "nothing here");
}

TEST(JsonEscapeTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(JsonEscape("a\"b\\c\nd\x01"), "a\\\"b\\\\c\\nd\\u0001");
}

TEST(InitLoggingTest, RejectsUnknownLevel) {
  EXPECT_TRUE(InitLogging(LogFormat::kText, "info"));
  EXPECT_FALSE(InitLogging(LogFormat::kText, "loud"));
}

}  // namespace
}  // namespace tenantdb

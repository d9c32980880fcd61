#include "common/logging.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

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

TEST(InitLoggingTest, JsonLinesStayValidWhateverTheMessageHolds) {
  ASSERT_TRUE(InitLogging(LogFormat::kJson, "info"));
  testing::internal::CaptureStderr();
  const std::string hostile = "ERROR:  role \"x\" \\ does not exist\n\tat line 1 \x01";
  spdlog::info("SQL action failed error={}", hostile);
  spdlog::default_logger()->flush();
  const std::string line = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(InitLogging(LogFormat::kText, "info"));
  ASSERT_FALSE(line.empty());
  const auto parsed = nlohmann::json::parse(line.substr(0, line.find_last_not_of('\n') + 1));
  EXPECT_EQ(parsed.at("msg").get<std::string>(), "SQL action failed error=" + hostile);
  EXPECT_EQ(parsed.at("level"), "info");
}

}  // namespace
}  // namespace tenantdb

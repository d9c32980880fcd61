#include "common/expected.h"

#include <gtest/gtest.h>

#include <string>

namespace tenantdb {
namespace {

Expected<int> Parse(const std::string& s) {
  if (s.empty()) {
    return Error::Invalid("empty input");
  }
  return std::stoi(s);
}

Expected<int> Doubled(const std::string& s) {
  TENANTDB_TRY(const int v, Parse(s));
  return v * 2;
}

Expected<void> Check(const std::string& s) {
  TENANTDB_TRY_VOID(Parse(s));
  return {};
}

TEST(ExpectedTest, ValueAndError) {
  const Expected<int> ok = Doubled("21");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 42);
  const Expected<int> bad = Doubled("");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_TRUE(bad.error().terminal);
  EXPECT_EQ(bad.error().reason, "InvalidSpec");
}

TEST(ExpectedTest, VoidPropagatesError) {
  EXPECT_TRUE(Check("1").has_value());
  const Expected<void> bad = Check("");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "empty input");
}

TEST(ErrorTest, TransientIsRetriedAndNamed) {
  const Error e = Error::Transient("connection refused");
  EXPECT_FALSE(e.terminal);
  EXPECT_EQ(e.reason, "ServerUnreachable");
  EXPECT_EQ(ErrorCodeName(e.code), "Transient");
}

}  // namespace
}  // namespace tenantdb

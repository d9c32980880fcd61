#include "migrate/version.h"

#include <gtest/gtest.h>

#include <string>

namespace tenantdb::migrate {
namespace {

Version V(const std::string& s) {
  auto v = Version::Parse(s);
  EXPECT_TRUE(v.has_value()) << s;
  return v.has_value() ? *v : *Version::Parse("0");
}

TEST(VersionTest, ComparesPartByPartNumerically) {
  EXPECT_LT(V("1.9"), V("1.10"));
  EXPECT_LT(V("1"), V("1.1"));
  EXPECT_LT(V("2"), V("10"));
  EXPECT_LT(V("2026.11.22.1"), V("2026.11.22.2"));
  EXPECT_LT(V("99999999999999999999999"), V("100000000000000000000000"));  // past 64 bits
}

TEST(VersionTest, UnderscoreLeadingAndTrailingZerosAreTheSameVersion) {
  EXPECT_EQ(V("1_2"), V("1.2"));
  EXPECT_EQ(V("001"), V("1"));
  EXPECT_EQ(V("1.0"), V("1"));
  EXPECT_EQ(V("1.0.0"), V("1"));
  EXPECT_EQ(V("1.01"), V("1.1"));
}

TEST(VersionTest, TextIsWhatFlywayStores) {
  EXPECT_EQ(V("1_2").Text(), "1.2");
  EXPECT_EQ(V("001").Text(), "001");
  EXPECT_EQ(V("2026.11.22.1").Text(), "2026.11.22.1");
}

TEST(VersionTest, RefusesWhatIsNoVersion) {
  for (const char* bad : {"", "1.", ".1", "1..2", "a", "1a", "-1", "+1", "1 2", "v1"}) {
    auto v = Version::Parse(bad);
    ASSERT_FALSE(v.has_value()) << bad;
    EXPECT_EQ(v.error().code, ErrorCode::kInvalid);
    EXPECT_NE(v.error().message.find(std::string("'") + bad + "'"), std::string::npos)
        << v.error().message;
  }
}

}  // namespace
}  // namespace tenantdb::migrate

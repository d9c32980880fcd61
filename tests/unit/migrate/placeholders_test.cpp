#include "migrate/placeholders.h"

#include <gtest/gtest.h>

namespace tenantdb::migrate {
namespace {

TEST(ReplacePlaceholdersTest, ReplacesEverywhereIgnoringCase) {
  auto out =
      ReplacePlaceholders("CREATE TABLE ${Schema}.t (v text DEFAULT '${owner}'); -- ${owner}\n",
                          {{"schema", "app"}, {"OWNER", "ünï"}}, "V1__a.sql");
  ASSERT_TRUE(out.has_value()) << out.error().message;
  EXPECT_EQ(*out, "CREATE TABLE app.t (v text DEFAULT 'ünï'); -- ünï\n");
}

TEST(ReplacePlaceholdersTest, UnknownPlaceholderIsAnErrorNamingItTheFileAndTheLine) {
  auto out =
      ReplacePlaceholders("SELECT 1;\nSELECT '${missing}';\n", {{"other", "x"}}, "V2__b.sql");
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code, ErrorCode::kInvalid);
  EXPECT_NE(out.error().message.find("${missing}"), std::string::npos) << out.error().message;
  EXPECT_NE(out.error().message.find("V2__b.sql line 2"), std::string::npos) << out.error().message;
}

TEST(ReplacePlaceholdersTest, UnterminatedAndAbsent) {
  EXPECT_FALSE(ReplacePlaceholders("SELECT '${x';", {{"x", "1"}}, "V1__a.sql").has_value());
  auto plain = ReplacePlaceholders("SELECT $1, $$body$$, '$';", {}, "V1__a.sql");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(*plain, "SELECT $1, $$body$$, '$';");
}

}  // namespace
}  // namespace tenantdb::migrate

#include "migrate/splitter.h"

#include <gtest/gtest.h>

namespace tenantdb::migrate {
namespace {

std::vector<std::string> Texts(const std::vector<ScriptStatement>& s) {
  std::vector<std::string> out;
  for (const auto& x : s) {
    out.push_back(x.text);
  }
  return out;
}

TEST(SplitStatementsTest, SemicolonsInsideQuotesCommentsAndBodiesDoNotSplit) {
  const std::string script =
      "-- a comment; not a statement\n"
      "CREATE TABLE t (a text DEFAULT 'x;y', \"b;c\" int);\n"
      "/* block; /* nested; */ still; */\n"
      "INSERT INTO t VALUES (E'it\\'s;', 1);\n"
      "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END $body$;\n"
      "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n"
      "CREATE FUNCTION h(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN "
      "1 "
      "ELSE 0 END; SELECT 2; END;\n"
      "SELECT $1;\n"
      "  ;\n"
      "SELECT 'last'";
  const auto got = SplitStatements(script);
  EXPECT_EQ(
      Texts(got),
      (std::vector<std::string>{
          "CREATE TABLE t (a text DEFAULT 'x;y', \"b;c\" int)",
          "INSERT INTO t VALUES (E'it\\'s;', 1)",
          "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END $body$",
          "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$",
          "CREATE FUNCTION h(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > 0 "
          "THEN 1 ELSE 0 END; SELECT 2; END",
          "SELECT $1", "SELECT 'last'"}));
  ASSERT_EQ(got.size(), 7U);
  EXPECT_EQ(got[0].line, 2);
  EXPECT_EQ(got[1].line, 4);
  EXPECT_EQ(got[6].line, 10);
}

TEST(SplitStatementsTest, BomCrlfAndOnlyComments) {
  const auto got =
      SplitStatements("\xEF\xBB\xBF-- tenantdb:no-transaction\r\nSELECT 1;\r\n-- end\r\n");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].text, "SELECT 1");
  EXPECT_EQ(got[0].line, 2);
  EXPECT_TRUE(SplitStatements("-- nothing\n/* at all */\n").empty());
}

TEST(LineOfPositionTest, CountsCharactersNotBytes) {
  const ScriptStatement s{.text = "SELECT 'ü',\n  nope", .line = 5};
  EXPECT_EQ(LineOfPosition(s, 1), 5);
  EXPECT_EQ(LineOfPosition(s, 15), 6);  // the 'n' of nope, after a two-byte character
}

}  // namespace
}  // namespace tenantdb::migrate

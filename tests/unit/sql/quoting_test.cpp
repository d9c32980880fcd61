#include "sql/quoting.h"

#include <gtest/gtest.h>

#include <string>

namespace tenantdb::sql {
namespace {

struct Case {
  std::string input;
  std::string expected;
};

TEST(QuoteIdentTest, AlwaysDoubleQuotesAndDoublesEmbeddedQuotes) {
  const Case cases[] = {
      {"app", "\"app\""},
      {"App", "\"App\""},
      {"", "\"\""},
      {"a\"b", "\"a\"\"b\""},
      {"\"", "\"\"\"\""},
      {"x\"; DROP TABLE t; --", "\"x\"\"; DROP TABLE t; --\""},
      {"it's", "\"it's\""},
      {"back\\slash", "\"back\\slash\""},
      {"ünïcødé 🐘", "\"ünïcødé 🐘\""},
      {"with space", "\"with space\""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(QuoteIdent(c.input), c.expected) << c.input;
  }
}

TEST(QuoteIdentTest, DropsNulBytes) { EXPECT_EQ(QuoteIdent(std::string("a\0b", 3)), "\"ab\""); }

TEST(QuoteLiteralTest, BehavesLikePostgresQuoteLiteral) {
  const Case cases[] = {
      {"", "''"},
      {"abc", "'abc'"},
      {"it's", "'it''s'"},
      {"''", "''''''"},
      {"a\\b", "E'a\\\\b'"},
      {"\\'", "E'\\\\'''"},
      {"'; DROP ROLE x; --", "'''; DROP ROLE x; --'"},
      {"$$", "'$$'"},
      {"ünïcødé 🐘", "'ünïcødé 🐘'"},
      {"\"quoted\"", "'\"quoted\"'"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(QuoteLiteral(c.input), c.expected) << c.input;
  }
}

TEST(QuoteLiteralTest, DropsNulBytes) {
  EXPECT_EQ(QuoteLiteral(std::string("a\0'b", 4)), "'a''b'");
}

}  // namespace
}  // namespace tenantdb::sql

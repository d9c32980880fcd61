// Flyway's checksum: the expected values were computed with java.util.zip.CRC32 over the lines
// java.io.BufferedReader#readLine() returns (BOM dropped from the first), as Flyway's
// ChecksumCalculator reads a script, so they are Java's numbers, not this code's.
#include "migrate/checksum.h"

#include <gtest/gtest.h>

#include <string>

namespace tenantdb::migrate {
namespace {

TEST(FlywayChecksumTest, MatchesJavaOverLinesWithoutTerminators) {
  const struct {
    std::string content;
    std::int32_t expected;
  } cases[] = {
      {"", 0},
      {"SELECT 1;", 78787420},
      {"SELECT 1;\n", 78787420},
      {"SELECT 1;\r\n", 78787420},  // CRLF: the same checksum as LF
      {"a\nb", -1635563411},
      {"a\r\nb\r\n", -1635563411},
      {"a\rb", -1635563411},                  // a lone CR ends a line for readLine() too
      {"\xEF\xBB\xBFSELECT 1;\n", 78787420},  // the BOM does not count
      {"CREATE TABLE t (v text DEFAULT '\xC3\xBCn\xC3\xAF\x63\xC3\xB8\x64\xC3\xA9 "
       "\xF0\x9F\x90\x98');\n",
       -1696893852},  // non-ASCII, checksummed as UTF-8
      {"\n\n\n", 0},
      {"x\r\r\ny", -1880741735},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FlywayChecksum(c.content), c.expected) << c.content;
  }
}

TEST(FlywayChecksumTest, ABomOnlyAtTheStartIsDropped) {
  EXPECT_NE(FlywayChecksum("SELECT 1;\n\xEF\xBB\xBF"), FlywayChecksum("SELECT 1;\n"));
}

TEST(Crc32Test, KnownVector) { EXPECT_EQ(Crc32("123456789"), 0xCBF43926U); }

TEST(FlywayLockKeyTest, JavaHashOfTheQuotedTableAddedToFlywaysMagicNumber) {
  // String#hashCode() of "\"public\".\"flyway_schema_history\"" in Java is 2125624436.
  EXPECT_EQ(JavaStringHash("\"public\".\"flyway_schema_history\""), 2125624436);
  // Over UTF-16 code units, a character outside the BMP counting as two.
  EXPECT_EQ(JavaStringHash("\"\xC3\xBCn\xC3\xAF\".\"t\xF0\x9F\x90\x98\""), 1236842542);
  EXPECT_EQ(FlywayLockKey("\"public\".\"flyway_schema_history\""), 0x466C79776179LL + 2125624436LL);
}

}  // namespace
}  // namespace tenantdb::migrate

#include "backup/naming.h"

#include <gtest/gtest.h>

#include <string>

#include "backup/manifest.h"
#include "backup/summary.h"
#include "backup/tools.h"

namespace tenantdb::backup {
namespace {

Seconds T(const std::string& s) { return ParseRfc3339(s).value_or(Seconds{}); }

TEST(BackupNamingTest, NamesCarryDatabaseTimeAndFormat) {
  const Seconds t = T("2026-12-02T02:00:00Z");
  EXPECT_EQ(BackupName("users", t, Format::kCustom, 6), "users-20261202T020000Z.dump");
  EXPECT_EQ(BackupName("users", t, Format::kPlain, 0), "users-20261202T020000Z.sql");
  EXPECT_EQ(BackupName("users", t, Format::kPlain, 9), "users-20261202T020000Z.sql.gz");
  EXPECT_EQ(BackupName("users", t, Format::kDirectory, 6), "users-20261202T020000Z.dir");
  EXPECT_EQ(ManifestName("users-20261202T020000Z.dump"),
            "users-20261202T020000Z.dump.manifest.json");
  EXPECT_EQ(PartialName("users-20261202T020000Z.dump"), ".users-20261202T020000Z.dump.partial");
}

TEST(BackupNamingTest, ParsesItsOwnNamesBackEvenWithDashesAndUnicode) {
  const Seconds t = T("2026-02-28T23:59:59Z");
  for (const std::string db : {"users", "open-gate-iam", "можно", "a-20261202T020000Z"}) {
    for (Format f : {Format::kCustom, Format::kPlain, Format::kDirectory}) {
      const std::string name = BackupName(db, t, f, 9);
      auto parsed = ParseBackupName(name);
      ASSERT_TRUE(parsed.has_value()) << name;
      EXPECT_EQ(parsed->database, db);
      EXPECT_EQ(parsed->time, t);
      EXPECT_EQ(parsed->extension, Extension(f, 9));
    }
  }
}

TEST(BackupNamingTest, RefusesNamesThatAreNotOurs) {
  for (const char* bad :
       {"users_2026-12-02.sql.gz", "users-20261202T020000Z.tar", "users-20261302T020000Z.dump",
        "users-20261202T250000Z.dump", "-20261202T020000Z", "users20261202T020000Z.dump",
        "users-20261202T020000.dump", "users-2026120xT020000Z.sql", ".dump"}) {
    EXPECT_FALSE(ParseBackupName(bad).has_value()) << bad;
  }
}

TEST(BackupNamingTest, DatabaseNamesCannotLeaveOrHideInTheDirectory) {
  EXPECT_EQ(FileSafe("../etc/x"), "_._etc_x");
  EXPECT_EQ(FileSafe(".hidden"), "_hidden");
  EXPECT_EQ(FileSafe("plain"), "plain");
}

TEST(BackupNamingTest, LeftoversAreOnlyPartialsOfOurNames) {
  EXPECT_EQ(LeftoverOf(".users-20261202T020000Z.dump.partial"), "users-20261202T020000Z.dump");
  EXPECT_EQ(LeftoverOf(".users-20261202T020000Z.dir.manifest.json.partial"),
            "users-20261202T020000Z.dir");
  EXPECT_FALSE(LeftoverOf("users-20261202T020000Z.dump.partial").has_value());
  EXPECT_FALSE(LeftoverOf(".something.partial").has_value());
  EXPECT_FALSE(LeftoverOf(".users-20261202T020000Z.dump").has_value());
  EXPECT_FALSE(LeftoverOf(".tenantdb-backup.lock").has_value());
}

TEST(BackupNamingTest, TimesRoundTripAndRejectOtherShapes) {
  EXPECT_EQ(Rfc3339(T("2024-02-29T12:34:56Z")), "2024-02-29T12:34:56Z");
  EXPECT_EQ(CompactTime(T("2024-02-29T12:34:56Z")), "20240229T123456Z");
  EXPECT_FALSE(ParseRfc3339("2026-02-29T00:00:00Z").has_value());  // not a leap year
  EXPECT_FALSE(ParseRfc3339("2026-12-02T02:00:00+01:00").has_value());
  EXPECT_FALSE(ParseRfc3339("2026-12-02 02:00:00Z").has_value());
}

Manifest Sample() {
  return Manifest{.database = "можно",
                  .time = "2026-12-02T02:00:00Z",
                  .format = "custom",
                  .compression = 9,
                  .size_bytes = 123456789012,
                  .sha256 = std::string(64, 'a'),
                  .pg_dump_version = "18.1",
                  .server_version = "17.6",
                  .tenantdb_version = "0.1.0",
                  .reason = "scheduled"};
}

TEST(BackupManifestTest, RoundTripsWithTheContractsFieldNames) {
  const std::string json = ToJson(Sample());
  for (const char* key : {"\"tenantdb\": \"backup/v1\"", "\"database\"", "\"time\"", "\"format\"",
                          "\"compression\"", "\"sizeBytes\"", "\"sha256\"", "\"pgDumpVersion\"",
                          "\"serverVersion\"", "\"tenantdbVersion\"", "\"reason\""}) {
    EXPECT_NE(json.find(key), std::string::npos) << key;
  }
  auto parsed = ParseManifest(json);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, Sample());
}

TEST(BackupManifestTest, RefusesWhatIsNotAManifestOfOurs) {
  for (const char* bad :
       {"", "[]", "{}", "{\"tenantdb\":\"backup/v2\"}", "not json",
        "{\"tenantdb\":\"backup/v1\",\"database\":\"d\",\"time\":\"yesterday\",\"format\":"
        "\"custom\",\"sha256\":"
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
        "{\"tenantdb\":\"backup/v1\",\"database\":\"d\",\"time\":\"2026-12-02T02:00:00Z\","
        "\"format\":\"tar\",\"sha256\":"
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
        "{\"tenantdb\":\"backup/v1\",\"database\":\"d\",\"time\":\"2026-12-02T02:00:00Z\","
        "\"format\":\"custom\",\"sha256\":\"abc\"}"}) {
    EXPECT_FALSE(ParseManifest(bad).has_value()) << bad;
  }
}

TEST(BackupToolsTest, ReadsPgDumpAndServerVersions) {
  auto v = ParseToolVersion("pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\n");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->major, 15);
  EXPECT_EQ(v->minor, 14);
  EXPECT_EQ(ParseToolVersion("psql (PostgreSQL) 18beta1")->major, 18);
  EXPECT_EQ(ParseToolVersion("pg_restore (PostgreSQL) 18.1")->Text(), "18.1");
  EXPECT_FALSE(ParseToolVersion("pg_dump 15.4").has_value());
  EXPECT_EQ(FromVersionNum(150014).Text(), "15.14");
  EXPECT_EQ(FromVersionNum(180001).Text(), "18.1");
}

TEST(BackupToolsTest, TheDatabaseStaysOneConninfoValue) {
  EXPECT_EQ(DbnameConninfo("shop"), "dbname='shop'");
  EXPECT_EQ(DbnameConninfo("host=evil dbname=x"), "dbname='host=evil dbname=x'");
  EXPECT_EQ(DbnameConninfo("o'brien\\"), "dbname='o\\'brien\\\\'");
}

TEST(BackupSummaryTest, SuccessStaysUnder4096BytesWithThousandsPruned) {
  BackupResult r{.name = "users-20261202T020000Z.dump",
                 .time = "2026-12-02T02:00:00Z",
                 .size_bytes = 42,
                 .sha256 = std::string(64, 'f'),
                 .format = "custom",
                 .pruned = {}};
  for (int i = 0; i < 5000; ++i) {
    r.pruned.push_back("a-very-long-database-name-" + std::to_string(i) + "-20261202T020000Z.dump");
  }
  const std::string json = SuccessJson(r);
  EXPECT_LT(json.size(), kSummaryLimit);
  EXPECT_NE(json.find("\"prunedCount\":5000"), std::string::npos);
  EXPECT_NE(json.find("\"name\":\"users-20261202T020000Z.dump\""), std::string::npos);
  EXPECT_NE(json.find("\"success\":true"), std::string::npos);
  r.pruned = {"b"};
  EXPECT_NE(SuccessJson(r).find("\"pruned\":[\"b\"]"), std::string::npos);
}

TEST(BackupSummaryTest, FailureStaysUnder4096BytesWhateverTheMessage) {
  for (const std::string& message :
       {std::string(100000, 'x'), std::string(100000, '"'), std::string(50000, '\x01'),
        std::string(30000, '\xff'), std::string("ошибка ") + std::string(3000, 'z')}) {
    const std::string json = FailureJson(Error::Transient(message, kReasonPgDumpFailed));
    EXPECT_LT(json.size(), kSummaryLimit);
    EXPECT_NE(json.find("\"reason\":\"PgDumpFailed\""), std::string::npos);
    EXPECT_NE(json.find("\"success\":false"), std::string::npos);
  }
}

}  // namespace
}  // namespace tenantdb::backup

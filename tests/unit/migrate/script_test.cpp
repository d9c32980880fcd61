#include "migrate/script.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace tenantdb::migrate {
namespace {

TEST(ParseScriptNameTest, VersionedAndRepeatable) {
  auto v = ParseScriptName("V1.2__add_users_table.sql");
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->version->Text(), "1.2");
  EXPECT_EQ(v->description, "add users table");  // underscores as spaces, as Flyway stores it

  auto u = ParseScriptName("V1_2__x.SQL");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->version->Text(), "1.2");

  auto r = ParseScriptName("R__refresh_views.sql");
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->version.has_value());
  EXPECT_EQ(r->description, "refresh views");

  auto d = ParseScriptName("V2026.11.22.1__a__b.sql");  // the first __ separates
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->version->Text(), "2026.11.22.1");
  EXPECT_EQ(d->description, "a  b");
}

TEST(ParseScriptNameTest, RefusesOtherNamesNamingThem) {
  for (const char* bad : {"README.md", "V1_add.sql", "v1__lower.sql", "V__nover.sql",
                          "R1__versioned_repeatable.sql", "Vx__bad_version.sql", "V1__x.sql.bak",
                          "U1__undo.sql", "beforeMigrate.sql", "R__.sql", "V1.__x.sql"}) {
    auto n = ParseScriptName(bad);
    ASSERT_FALSE(n.has_value()) << bad;
    EXPECT_EQ(n.error().code, ErrorCode::kInvalid);
    EXPECT_NE(n.error().message.find(std::string("'") + bad + "'"), std::string::npos)
        << n.error().message;
  }
}

Script Make(const std::string& name, const std::string& content = "SELECT 1;\n") {
  auto s = MakeScript(name, content);
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return s.has_value() ? *s : Script{};
}

TEST(SortAndCheckTest, VersionOrderThenRepeatablesByDescription) {
  auto sorted = SortAndCheck({Make("R__b.sql"), Make("V1.10__c.sql"), Make("R__a.sql"),
                              Make("V1.9__b.sql"), Make("V2__d.sql"), Make("V1__a.sql")});
  ASSERT_TRUE(sorted.has_value()) << sorted.error().message;
  std::vector<std::string> names;
  for (const Script& s : *sorted) {
    names.push_back(s.file_name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"V1__a.sql", "V1.9__b.sql", "V1.10__c.sql",
                                             "V2__d.sql", "R__a.sql", "R__b.sql"}));
}

TEST(SortAndCheckTest, DuplicateVersionsAreRefusedNamingBothFiles) {
  auto dup = SortAndCheck({Make("V1__a.sql"), Make("V1.0__b.sql")});
  ASSERT_FALSE(dup.has_value());
  EXPECT_NE(dup.error().message.find("V1__a.sql"), std::string::npos) << dup.error().message;
  EXPECT_NE(dup.error().message.find("V1.0__b.sql"), std::string::npos) << dup.error().message;

  auto zero = SortAndCheck({Make("V001__a.sql"), Make("V1__b.sql")});
  ASSERT_FALSE(zero.has_value());

  auto rep = SortAndCheck({Make("R__same.sql"), Make("R__same.SQL")});
  ASSERT_FALSE(rep.has_value());
  EXPECT_NE(rep.error().message.find("R__same.SQL"), std::string::npos);
}

TEST(MakeScriptTest, NoTransactionMarkerOnTheFirstLine) {
  EXPECT_FALSE(
      Make("V1__a.sql", "-- tenantdb:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n")
          .in_transaction);
  EXPECT_FALSE(
      Make("V1__a.sql", "\xEF\xBB\xBF-- tenantdb:no-transaction\r\nSELECT 1;").in_transaction);
  EXPECT_TRUE(Make("V1__a.sql", "SELECT 1;\n-- tenantdb:no-transaction\n").in_transaction);
}

TEST(MakeScriptTest, RefusesNonUtf8) {
  auto s = MakeScript("V1__latin1.sql", "SELECT 'caf\xE9';\n");
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("V1__latin1.sql"), std::string::npos);
}

TEST(ScanDirectoryTest, SkipsHiddenEntriesAndRefusesEveryBadName) {
  const std::string dir = "/tmp/tenantdb_scan_test_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir + "/..data");  // a mounted ConfigMap's own entries
  std::ofstream(dir + "/V1__a.sql") << "SELECT 1;\n";
  std::ofstream(dir + "/R__r.sql") << "SELECT 2;\n";
  auto ok = ScanDirectory(dir);
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(ok->size(), 2U);

  std::ofstream(dir + "/notes.txt") << "x";
  std::ofstream(dir + "/V2_missing_separator.sql") << "x";
  auto bad = ScanDirectory(dir);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("'notes.txt'"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("'V2_missing_separator.sql'"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tenantdb::migrate

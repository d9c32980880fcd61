// The migration engine (`tenantdb migrate`) against the real PostgreSQL of scripts/testenv, as
// the operator's non-superuser admin role, each test in a database of its own: version order,
// repeatables, validation, a failed migration (rolled back, failed row, repair), no-transaction
// files, baseline, out-of-order, two concurrent runs, a 2 MiB file, bad file names and the
// JSON summary. A missing server is a failure, never a skip.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "migrate/command.h"
#include "migrate/engine.h"
#include "migrate/pq_session.h"
#include "migrate/report.h"
#include "sql/connection.h"

namespace tenantdb::migrate {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    ADD_FAILURE() << name << " is not set: run under scripts/testenv (a missing server fails)";
    return "";
  }
  return v;
}

sql::ConnectionParams Params(const std::string& dbname) {
  sql::ConnectionParams p;
  p.host = Env("PGHOST");
  p.port = std::atoi(Env("PGPORT").c_str());
  p.user = Env("TENANTDB_PG_ADMIN_USER");
  p.password = Env("TENANTDB_PG_ADMIN_PASSWORD");
  p.dbname = dbname;
  p.sslmode = "disable";
  return p;
}

std::unique_ptr<Session> Connect(const std::string& dbname) {
  PqConnector connector;
  auto s = connector.Connect(FromConnectionParams(Params(dbname)));
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return s.has_value() ? std::move(*s) : nullptr;
}

Script Make(const std::string& name, const std::string& content) {
  auto s = MakeScript(name, content);
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return s.has_value() ? *s : Script{};
}

std::vector<Script> Files(std::vector<Script> s) {
  auto sorted = SortAndCheck(std::move(s));
  EXPECT_TRUE(sorted.has_value()) << sorted.error().message;
  return sorted.has_value() ? *sorted : std::vector<Script>{};
}

// A database of the test's own, dropped at the end.
class MigratePgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    db_ = "mig_" + std::to_string(::getpid()) + "_" + info->name();
    std::transform(db_.begin(), db_.end(), db_.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    db_ = db_.substr(0, 60);
    admin_ = Connect("postgres");
    ASSERT_NE(admin_, nullptr);
    ASSERT_TRUE(admin_->Query({.text = "DROP DATABASE IF EXISTS \"" + db_ + "\" WITH (FORCE)"}));
    auto created = admin_->Query({.text = "CREATE DATABASE \"" + db_ + "\""});
    ASSERT_TRUE(created.has_value()) << created.error().message;
    session_ = Connect(db_);
    ASSERT_NE(session_, nullptr);
  }
  void TearDown() override {
    session_.reset();
    if (admin_) {
      admin_->Query({.text = "DROP DATABASE IF EXISTS \"" + db_ + "\" WITH (FORCE)"}).IgnoreError();
    }
  }

  Result Migrate(const std::vector<Script>& files, const Options& options = {}) {
    Engine engine(*session_, options, log_);
    return engine.Migrate(files);
  }

  // The rows of a one-column query, NULL as "NULL".
  std::vector<std::string> Column(const std::string& query) {
    auto rows = session_->Query({.text = query});
    EXPECT_TRUE(rows.has_value()) << query << ": " << rows.error().message;
    std::vector<std::string> out;
    for (const auto& r : rows.has_value() ? *rows : sql::Rows{}) {
      out.push_back(r.empty() || !r[0] ? "NULL" : *r[0]);
    }
    return out;
  }
  std::string One(const std::string& query) {
    const auto c = Column(query);
    return c.empty() ? "<no row>" : c[0];
  }

  std::string db_;
  std::unique_ptr<Session> admin_;
  std::unique_ptr<Session> session_;
  std::ostringstream log_;
};

TEST_F(MigratePgTest, AppliesVersionsInNumericOrderIntoFlywaysHistoryTable) {
  const auto files = Files({
      Make("V1__create_log.sql", "CREATE TABLE log (v text);\nINSERT INTO log VALUES ('1');\n"),
      Make("V1.10__ten.sql", "INSERT INTO log VALUES ('1.10');"),
      Make("V1.9__nine.sql", "INSERT INTO log VALUES ('1.9');"),
      Make("V2__two.sql", "INSERT INTO log VALUES ('2');"),
  });
  const Result r = Migrate(files);
  ASSERT_TRUE(r.success) << HumanReport(r);
  EXPECT_EQ(r.applied.size(), 4U);
  EXPECT_EQ(r.current_version, "2");
  EXPECT_EQ(Column("SELECT v FROM log"), (std::vector<std::string>{"1", "1.9", "1.10", "2"}));
  EXPECT_EQ(Column("SELECT version || '|' || description || '|' || type || '|' || script || '|' "
                   "|| success FROM flyway_schema_history ORDER BY installed_rank"),
            (std::vector<std::string>{
                "1|create log|SQL|V1__create_log.sql|true", "1.9|nine|SQL|V1.9__nine.sql|true",
                "1.10|ten|SQL|V1.10__ten.sql|true", "2|two|SQL|V2__two.sql|true"}));
  EXPECT_EQ(Column("SELECT checksum FROM flyway_schema_history WHERE version = '2'"),
            (std::vector<std::string>{std::to_string(files[3].checksum)}));
  // Flyway's columns and types, its primary key and its index on success.
  EXPECT_EQ(Column("SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM "
                   "information_schema.columns WHERE table_name = 'flyway_schema_history' "
                   "ORDER BY ordinal_position"),
            (std::vector<std::string>{"installed_rank integer NO", "version character varying YES",
                                      "description character varying NO",
                                      "type character varying NO", "script character varying NO",
                                      "checksum integer YES", "installed_by character varying NO",
                                      "installed_on timestamp without time zone NO",
                                      "execution_time integer NO", "success boolean NO"}));
  EXPECT_EQ(Column("SELECT indexname FROM pg_indexes WHERE tablename = 'flyway_schema_history' "
                   "ORDER BY indexname"),
            (std::vector<std::string>{"flyway_schema_history_pk", "flyway_schema_history_s_idx"}));
  EXPECT_EQ(One("SELECT DISTINCT installed_by FROM flyway_schema_history"),
            Env("TENANTDB_PG_ADMIN_USER"));

  const Result again = Migrate(files);
  ASSERT_TRUE(again.success) << HumanReport(again);
  EXPECT_TRUE(again.applied.empty());
  EXPECT_EQ(One("SELECT count(*) FROM log"), "4");
}

TEST_F(MigratePgTest, RepeatableRerunsOnlyWhenItChanged) {
  const Script v1 = Make("V1__runs.sql", "CREATE TABLE runs (n int);");
  const Script r1 = Make("R__count.sql", "INSERT INTO runs VALUES (1);");
  ASSERT_TRUE(Migrate(Files({v1, r1})).success);
  ASSERT_TRUE(Migrate(Files({v1, r1})).success);
  EXPECT_EQ(One("SELECT count(*) FROM runs"), "1");
  const Result changed = Migrate(Files({v1, Make("R__count.sql", "INSERT INTO runs VALUES (2);")}));
  ASSERT_TRUE(changed.success) << HumanReport(changed);
  ASSERT_EQ(changed.applied.size(), 1U);
  EXPECT_EQ(changed.applied[0].file, "R__count.sql");
  EXPECT_EQ(Column("SELECT n FROM runs ORDER BY n"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(Column("SELECT coalesce(version, 'NULL') FROM flyway_schema_history ORDER BY "
                   "installed_rank"),
            (std::vector<std::string>{"1", "NULL", "NULL"}));
}

TEST_F(MigratePgTest, ChangedChecksumIsRefusedNamingTheFileAndNothingRuns) {
  ASSERT_TRUE(Migrate(Files({Make("V1__a.sql", "CREATE TABLE a (x int);")})).success);
  const Result r = Migrate(Files({Make("V1__a.sql", "CREATE TABLE a (x bigint);"),
                                  Make("V2__b.sql", "CREATE TABLE b (x int);")}));
  EXPECT_FALSE(r.success);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->file, "V1__a.sql");
  EXPECT_NE(r.failure->message.find("V1__a.sql"), std::string::npos) << r.failure->message;
  EXPECT_EQ(One("SELECT to_regclass('b') IS NULL"), "t");
  // Applied file gone: refused as well.
  const Result gone = Migrate(Files({Make("V2__b.sql", "CREATE TABLE b (x int);")}));
  EXPECT_FALSE(gone.success);
  EXPECT_NE(gone.failure->message.find("V1__a.sql"), std::string::npos) << gone.failure->message;
}

TEST_F(MigratePgTest, FailedMigrationRollsBackRecordsAFailedRowAndRepairClearsIt) {
  const Script v1 = Make("V1__a.sql", "CREATE TABLE a (x int);");
  const Script broken = Make("V2__b.sql",
                             "CREATE TABLE b (x int);\n"
                             "INSERT INTO b VALUES (1);\n"
                             "SELECT *\n  FROM no_such_table;\n"
                             "CREATE TABLE c (x int);\n");
  const Result r = Migrate(Files({v1, broken}));
  EXPECT_FALSE(r.success);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->file, "V2__b.sql");
  EXPECT_EQ(r.failure->sqlstate, "42P01");
  EXPECT_EQ(r.failure->line, 4);  // the position PostgreSQL gives, as a line of the file
  EXPECT_NE(r.failure->message.find("V2__b.sql line 4"), std::string::npos) << r.failure->message;
  EXPECT_NE(r.failure->message.find("no_such_table"), std::string::npos) << r.failure->message;
  EXPECT_EQ(r.current_version, "1");
  EXPECT_EQ(One("SELECT to_regclass('b') IS NULL AND to_regclass('c') IS NULL"), "t");
  EXPECT_EQ(One("SELECT version || ' ' || success FROM flyway_schema_history WHERE NOT success"),
            "2 false");
  EXPECT_EQ(log_.str().find("INSERT INTO b"), std::string::npos) << "the SQL reached the log";

  const Result blocked = Migrate(Files({v1, broken}));
  EXPECT_FALSE(blocked.success);
  EXPECT_NE(blocked.failure->message.find("repair"), std::string::npos) << blocked.failure->message;

  Engine engine(*session_, {}, log_);
  const Script fixed = Make("V2__b.sql", "CREATE TABLE b (x int);\n");
  const Result repaired = engine.Repair(Files({v1, fixed}));
  ASSERT_TRUE(repaired.success) << HumanReport(repaired);
  EXPECT_EQ(One("SELECT count(*) FROM flyway_schema_history WHERE NOT success"), "0");
  const Result done = Migrate(Files({v1, fixed}));
  ASSERT_TRUE(done.success) << HumanReport(done);
  EXPECT_EQ(done.current_version, "2");
}

TEST_F(MigratePgTest, NoTransactionFileRunsCreateIndexConcurrently) {
  const Script v1 = Make("V1__t.sql", "CREATE TABLE t (a int);");
  const Script in_tx = Make("V2__idx.sql", "CREATE INDEX CONCURRENTLY t_a ON t (a);");
  const Result refused = Migrate(Files({v1, in_tx}));
  EXPECT_FALSE(refused.success);
  EXPECT_EQ(refused.failure->sqlstate, "25001") << refused.failure->message;
  Engine(*session_, {}, log_).Repair(Files({v1})).success;

  const Script no_tx = Make("V2__idx.sql",
                            "-- tenantdb:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n"
                            "CREATE INDEX CONCURRENTLY t_a2 ON t (a);\n");
  EXPECT_FALSE(no_tx.in_transaction);
  const Result r = Migrate(Files({v1, no_tx}));
  ASSERT_TRUE(r.success) << HumanReport(r);
  EXPECT_EQ(One("SELECT count(*) FROM pg_indexes WHERE tablename = 't'"), "2");
}

TEST_F(MigratePgTest, NonEmptySchemaNeedsABaselineAndBaselineOnMigrateSkipsOlderVersions) {
  ASSERT_TRUE(session_->Query({.text = "CREATE TABLE legacy (x int)"}));
  const auto files = Files({Make("V1__legacy.sql", "CREATE TABLE legacy (x int);"),
                            Make("V2__legacy2.sql", "ALTER TABLE legacy ADD y int;"),
                            Make("V3__new.sql", "CREATE TABLE fresh (x int);")});
  const Result refused = Migrate(files);
  EXPECT_FALSE(refused.success);
  EXPECT_NE(refused.failure->message.find("baseline"), std::string::npos)
      << refused.failure->message;
  EXPECT_EQ(One("SELECT to_regclass('flyway_schema_history') IS NULL"), "t");

  Options options;
  options.baseline_on_migrate = true;
  options.baseline_version = "2";
  const Result r = Migrate(files, options);
  ASSERT_TRUE(r.success) << HumanReport(r);
  ASSERT_EQ(r.applied.size(), 1U);
  EXPECT_EQ(r.applied[0].file, "V3__new.sql");
  EXPECT_EQ(Column("SELECT installed_rank || ' ' || version || ' ' || type || ' ' || "
                   "coalesce(checksum::text, 'NULL') || ' ' || description FROM "
                   "flyway_schema_history ORDER BY installed_rank"),
            (std::vector<std::string>{"1 2 BASELINE NULL << Flyway Baseline >>",
                                      "2 3 SQL " + std::to_string(files[2].checksum) + " new"}));
  Engine engine(*session_, options, log_);
  const Result info = engine.InfoCommand(files);
  std::vector<std::string> states;
  for (const auto& row : info.info) {
    states.push_back(row.version + " " + row.state);
  }
  // V2__legacy2.sql pairs with the baseline row of its version.
  EXPECT_EQ(states, (std::vector<std::string>{"2 Baseline", "3 Success", "1 Below Baseline"}));
}

TEST_F(MigratePgTest, BaselineCommandThenMigrate) {
  ASSERT_TRUE(session_->Query({.text = "CREATE TABLE legacy (x int)"}));
  Engine engine(*session_, {}, log_);
  const Result b = engine.Baseline();
  ASSERT_TRUE(b.success) << HumanReport(b);
  EXPECT_TRUE(engine.Baseline().success);  // the same baseline again: nothing to do
  const Result r = Migrate(Files({Make("V1__legacy.sql", "CREATE TABLE legacy (x int);"),
                                  Make("V2__next.sql", "ALTER TABLE legacy ADD y int;")}));
  ASSERT_TRUE(r.success) << HumanReport(r);
  ASSERT_EQ(r.applied.size(), 1U);
  EXPECT_EQ(r.applied[0].file, "V2__next.sql");
  Options other;
  other.baseline_version = "5";
  EXPECT_FALSE(Engine(*session_, other, log_).Baseline().success);
}

TEST_F(MigratePgTest, OutOfOrderIsRefusedThenAllowed) {
  const Script v1 = Make("V1__a.sql", "CREATE TABLE a (x int);");
  const Script v3 = Make("V3__c.sql", "CREATE TABLE c (x int);");
  const Script v2 = Make("V2__b.sql", "CREATE TABLE b (x int);");
  ASSERT_TRUE(Migrate(Files({v1, v3})).success);
  const Result refused = Migrate(Files({v1, v2, v3}));
  EXPECT_FALSE(refused.success);
  EXPECT_EQ(refused.failure->file, "V2__b.sql") << refused.failure->message;
  EXPECT_EQ(One("SELECT to_regclass('b') IS NULL"), "t");
  Options options;
  options.out_of_order = true;
  const Result allowed = Migrate(Files({v1, v2, v3}), options);
  ASSERT_TRUE(allowed.success) << HumanReport(allowed);
  ASSERT_EQ(allowed.applied.size(), 1U);
  EXPECT_EQ(allowed.current_version, "3");
  const Result info = Engine(*session_, {}, log_).InfoCommand(Files({v1, v2, v3}));
  ASSERT_EQ(info.info.size(), 3U);
  EXPECT_EQ(info.info[2].state, "Out of Order");
}

TEST_F(MigratePgTest, TwoConcurrentRunsApplyEveryVersionExactlyOnce) {
  std::vector<Script> many = {Make("V1__t.sql", "CREATE TABLE t (v int UNIQUE);")};
  for (int i = 2; i <= 12; ++i) {
    many.push_back(
        Make("V" + std::to_string(i) + "__v.sql",
             "SELECT pg_sleep(0.05);\nINSERT INTO t VALUES (" + std::to_string(i) + ");"));
  }
  const auto files = Files(many);
  auto other = Connect(db_);
  ASSERT_NE(other, nullptr);
  Result a;
  Result b;
  std::ostringstream log_b;
  std::thread t([&]() { a = Migrate(files); });
  std::thread u([&]() { b = Engine(*other, {}, log_b).Migrate(files); });
  t.join();
  u.join();
  ASSERT_TRUE(a.success) << HumanReport(a);
  ASSERT_TRUE(b.success) << HumanReport(b);
  EXPECT_EQ(a.applied.size() + b.applied.size(), 12U);
  EXPECT_TRUE(a.applied.empty() || b.applied.empty()) << "the runs interleaved";
  EXPECT_NE((log_.str() + log_b.str()).find("Waiting for the advisory lock"), std::string::npos);
  EXPECT_EQ(One("SELECT count(*) FROM t"), "11");
  EXPECT_EQ(One("SELECT count(DISTINCT version) || ' ' || count(*) FROM flyway_schema_history"),
            "12 12");
}

TEST_F(MigratePgTest, TwoMebibyteFileIsAppliedAndNeverEchoed) {
  std::string big = "CREATE TABLE big (n int, pad text);\n";
  int n = 0;
  while (big.size() < 2 * 1024 * 1024) {
    big +=
        "INSERT INTO big VALUES (" + std::to_string(++n) + ", '" + std::string(200, 'x') + "');\n";
  }
  const Result r = Migrate(Files({Make("V1__big.sql", big)}));
  ASSERT_TRUE(r.success) << HumanReport(r);
  EXPECT_EQ(One("SELECT count(*) FROM big"), std::to_string(n));
  EXPECT_LT(log_.str().size(), 2000U) << log_.str().substr(0, 500);
  EXPECT_LT(JsonSummary(r).size(), kMaxSummaryBytes);

  // A failure late in the big file: its message stays short as well.
  const Result f =
      Migrate(Files({Make("V1__big.sql", big),
                     Make("V2__bigfail.sql", big.substr(big.find('\n') + 1) + "SELECT 1/0;\n")}));
  EXPECT_FALSE(f.success);
  EXPECT_EQ(f.failure->sqlstate, "22012");
  EXPECT_LT(f.failure->message.size(), 1000U);
  EXPECT_LT(log_.str().size(), 4000U);
}

TEST_F(MigratePgTest, PlaceholdersAreReplacedAndAnUnknownOneIsNamed) {
  Options options;
  options.placeholders = {{"owner_name", "someone"}};
  const Result r = Migrate(Files({Make("V1__p.sql",
                                       "CREATE TABLE p (v text DEFAULT '${Owner_Name}', s text "
                                       "DEFAULT '${flyway:defaultSchema}');\nINSERT INTO p DEFAULT "
                                       "VALUES;")}),
                           options);
  ASSERT_TRUE(r.success) << HumanReport(r);
  EXPECT_EQ(One("SELECT v || ' ' || s FROM p"), "someone public");
  const Result u = Migrate(Files({Make("V1__p.sql",
                                       "CREATE TABLE p (v text DEFAULT '${Owner_Name}', s text "
                                       "DEFAULT '${flyway:defaultSchema}');\nINSERT INTO p DEFAULT "
                                       "VALUES;"),
                                  Make("V2__q.sql", "SELECT '${nope}';")}),
                           options);
  EXPECT_FALSE(u.success);
  EXPECT_NE(u.failure->message.find("${nope}"), std::string::npos) << u.failure->message;
}

TEST_F(MigratePgTest, SchemaOptionCreatesTheSchemaAndPutsItFirstOnTheSearchPath) {
  Options options;
  options.schema = "app";
  const Result r = Migrate(Files({Make("V1__t.sql", "CREATE TABLE t (x int);")}), options);
  ASSERT_TRUE(r.success) << HumanReport(r);
  EXPECT_EQ(
      One("SELECT to_regclass('app.t') IS NOT NULL AND to_regclass('app.flyway_schema_history') "
          "IS NOT NULL"),
      "t");
  EXPECT_EQ(Column("SELECT installed_rank || ' ' || type || ' ' || script FROM "
                   "app.flyway_schema_history ORDER BY installed_rank"),
            (std::vector<std::string>{"0 SCHEMA \"app\"", "1 SQL V1__t.sql"}));
}

// Options::backup_before (`tenantdb migrate --backup-dir`, Migration.spec.backupBefore): called
// once, after validation, only when something is pending; a failure applies nothing.
TEST_F(MigratePgTest, BackupBeforeRunsOnceBeforeTheFirstPendingVersionAndAFailureAppliesNothing) {
  const Script v1 = Make("V1__one.sql", "CREATE TABLE one (i int);");
  const Script v2 = Make("V2__two.sql", "CREATE TABLE two (i int);");
  int calls = 0;
  std::string tables_seen;
  Options failing;
  failing.backup_before = [&]() -> Expected<TakenBackup> {
    ++calls;
    return Error::Internal("pg_dump: error: connection failed");
  };
  const Result refused = Migrate(Files({v1}), failing);
  EXPECT_FALSE(refused.success);
  ASSERT_TRUE(refused.failure.has_value());
  EXPECT_NE(refused.failure->message.find("nothing was applied"), std::string::npos);
  EXPECT_NE(refused.failure->message.find("pg_dump: error: connection failed"), std::string::npos);
  EXPECT_EQ(refused.pending, (std::vector<std::string>{"1"}));
  EXPECT_EQ(One("SELECT count(*) FROM pg_tables WHERE tablename = 'one'"), "0");
  EXPECT_EQ(calls, 1);

  Options taking;
  taking.backup_before = [&]() -> Expected<TakenBackup> {
    ++calls;
    tables_seen = One("SELECT count(*) FROM pg_tables WHERE tablename IN ('one', 'two')");
    return TakenBackup{.name = "db-20261202T020000Z.dump", .size_bytes = 42, .sha256 = "ab"};
  };
  const Result first = Migrate(Files({v1}), taking);
  ASSERT_TRUE(first.success) << HumanReport(first);
  EXPECT_EQ(tables_seen, "0") << "the backup runs before the first pending version";
  ASSERT_TRUE(first.backup.has_value());
  EXPECT_EQ(first.backup->name, "db-20261202T020000Z.dump");
  EXPECT_NE(JsonSummary(first).find(R"("backup":{"name":"db-20261202T020000Z.dump")"),
            std::string::npos)
      << JsonSummary(first);
  EXPECT_EQ(calls, 2);

  const Result up_to_date = Migrate(Files({v1}), taking);
  ASSERT_TRUE(up_to_date.success);
  EXPECT_EQ(calls, 2) << "nothing pending: no backup";
  EXPECT_FALSE(up_to_date.backup.has_value());

  const Result second = Migrate(Files({v1, v2}), taking);
  ASSERT_TRUE(second.success);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(tables_seen, "1") << "V2's backup holds V1 and not V2";
}

TEST_F(MigratePgTest, CommandRefusesBadFileNamesBeforeConnectingAndPrintsASmallJsonSummary) {
  const std::string dir = "/tmp/mig_cmd_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/V1__ok.sql") << "CREATE TABLE ok (x int);\n";
  std::ofstream(dir + "/V2-bad-name.sql") << "CREATE TABLE bad (x int);\n";
  CommandOptions o;
  o.dir = dir;
  o.json = true;
  const sql::ConnectionParams p = Params(db_);
  o.host = p.host;
  o.port = std::to_string(p.port);
  o.user = p.user;
  o.dbname = db_;
  o.sslmode = "disable";
  // The harness's own PGPASSWORD is put back at the end: the pg tests after this one need it.
  const char* previous = std::getenv("PGPASSWORD");
  const std::optional<std::string> saved =
      previous != nullptr ? std::optional<std::string>(previous) : std::nullopt;
  ::setenv("PGPASSWORD", p.password.c_str(), 1);
  PqConnector connector;
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(RunCommand(o, connector, out, err), 1);
  EXPECT_NE(out.str().find("'V2-bad-name.sql'"), std::string::npos) << out.str();
  EXPECT_EQ(One("SELECT to_regclass('flyway_schema_history') IS NULL"), "t");

  std::filesystem::remove(dir + "/V2-bad-name.sql");
  std::ofstream(dir + "/V2__fails.sql") << "CREATE TABLE two (x int);\nSELECT 1/0;\n";
  std::ostringstream out2;
  EXPECT_EQ(RunCommand(o, connector, out2, err), 1);
  const std::string json = out2.str();
  EXPECT_LT(json.size(), kMaxSummaryBytes);
  EXPECT_NE(json.find("\"lastAppliedVersion\":\"1\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"pending\":[\"2\"]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"file\":\"V2__fails.sql\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"sqlstate\":\"22012\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"line\":2"), std::string::npos) << json;
  if (saved) {
    ::setenv("PGPASSWORD", saved->c_str(), 1);
  } else {
    ::unsetenv("PGPASSWORD");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tenantdb::migrate

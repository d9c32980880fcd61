// The backup engine (`tenantdb backup`: RunBackup) and `tenantdb restore` (RunRestore over the
// libpq Server) against the real PostgreSQL of scripts/testenv, as the operator's non-superuser
// admin role (CREATEDB CREATEROLE), with the pg_dump/pg_restore/psql the engine picks (under
// run-with-env.sh --pg 18, PostgreSQL 18's). Each test works in databases of its own (dropped at
// the end) and a temporary directory: every format restored into a new database with the same
// tables, sequences, indexes and large objects; retention over a sequence of chosen times that
// leaves foreign files alone; failures that leave no file under one of our names; a damaged
// dump refused before the target is touched; a non-empty target refused without --clean. A
// missing server is a failure, never a skip.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backup/backup.h"
#include "backup/catalog.h"
#include "backup/checksum.h"
#include "backup/naming.h"
#include "backup/pq_server.h"
#include "backup/restore.h"
#include "backup/storage.h"
#include "migrate/pq_session.h"
#include "sql/connection.h"
#include "sql/quoting.h"

namespace tenantdb::backup {
namespace {

namespace fs = std::filesystem;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    ADD_FAILURE() << name << " is not set: run under scripts/testenv (a missing server fails)";
    return "";
  }
  return v;
}

std::unique_ptr<migrate::Session> Connect(const std::string& dbname) {
  sql::ConnectionParams p;
  p.host = Env("PGHOST");
  p.port = std::atoi(Env("PGPORT").c_str());
  p.user = Env("TENANTDB_PG_ADMIN_USER");
  p.password = Env("TENANTDB_PG_ADMIN_PASSWORD");
  p.dbname = dbname;
  p.sslmode = "disable";
  migrate::PqConnector connector;
  auto s = connector.Connect(migrate::FromConnectionParams(p));
  EXPECT_TRUE(s.has_value()) << dbname << ": " << s.error().message;
  return s.has_value() ? std::move(*s) : nullptr;
}

// The rows of a one-column query, NULL as "NULL".
std::vector<std::string> Column(migrate::Session& s, const std::string& query,
                                std::vector<std::string> params = {}) {
  auto rows = s.Query({.text = query, .params = std::move(params)});
  EXPECT_TRUE(rows.has_value()) << query << ": " << rows.error().message;
  std::vector<std::string> out;
  for (const auto& r : rows.has_value() ? *rows : sql::Rows{}) {
    out.push_back(r.empty() || !r[0] ? "NULL" : *r[0]);
  }
  return out;
}

std::string One(migrate::Session& s, const std::string& query,
                std::vector<std::string> params = {}) {
  const auto c = Column(s, query, std::move(params));
  return c.empty() ? "<no row>" : c[0];
}

// Statements sent as written (simple query protocol: several in one string).
void Script(migrate::Session& s, const std::string& text) {
  const auto failed = s.Run(text);
  EXPECT_FALSE(failed.has_value()) << failed->sqlstate << " " << failed->message;
}

std::chrono::system_clock::time_point At(const std::string& rfc3339) {
  const auto t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(Seconds{});
}

// The names in a directory, sorted.
std::set<std::string> Files(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    out.insert(it->path().filename().string());
  }
  return out;
}

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Whatever a backup writes under one of its names: a dump, a manifest, a partial one.
std::vector<std::string> OurFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const std::string& f : Files(dir)) {
    if (ParseBackupName(f) || EndsWith(f, std::string(kManifestSuffix)) ||
        EndsWith(f, std::string(kPartialSuffix))) {
      out.push_back(f);
    }
  }
  return out;
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

void FlipByte(const std::string& path, std::uintmax_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.is_open()) << path;
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x01);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
  ASSERT_TRUE(f.good()) << path;
}

std::string ReadPrefix(const std::string& path, std::size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string s(n, '\0');
  in.read(s.data(), static_cast<std::streamsize>(n));
  s.resize(static_cast<std::size_t>(in.gcount()));
  return s;
}

// Sets a variable of the environment for the scope (the engine reads only PG*).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name); old != nullptr) {
      old_ = old;
    }
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Tables and a schema of their own, a view, a function, sequences (serial, bigserial, identity),
// indexes, a foreign key, non-ASCII text, jsonb and bytea, two large objects (one of every byte
// value plus 320 kB, one of UTF-8 text), about 7 MB of rows.
constexpr const char* kSeed = R"sql(
CREATE SCHEMA app;
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text UNIQUE,
                        created timestamptz NOT NULL);
INSERT INTO customers (name, email, created)
  SELECT 'customer ' || i, 'c' || i || '@example.com',
         timestamptz '2026-01-01 00:00:00+00' + i * interval '1 minute'
    FROM generate_series(1, 2000) i;
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,
                     amount numeric(12,2) NOT NULL, note text, placed date);
INSERT INTO orders (customer_id, amount, note, placed)
  SELECT 1 + i % 2000, (i * 7919 % 100000) / 100.0, repeat(md5(i::text), 3),
         date '2026-01-01' + i % 300
    FROM generate_series(1, 40000) i;
CREATE INDEX orders_customer ON orders (customer_id);
CREATE TABLE texts (id int PRIMARY KEY, body text NOT NULL);
INSERT INTO texts VALUES (1, 'Grüße, можно, 日本'),
                         (2, E'tab\there, quote '' backslash \\ newline\nend'),
                         (3, '😀 ŝ ﬁ ß Ω');
CREATE TABLE app.events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb,
                         raw bytea, at timestamptz);
INSERT INTO app.events (payload, raw, at)
  SELECT jsonb_build_object('n', i, 'tag', 'ünïcødé ' || i), decode(md5(i::text), 'hex'),
         timestamptz '2026-06-01 00:00:00+00' + i * interval '1 second'
    FROM generate_series(1, 20000) i;
CREATE TABLE documents (id int PRIMARY KEY, title text, blob oid NOT NULL);
INSERT INTO documents VALUES
  (1, 'every byte, then an md5 chain', lo_from_bytea(0,
     (SELECT decode(string_agg(lpad(to_hex(b), 2, '0'), '' ORDER BY b), 'hex')
        FROM generate_series(0, 255) b)
     || (SELECT decode(string_agg(md5(i::text), '' ORDER BY i), 'hex')
           FROM generate_series(1, 20000) i))),
  (2, 'Grüße', lo_from_bytea(0, convert_to('Grüße, можно, 日本', 'UTF8')));
CREATE VIEW app.big_orders AS SELECT id, amount FROM public.orders WHERE amount > 900;
CREATE FUNCTION app.total(c int) RETURNS numeric LANGUAGE sql
  AS $$ SELECT sum(amount) FROM public.orders WHERE customer_id = c $$;
)sql";

// What a restore must reproduce: every table's rows (count and md5 of the rows' text in order),
// the large objects (oid, length, md5 of the bytes), sequences, indexes, constraints, views and
// functions.
std::map<std::string, std::string> Fingerprint(const std::string& database) {
  std::map<std::string, std::string> out;
  auto s = Connect(database);
  if (!s) {
    return out;
  }
  const auto join = [](const std::vector<std::string>& v) {
    std::string r;
    for (const std::string& x : v) {
      r += x + "\n";
    }
    return r;
  };
  for (const std::string& table :
       Column(*s,
              "SELECT format('%I.%I', schemaname, tablename) FROM pg_catalog.pg_tables "
              "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")) {
    out["table " + table] =
        One(*s,
            "SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY "
            "t::text), '')) FROM " +
                table + " t");
  }
  out["large objects"] =
      join(Column(*s,
                  "SELECT oid || ' ' || length(lo_get(oid)) || ' ' || md5(lo_get(oid)) "
                  "FROM pg_catalog.pg_largeobject_metadata ORDER BY oid"));
  out["sequences"] = join(Column(*s,
                                 "SELECT schemaname || '.' || sequencename || '=' || "
                                 "coalesce(last_value::text, 'NULL') FROM pg_catalog.pg_sequences "
                                 "ORDER BY 1"));
  out["indexes"] = join(Column(*s,
                               "SELECT indexdef FROM pg_catalog.pg_indexes WHERE schemaname "
                               "NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"));
  out["constraints"] = join(Column(*s,
                                   "SELECT conrelid::regclass || ' ' || conname || ' ' || "
                                   "pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint "
                                   "WHERE conrelid <> 0 AND connamespace IN (SELECT oid FROM "
                                   "pg_catalog.pg_namespace WHERE nspname IN ('public', 'app')) "
                                   "ORDER BY 1"));
  out["views"] = join(Column(*s,
                             "SELECT schemaname || '.' || viewname || ' ' || definition FROM "
                             "pg_catalog.pg_views WHERE schemaname IN ('public', 'app') "
                             "ORDER BY 1"));
  out["functions"] = join(Column(*s,
                                 "SELECT p.oid::regprocedure || ' ' || md5(p.prosrc) FROM "
                                 "pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid "
                                 "= p.pronamespace WHERE n.nspname IN ('public', 'app') "
                                 "ORDER BY 1"));
  return out;
}

// A database of the test's own (name_) and a temporary backup directory; every database whose
// name starts with name_ (the restore targets) is dropped at the end.
class BackupPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    db_ = "bk_" + std::to_string(::getpid()) + "_" + info->name();
    std::transform(db_.begin(), db_.end(), db_.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    db_ = db_.substr(0, 44);  // room for the targets' suffixes within 63 bytes
    admin_ = Connect("postgres");
    ASSERT_NE(admin_, nullptr);
    DropOurs();
    CreateDatabase(db_);
    // The engine connects from the PG* environment only: the operator's admin role, as a
    // BackupSchedule's Job does, never the harness superuser.
    env_.push_back(std::make_unique<ScopedEnv>("PGHOST", Env("PGHOST")));
    env_.push_back(std::make_unique<ScopedEnv>("PGPORT", Env("PGPORT")));
    env_.push_back(std::make_unique<ScopedEnv>("PGUSER", Env("TENANTDB_PG_ADMIN_USER")));
    env_.push_back(std::make_unique<ScopedEnv>("PGPASSWORD", Env("TENANTDB_PG_ADMIN_PASSWORD")));
    env_.push_back(std::make_unique<ScopedEnv>("PGDATABASE", db_));
    env_.push_back(std::make_unique<ScopedEnv>("PGSSLMODE", "disable"));
    std::string tmpl = (fs::temp_directory_path() / "tenantdb-backup-pgtest-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }

  void TearDown() override {
    while (!env_.empty()) {
      env_.pop_back();
    }
    if (admin_) {
      DropOurs();
    }
    if (!dir_.empty()) {
      std::error_code ec;
      fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
      fs::remove_all(dir_, ec);
    }
  }

  void CreateDatabase(const std::string& name) {
    auto created = admin_->Query({.text = "CREATE DATABASE " + sql::QuoteIdent(name)});
    ASSERT_TRUE(created.has_value()) << created.error().message;
  }

  void DropOurs() {
    for (const std::string& name : Column(
             *admin_, "SELECT datname FROM pg_catalog.pg_database WHERE starts_with(datname, $1)",
             {db_})) {
      admin_->Query({.text = "DROP DATABASE IF EXISTS " + sql::QuoteIdent(name) + " WITH (FORCE)"})
          .IgnoreError();
    }
  }

  bool DatabaseExists(const std::string& name) {
    return One(*admin_, "SELECT count(*) FROM pg_catalog.pg_database WHERE datname = $1", {name}) ==
           "1";
  }

  void Seed() {
    auto s = Connect(db_);
    ASSERT_NE(s, nullptr);
    Script(*s, kSeed);
  }

  BackupOptions Options(Format format, int compression) const {
    BackupOptions o;
    o.dir = dir_;
    o.format = format;
    o.compression = compression;
    return o;
  }

  Expected<RestoreResult> Restore(const std::string& name, const std::string& target,
                                  bool clean = false) {
    RestoreOptions o;
    o.dir = dir_;
    o.name = name;
    o.target_database = target;
    o.clean = clean;
    PqServer server;
    return RunRestore(o, server);
  }

  std::string db_;
  std::string dir_;
  std::unique_ptr<migrate::Session> admin_;
  std::vector<std::unique_ptr<ScopedEnv>> env_;
};

// --- every format, restored into a new database ----------------------------------------------

struct FormatCase {
  Format format;
  int compression;
  std::string extension;
  std::string suffix;  // of the target database
  bool precreate_empty_target;
};

TEST_F(BackupPgTest, EveryFormatRestoresTablesSequencesAndLargeObjectsIntoANewDatabase) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  const auto original = Fingerprint(db_);
  ASSERT_EQ(original.count("table public.orders"), 1U);
  EXPECT_EQ(original.at("table public.orders").substr(0, 6), "40000 ");
  EXPECT_EQ(original.at("table app.events").substr(0, 6), "20000 ");
  ASSERT_FALSE(original.at("large objects").empty());

  const std::vector<FormatCase> cases = {
      {Format::kCustom, 6, ".dump", "_custom", false},
      {Format::kPlain, 0, ".sql", "_plain", true},  // into an existing, empty database
      {Format::kPlain, 6, ".sql.gz", "_plaingz", false},
      {Format::kDirectory, 6, ".dir", "_directory", false},
  };
  auto t = At("2026-12-02T02:00:00Z");
  std::map<std::string, std::int64_t> sizes;
  for (const FormatCase& c : cases) {
    SCOPED_TRACE(FormatName(c.format) + " " + std::to_string(c.compression));
    t += std::chrono::seconds(1);
    auto backup = RunBackup(Options(c.format, c.compression), t);
    ASSERT_TRUE(backup.has_value()) << backup.error().reason << ": " << backup.error().message;
    EXPECT_EQ(backup->name,
              db_ + "-" + CompactTime(std::chrono::floor<std::chrono::seconds>(t)) + c.extension);
    EXPECT_EQ(backup->format, FormatName(c.format));
    EXPECT_TRUE(backup->pruned.empty());
    const std::string path = dir_ + "/" + backup->name;
    // The manifest and the bytes on disk agree with the result.
    auto digest = c.format == Format::kDirectory ? DirectoryDigest(path) : FileDigest(path);
    ASSERT_TRUE(digest.has_value()) << digest.error().message;
    EXPECT_EQ(digest->sha256, backup->sha256);
    EXPECT_EQ(digest->size_bytes, backup->size_bytes);
    sizes[c.suffix] = backup->size_bytes;
    auto listed = ListBackups(dir_);
    ASSERT_TRUE(listed.has_value());
    ASSERT_FALSE(listed->empty());
    EXPECT_EQ(listed->front().name, backup->name);
    EXPECT_EQ(listed->front().manifest.database, db_);
    EXPECT_EQ(listed->front().manifest.sha256, backup->sha256);
    EXPECT_EQ(listed->front().manifest.compression, c.compression);
    EXPECT_EQ(listed->front().manifest.reason, "manual");
    EXPECT_EQ(listed->front().manifest.time, Rfc3339(std::chrono::floor<std::chrono::seconds>(t)));
    EXPECT_GE(std::atoi(listed->front().manifest.pg_dump_version.c_str()),
              std::atoi(listed->front().manifest.server_version.c_str()));
    // What kind of file it is.
    switch (c.format) {
      case Format::kCustom:
        EXPECT_EQ(ReadPrefix(path, 5), "PGDMP");
        break;
      case Format::kPlain:
        if (c.compression > 0) {
          EXPECT_EQ(ReadPrefix(path, 2), "\x1f\x8b") << "not gzip";
        } else {
          EXPECT_EQ(ReadPrefix(path, 2), "--");
        }
        break;
      case Format::kDirectory:
        EXPECT_TRUE(fs::is_regular_file(path + "/toc.dat"));
        break;
    }

    const std::string target = db_ + c.suffix;
    if (c.precreate_empty_target) {
      ASSERT_NO_FATAL_FAILURE(CreateDatabase(target));
    }
    auto restored = Restore(backup->name, target);
    ASSERT_TRUE(restored.has_value())
        << restored.error().reason << ": " << restored.error().message;
    EXPECT_EQ(restored->name, backup->name);
    EXPECT_EQ(restored->target_database, target);
    EXPECT_EQ(restored->created, !c.precreate_empty_target);
    EXPECT_EQ(Fingerprint(target), original);
    auto r = Connect(target);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(One(*r, "SELECT body FROM texts WHERE id = 1"), "Grüße, можно, 日本");
    EXPECT_EQ(One(*r, "SELECT convert_from(lo_get(blob), 'UTF8') FROM documents WHERE id = 2"),
              "Grüße, можно, 日本");
    EXPECT_EQ(One(*r,
                  "SELECT count(*) FROM documents d JOIN pg_catalog.pg_largeobject_metadata m "
                  "ON m.oid = d.blob"),
              "2");
    EXPECT_EQ(One(*r, "SELECT length(lo_get(blob)) FROM documents WHERE id = 1"),
              std::to_string(256 + 20000 * 16));
    EXPECT_EQ(One(*r, "SELECT app.total(7)"), One(*Connect(db_), "SELECT app.total(7)"));
  }
  // Compressed is smaller than plain text.
  EXPECT_LT(sizes["_custom"], sizes["_plain"]);
  EXPECT_LT(sizes["_plaingz"], sizes["_plain"]);
  // Only dumps, manifests and the lock are left: nothing partial.
  for (const std::string& f : Files(dir_)) {
    EXPECT_FALSE(EndsWith(f, std::string(kPartialSuffix))) << f;
  }
}

// A database name that needs quoting everywhere (space, both quotes, a slash, non-ASCII): the
// file name is FileSafe's, the manifest keeps the real name, and restore finds and fills a
// target of the same kind. Restore without --name takes the newest backup.
TEST_F(BackupPgTest, DatabaseNameWithQuotesSpacesSlashAndUnicodeRoundTrips) {
  const std::string weird = db_ + " '\"/ü";  // db_ is at most 44 bytes: this stays within 63
  ASSERT_NO_FATAL_FAILURE(CreateDatabase(weird));
  {
    auto s = Connect(weird);
    ASSERT_NE(s, nullptr);
    Script(*s,
           "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'можно ' || i "
           "FROM generate_series(1, 1000) i;");
  }
  const auto original = Fingerprint(weird);
  BackupOptions o = Options(Format::kCustom, 6);
  o.database = weird;
  auto custom = RunBackup(o, At("2026-12-02T02:00:00Z"));
  ASSERT_TRUE(custom.has_value()) << custom.error().reason << ": " << custom.error().message;
  EXPECT_EQ(custom->name, db_ + " '\"_ü-20261202T020000Z.dump");
  o.format = Format::kPlain;
  auto plain = RunBackup(o, At("2026-12-02T02:00:01Z"));
  ASSERT_TRUE(plain.has_value()) << plain.error().reason << ": " << plain.error().message;
  auto listed = ListBackups(dir_);
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 2U);
  EXPECT_EQ(listed->front().manifest.database, weird);

  for (const auto& [name, target] : std::vector<std::pair<std::string, std::string>>{
           {custom->name, weird + " 'c'"}, {"", weird + " p"}}) {
    SCOPED_TRACE(target);
    auto restored = Restore(name, target);
    ASSERT_TRUE(restored.has_value())
        << restored.error().reason << ": " << restored.error().message;
    EXPECT_EQ(restored->name, name.empty() ? plain->name : name);
    EXPECT_TRUE(restored->created);
    EXPECT_EQ(Fingerprint(target), original);
  }
}

// --- retention on disk -----------------------------------------------------------------------

TEST_F(BackupPgTest, RetentionKeepsTheGrandfatherFatherSonSetAndNeverTouchesForeignFiles) {
  {
    auto s = Connect(db_);
    ASSERT_NE(s, nullptr);
    Script(*s, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3);");
  }
  // Another database backed up into the same directory: its backups are not this one's.
  const std::string other = db_ + "_other";
  ASSERT_NO_FATAL_FAILURE(CreateDatabase(other));
  BackupOptions other_options = Options(Format::kCustom, 0);
  other_options.database = other;
  auto other_backup = RunBackup(other_options, At("2026-09-01T02:00:00Z"));
  ASSERT_TRUE(other_backup.has_value()) << other_backup.error().message;
  // Foreign files: one of someone else's, a dump-like name without a manifest, a dump-like name
  // whose manifest is not ours, a crashed run's leftover of the other database.
  const std::set<std::string> foreign = {
      "notes.txt",
      db_ + "-20260101T000000Z.dump",
      db_ + "-20260102T000000Z.dump",
      db_ + "-20260102T000000Z.dump.manifest.json",
      "." + other + "-20260901T010000Z.dump.partial",
      other_backup->name,
      ManifestName(other_backup->name),
  };
  for (const std::string& f : foreign) {
    if (f != other_backup->name && f != ManifestName(other_backup->name)) {
      ASSERT_NO_FATAL_FAILURE(WriteFile(dir_ + "/" + f, "{\"not\":\"ours\"}\n"));
    }
  }
  // A leftover of this database's crashed run: the next backup of this database removes it.
  const std::string own_leftover = "." + db_ + "-20261001T000000Z.dump.partial";
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir_ + "/" + own_leftover, "half a dump"));

  BackupOptions o = Options(Format::kCustom, 0);
  o.retention.keep_daily = 2;
  o.retention.keep_weekly = 2;
  o.retention.keep_monthly = 2;
  const auto name = [&](const std::string& compact) { return db_ + "-" + compact + ".dump"; };
  const std::string a = name("20261015T020000Z");  // Thu, ISO week 42, October
  const std::string b = name("20261102T020000Z");  // Mon, week 45, November
  const std::string c = name("20261120T020000Z");  // Fri, week 47, November
  const std::string d = name("20261130T020000Z");  // Mon, week 49, November
  const std::string e = name("20261201T020000Z");  // Tue, week 49, December
  const std::string f = name("20261201T140000Z");  // the same day, later
  const std::string g = name("20261202T020000Z");  // Wed, week 49, December
  struct Step {
    std::string time;
    std::string name;
    std::vector<std::string> pruned;
    std::set<std::string> kept;
  };
  // Walking from the newest: daily 2 (newest of the two latest days), weekly 2, monthly 2.
  const std::vector<Step> steps = {
      {"2026-10-15T02:00:00Z", a, {}, {a}},
      {"2026-11-02T02:00:00Z", b, {}, {a, b}},
      {"2026-11-20T02:00:00Z", c, {}, {a, b, c}},
      // daily d c, weekly d c, monthly d(Nov) a(Oct): b goes.
      {"2026-11-30T02:00:00Z", d, {b}, {a, c, d}},
      // daily e d, weekly e c, monthly e(Dec) d(Nov): a goes.
      {"2026-12-01T02:00:00Z", e, {a}, {c, d, e}},
      // f is the newest of its day, so e goes.
      {"2026-12-01T14:00:00Z", f, {e}, {c, d, f}},
      // daily g f, weekly g c, monthly g d.
      {"2026-12-02T02:00:00Z", g, {}, {c, d, f, g}},
  };
  for (const Step& step : steps) {
    SCOPED_TRACE(step.time);
    auto r = RunBackup(o, At(step.time));
    ASSERT_TRUE(r.has_value()) << r.error().reason << ": " << r.error().message;
    EXPECT_EQ(r->name, step.name);
    EXPECT_EQ(r->pruned, step.pruned);
    std::set<std::string> want = foreign;
    want.insert(".tenantdb-backup.lock");
    for (const std::string& k : step.kept) {
      want.insert(k);
      want.insert(ManifestName(k));
    }
    EXPECT_EQ(Files(dir_), want);
  }

  // keep-last alone, across formats (a directory dump is a folder to remove) and the newest
  // always kept even with keep-last 0.
  BackupOptions last = Options(Format::kDirectory, 0);
  last.retention.keep_last = 2;
  auto dir_backup = RunBackup(last, At("2026-12-03T02:00:00Z"));
  ASSERT_TRUE(dir_backup.has_value()) << dir_backup.error().message;
  EXPECT_EQ(dir_backup->pruned, (std::vector<std::string>{f, d, c}));
  last.format = Format::kPlain;
  auto plain_backup = RunBackup(last, At("2026-12-04T02:00:00Z"));
  ASSERT_TRUE(plain_backup.has_value()) << plain_backup.error().message;
  EXPECT_EQ(plain_backup->pruned, (std::vector<std::string>{g}));
  last.format = Format::kCustom;
  auto custom_backup = RunBackup(last, At("2026-12-05T02:00:00Z"));
  ASSERT_TRUE(custom_backup.has_value()) << custom_backup.error().message;
  EXPECT_EQ(custom_backup->pruned, (std::vector<std::string>{dir_backup->name}));
  EXPECT_FALSE(fs::exists(dir_ + "/" + dir_backup->name));
  last.retention.keep_last = 0;
  auto newest = RunBackup(last, At("2026-12-06T02:00:00Z"));
  ASSERT_TRUE(newest.has_value()) << newest.error().message;
  EXPECT_EQ(newest->pruned, (std::vector<std::string>{custom_backup->name, plain_backup->name}));
  std::set<std::string> want = foreign;
  want.insert({".tenantdb-backup.lock", newest->name, ManifestName(newest->name)});
  EXPECT_EQ(Files(dir_), want);
  // Foreign files keep their content.
  std::ifstream notes(dir_ + "/notes.txt");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(notes), {}), "{\"not\":\"ours\"}\n");
}

// --- failures leave no file under one of our names -------------------------------------------

TEST_F(BackupPgTest, WrongPasswordFailsWithConnectionFailedAndWritesNoDump) {
  const std::string wrong = "wrong-password-x7";
  ScopedEnv password("PGPASSWORD", wrong);
  auto r = RunBackup(Options(Format::kCustom, 6));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().reason, kReasonConnectionFailed) << r.error().message;
  EXPECT_NE(r.error().message.find(db_), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find(wrong), std::string::npos) << "the password reached a message";
  EXPECT_EQ(OurFiles(dir_), std::vector<std::string>{});
}

TEST_F(BackupPgTest, MissingDatabaseFailsWithConnectionFailedAndWritesNoDump) {
  for (Format format : {Format::kCustom, Format::kDirectory}) {
    BackupOptions o = Options(format, 6);
    o.database = db_ + "_missing";
    auto r = RunBackup(o);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().reason, kReasonConnectionFailed) << r.error().message;
    EXPECT_NE(r.error().message.find(db_ + "_missing"), std::string::npos) << r.error().message;
    EXPECT_EQ(OurFiles(dir_), std::vector<std::string>{});
  }
}

TEST_F(BackupPgTest, PgDumpFailureRemovesThePartialDumpOfEveryFormat) {
  // The owner revokes its own SELECT: pg_dump connects, then fails on the table (LOCK / COPY).
  {
    auto s = Connect(db_);
    ASSERT_NE(s, nullptr);
    Script(*s,
           "CREATE TABLE secret (id int PRIMARY KEY); INSERT INTO secret SELECT "
           "generate_series(1, 1000); REVOKE ALL ON secret FROM CURRENT_USER;");
  }
  for (Format format : {Format::kCustom, Format::kPlain, Format::kDirectory}) {
    SCOPED_TRACE(FormatName(format));
    auto r = RunBackup(Options(format, 6));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().reason, kReasonPgDumpFailed) << r.error().message;
    EXPECT_NE(r.error().message.find("secret"), std::string::npos) << r.error().message;
    EXPECT_EQ(OurFiles(dir_), std::vector<std::string>{});
  }
}

TEST_F(BackupPgTest, UnusableDirectoryFailsWithStorageErrorAndWritesNothing) {
  // Missing, a regular file, and below a regular file (ENOTDIR: refused even to root).
  WriteFile(dir_ + "/plain-file", "x");
  for (const std::string& bad :
       {dir_ + "/missing", dir_ + "/plain-file", dir_ + "/plain-file/sub"}) {
    SCOPED_TRACE(bad);
    BackupOptions o = Options(Format::kCustom, 6);
    o.dir = bad;
    auto r = RunBackup(o);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().reason, kReasonStorageError) << r.error().message;
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(Files(dir_), std::set<std::string>{"plain-file"});
}

// A read-only directory. The tests run as root here, and mode bits do not stop root (nor does a
// read-only bind mount need less than CAP_SYS_ADMIN): as root, the backup runs in a forked child
// that first drops to nobody (setgroups/setgid/setuid 65534), so the kernel refuses the write as
// it would to the backup Job's non-root user. Not root: the same directory, in-process.
TEST_F(BackupPgTest, ReadOnlyDirectoryFailsWithStorageErrorAndWritesNothing) {
  const std::string ro = dir_ + "/read-only";
  ASSERT_TRUE(fs::create_directory(ro));
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(ro.c_str(), 0555), 0);
  BackupOptions o = Options(Format::kCustom, 6);
  o.dir = ro;
  std::string reason;
  std::string message;
  if (::geteuid() != 0) {
    auto r = RunBackup(o);
    ASSERT_FALSE(r.has_value());
    reason = r.error().reason;
    message = r.error().message;
  } else {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      std::string out;
      if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) {
        out = "setuid failed\n";
      } else {
        auto r = RunBackup(o);
        out = r.has_value() ? std::string("succeeded\n")
                            : r.error().reason + "\n" + r.error().message;
      }
      const ssize_t written = ::write(fds[1], out.data(), out.size());
      ::_exit(written == static_cast<ssize_t>(out.size()) ? 0 : 1);
    }
    ::close(fds[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) {
      out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    const auto nl = out.find('\n');
    ASSERT_NE(nl, std::string::npos) << out;
    reason = out.substr(0, nl);
    message = out.substr(nl + 1);
  }
  EXPECT_EQ(reason, kReasonStorageError) << message;
  EXPECT_NE(message.find(ro), std::string::npos) << message;
  EXPECT_NE(message.find("not writable"), std::string::npos) << message;
  EXPECT_EQ(Files(ro), std::set<std::string>{});
}

TEST_F(BackupPgTest, OtherRefusalsNameTheirReason) {
  // A pg_dump that is not there.
  BackupOptions o = Options(Format::kCustom, 6);
  o.pg_dump = dir_ + "/no-such-pg_dump";
  auto missing = RunBackup(o);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().reason, kReasonToolNotFound) << missing.error().message;
  // A compression level out of range.
  o = Options(Format::kCustom, 10);
  auto invalid = RunBackup(o);
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().reason, kReasonInvalidOptions) << invalid.error().message;
  // Another backup holding the directory's lock.
  {
    const std::string lock = dir_ + "/.tenantdb-backup.lock";
    const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    auto busy = RunBackup(Options(Format::kCustom, 6));
    ::close(fd);
    ASSERT_FALSE(busy.has_value());
    EXPECT_EQ(busy.error().reason, kReasonAlreadyRunning) << busy.error().message;
  }
  // pg_dump older than the server (only where the server is newer than Debian's 15, i.e. under
  // run-with-env.sh --pg 18).
  const std::string pg_dump15 = "/usr/lib/postgresql/15/bin/pg_dump";
  if (std::atoi(One(*admin_, "SHOW server_version_num").c_str()) >= 160000 &&
      ::access(pg_dump15.c_str(), X_OK) == 0) {
    o = Options(Format::kCustom, 6);
    o.pg_dump = pg_dump15;
    auto old = RunBackup(o);
    ASSERT_FALSE(old.has_value());
    EXPECT_EQ(old.error().reason, kReasonVersionMismatch) << old.error().message;
    // And a dump of pg_dump 18 is not given to pg_restore 15.
    auto dump = RunBackup(Options(Format::kCustom, 6), At("2026-12-02T02:00:00Z"));
    ASSERT_TRUE(dump.has_value()) << dump.error().message;
    RestoreOptions r;
    r.dir = dir_;
    r.target_database = db_ + "_target";
    r.pg_restore = "/usr/lib/postgresql/15/bin/pg_restore";
    PqServer server;
    auto refused = RunRestore(r, server);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().reason, kReasonVersionMismatch) << refused.error().message;
    EXPECT_FALSE(DatabaseExists(r.target_database));
    RemovePath(dir_ + "/" + dump->name).IgnoreError();
    RemovePath(dir_ + "/" + ManifestName(dump->name)).IgnoreError();
  }
  EXPECT_EQ(OurFiles(dir_), std::vector<std::string>{});
}

// --- restore refusals ------------------------------------------------------------------------

TEST_F(BackupPgTest, DamagedDumpIsRefusedNamingTheFileAndTheTargetIsNotTouched) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  auto custom = RunBackup(Options(Format::kCustom, 6), At("2026-12-02T02:00:00Z"));
  ASSERT_TRUE(custom.has_value()) << custom.error().message;
  auto directory = RunBackup(Options(Format::kDirectory, 6), At("2026-12-02T02:00:01Z"));
  ASSERT_TRUE(directory.has_value()) << directory.error().message;

  const std::string custom_path = dir_ + "/" + custom->name;
  ASSERT_NO_FATAL_FAILURE(FlipByte(custom_path, fs::file_size(custom_path) / 2));
  const std::string target = db_ + "_target";
  auto refused = Restore(custom->name, target);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().reason, kReasonChecksumMismatch) << refused.error().message;
  EXPECT_NE(refused.error().message.find(custom->name), std::string::npos)
      << refused.error().message;
  EXPECT_FALSE(DatabaseExists(target)) << "a refused restore created the target";

  // A directory dump: one byte of one of its data files.
  std::string data_file;
  for (const auto& entry : fs::directory_iterator(dir_ + "/" + directory->name)) {
    if (entry.path().filename() != "toc.dat" &&
        (data_file.empty() || entry.file_size() > fs::file_size(data_file))) {
      data_file = entry.path().string();
    }
  }
  ASSERT_FALSE(data_file.empty());
  ASSERT_NO_FATAL_FAILURE(FlipByte(data_file, fs::file_size(data_file) / 2));
  refused = Restore(directory->name, target);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().reason, kReasonChecksumMismatch) << refused.error().message;
  EXPECT_NE(refused.error().message.find(directory->name), std::string::npos)
      << refused.error().message;
  EXPECT_FALSE(DatabaseExists(target));

  // An existing target stays as it was, --clean or not.
  ASSERT_NO_FATAL_FAILURE(CreateDatabase(target));
  {
    auto t = Connect(target);
    ASSERT_NE(t, nullptr);
    Script(*t, "CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (42);");
  }
  const auto before = Fingerprint(target);
  for (bool clean : {false, true}) {
    auto again = Restore(custom->name, target, clean);
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().reason, kReasonChecksumMismatch) << again.error().message;
    EXPECT_EQ(Fingerprint(target), before);
  }
}

TEST_F(BackupPgTest, NonEmptyTargetIsRefusedWithoutCleanAndReplacedWithClean) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  const auto original = Fingerprint(db_);
  auto custom = RunBackup(Options(Format::kCustom, 6), At("2026-12-02T02:00:00Z"));
  ASSERT_TRUE(custom.has_value()) << custom.error().message;
  auto plain = RunBackup(Options(Format::kPlain, 0), At("2026-12-02T02:00:01Z"));
  ASSERT_TRUE(plain.has_value()) << plain.error().message;

  const std::string target = db_ + "_target";
  auto first = Restore(custom->name, target);
  ASSERT_TRUE(first.has_value()) << first.error().reason << ": " << first.error().message;
  EXPECT_TRUE(first->created);
  ASSERT_EQ(Fingerprint(target), original);
  {
    // The target drifts: changed rows, a removed large object, a table of its own.
    auto t = Connect(target);
    ASSERT_NE(t, nullptr);
    Script(*t,
           "UPDATE texts SET body = 'changed' WHERE id = 1; DELETE FROM orders WHERE id > 100;"
           "SELECT lo_unlink(blob) FROM documents WHERE id = 2;"
           "CREATE TABLE extra (x int); INSERT INTO extra VALUES (1);");
  }
  const auto drifted = Fingerprint(target);
  ASSERT_NE(drifted, original);

  for (const std::string& name : {custom->name, plain->name}) {
    auto refused = Restore(name, target);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().reason, kReasonTargetNotEmpty) << refused.error().message;
    EXPECT_NE(refused.error().message.find(target), std::string::npos) << refused.error().message;
    EXPECT_EQ(Fingerprint(target), drifted);
  }
  // --clean needs an archive: a plain script is refused before anything runs.
  auto plain_clean = Restore(plain->name, target, true);
  ASSERT_FALSE(plain_clean.has_value());
  EXPECT_EQ(plain_clean.error().reason, kReasonInvalidOptions) << plain_clean.error().message;

  // A --clean restore that fails half-way (a view of the target's own depends on a table the
  // backup drops) is rolled back as a whole.
  {
    auto t = Connect(target);
    ASSERT_NE(t, nullptr);
    Script(*t, "CREATE VIEW public.order_count AS SELECT count(*) AS n FROM public.orders;");
  }
  const auto with_view = Fingerprint(target);
  auto failed = Restore(custom->name, target, true);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().reason, kReasonRestoreFailed) << failed.error().message;
  EXPECT_EQ(Fingerprint(target), with_view);
  {
    auto t = Connect(target);
    ASSERT_NE(t, nullptr);
    Script(*t, "DROP VIEW public.order_count;");
  }

  auto cleaned = Restore(custom->name, target, true);
  ASSERT_TRUE(cleaned.has_value()) << cleaned.error().reason << ": " << cleaned.error().message;
  EXPECT_FALSE(cleaned->created);
  // What the backup holds is back as it was; the target's own table stays (--clean drops only
  // the backup's objects).
  auto after = Fingerprint(target);
  EXPECT_EQ(after.count("table public.extra"), 1U);
  EXPECT_EQ(after["table public.extra"].substr(0, 2), "1 ");
  after.erase("table public.extra");
  EXPECT_EQ(after, original);
}

}  // namespace
}  // namespace tenantdb::backup

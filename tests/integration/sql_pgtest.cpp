// The SQL layer against the real PostgreSQL 15 of scripts/testenv: quoting versus the server's
// own functions, every SqlAction rendered and executed as the operator's non-superuser admin
// role (CREATEDB CREATEROLE) and read back through the catalog readers, SCRAM verifiers, error
// classes, and the session pool over libpqxx. A missing server is a failure, never a skip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/password.h"
#include "sql/actions.h"
#include "sql/catalog.h"
#include "sql/pool.h"
#include "sql/pqxx_executor.h"
#include "sql/quoting.h"

namespace tenantdb::sql {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

#define ASSERT_OK(expr)                                                \
  do {                                                                 \
    const auto& ok_result_ = (expr);                                   \
    ASSERT_TRUE(ok_result_.has_value()) << ok_result_.error().message; \
  } while (false)

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    ADD_FAILURE() << name << " is not set: run under scripts/testenv (a missing server fails)";
    return "";
  }
  return v;
}

ConnectionParams AdminParams(const std::string& dbname = "postgres") {
  ConnectionParams p;
  p.host = Env("PGHOST");
  p.port = std::atoi(Env("PGPORT").c_str());
  p.user = Env("TENANTDB_PG_ADMIN_USER");
  p.password = Env("TENANTDB_PG_ADMIN_PASSWORD");
  p.dbname = dbname;
  p.sslmode = "disable";
  return p;
}

ConnectionParams SuperParams(const std::string& dbname = "postgres") {
  ConnectionParams p = AdminParams(dbname);
  p.user = Env("PGUSER");
  p.password = Env("PGPASSWORD");
  return p;
}

// Names unique to this process, hostile on purpose where the server allows it.
std::string Name(const std::string& base) {
  return "sqlt_" + std::to_string(::getpid()) + "_" + base;
}

std::unique_ptr<SqlExecutor> MustConnect(const ConnectionParams& p) {
  PqxxConnector connector;
  auto s = connector.Connect(p);
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return s.has_value() ? std::move(*s) : nullptr;
}

// Renders (validated) and runs one action the way an executor must.
Expected<void> Apply(SqlExecutor& session, const SqlAction& action) {
  TENANTDB_TRY(RenderedAction r, RenderChecked(action));
  if (MustRunOutsideTransaction(action)) {
    TENANTDB_TRY(Rows ignored, session.Query(r.statement));
    static_cast<void>(ignored);
    return {};
  }
  return session.ExecuteInTransaction({r.statement});
}

std::string Scalar(SqlExecutor& s, const Statement& st) {
  auto rows = s.Query(st);
  EXPECT_TRUE(rows.has_value()) << (rows.has_value() ? "" : rows.error().message);
  if (!rows.has_value() || rows->empty() || rows->front().empty() || !rows->front()[0]) {
    return "<null>";
  }
  return *rows->front()[0];
}

// Drops what a previous, aborted run may have left behind (as the superuser).
void CleanUp(const std::vector<std::string>& databases, const std::vector<std::string>& roles) {
  auto su = MustConnect(SuperParams());
  ASSERT_NE(su, nullptr);
  for (const auto& d : databases) {
    ASSERT_OK(Apply(*su, DropDatabase{.name = d}));
  }
  for (const auto& r : roles) {
    ASSERT_OK(Apply(*su, DropRole{.role = r}));
  }
}

// --- quoting versus the server ------------------------------------------------------------------

std::vector<std::string> HostileInputs() {
  return {
      "plain",
      "UPPER",
      "MixedCase",
      "with space",
      "a\"b",
      "\"",
      "\"\"",
      "it's",
      "''",
      ";",
      "x; DROP TABLE y; --",
      "--",
      "/* c */",
      "$$",
      "$tag$ body $tag$",
      "back\\slash",
      "\\",
      "\\'",
      "tab\there",
      "new\nline",
      "ünïcødé",
      "🐘 emoji 🎉",
      "select",
      "user",
      "9starts_with_digit",
      "_ok_123",
      std::string(63, 'x'),
      std::string(61, 'a') + "é",  // 63 bytes, 62 characters
  };
}

TEST(SqlQuotingPgTest, QuoteLiteralIsByteIdenticalToTheServer) {
  auto s = MustConnect(AdminParams());
  ASSERT_NE(s, nullptr);
  for (const std::string& x : HostileInputs()) {
    const std::string q = QuoteLiteral(x);
    auto rows = s->Query({"SELECT quote_literal($1::text), " + q + " = $1::text, " + q, {x}});
    ASSERT_TRUE(rows.has_value()) << x << ": " << rows.error().message;
    EXPECT_EQ((*rows)[0][0], q) << x;
    EXPECT_EQ((*rows)[0][1], "t") << x;
    EXPECT_EQ((*rows)[0][2], x) << x;
  }
}

TEST(SqlQuotingPgTest, QuoteIdentMatchesTheServerAndReadsBackExactly) {
  auto s = MustConnect(AdminParams());
  ASSERT_NE(s, nullptr);
  for (const std::string& x : HostileInputs()) {
    const std::string q = QuoteIdent(x);
    const std::string server = Scalar(*s, {"SELECT quote_ident($1::text)", {x}});
    if (server.starts_with("\"")) {
      EXPECT_EQ(server, q) << x;
    } else {
      EXPECT_EQ(server, x) << "the server left it bare, so it is a plain lower-case identifier";
    }
    // The server reads "SELECT 1 AS <q>" as a column named exactly x.
    EXPECT_EQ(
        Scalar(*s, {"SELECT json_object_keys(row_to_json(t)) FROM (SELECT 1 AS " + q + ") t", {}}),
        x);
  }
}

// --- SCRAM and the server log -------------------------------------------------------------------

TEST(SqlRolePgTest, RolesMembershipsSettingsAndScramLogin) {
  const std::string app = Name("App \"user\"");
  const std::string readers = Name("readers");
  const std::string db = Name("roles_db");
  CleanUp({db}, {app, readers});
  auto admin = MustConnect(AdminParams());
  ASSERT_NE(admin, nullptr);

  const std::string clear = GeneratePassword();
  auto verifier = admin->EncryptPassword(app, clear);
  ASSERT_OK(verifier);
  EXPECT_TRUE(verifier->starts_with("SCRAM-SHA-256$4096:")) << *verifier;
  EXPECT_EQ(verifier->find(clear), std::string::npos);

  ASSERT_OK(Apply(*admin, CreateRole{.role = readers}));
  ASSERT_OK(Apply(*admin, CreateRole{.role = app,
                                     .login = true,
                                     .connection_limit = 4,
                                     .valid_until = "2030-01-01T00:00:00Z",
                                     .password_verifier = *verifier}));
  ASSERT_OK(Apply(*admin, CreateDatabase{.name = db, .owner = Env("TENANTDB_PG_ADMIN_USER")}));

  // The clear password logs in; a wrong one is an authentication failure.
  {
    ConnectionParams p = AdminParams(db);
    p.user = app;
    p.password = clear;
    auto as_app = MustConnect(p);
    ASSERT_NE(as_app, nullptr);
    EXPECT_EQ(Scalar(*as_app, {"SELECT current_user", {}}), app);
    auto count = CountSessions(*admin, app);
    ASSERT_OK(count);
    EXPECT_EQ(*count, 1);
    p.password = clear + "x";
    PqxxConnector connector;
    auto wrong = connector.Connect(p);
    ASSERT_FALSE(wrong.has_value());
    EXPECT_EQ(wrong.error().reason, "AuthenticationFailed");
  }

  ASSERT_OK(Apply(*admin, GrantMembership{.role = readers, .member = app}));
  ASSERT_OK(Apply(*admin, SetRoleConfig{.role = app, .parameter = "search_path", .value = "app"}));
  ASSERT_OK(Apply(
      *admin, SetRoleConfig{.role = app, .database = db, .parameter = "role", .value = readers}));
  {
    auto role = ReadRole(*admin, app);
    ASSERT_OK(role);
    ASSERT_TRUE(role->has_value());
    const ObservedRole& r = **role;
    EXPECT_EQ(r.name, app);
    EXPECT_TRUE(r.login);
    EXPECT_FALSE(r.superuser);
    EXPECT_FALSE(r.create_db);
    EXPECT_FALSE(r.create_role);
    EXPECT_TRUE(r.inherit);
    EXPECT_EQ(r.connection_limit, 4);
    EXPECT_EQ(r.valid_until, "2030-01-01T00:00:00Z");
    EXPECT_FALSE(r.has_password) << "the admin role cannot read pg_authid";
    EXPECT_THAT(r.member_of, ElementsAre(readers));
    EXPECT_THAT(r.members, IsEmpty());
    EXPECT_THAT(r.settings,
                ElementsAre(std::pair<std::string, std::string>("", "search_path=app"),
                            std::pair<std::string, std::string>(db, "role=" + readers)));
    auto group = ReadRole(*admin, readers);
    ASSERT_OK(group);
    EXPECT_THAT((*group)->members, ElementsAre(app));
    EXPECT_FALSE((*group)->login);
  }
  {
    auto su = MustConnect(SuperParams());
    auto role = ReadRole(*su, app);
    ASSERT_OK(role);
    EXPECT_TRUE((*role)->has_password) << "a superuser reads pg_authid";
    EXPECT_EQ(Scalar(*su, {"SELECT rolpassword FROM pg_authid WHERE rolname = $1", {app}}),
              *verifier);
  }

  ASSERT_OK(Apply(
      *admin,
      AlterRole{.role = app, .login = false, .connection_limit = 2, .valid_until = "infinity"}));
  ASSERT_OK(Apply(*admin, AlterRole{.role = app}));  // nothing to change: accepted
  ASSERT_OK(Apply(*admin, RevokeMembership{.role = readers, .member = app}));
  ASSERT_OK(Apply(*admin, SetRoleConfig{.role = app, .parameter = "search_path"}));
  {
    auto role = ReadRole(*admin, app);
    ASSERT_OK(role);
    EXPECT_FALSE((*role)->login);
    EXPECT_EQ((*role)->connection_limit, 2);
    EXPECT_EQ((*role)->valid_until, "infinity");
    EXPECT_THAT((*role)->member_of, IsEmpty());
    EXPECT_THAT((*role)->settings,
                ElementsAre(std::pair<std::string, std::string>(db, "role=" + readers)));
  }

  // The server logs every statement (log_statement=all): the role's CREATE is there, the clear
  // password is not.
  const std::string log_path = Env("TENANTDB_PG_LOG");
  std::string log;
  for (int i = 0; i < 50; ++i) {
    std::ifstream in(log_path);
    std::stringstream buf;
    buf << in.rdbuf();
    log = buf.str();
    if (log.find("CREATE ROLE " + QuoteIdent(app)) != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(log.find("CREATE ROLE " + QuoteIdent(app)), std::string::npos)
      << "log_statement=all should have logged the CREATE ROLE";
  EXPECT_EQ(log.find(clear), std::string::npos) << "the clear password reached the server log";

  ASSERT_OK(Apply(*admin, DropDatabase{.name = db}));
  ASSERT_OK(Apply(*admin, DropRole{.role = app}));
  ASSERT_OK(Apply(*admin, DropRole{.role = app}));  // idempotent
  ASSERT_OK(Apply(*admin, DropRole{.role = readers}));
  auto gone = ReadRole(*admin, app);
  ASSERT_OK(gone);
  EXPECT_FALSE(gone->has_value());
}

// --- databases, schemas, extensions
// ---------------------------------------------------------------

TEST(SqlDatabasePgTest, CreateAlterCommentRevokeAndForceDrop) {
  const std::string owner = Name("Owner");
  const std::string owner2 = Name("owner2");
  const std::string db = Name("Shop; --\"db\"");
  const std::string admin_user = Env("TENANTDB_PG_ADMIN_USER");
  CleanUp({db}, {owner, owner2});
  auto admin = MustConnect(AdminParams());
  ASSERT_NE(admin, nullptr);

  ASSERT_OK(Apply(*admin, CreateRole{.role = owner}));
  ASSERT_OK(Apply(*admin, CreateRole{.role = owner2}));
  // PostgreSQL 15: CREATE DATABASE ... OWNER r and ALTER ... OWNER TO r need membership in r;
  // CREATEROLE alone is not enough (planners must grant it first).
  {
    auto denied = Apply(*admin, CreateDatabase{.name = db, .owner = owner});
    ASSERT_FALSE(denied.has_value());
    EXPECT_EQ(denied.error().code, ErrorCode::kPermission) << denied.error().message;
  }
  ASSERT_OK(Apply(*admin, GrantMembership{.role = owner, .member = admin_user}));
  ASSERT_OK(Apply(*admin, GrantMembership{.role = owner2, .member = admin_user}));
  ASSERT_OK(Apply(*admin, CreateDatabase{.name = db,
                                         .owner = owner,
                                         .encoding = "UTF8",
                                         .template_name = "template0",
                                         .connection_limit = 7}));
  const std::string comment = "managed-by=tenantdb; it's \\ \"ok\"";
  ASSERT_OK(Apply(*admin, CommentOnDatabase{.name = db, .comment = comment}));
  {
    auto observed = ReadDatabase(*admin, db);
    ASSERT_OK(observed);
    ASSERT_TRUE(observed->has_value());
    const ObservedDatabase& d = **observed;
    EXPECT_EQ(d.name, db);
    EXPECT_EQ(d.owner, owner);
    EXPECT_EQ(d.encoding, "UTF8");
    EXPECT_FALSE(d.collate.empty());
    EXPECT_FALSE(d.ctype.empty());
    EXPECT_EQ(d.connection_limit, 7);
    EXPECT_EQ(d.comment, comment);
    // NULL datacl: PostgreSQL's implicit defaults.
    EXPECT_THAT(d.acl, Contains(AclEntry{"PUBLIC", "CONNECT", false}));
    EXPECT_THAT(d.acl, Contains(AclEntry{"PUBLIC", "TEMPORARY", false}));
    EXPECT_THAT(d.acl, Contains(AclEntry{owner, "CREATE", false}));
  }
  auto listed = ListDatabases(*admin);
  ASSERT_OK(listed);
  EXPECT_THAT(*listed, Contains(db));
  EXPECT_THAT(*listed, Not(Contains("template0")));

  ASSERT_OK(Apply(*admin, RevokePrivileges{.database = db,
                                           .target = PrivilegeTarget::kDatabase,
                                           .privileges = {"ALL"},
                                           .grantee = "PUBLIC"}));
  ASSERT_OK(Apply(*admin, GrantPrivileges{.database = db,
                                          .target = PrivilegeTarget::kDatabase,
                                          .privileges = {"CONNECT"},
                                          .grantee = owner2}));
  ASSERT_OK(Apply(*admin, AlterDatabaseOwner{.name = db, .owner = owner2}));
  ASSERT_OK(Apply(*admin, AlterDatabaseConnectionLimit{.name = db, .connection_limit = 3}));
  {
    auto observed = ReadDatabase(*admin, db);
    ASSERT_OK(observed);
    const ObservedDatabase& d = **observed;
    EXPECT_EQ(d.owner, owner2);
    EXPECT_EQ(d.connection_limit, 3);
    for (const AclEntry& e : d.acl) {
      EXPECT_NE(e.grantee, "PUBLIC") << e.privilege;
    }
    EXPECT_THAT(d.acl, Contains(AclEntry{owner2, "CONNECT", false}));
  }

  // Per-database objects, from a session on that database.
  auto in_db = MustConnect(AdminParams(db));
  ASSERT_NE(in_db, nullptr);
  const std::string schema = "App Schema";
  for (int i = 0; i < 2; ++i) {  // idempotent
    ASSERT_OK(Apply(*in_db, CreateSchema{.database = db, .name = schema, .owner = owner}));
  }
  {
    auto schemas = ReadSchemas(*in_db);
    ASSERT_OK(schemas);
    auto it = std::find_if(schemas->begin(), schemas->end(),
                           [&](const ObservedSchema& s) { return s.name == schema; });
    ASSERT_NE(it, schemas->end());
    EXPECT_EQ(it->owner, owner);
    EXPECT_THAT(it->acl,
                ElementsAre(AclEntry{owner, "CREATE", false}, AclEntry{owner, "USAGE", false}));
    for (const ObservedSchema& s : *schemas) {
      EXPECT_FALSE(s.name.starts_with("pg_")) << s.name;
      EXPECT_NE(s.name, "information_schema");
    }
  }
  ASSERT_OK(Apply(*in_db, AlterSchemaOwner{.database = db, .name = schema, .owner = owner2}));

  // A trusted contrib extension (postgresql-15 ships contrib): a non-superuser may create it.
  const std::string available = Scalar(
      *in_db, {"SELECT max(name) FROM pg_available_extensions WHERE name IN ('citext')", {}});
  if (available == "citext") {
    for (int i = 0; i < 2; ++i) {
      ASSERT_OK(Apply(
          *in_db,
          CreateExtension{.database = db, .name = "citext", .schema = schema, .version = "1.6"}));
    }
    ASSERT_OK(Apply(*in_db, UpdateExtension{.database = db, .name = "citext", .version = "1.6"}));
    auto extensions = ReadExtensions(*in_db);
    ASSERT_OK(extensions);
    EXPECT_THAT(*extensions, Contains(ObservedExtension{"citext", "1.6", schema}));
    EXPECT_THAT(*extensions, Contains(ObservedExtension{"plpgsql", "1.0", "pg_catalog"}));
    // RESTRICT: the schema holding the extension cannot go.
    auto blocked = Apply(*in_db, DropSchema{.database = db, .name = schema});
    ASSERT_FALSE(blocked.has_value());
    EXPECT_EQ(blocked.error().code, ErrorCode::kConflict) << blocked.error().message;
    ASSERT_OK(Apply(*in_db, DropExtension{.database = db, .name = "citext"}));
    ASSERT_OK(Apply(*in_db, DropExtension{.database = db, .name = "citext"}));
    extensions = ReadExtensions(*in_db);
    ASSERT_OK(extensions);
    EXPECT_THAT(*extensions, Not(Contains(ObservedExtension{"citext", "1.6", schema})));
  } else {
    ADD_FAILURE() << "citext is not available: install postgresql-contrib for PostgreSQL 15";
  }
  ASSERT_OK(Apply(*in_db, DropSchema{.database = db, .name = schema}));
  ASSERT_OK(Apply(*in_db, DropSchema{.database = db, .name = schema}));

  {
    auto usage = ReadDatabaseUsage(*admin, {db, "postgres", Name("missing")});
    ASSERT_OK(usage);
    ASSERT_EQ(usage->size(), 2u);
    const auto& mine = (*usage)[0].name == db ? (*usage)[0] : (*usage)[1];
    EXPECT_EQ(mine.name, db);
    EXPECT_GT(mine.size_bytes, 0);
    EXPECT_EQ(mine.connections, 1);  // in_db
  }

  // DROP DATABASE while a session is connected: without FORCE a conflict (after the server's
  // 5 s wait), with FORCE the session is terminated and the database goes.
  {
    auto refused = Apply(*admin, DropDatabase{.name = db, .force = false});
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, ErrorCode::kConflict) << refused.error().message;
  }
  ASSERT_OK(Apply(*admin, DropDatabase{.name = db, .force = true}));
  {
    auto lost = in_db->Query({"SELECT 1", {}});
    ASSERT_FALSE(lost.has_value());
    EXPECT_EQ(lost.error().code, ErrorCode::kTransient) << lost.error().message;
    EXPECT_EQ(lost.error().reason, "ServerUnreachable");
  }
  auto observed = ReadDatabase(*admin, db);
  ASSERT_OK(observed);
  EXPECT_FALSE(observed->has_value());
  ASSERT_OK(Apply(*admin, DropDatabase{.name = db}));  // idempotent
  ASSERT_OK(Apply(*admin, DropRole{.role = owner}));
  ASSERT_OK(Apply(*admin, DropRole{.role = owner2}));
}

// --- privileges, default privileges, reassign/drop owned, error classes
// ---------------------------

TEST(SqlPrivilegePgTest, GrantsDefaultPrivilegesRevokesAndOwnedObjects) {
  const std::string owner = Name("priv_owner");
  const std::string migrator = Name("migrator");
  const std::string app = Name("app");
  const std::string reader = Name("Reader");
  const std::string db = Name("priv_db");
  const std::string admin_user = Env("TENANTDB_PG_ADMIN_USER");
  CleanUp({db}, {app, reader, migrator, owner});
  auto admin = MustConnect(AdminParams());
  ASSERT_NE(admin, nullptr);
  const std::string clear = GeneratePassword();
  auto verifier = admin->EncryptPassword(app, clear);
  ASSERT_OK(verifier);
  ASSERT_OK(Apply(*admin, CreateRole{.role = owner}));
  ASSERT_OK(Apply(*admin, CreateRole{.role = migrator}));
  ASSERT_OK(Apply(*admin, CreateRole{.role = app, .login = true, .password_verifier = *verifier}));
  ASSERT_OK(Apply(*admin, CreateRole{.role = reader}));
  ASSERT_OK(Apply(*admin, GrantMembership{.role = owner, .member = admin_user}));
  ASSERT_OK(Apply(*admin, GrantMembership{.role = migrator, .member = admin_user}));
  ASSERT_OK(Apply(*admin, CreateDatabase{.name = db, .owner = owner}));

  auto s = MustConnect(AdminParams(db));
  ASSERT_NE(s, nullptr);
  ASSERT_OK(Apply(*s, CreateSchema{.database = db, .name = "app", .owner = owner}));
  ASSERT_OK(s->ExecuteInTransaction({{"SET LOCAL ROLE " + QuoteIdent(owner), {}},
                                     {"CREATE TABLE app.orders (id serial PRIMARY KEY)", {}}}));

  ASSERT_OK(Apply(*s, GrantPrivileges{.database = db,
                                      .target = PrivilegeTarget::kDatabase,
                                      .privileges = {"CONNECT", "TEMPORARY"},
                                      .grantee = app}));
  ASSERT_OK(Apply(*s, GrantPrivileges{.database = db,
                                      .target = PrivilegeTarget::kSchema,
                                      .schema = "app",
                                      .privileges = {"USAGE"},
                                      .grantee = app}));
  ASSERT_OK(Apply(*s, GrantPrivileges{.database = db,
                                      .target = PrivilegeTarget::kSchema,
                                      .schema = "app",
                                      .privileges = {"CREATE", "USAGE"},
                                      .grantee = migrator}));
  ASSERT_OK(Apply(*s, GrantPrivileges{.database = db,
                                      .target = PrivilegeTarget::kTable,
                                      .schema = "app",
                                      .object = "orders",
                                      .privileges = {"select", "INSERT"},
                                      .grantee = app}));
  ASSERT_OK(Apply(*s, GrantPrivileges{.database = db,
                                      .target = PrivilegeTarget::kSequence,
                                      .schema = "app",
                                      .object = "orders_id_seq",
                                      .privileges = {"USAGE"},
                                      .grantee = app}));
  ASSERT_OK(Apply(*s, GrantPrivileges{.database = db,
                                      .target = PrivilegeTarget::kAllTablesInSchema,
                                      .schema = "app",
                                      .privileges = {"SELECT"},
                                      .grantee = reader}));
  ASSERT_OK(Apply(*s, GrantPrivileges{.database = db,
                                      .target = PrivilegeTarget::kAllSequencesInSchema,
                                      .schema = "app",
                                      .privileges = {"SELECT"},
                                      .grantee = reader}));
  using K = ObservedObjectKind;
  {
    auto privileges = ReadPrivileges(*s, app);
    ASSERT_OK(privileges);
    EXPECT_THAT(*privileges,
                ElementsAre(ObservedPrivilege{K::kDatabase, "", db, app, "CONNECT"},
                            ObservedPrivilege{K::kDatabase, "", db, app, "TEMPORARY"},
                            ObservedPrivilege{K::kSchema, "", "app", app, "USAGE"},
                            ObservedPrivilege{K::kTable, "app", "orders", app, "INSERT"},
                            ObservedPrivilege{K::kTable, "app", "orders", app, "SELECT"},
                            ObservedPrivilege{K::kSequence, "app", "orders_id_seq", app, "USAGE"}));
    auto readers = ReadPrivileges(*s, reader);
    ASSERT_OK(readers);
    EXPECT_THAT(
        *readers,
        ElementsAre(ObservedPrivilege{K::kTable, "app", "orders", reader, "SELECT"},
                    ObservedPrivilege{K::kSequence, "app", "orders_id_seq", reader, "SELECT"}));
    // PUBLIC's implicit database privileges show until revoked; the public schema's USAGE too.
    auto pub = ReadPrivileges(*s, "PUBLIC");
    ASSERT_OK(pub);
    EXPECT_THAT(*pub, Contains(ObservedPrivilege{K::kDatabase, "", db, "PUBLIC", "CONNECT"}));
    EXPECT_THAT(*pub, Contains(ObservedPrivilege{K::kSchema, "", "public", "PUBLIC", "USAGE"}));
    auto nobody = ReadPrivileges(*s, Name("nobody"));
    ASSERT_OK(nobody);
    EXPECT_THAT(*nobody, IsEmpty());
  }

  // Default privileges FOR ROLE the migrator: its future tables become readable by the reader.
  ASSERT_OK(Apply(*s, AlterDefaultPrivileges{.database = db,
                                             .for_role = migrator,
                                             .schema = "app",
                                             .objects = DefaultPrivilegeObject::kTables,
                                             .privileges = {"SELECT"},
                                             .grantee = reader}));
  ASSERT_OK(Apply(*s, AlterDefaultPrivileges{.database = db,
                                             .for_role = migrator,
                                             .objects = DefaultPrivilegeObject::kSequences,
                                             .privileges = {"USAGE"},
                                             .grantee = app}));
  ASSERT_OK(Apply(*s, AlterDefaultPrivileges{.database = db,
                                             .for_role = migrator,
                                             .objects = DefaultPrivilegeObject::kFunctions,
                                             .privileges = {"EXECUTE"},
                                             .grantee = app}));
  {
    auto defaults = ReadDefaultPrivileges(*s, reader);
    ASSERT_OK(defaults);
    EXPECT_THAT(*defaults,
                ElementsAre(ObservedDefaultPrivilege{migrator, "app", "tables", reader, "SELECT"}));
    auto app_defaults = ReadDefaultPrivileges(*s, app);
    ASSERT_OK(app_defaults);
    EXPECT_THAT(
        *app_defaults,
        ElementsAre(ObservedDefaultPrivilege{migrator, std::nullopt, "functions", app, "EXECUTE"},
                    ObservedDefaultPrivilege{migrator, std::nullopt, "sequences", app, "USAGE"}));
  }
  ASSERT_OK(s->ExecuteInTransaction(
      {{"SET LOCAL ROLE " + QuoteIdent(migrator), {}}, {"CREATE TABLE app.later (x int)", {}}}));
  {
    auto readers = ReadPrivileges(*s, reader);
    ASSERT_OK(readers);
    EXPECT_THAT(*readers, Contains(ObservedPrivilege{K::kTable, "app", "later", reader, "SELECT"}));
  }

  // Error classes.
  {
    auto missing_table = Apply(*s, GrantPrivileges{.database = db,
                                                   .target = PrivilegeTarget::kTable,
                                                   .schema = "app",
                                                   .object = "nope",
                                                   .privileges = {"SELECT"},
                                                   .grantee = app});
    ASSERT_FALSE(missing_table.has_value());
    EXPECT_EQ(missing_table.error().code, ErrorCode::kDependency) << missing_table.error().message;
    EXPECT_EQ(missing_table.error().reason, "GrantTargetMissing");
    auto missing_schema = Apply(*s, GrantPrivileges{.database = db,
                                                    .target = PrivilegeTarget::kAllTablesInSchema,
                                                    .schema = "nope",
                                                    .privileges = {"SELECT"},
                                                    .grantee = app});
    ASSERT_FALSE(missing_schema.has_value());
    EXPECT_EQ(missing_schema.error().code, ErrorCode::kDependency)
        << missing_schema.error().message;
    auto missing_role = Apply(*s, GrantPrivileges{.database = db,
                                                  .target = PrivilegeTarget::kSchema,
                                                  .schema = "app",
                                                  .privileges = {"USAGE"},
                                                  .grantee = Name("ghost")});
    ASSERT_FALSE(missing_role.has_value());
    EXPECT_EQ(missing_role.error().code, ErrorCode::kDependency) << missing_role.error().message;
    auto duplicate = Apply(*admin, CreateRole{.role = app});
    ASSERT_FALSE(duplicate.has_value());
    EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict) << duplicate.error().message;
    auto owns_objects = Apply(*admin, DropRole{.role = migrator});
    ASSERT_FALSE(owns_objects.has_value());
    EXPECT_EQ(owns_objects.error().code, ErrorCode::kConflict) << owns_objects.error().message;
    EXPECT_EQ(owns_objects.error().reason, "ConflictingResource");
    // The app role may connect but not create schemas: permission denied.
    ConnectionParams p = AdminParams(db);
    p.user = app;
    p.password = clear;
    auto as_app = MustConnect(p);
    ASSERT_NE(as_app, nullptr);
    auto denied = Apply(*as_app, CreateSchema{.database = db, .name = "x", .owner = app});
    ASSERT_FALSE(denied.has_value());
    EXPECT_EQ(denied.error().code, ErrorCode::kPermission) << denied.error().message;
    EXPECT_EQ(denied.error().reason, "PermissionDenied");
    // A missing database at connect time.
    PqxxConnector connector;
    auto no_db = connector.Connect(AdminParams(Name("no_such_db")));
    ASSERT_FALSE(no_db.has_value());
    EXPECT_EQ(no_db.error().code, ErrorCode::kDependency) << no_db.error().message;
  }

  // Revokes.
  ASSERT_OK(Apply(*s, RevokePrivileges{.database = db,
                                       .target = PrivilegeTarget::kTable,
                                       .schema = "app",
                                       .object = "orders",
                                       .privileges = {"INSERT"},
                                       .grantee = app}));
  ASSERT_OK(Apply(*s, AlterDefaultPrivileges{.database = db,
                                             .for_role = migrator,
                                             .schema = "app",
                                             .objects = DefaultPrivilegeObject::kTables,
                                             .privileges = {"SELECT"},
                                             .grantee = reader,
                                             .grant = false}));
  {
    auto privileges = ReadPrivileges(*s, app);
    ASSERT_OK(privileges);
    EXPECT_THAT(*privileges,
                Not(Contains(ObservedPrivilege{K::kTable, "app", "orders", app, "INSERT"})));
    EXPECT_THAT(*privileges,
                Contains(ObservedPrivilege{K::kTable, "app", "orders", app, "SELECT"}));
    auto defaults = ReadDefaultPrivileges(*s, reader);
    ASSERT_OK(defaults);
    EXPECT_THAT(*defaults, IsEmpty());
  }

  // REASSIGN OWNED moves the migrator's table to the owner; DROP OWNED clears the app's grants
  // (and default privileges) so that the role can be dropped.
  ASSERT_OK(Apply(*s, ReassignOwned{.database = db, .role = migrator, .new_owner = owner}));
  EXPECT_EQ(Scalar(*s, {"SELECT tableowner FROM pg_tables WHERE schemaname = 'app' AND "
                        "tablename = 'later'",
                        {}}),
            owner);
  // PostgreSQL 15: DROP OWNED BY r needs the privileges of r; CREATEROLE alone is not enough.
  {
    auto denied = Apply(*s, DropOwned{.database = db, .role = app});
    ASSERT_FALSE(denied.has_value());
    EXPECT_EQ(denied.error().code, ErrorCode::kPermission) << denied.error().message;
  }
  ASSERT_OK(Apply(*admin, GrantMembership{.role = app, .member = admin_user}));
  ASSERT_OK(Apply(*s, DropOwned{.database = db, .role = app}));
  ASSERT_OK(Apply(*s, DropOwned{.database = db, .role = migrator}));
  {
    auto privileges = ReadPrivileges(*s, app);
    ASSERT_OK(privileges);
    EXPECT_THAT(*privileges, IsEmpty());
    auto defaults = ReadDefaultPrivileges(*s, app);
    ASSERT_OK(defaults);
    EXPECT_THAT(*defaults, IsEmpty());
  }
  s.reset();
  ASSERT_OK(Apply(*admin, DropDatabase{.name = db}));
  ASSERT_OK(Apply(*admin, DropRole{.role = migrator}));
  ASSERT_OK(Apply(*admin, DropRole{.role = app}));
  ASSERT_OK(Apply(*admin, DropRole{.role = reader}));
  ASSERT_OK(Apply(*admin, DropRole{.role = owner}));
}

// DROP DATABASE ... WITH (FORCE) must terminate other roles' sessions; PostgreSQL 15 lets the
// admin do that only for roles it is a member of (or with pg_signal_backend).
TEST(SqlDatabasePgTest, ForceDropWithAnotherRolesSession) {
  const std::string owner = Name("fd_owner");
  const std::string app = Name("fd_app");
  const std::string db = Name("fd_db");
  const std::string admin_user = Env("TENANTDB_PG_ADMIN_USER");
  CleanUp({db}, {app, owner});
  auto admin = MustConnect(AdminParams());
  ASSERT_NE(admin, nullptr);
  const std::string clear = GeneratePassword();
  auto verifier = admin->EncryptPassword(app, clear);
  ASSERT_OK(verifier);
  ASSERT_OK(Apply(*admin, CreateRole{.role = owner}));
  ASSERT_OK(Apply(*admin, CreateRole{.role = app, .login = true, .password_verifier = *verifier}));
  ASSERT_OK(Apply(*admin, GrantMembership{.role = owner, .member = admin_user}));
  ASSERT_OK(Apply(*admin, CreateDatabase{.name = db, .owner = owner}));
  ConnectionParams p = AdminParams(db);
  p.user = app;
  p.password = clear;
  auto as_app = MustConnect(p);
  ASSERT_NE(as_app, nullptr);

  auto dropped = Apply(*admin, DropDatabase{.name = db, .force = true});
  if (!dropped.has_value()) {
    // Record the class the reconciler will see, then make it work the documented way.
    EXPECT_EQ(dropped.error().code, ErrorCode::kPermission) << dropped.error().message;
    ASSERT_OK(Apply(*admin, GrantMembership{.role = app, .member = admin_user}));
    ASSERT_OK(Apply(*admin, DropDatabase{.name = db, .force = true}));
  }
  EXPECT_FALSE(as_app->Query({"SELECT 1", {}}).has_value());
  auto observed = ReadDatabase(*admin, db);
  ASSERT_OK(observed);
  EXPECT_FALSE(observed->has_value());
  ASSERT_OK(Apply(*admin, DropRole{.role = app}));
  ASSERT_OK(Apply(*admin, DropRole{.role = owner}));
}

// --- the pool over libpqxx
// --------------------------------------------------------------------------

TEST(SqlPoolPgTest, ReusesRealSessionsAndDropsBrokenOnes) {
  PqxxConnector pqxx;
  PooledConnector pool(
      pqxx, {.default_max_sessions = 2, .acquire_timeout = std::chrono::milliseconds(200)});
  std::string pid;
  {
    auto s = pool.Connect(AdminParams());
    ASSERT_OK(s);
    pid = Scalar(**s, {"SELECT pg_backend_pid()::text", {}});
  }
  {
    auto s = pool.Connect(AdminParams());
    ASSERT_OK(s);
    EXPECT_EQ(Scalar(**s, {"SELECT pg_backend_pid()::text", {}}), pid);
    // The session kills itself: the next call fails as a lost connection and it is discarded.
    auto killed = (*s)->Query({"SELECT pg_terminate_backend(pg_backend_pid())", {}});
    ASSERT_FALSE(killed.has_value());
    EXPECT_EQ(killed.error().reason, "ServerUnreachable") << killed.error().message;
  }
  EXPECT_EQ(pool.Stats(AdminParams().host, AdminParams().port).open, 0);
  auto a = pool.Connect(AdminParams());
  auto b = pool.Connect(AdminParams());
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_NE(Scalar(**a, {"SELECT pg_backend_pid()::text", {}}), pid);
  auto c = pool.Connect(AdminParams());
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, ErrorCode::kTransient);
  EXPECT_EQ(c.error().message.find(AdminParams().password), std::string::npos);
}

}  // namespace
}  // namespace tenantdb::sql

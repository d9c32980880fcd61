// sql::PgSession and PgSessionFactory against the real PostgreSQL of scripts/testenv, as the
// operator's non-superuser admin role: ReadServerInfo, Apply's transaction rule (all or nothing;
// CREATE/DROP DATABASE alone and outside a transaction block; mixed groups refused before
// anything is sent), and Connect's error classes. A missing server is a failure, never a skip.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "sql/actions.h"
#include "sql/catalog.h"
#include "sql/pg_session.h"
#include "sql/pqxx_executor.h"

namespace tenantdb::sql {
namespace {

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

std::string Name(const std::string& base) {
  return "pgsess_" + std::to_string(::getpid()) + "_" + base;
}

std::unique_ptr<Session> MustConnect(const ConnectionParams& p) {
  PqxxConnector connector;
  PgSessionFactory factory(connector);
  auto s = factory.Connect(p);
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return s.has_value() ? std::move(*s) : nullptr;
}

std::vector<Statement> Render(const std::vector<SqlAction>& actions) {
  std::vector<Statement> out;
  for (const SqlAction& a : actions) {
    auto r = RenderChecked(a);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    out.push_back(r.has_value() ? r->statement : Statement{});
  }
  return out;
}

Expected<void> Apply(Session& s, const std::vector<SqlAction>& actions) {
  const std::vector<Statement> statements = Render(actions);
  return s.Apply(actions, statements);
}

TEST(PgSessionPgTest, ReadServerInfoGivesTheVersionAndTheAdminIsNoSuperuser) {
  auto admin = MustConnect(AdminParams());
  ASSERT_NE(admin, nullptr);
  auto info = admin->ReadServerInfo();
  ASSERT_OK(info);
  EXPECT_FALSE(info->admin_is_superuser);
  EXPECT_EQ(info->version.find(' '), std::string::npos) << info->version;
  const std::string major = info->version.substr(0, info->version.find('.'));
  EXPECT_GE(std::stoi(major), 15) << info->version;

  ConnectionParams su = AdminParams();
  su.user = Env("PGUSER");
  su.password = Env("PGPASSWORD");
  auto as_super = MustConnect(su);
  ASSERT_NE(as_super, nullptr);
  auto super_info = as_super->ReadServerInfo();
  ASSERT_OK(super_info);
  EXPECT_TRUE(super_info->admin_is_superuser);
  EXPECT_EQ(super_info->version, info->version);
}

TEST(PgSessionPgTest, ApplyCommitsAGroupAllOrNothing) {
  const std::string role = Name("role");
  const std::string other = Name("other");
  auto admin = MustConnect(AdminParams());
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(admin->database(), "postgres");
  ASSERT_OK(Apply(*admin, {DropRole{.role = role}, DropRole{.role = other}}));

  // The second action fails (no such role to grant): the first is rolled back with it.
  auto failed = Apply(
      *admin, {CreateRole{.role = role}, GrantMembership{.role = Name("missing"), .member = role}});
  ASSERT_FALSE(failed.has_value());
  auto absent = admin->ReadRole(role);
  ASSERT_OK(absent);
  EXPECT_FALSE(absent->has_value()) << "the failed group must leave nothing behind";

  ASSERT_OK(Apply(*admin, {CreateRole{.role = role}, CommentOnRole{.role = role, .comment = "m"},
                           CreateRole{.role = other, .login = true}}));
  auto created = admin->ReadRole(role);
  ASSERT_OK(created);
  ASSERT_TRUE(created->has_value());
  EXPECT_EQ((*created)->comment, "m");

  // A statement count that does not match: refused, nothing sent.
  const std::vector<SqlAction> one = {DropRole{.role = role}};
  auto mismatch = admin->Apply(one, {});
  ASSERT_FALSE(mismatch.has_value());
  EXPECT_EQ(mismatch.error().code, ErrorCode::kInternal);
  auto still = admin->ReadRole(role);
  ASSERT_OK(still);
  EXPECT_TRUE(still->has_value());

  ASSERT_OK(Apply(*admin, {}));
  ASSERT_OK(Apply(*admin, {DropRole{.role = role}, DropRole{.role = other}}));
}

TEST(PgSessionPgTest, CreateAndDropDatabaseRunAloneOutsideATransaction) {
  const std::string db = Name("db");
  const std::string admin_user = Env("TENANTDB_PG_ADMIN_USER");
  auto admin = MustConnect(AdminParams());
  ASSERT_NE(admin, nullptr);
  ASSERT_OK(Apply(*admin, {DropDatabase{.name = db}}));

  // Grouped with anything else it is refused before anything is sent.
  auto mixed = Apply(*admin, {CreateDatabase{.name = db, .owner = admin_user},
                              CommentOnDatabase{.name = db, .comment = "m"}});
  ASSERT_FALSE(mixed.has_value());
  EXPECT_EQ(mixed.error().code, ErrorCode::kInternal) << mixed.error().message;
  auto two = Apply(*admin, {DropDatabase{.name = db}, DropDatabase{.name = db + "2"}});
  ASSERT_FALSE(two.has_value());
  EXPECT_EQ(two.error().code, ErrorCode::kInternal);
  auto none = admin->ReadDatabase(db);
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());

  ASSERT_OK(
      Apply(*admin, {CreateDatabase{.name = db, .owner = admin_user, .allow_connections = false}}));
  auto created = admin->ReadDatabase(db);
  ASSERT_OK(created);
  ASSERT_TRUE(created->has_value());
  EXPECT_FALSE((*created)->allow_connections);

  // Closed: the connect is refused (not a missing database).
  {
    PqxxConnector connector;
    PgSessionFactory factory(connector);
    auto closed = factory.Connect(AdminParams(db));
    ASSERT_FALSE(closed.has_value());
    EXPECT_NE(closed.error().code, ErrorCode::kDependency) << closed.error().message;
  }
  ASSERT_OK(Apply(*admin, {AlterDatabaseAllowConnections{.name = db, .allow = true}}));
  {
    auto in_db = MustConnect(AdminParams(db));
    ASSERT_NE(in_db, nullptr);
    EXPECT_EQ(in_db->database(), db);
    auto schemas = in_db->ReadSchemas();
    ASSERT_OK(schemas);
  }
  ASSERT_OK(Apply(*admin, {DropDatabase{.name = db, .force = true}}));
  auto gone = admin->ReadDatabase(db);
  ASSERT_OK(gone);
  EXPECT_FALSE(gone->has_value());
}

TEST(PgSessionPgTest, ConnectErrorsKeepTheirClasses) {
  PqxxConnector connector;
  PgSessionFactory factory(connector);
  auto missing = factory.Connect(AdminParams(Name("no_such_db")));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kDependency) << missing.error().message;

  ConnectionParams wrong = AdminParams();
  wrong.password += "x";
  auto denied = factory.Connect(wrong);
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().reason, "AuthenticationFailed") << denied.error().message;
}

}  // namespace
}  // namespace tenantdb::sql

// The admin's sessions trust nothing a tenant can plant (DESIGN.md "Security model", PITFALLS.md
// CVE-2018-1058): a tenant that owns its database plants functions and operators in `public` and
// in a schema of its own that would catch an unqualified call of a careless admin query, points
// the database's and the roles' search_path at them, and none of them ever runs in a session the
// operator opens — for every catalog reader and the actions that run inside tenant databases.
// A control (a session without the pinned search_path) proves the plants do catch what they
// should. Runs against the real PostgreSQL of scripts/testenv (15, and 18 through
// run-with-env.sh --pg 18).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "sql/actions.h"
#include "sql/catalog.h"
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

ConnectionParams Params(const std::string& user, const std::string& password,
                        const std::string& dbname) {
  ConnectionParams p;
  p.host = Env("PGHOST");
  p.port = std::atoi(Env("PGPORT").c_str());
  p.user = user;
  p.password = password;
  p.dbname = dbname;
  p.sslmode = "disable";
  return p;
}

ConnectionParams Admin(const std::string& dbname) {
  return Params(Env("TENANTDB_PG_ADMIN_USER"), Env("TENANTDB_PG_ADMIN_PASSWORD"), dbname);
}

ConnectionParams Super(const std::string& dbname = "postgres") {
  return Params(Env("PGUSER"), Env("PGPASSWORD"), dbname);
}

std::unique_ptr<SqlExecutor> Connect(const ConnectionParams& p) {
  PqxxConnector connector;
  auto s = connector.Connect(p);
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return s.has_value() ? std::move(*s) : nullptr;
}

Expected<void> Exec(SqlExecutor& s, const std::string& sql) {
  TENANTDB_TRY(Rows ignored, s.Query({sql, {}}));
  static_cast<void>(ignored);
  return {};
}

std::string Scalar(SqlExecutor& s, const std::string& sql) {
  auto rows = s.Query({sql, {}});
  EXPECT_TRUE(rows.has_value()) << (rows ? "" : rows.error().message);
  if (!rows || rows->empty() || rows->front().empty() || !rows->front()[0]) {
    return "<null>";
  }
  return *rows->front()[0];
}

class SearchPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string id = std::to_string(::getpid());
    db_ = "sp_" + id + "_tenant";
    tenant_ = "sp_" + id + "_owner";
    admin_ = Env("TENANTDB_PG_ADMIN_USER");
    auto su = Connect(Super());
    ASSERT_NE(su, nullptr);
    ASSERT_OK(Exec(*su, "DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)"));
    ASSERT_OK(Exec(*su, "DROP ROLE IF EXISTS " + tenant_));
    // The tenant: owner of its database (as tenantdb's Owner preset makes it), nothing more.
    ASSERT_OK(Exec(*su, "CREATE ROLE " + tenant_ + " NOLOGIN"));
    ASSERT_OK(Exec(*su, "GRANT " + tenant_ + " TO " + admin_));
    ASSERT_OK(Exec(*su, "CREATE DATABASE " + db_ + " OWNER " + tenant_));
    auto tdb = Connect(Super(db_));
    ASSERT_NE(tdb, nullptr);
    // Everything below is created by the tenant itself.
    std::vector<Statement> plant = {{"SET LOCAL ROLE " + tenant_, {}}};
    for (const char* sql : {
             "CREATE SCHEMA evil",
             // What a hijack did: who ran what. PUBLIC may write, so the admin's session could.
             "CREATE TABLE public.hijacked (who name, what text)",
             "GRANT INSERT ON public.hijacked TO PUBLIC",
         }) {
      plant.push_back({sql, {}});
    }
    for (const std::string& schema : std::vector<std::string>{"public", "evil"}) {
      const std::string log = "INSERT INTO public.hijacked VALUES (current_user, '" + schema + ".";
      for (const std::string& sql : {
               // Better matches than pg_catalog's left(text, int), lower(text), ... for name
               // arguments: an unqualified call in a session that searches this schema runs them.
               "CREATE FUNCTION " + schema +
                   ".left(name, integer) RETURNS text LANGUAGE sql AS $$" + log +
                   "left'); SELECT 'pg'::text $$",
               "CREATE FUNCTION " + schema + ".lower(name) RETURNS text LANGUAGE sql AS $$" + log +
                   "lower'); SELECT 'x'::text $$",
               "CREATE FUNCTION " + schema +
                   ".starts_with(name, text) RETURNS boolean LANGUAGE "
                   "sql AS $$" +
                   log + "starts_with'); SELECT false $$",
               "CREATE FUNCTION " + schema +
                   ".pg_get_userbyid(oid) RETURNS name LANGUAGE sql AS $$" + log +
                   "pg_get_userbyid'); SELECT 'nobody'::name $$",
               // oid = integer has no exact match in pg_catalog (only oid = oid): a planted one
               // wins over the implicit cast, as `a.grantee = 0` would have found.
               "CREATE FUNCTION " + schema +
                   ".eq(oid, integer) RETURNS boolean LANGUAGE sql AS $$" + log +
                   "='); SELECT true $$",
               "CREATE FUNCTION " + schema + ".ne(name, text) RETURNS boolean LANGUAGE sql AS $$" +
                   log + "<>'); SELECT true $$",
               "CREATE FUNCTION " + schema +
                   ".like(name, text) RETURNS boolean LANGUAGE sql AS $$" + log +
                   "~~'); SELECT true $$",
               "CREATE OPERATOR " + schema +
                   ".= (LEFTARG = oid, RIGHTARG = integer, FUNCTION = " + schema + ".eq)",
               "CREATE OPERATOR " + schema +
                   ".<> (LEFTARG = name, RIGHTARG = text, FUNCTION = " + schema + ".ne)",
               "CREATE OPERATOR " + schema +
                   ".~~ (LEFTARG = name, RIGHTARG = text, FUNCTION = " + schema + ".like)",
           }) {
        plant.push_back({sql, {}});
      }
    }
    plant.push_back({"ALTER DATABASE " + db_ + " SET search_path = public, evil", {}});
    ASSERT_OK(tdb->ExecuteInTransaction(plant));
    // The worst case beyond a tenant's reach: the admin role's own setting in that database.
    ASSERT_OK(Exec(
        *su, "ALTER ROLE " + admin_ + " IN DATABASE " + db_ + " SET search_path = evil, public"));
  }

  void TearDown() override {
    auto su = Connect(Super());
    ASSERT_NE(su, nullptr);
    ASSERT_OK(Exec(*su, "ALTER ROLE " + admin_ + " IN DATABASE " + db_ + " RESET search_path"));
    ASSERT_OK(Exec(*su, "DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)"));
    ASSERT_OK(Exec(*su, "DROP ROLE IF EXISTS " + tenant_));
  }

  // Rows the plants wrote, read as the superuser; then cleared.
  std::string Hijacks() {
    auto su = Connect(Super(db_));
    const std::string out =
        Scalar(*su,
               "SELECT coalesce(string_agg(who || ':' || what, ',' ORDER BY what), '') "
               "FROM public.hijacked");
    EXPECT_TRUE(Exec(*su, "TRUNCATE public.hijacked").has_value());
    return out;
  }

  std::string db_, tenant_, admin_;
};

TEST_F(SearchPathTest, ThePlantsCatchAnUnpinnedSession) {
  // The control: without the pin the session takes the database's and role's search_path, and
  // unqualified calls and operators land in the tenant's schemas.
  ConnectionParams p = Admin(db_);
  p.pin_search_path = false;
  auto s = Connect(p);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(Scalar(*s, "SHOW search_path"), "evil, public");
  Scalar(*s, "SELECT left(rolname, 3) FROM pg_catalog.pg_roles WHERE rolname = current_user");
  Scalar(*s, "SELECT count(*) FROM pg_catalog.pg_roles r WHERE r.oid = 0");
  const std::string caught = Hijacks();
  EXPECT_NE(caught.find(admin_ + ":evil.left"), std::string::npos) << caught;
  EXPECT_NE(caught.find(admin_ + ":evil.="), std::string::npos) << caught;
}

TEST_F(SearchPathTest, NoPlantRunsInTheOperatorsSessions) {
  auto s = Connect(Admin(db_));
  ASSERT_NE(s, nullptr);
  // The pin overrides ALTER DATABASE ... SET and ALTER ROLE ... IN DATABASE ... SET.
  EXPECT_EQ(Scalar(*s, "SHOW search_path"), "pg_catalog");
  // Unqualified calls of the kind the plants target resolve to pg_catalog's.
  EXPECT_EQ(Scalar(*s, "SELECT left(current_user, 3)"), admin_.substr(0, 3));
  EXPECT_EQ(Hijacks(), "");

  // Every catalog reader, inside the tenant's database.
  ASSERT_OK(ReadDatabase(*s, db_));
  ASSERT_OK(ListDatabases(*s));
  ASSERT_OK(ReadExtensions(*s));
  const auto schemas = ReadSchemas(*s);
  ASSERT_OK(schemas);
  bool saw_evil = false;
  for (const auto& schema : *schemas) {
    saw_evil |= schema.name == "evil";
  }
  EXPECT_TRUE(saw_evil) << "the reader must still see the tenant's schemas";
  const auto role = ReadRole(*s, tenant_);
  ASSERT_OK(role);
  ASSERT_TRUE(role->has_value());
  EXPECT_EQ((*role)->name, tenant_);
  ASSERT_OK(ReadRole(*s, admin_));
  ASSERT_OK(ReadPrivileges(*s, tenant_));
  ASSERT_OK(ReadPrivileges(*s, "PUBLIC"));
  ASSERT_OK(ReadDefaultPrivileges(*s, tenant_));
  const auto relations = ReadRelations(*s);
  ASSERT_OK(relations);
  EXPECT_FALSE(relations->empty());
  ASSERT_OK(CountSessions(*s, tenant_));
  ASSERT_OK(CountOwnedDatabases(*s, tenant_));
  ASSERT_OK(ReadDatabaseUsage(*s, {db_}));

  // The actions tenantdb runs inside a tenant's database (as the database's owner role's member).
  for (const SqlAction& action : std::vector<SqlAction>{
           CreateSchema{.database = db_, .name = "app", .owner = tenant_},
           CreateExtension{.database = db_, .name = "citext", .schema = "public"},
           GrantPrivileges{.database = db_,
           .target = PrivilegeTarget::kAllTablesInSchema,
           .schema = "public",
           .object = {},
           .privileges = {"SELECT"},
           .grantee = "PUBLIC"},
           AlterDefaultPrivileges{.database = db_,
           .for_role = tenant_,
           .schema = "public",
           .objects = DefaultPrivilegeObject::kTables,
           .privileges = {"SELECT"},
           .grantee = "PUBLIC",
           .grant = true},
       }) {
    const auto rendered = RenderChecked(action);
    ASSERT_OK(rendered);
    const auto done = s->ExecuteInTransaction({rendered->statement});
    ASSERT_TRUE(done.has_value()) << Describe(action) << ": " << done.error().message;
  }
  EXPECT_EQ(Hijacks(), "") << "a planted function or operator ran in the operator's session";
}

}  // namespace
}  // namespace tenantdb::sql

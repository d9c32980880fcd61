// tests/fakes/fake_sql_server against the real PostgreSQL of scripts/testenv:
// one sequence of actions (the Database planner's create steps, a schema,
// default privileges, a table, grants, role settings, then the role planner's
// deletion steps) applied to both, and every catalog read compared. Where they
// disagree the fake is wrong, and so are the reconciler tests built on it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "fakes/fake_sql_server.h"
#include "sql/actions.h"
#include "sql/pg_session.h"
#include "sql/pqxx_executor.h"

namespace tenantdb::sql {
namespace {

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
  return "parity_" + std::to_string(::getpid()) + "_" + base;
}

// The same step on the real server and on the fake.
class Both {
 public:
  Both() : factory_(connector_) {
    auto probe = factory_.Connect(AdminParams());
    EXPECT_TRUE(probe.has_value()) << probe.error().message;
    std::string version = "15.0";
    if (probe.has_value()) {
      auto info = (*probe)->ReadServerInfo();
      EXPECT_TRUE(info.has_value());
      version = info.has_value() ? info->version : version;
    }
    fake_ = std::make_unique<fakes::FakeSqlServer>(
        fakes::FakeSqlServer::Options{.admin = Env("TENANTDB_PG_ADMIN_USER"),
                                      .admin_password = Env("TENANTDB_PG_ADMIN_PASSWORD"),
                                      .version = version});
  }

  fakes::FakeSqlServer& fake() { return *fake_; }

  struct Sessions {
    std::unique_ptr<Session> real;
    std::unique_ptr<Session> fake;
  };
  Sessions Connect(const std::string& db) {
    auto real = factory_.Connect(AdminParams(db));
    auto fake = fake_->Connect(AdminParams(db));
    EXPECT_TRUE(real.has_value()) << real.error().message;
    EXPECT_TRUE(fake.has_value()) << fake.error().message;
    return {real.has_value() ? std::move(*real) : nullptr,
            fake.has_value() ? std::move(*fake) : nullptr};
  }

  // Applies to both; both must succeed, or fail with the same error class.
  static void Apply(Sessions& s, const std::vector<SqlAction>& actions, bool expect_ok = true) {
    std::vector<Statement> statements;
    for (const auto& a : actions) {
      auto r = RenderChecked(a);
      ASSERT_TRUE(r.has_value()) << r.error().message;
      statements.push_back(r->statement);
    }
    auto real = s.real->Apply(actions, statements);
    auto fake = s.fake->Apply(actions, statements);
    ASSERT_EQ(real.has_value(), fake.has_value())
        << Describe(actions.front()) << ": real "
        << (real.has_value() ? "ok" : real.error().message) << ", fake "
        << (fake.has_value() ? "ok" : fake.error().message);
    if (!real.has_value()) {
      EXPECT_EQ(real.error().code, fake.error().code)
          << real.error().message << " / " << fake.error().message;
      EXPECT_EQ(real.error().reason, fake.error().reason);
    }
    EXPECT_EQ(real.has_value(), expect_ok) << Describe(actions.front());
  }

 private:
  PqxxConnector connector_;
  PgSessionFactory factory_;
  std::unique_ptr<fakes::FakeSqlServer> fake_;
};

template <class T>
void ExpectSame(const Expected<T>& real, const Expected<T>& fake, const char* what) {
  ASSERT_TRUE(real.has_value()) << what << ": " << real.error().message;
  ASSERT_TRUE(fake.has_value()) << what << ": " << fake.error().message;
  EXPECT_TRUE(*real == *fake) << what << " differs between PostgreSQL and the fake";
}

void CompareDatabase(Both::Sessions& s, const std::string& db,
                     const std::vector<std::string>& roles) {
  ExpectSame(s.real->ReadDatabase(db), s.fake->ReadDatabase(db), "ReadDatabase");
  ExpectSame(s.real->ReadSchemas(), s.fake->ReadSchemas(), "ReadSchemas");
  ExpectSame(s.real->ReadRelations(), s.fake->ReadRelations(), "ReadRelations");
  ExpectSame(s.real->ReadExtensions(), s.fake->ReadExtensions(), "ReadExtensions");
  for (const std::string& r : roles) {
    SCOPED_TRACE(r);
    ExpectSame(s.real->ReadRole(r), s.fake->ReadRole(r), "ReadRole");
    ExpectSame(s.real->ReadPrivileges(r), s.fake->ReadPrivileges(r), "ReadPrivileges");
    ExpectSame(s.real->ReadDefaultPrivileges(r), s.fake->ReadDefaultPrivileges(r),
               "ReadDefaultPrivileges");
    ExpectSame(s.real->CountOwnedDatabases(r), s.fake->CountOwnedDatabases(r),
               "CountOwnedDatabases");
  }
}

TEST(FakeParityPgTest, ASequenceOfActionsReadsTheSameOnPostgresAndTheFake) {
  const std::string owner = Name("owner");
  const std::string reader = Name("reader");
  const std::string db = Name("db");
  const std::string admin = Env("TENANTDB_PG_ADMIN_USER");
  Both both;
  auto home = both.Connect("postgres");
  ASSERT_NE(home.real, nullptr);
  Both::Apply(home, {DropDatabase{.name = db}});
  Both::Apply(home, {DropRole{.role = reader}, DropRole{.role = owner}});

  Both::Apply(home,
              {CreateRole{.role = owner}, CommentOnRole{.role = owner, .comment = "tenantdb:x"},
               GrantMembership{.role = owner, .member = admin},
               CreateRole{.role = reader, .login = true, .valid_until = "2031-06-01 12:00:00+02"}});
  Both::Apply(home, {CreateDatabase{.name = db, .owner = owner, .allow_connections = false}});
  Both::Apply(home, {CommentOnDatabase{.name = db, .comment = "tenantdb:x"},
                     RevokePrivileges{.database = db,
                                      .target = PrivilegeTarget::kDatabase,
                                      .privileges = {"ALL"},
                                      .grantee = "PUBLIC"},
                     AlterDatabaseAllowConnections{.name = db, .allow = true}});
  // Refusals agree: a role that owns a database, a schema that does not exist.
  Both::Apply(home, {DropRole{.role = owner}}, false);

  auto in_db = both.Connect(db);
  ASSERT_NE(in_db.real, nullptr);
  Both::Apply(in_db, {RevokePrivileges{.database = db,
                                       .target = PrivilegeTarget::kSchema,
                                       .schema = "public",
                                       .privileges = {"CREATE"},
                                       .grantee = "PUBLIC"},
                      CreateSchema{.database = db, .name = "app", .owner = owner},
                      AlterDefaultPrivileges{.database = db,
                                             .for_role = owner,
                                             .schema = "app",
                                             .objects = DefaultPrivilegeObject::kTables,
                                             .privileges = {"SELECT"},
                                             .grantee = reader},
                      AlterDefaultPrivileges{.database = db,
                                             .for_role = owner,
                                             .objects = DefaultPrivilegeObject::kFunctions,
                                             .privileges = {"EXECUTE"},
                                             .grantee = "PUBLIC",
                                             .grant = false}});
  Both::Apply(in_db,
              {GrantPrivileges{.database = db,
                               .target = PrivilegeTarget::kTable,
                               .schema = "nope",
                               .object = "t",
                               .privileges = {"SELECT"},
                               .grantee = reader}},
              false);
  // A migration creates a table as the owner; the fake is told the same.
  {
    PqxxConnector connector;
    auto raw = connector.Connect(AdminParams(db));
    ASSERT_TRUE(raw.has_value()) << raw.error().message;
    auto created = (*raw)->ExecuteInTransaction(
        {{"SET LOCAL ROLE " + std::string("\"") + owner + "\"", {}},
         {"CREATE TABLE app.items (id bigint GENERATED ALWAYS AS IDENTITY, "
          "name text)",
          {}}});
    ASSERT_TRUE(created.has_value()) << created.error().message;
  }
  both.fake().AddTable(db, "app", "items", owner);
  both.fake().AddSequence(db, "app", "items_id_seq", owner);

  Both::Apply(in_db, {GrantPrivileges{.database = db,
                                      .target = PrivilegeTarget::kDatabase,
                                      .privileges = {"CONNECT"},
                                      .grantee = reader},
                      GrantPrivileges{.database = db,
                                      .target = PrivilegeTarget::kSchema,
                                      .schema = "app",
                                      .privileges = {"USAGE"},
                                      .grantee = reader},
                      GrantPrivileges{.database = db,
                                      .target = PrivilegeTarget::kAllTablesInSchema,
                                      .schema = "app",
                                      .privileges = {"INSERT", "UPDATE"},
                                      .grantee = reader},
                      GrantPrivileges{.database = db,
                                      .target = PrivilegeTarget::kAllSequencesInSchema,
                                      .schema = "app",
                                      .privileges = {"ALL"},
                                      .grantee = reader},
                      RevokePrivileges{.database = db,
                                       .target = PrivilegeTarget::kTable,
                                       .schema = "app",
                                       .object = "items",
                                       .privileges = {"UPDATE"},
                                       .grantee = reader}});
  // More refusals that must agree in class and reason.
  Both::Apply(in_db, {CreateExtension{.database = db, .name = "tenantdb_no_such_extension"}},
              false);
  Both::Apply(in_db, {DropSchema{.database = db, .name = "app"}}, false);
  Both::Apply(in_db, {CreateSchema{.database = db, .name = "pg_mine", .owner = owner}}, false);
  Both::Apply(home, {GrantMembership{.role = owner, .member = owner}}, false);
  Both::Apply(home, {CreateRole{.role = owner}}, false);
  Both::Apply(home, {CreateDatabase{.name = db + "2", .owner = reader}}, false);
  Both::Apply(home, {AlterRole{.role = Name("missing"), .login = true}}, false);
  Both::Apply(home,
              {SetRoleConfig{.role = reader, .parameter = "search_path", .value = "app"},
               SetRoleConfig{.role = owner, .database = db, .parameter = "role", .value = owner},
               AlterRole{.role = reader, .connection_limit = 3}});
  CompareDatabase(in_db, db, {owner, reader, "PUBLIC"});

  // The role planner's deletion of `reader`: membership, REASSIGN OWNED, DROP
  // OWNED, DROP ROLE.
  Both::Apply(home, {DropRole{.role = reader}}, false);
  Both::Apply(home, {GrantMembership{.role = reader, .member = admin}});
  Both::Apply(in_db, {ReassignOwned{.database = db, .role = reader, .new_owner = owner},
                      DropOwned{.database = db, .role = reader}});
  Both::Apply(home, {DropRole{.role = reader}});
  CompareDatabase(in_db, db, {owner, "PUBLIC"});

  in_db = {};
  Both::Apply(home, {DropDatabase{.name = db, .force = true}});
  Both::Apply(home, {DropRole{.role = owner}});
  ExpectSame(home.real->ReadRole(owner), home.fake->ReadRole(owner), "ReadRole after DROP");
}

}  // namespace
}  // namespace tenantdb::sql

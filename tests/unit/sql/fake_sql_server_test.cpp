// The in-memory PostgreSQL of tests/fakes: each action changes the catalog as PostgreSQL does and
// the reads return what sql/catalog.cpp's queries return for it.
#include "fakes/fake_sql_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tenantdb::fakes {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

using sql::AclEntry;
using sql::ObservedObjectKind;
using sql::ObservedPrivilege;
using sql::PrivilegeTarget;

#define ASSERT_OK(expr)                                                \
  do {                                                                 \
    const auto& ok_result_ = (expr);                                   \
    ASSERT_TRUE(ok_result_.has_value()) << ok_result_.error().message; \
  } while (false)

constexpr const char* kAdmin = "tenantdb_admin";

sql::ConnectionParams Params(const std::string& db = "postgres", const std::string& user = kAdmin,
                             const std::string& password = "admin-password") {
  sql::ConnectionParams p;
  p.host = "pg.test";
  p.user = user;
  p.password = password;
  p.dbname = db;
  return p;
}

std::unique_ptr<sql::Session> MustConnect(FakeSqlServer& server,
                                          const sql::ConnectionParams& p = Params()) {
  auto s = server.Connect(p);
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return s.has_value() ? std::move(*s) : nullptr;
}

Expected<void> Apply(sql::Session& s, const std::vector<sql::SqlAction>& actions) {
  std::vector<sql::Statement> statements;
  for (const auto& a : actions) {
    TENANTDB_TRY(sql::RenderedAction r, sql::RenderChecked(a));
    statements.push_back(r.statement);
  }
  return s.Apply(actions, statements);
}

// The Database planner's create sequence for `db` owned by `owner`.
void CreateTenantDatabase(FakeSqlServer& server, const std::string& db, const std::string& owner) {
  auto home = MustConnect(server);
  ASSERT_NE(home, nullptr);
  ASSERT_OK(Apply(*home, {sql::CreateRole{.role = owner},
                          sql::CommentOnRole{.role = owner, .comment = "tenantdb:marker"},
                          sql::GrantMembership{.role = owner, .member = kAdmin}}));
  ASSERT_OK(
      Apply(*home, {sql::CreateDatabase{.name = db, .owner = owner, .allow_connections = false}}));
  ASSERT_OK(Apply(*home, {sql::CommentOnDatabase{.name = db, .comment = "tenantdb:marker"},
                          sql::RevokePrivileges{.database = db,
                                                .target = PrivilegeTarget::kDatabase,
                                                .privileges = {"ALL"},
                                                .grantee = "PUBLIC"},
                          sql::AlterDatabaseAllowConnections{.name = db, .allow = true}}));
  auto in_db = MustConnect(server, Params(db));
  ASSERT_NE(in_db, nullptr);
  ASSERT_OK(Apply(*in_db, {sql::RevokePrivileges{.database = db,
                                                 .target = PrivilegeTarget::kSchema,
                                                 .schema = "public",
                                                 .privileges = {"CREATE"},
                                                 .grantee = "PUBLIC"}}));
}

TEST(FakeSqlServerTest, PreloadedServerLooksLikeAFreshPostgres15) {
  FakeSqlServer server;
  auto s = MustConnect(server);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->database(), "postgres");

  auto admin = s->ReadRole(kAdmin);
  ASSERT_OK(admin);
  ASSERT_TRUE(admin->has_value());
  EXPECT_TRUE((*admin)->login);
  EXPECT_TRUE((*admin)->create_db);
  EXPECT_TRUE((*admin)->create_role);
  EXPECT_FALSE((*admin)->superuser);
  EXPECT_FALSE((*admin)->has_password) << "a non-superuser cannot read pg_authid";

  auto postgres = s->ReadDatabase("postgres");
  ASSERT_OK(postgres);
  ASSERT_TRUE(postgres->has_value());
  EXPECT_EQ((*postgres)->owner, "postgres");
  EXPECT_EQ((*postgres)->encoding, "UTF8");
  EXPECT_EQ((*postgres)->collate, "C.UTF-8");
  // NULL datacl read through acldefault('d', owner).
  EXPECT_THAT(
      (*postgres)->acl,
      ElementsAre(AclEntry{"PUBLIC", "CONNECT", false}, AclEntry{"PUBLIC", "TEMPORARY", false},
                  AclEntry{"postgres", "CONNECT", false}, AclEntry{"postgres", "CREATE", false},
                  AclEntry{"postgres", "TEMPORARY", false}));
  auto template0 = s->ReadDatabase("template0");
  ASSERT_OK(template0);
  EXPECT_FALSE((*template0)->allow_connections);

  auto schemas = s->ReadSchemas();
  ASSERT_OK(schemas);
  ASSERT_EQ(schemas->size(), 1u) << "pg_* and information_schema are left out";
  EXPECT_EQ((*schemas)[0].name, "public");
  EXPECT_EQ((*schemas)[0].owner, "pg_database_owner");
  EXPECT_THAT((*schemas)[0].acl, ElementsAre(AclEntry{"PUBLIC", "USAGE", false},
                                             AclEntry{"pg_database_owner", "CREATE", false},
                                             AclEntry{"pg_database_owner", "USAGE", false}));
  auto extensions = s->ReadExtensions();
  ASSERT_OK(extensions);
  EXPECT_THAT(*extensions, ElementsAre(sql::ObservedExtension{"plpgsql", "1.0", "pg_catalog"}));

  auto info = s->ReadServerInfo();
  ASSERT_OK(info);
  EXPECT_EQ(info->version, "15.18");
  EXPECT_FALSE(info->admin_is_superuser);

  auto sessions = s->CountSessions(kAdmin);
  ASSERT_OK(sessions);
  EXPECT_EQ(*sessions, 1) << "this session";
}

TEST(FakeSqlServerTest, TheDatabasePlannersCreateSequenceEndsWithOnlyTheOwnerOnTheDatabase) {
  FakeSqlServer server;
  CreateTenantDatabase(server, "shop", "shop_owner");
  auto in_db = MustConnect(server, Params("shop"));
  ASSERT_NE(in_db, nullptr);
  auto db = in_db->ReadDatabase("shop");
  ASSERT_OK(db);
  ASSERT_TRUE(db->has_value());
  EXPECT_EQ((*db)->owner, "shop_owner");
  EXPECT_EQ((*db)->comment, "tenantdb:marker");
  EXPECT_TRUE((*db)->allow_connections);
  EXPECT_THAT((*db)->acl, ElementsAre(AclEntry{"shop_owner", "CONNECT", false},
                                      AclEntry{"shop_owner", "CREATE", false},
                                      AclEntry{"shop_owner", "TEMPORARY", false}));
  auto owner = in_db->ReadRole("shop_owner");
  ASSERT_OK(owner);
  EXPECT_THAT((*owner)->members, ElementsAre(kAdmin));
  EXPECT_EQ((*owner)->comment, "tenantdb:marker");
  auto owned = in_db->CountOwnedDatabases("shop_owner");
  ASSERT_OK(owned);
  EXPECT_EQ(*owned, 1);

  // PUBLIC has nothing left but USAGE on public (PostgreSQL 15's default).
  auto pub = in_db->ReadPrivileges("PUBLIC");
  ASSERT_OK(pub);
  EXPECT_THAT(*pub, ElementsAre(ObservedPrivilege{ObservedObjectKind::kSchema, "", "public",
                                                  "PUBLIC", "USAGE"}));
  auto by_owner = in_db->ReadPrivileges("shop_owner");
  ASSERT_OK(by_owner);
  EXPECT_THAT(*by_owner, IsEmpty()) << "an owner's own entries are left out";

  auto usage = in_db->ReadDatabaseUsage({"shop", "nope"});
  ASSERT_OK(usage);
  ASSERT_EQ(usage->size(), 1u);
  EXPECT_EQ((*usage)[0].connections, 1);
  EXPECT_GT((*usage)[0].size_bytes, 0) << "the admin may CONNECT through its membership";
  EXPECT_EQ(server.applied_kinds(),
            (std::vector<std::string>{"CreateRole", "CommentOnRole", "GrantMembership",
                                      "CreateDatabase", "CommentOnDatabase", "RevokePrivileges",
                                      "AlterDatabaseAllowConnections", "RevokePrivileges"}));
}

TEST(FakeSqlServerTest, CreateDatabaseOwnedByAnotherRoleNeedsMembership) {
  FakeSqlServer server;
  auto s = MustConnect(server);
  ASSERT_OK(Apply(*s, {sql::CreateRole{.role = "o"}}));
  auto denied = Apply(*s, {sql::CreateDatabase{.name = "d", .owner = "o"}});
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().code, ErrorCode::kPermission);
  auto exists = Apply(*s, {sql::CreateDatabase{.name = "postgres", .owner = kAdmin}});
  ASSERT_FALSE(exists.has_value());
  EXPECT_EQ(exists.error().code, ErrorCode::kConflict);
  auto encoding =
      Apply(*s, {sql::CreateDatabase{.name = "l", .owner = kAdmin, .encoding = "LATIN1"}});
  ASSERT_FALSE(encoding.has_value());
  EXPECT_EQ(encoding.error().code, ErrorCode::kInvalid) << "template1 is UTF8";
  ASSERT_OK(Apply(
      *s, {sql::CreateDatabase{
              .name = "l", .owner = kAdmin, .encoding = "latin1", .template_name = "template0"}}));
  EXPECT_EQ(server.Database("l")->encoding, "LATIN1");
}

TEST(FakeSqlServerTest, ApplyIsAllOrNothingAndRefusesCallerBugs) {
  FakeSqlServer server;
  auto s = MustConnect(server);
  auto failed = Apply(
      *s, {sql::CreateRole{.role = "a"}, sql::GrantMembership{.role = "missing", .member = "a"}});
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kDependency);
  EXPECT_FALSE(server.Role("a").has_value());
  EXPECT_THAT(server.applied(), IsEmpty());

  const std::vector<sql::SqlAction> one = {sql::CreateRole{.role = "a"}};
  auto mismatch = s->Apply(one, {});
  ASSERT_FALSE(mismatch.has_value());
  EXPECT_EQ(mismatch.error().code, ErrorCode::kInternal);
  auto wrong_text = s->Apply(one, std::vector<sql::Statement>{{"CREATE ROLE b", {}}});
  ASSERT_FALSE(wrong_text.has_value());
  EXPECT_EQ(wrong_text.error().code, ErrorCode::kInternal);

  auto mixed = Apply(*s, {sql::CreateDatabase{.name = "x", .owner = kAdmin},
                          sql::CommentOnDatabase{.name = "x", .comment = "m"}});
  ASSERT_FALSE(mixed.has_value());
  EXPECT_EQ(mixed.error().code, ErrorCode::kInternal);

  auto elsewhere =
      Apply(*s, {sql::CreateSchema{.database = "other", .name = "s", .owner = kAdmin}});
  ASSERT_FALSE(elsewhere.has_value());
  EXPECT_EQ(elsewhere.error().code, ErrorCode::kInternal) << "a session on postgres, not other";

  auto invalid = Apply(*s, {sql::CreateRole{.role = ""}});
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalid);
  EXPECT_FALSE(server.Database("x").has_value());
  EXPECT_THAT(server.applied(), IsEmpty());
}

TEST(FakeSqlServerTest, RolesMembershipsSettingsAndDrop) {
  FakeSqlServer server;
  auto s = MustConnect(server);
  const std::string verifier = *s->EncryptPassword("app", "s3cret-pass");
  EXPECT_TRUE(verifier.starts_with("SCRAM-SHA-256$4096:"));
  EXPECT_EQ(verifier.find("s3cret-pass"), std::string::npos);
  ASSERT_OK(Apply(
      *s, {sql::CreateRole{.role = "readers"},
           sql::CreateRole{.role = "app",
                           .login = true,
                           .connection_limit = 4,
                           .valid_until = "2030-01-01T02:00:00+02:00",
                           .password_verifier = verifier},
           sql::GrantMembership{.role = "readers", .member = "app"},
           sql::SetRoleConfig{.role = "app", .parameter = "search_path", .value = "app"},
           sql::SetRoleConfig{
               .role = "app", .database = "postgres", .parameter = "role", .value = "readers"}}));
  auto app = s->ReadRole("app");
  ASSERT_OK(app);
  const sql::ObservedRole& r = **app;
  EXPECT_TRUE(r.login);
  EXPECT_EQ(r.connection_limit, 4);
  EXPECT_EQ(r.valid_until, "2030-01-01T00:00:00Z");
  EXPECT_FALSE(r.has_password);
  EXPECT_THAT(r.member_of, ElementsAre("readers"));
  EXPECT_THAT(r.settings,
              ElementsAre(Pair("", "search_path=app"), Pair("postgres", "role=readers")));
  EXPECT_THAT((*s->ReadRole("readers"))->members, ElementsAre("app"));

  // The verifier logs in with its password; sessions are counted.
  {
    auto as_app = MustConnect(server, Params("postgres", "app", "s3cret-pass"));
    ASSERT_NE(as_app, nullptr);
    EXPECT_EQ(*s->CountSessions("app"), 1);
    auto wrong = server.Connect(Params("postgres", "app", "nope"));
    ASSERT_FALSE(wrong.has_value());
    EXPECT_EQ(wrong.error().reason, "AuthenticationFailed");
  }
  EXPECT_EQ(*s->CountSessions("app"), 0);
  server.SetExternalSessions("app", "postgres", 2);
  EXPECT_EQ(*s->CountSessions("app"), 2);

  ASSERT_OK(Apply(*s, {sql::AlterRole{.role = "app", .login = false, .valid_until = "infinity"},
                       sql::RevokeMembership{.role = "readers", .member = "app"},
                       sql::SetRoleConfig{.role = "app", .parameter = "search_path"},
                       sql::CommentOnRole{.role = "app", .comment = "m"}}));
  app = s->ReadRole("app");
  EXPECT_FALSE((*app)->login);
  EXPECT_EQ((*app)->valid_until, "infinity");
  EXPECT_THAT((*app)->member_of, IsEmpty());
  EXPECT_THAT((*app)->settings, ElementsAre(Pair("postgres", "role=readers")));
  EXPECT_EQ((*app)->comment, "m");

  auto dup = Apply(*s, {sql::CreateRole{.role = "app"}});
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  auto cycle = Apply(*s, {sql::GrantMembership{.role = "app", .member = "app"}});
  ASSERT_FALSE(cycle.has_value());
  EXPECT_EQ(cycle.error().code, ErrorCode::kInvalid);

  ASSERT_OK(Apply(*s, {sql::DropRole{.role = "app"}, sql::DropRole{.role = "app"}}));
  EXPECT_FALSE(server.Role("app").has_value());
}

TEST(FakeSqlServerTest, PrivilegesOnAllTablesAndDefaultPrivileges) {
  FakeSqlServer server;
  CreateTenantDatabase(server, "shop", "owner");
  auto s = MustConnect(server, Params("shop"));
  ASSERT_OK(Apply(*s, {sql::CreateRole{.role = "reader"},
                       sql::CreateSchema{.database = "shop", .name = "app", .owner = "owner"}}));
  server.AddTable("shop", "app", "b");
  server.AddTable("shop", "app", "a");
  server.AddSequence("shop", "app", "a_id_seq");
  auto relations = s->ReadRelations();
  ASSERT_OK(relations);
  EXPECT_THAT(*relations, ElementsAre(sql::ObservedRelation{"app", "a", 'r'},
                                      sql::ObservedRelation{"app", "a_id_seq", 'S'},
                                      sql::ObservedRelation{"app", "b", 'r'}));

  ASSERT_OK(Apply(*s, {sql::GrantPrivileges{.database = "shop",
                                            .target = PrivilegeTarget::kDatabase,
                                            .privileges = {"CONNECT"},
                                            .grantee = "reader"},
                       sql::GrantPrivileges{.database = "shop",
                                            .target = PrivilegeTarget::kSchema,
                                            .schema = "app",
                                            .privileges = {"USAGE"},
                                            .grantee = "reader"},
                       sql::GrantPrivileges{.database = "shop",
                                            .target = PrivilegeTarget::kAllTablesInSchema,
                                            .schema = "app",
                                            .privileges = {"select", "INSERT"},
                                            .grantee = "reader"},
                       sql::GrantPrivileges{.database = "shop",
                                            .target = PrivilegeTarget::kAllSequencesInSchema,
                                            .schema = "app",
                                            .privileges = {"ALL"},
                                            .grantee = "reader"},
                       sql::RevokePrivileges{.database = "shop",
                                             .target = PrivilegeTarget::kTable,
                                             .schema = "app",
                                             .object = "b",
                                             .privileges = {"INSERT"},
                                             .grantee = "reader"}}));
  auto privileges = s->ReadPrivileges("reader");
  ASSERT_OK(privileges);
  using K = ObservedObjectKind;
  EXPECT_THAT(*privileges,
              ElementsAre(ObservedPrivilege{K::kDatabase, "", "shop", "reader", "CONNECT"},
                          ObservedPrivilege{K::kSchema, "", "app", "reader", "USAGE"},
                          ObservedPrivilege{K::kTable, "app", "a", "reader", "INSERT"},
                          ObservedPrivilege{K::kTable, "app", "a", "reader", "SELECT"},
                          ObservedPrivilege{K::kTable, "app", "b", "reader", "SELECT"},
                          ObservedPrivilege{K::kSequence, "app", "a_id_seq", "reader", "SELECT"},
                          ObservedPrivilege{K::kSequence, "app", "a_id_seq", "reader", "UPDATE"},
                          ObservedPrivilege{K::kSequence, "app", "a_id_seq", "reader", "USAGE"}));
  auto missing = Apply(*s, {sql::GrantPrivileges{.database = "shop",
                                                 .target = PrivilegeTarget::kTable,
                                                 .schema = "app",
                                                 .object = "zzz",
                                                 .privileges = {"SELECT"},
                                                 .grantee = "reader"}});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().reason, "GrantTargetMissing");

  // Default privileges: in a schema only the delta is stored; globally the creator's full ACL.
  ASSERT_OK(
      Apply(*s, {sql::AlterDefaultPrivileges{.database = "shop",
                                             .for_role = "owner",
                                             .schema = "app",
                                             .objects = sql::DefaultPrivilegeObject::kTables,
                                             .privileges = {"SELECT"},
                                             .grantee = "reader"},
                 sql::AlterDefaultPrivileges{.database = "shop",
                                             .for_role = "owner",
                                             .objects = sql::DefaultPrivilegeObject::kSequences,
                                             .privileges = {"USAGE"},
                                             .grantee = "reader"}}));
  auto defaults = s->ReadDefaultPrivileges("reader");
  ASSERT_OK(defaults);
  EXPECT_THAT(
      *defaults,
      ElementsAre(
          sql::ObservedDefaultPrivilege{"owner", "app", "tables", "reader", "SELECT"},
          sql::ObservedDefaultPrivilege{"owner", std::nullopt, "sequences", "reader", "USAGE"}));
  EXPECT_THAT(*s->ReadDefaultPrivileges("owner"), IsEmpty()) << "the creator's own entries";
  // CREATE TABLE by the owner picks them up.
  server.AddTable("shop", "app", "c", "owner");
  privileges = s->ReadPrivileges("reader");
  EXPECT_THAT(*privileges,
              ::testing::Contains(ObservedPrivilege{K::kTable, "app", "c", "reader", "SELECT"}));
  ASSERT_OK(
      Apply(*s, {sql::AlterDefaultPrivileges{.database = "shop",
                                             .for_role = "owner",
                                             .objects = sql::DefaultPrivilegeObject::kSequences,
                                             .privileges = {"USAGE"},
                                             .grantee = "reader",
                                             .grant = false}}));
  EXPECT_EQ(server.Database("shop")->default_acls.size(), 1u)
      << "a global row back at the default is deleted";

  // The role holds privileges: DROP ROLE fails until DROP OWNED revoked them.
  auto home = MustConnect(server);
  auto held = Apply(*home, {sql::DropRole{.role = "reader"}});
  ASSERT_FALSE(held.has_value());
  EXPECT_EQ(held.error().code, ErrorCode::kConflict);
  EXPECT_EQ(held.error().reason, "ConflictingResource");
  auto not_member = Apply(*s, {sql::DropOwned{.database = "shop", .role = "reader"}});
  ASSERT_FALSE(not_member.has_value()) << "DROP OWNED needs the role's privileges";
  EXPECT_EQ(not_member.error().code, ErrorCode::kPermission);
  ASSERT_OK(Apply(*home, {sql::GrantMembership{.role = "reader", .member = kAdmin}}));
  ASSERT_OK(Apply(*s, {sql::DropOwned{.database = "shop", .role = "reader"}}));
  EXPECT_THAT(*s->ReadPrivileges("reader"), IsEmpty());
  EXPECT_THAT(*s->ReadDefaultPrivileges("reader"), IsEmpty());
  ASSERT_OK(Apply(*home, {sql::DropRole{.role = "reader"}}));
}

TEST(FakeSqlServerTest, ReassignAndDropOwnedMoveOrRemoveWhatTheRoleOwns) {
  FakeSqlServer server;
  CreateTenantDatabase(server, "shop", "old");
  auto home = MustConnect(server);
  ASSERT_OK(Apply(*home, {sql::CreateRole{.role = "new"},
                          sql::GrantMembership{.role = "new", .member = kAdmin}}));
  auto s = MustConnect(server, Params("shop"));
  ASSERT_OK(Apply(*s, {sql::CreateSchema{.database = "shop", .name = "app", .owner = "old"}}));
  server.AddTable("shop", "app", "t");
  ASSERT_OK(Apply(*s, {sql::ReassignOwned{.database = "shop", .role = "old", .new_owner = "new"}}));
  auto db = server.Database("shop");
  EXPECT_EQ(db->owner, "new") << "databases are shared objects: reassigned too";
  EXPECT_EQ(db->schemas.at("app").owner, "new");
  EXPECT_EQ(db->relations.at({"app", "t"}).owner, "new");
  // The materialized database ACL followed its owner.
  EXPECT_THAT((*s->ReadDatabase("shop"))->acl,
              ElementsAre(AclEntry{"new", "CONNECT", false}, AclEntry{"new", "CREATE", false},
                          AclEntry{"new", "TEMPORARY", false}));

  ASSERT_OK(Apply(*s, {sql::DropOwned{.database = "shop", .role = "new"}}));
  EXPECT_THAT(*s->ReadRelations(), IsEmpty());
  auto schemas = s->ReadSchemas();
  ASSERT_EQ(schemas->size(), 1u);
  EXPECT_EQ((*schemas)[0].name, "public");
  EXPECT_EQ(server.Database("shop")->owner, "new") << "DROP OWNED does not drop databases";
}

TEST(FakeSqlServerTest, ExtensionsAndSchemas) {
  FakeSqlServer server;
  CreateTenantDatabase(server, "shop", "owner");
  auto s = MustConnect(server, Params("shop"));
  ASSERT_OK(
      Apply(*s, {sql::CreateExtension{
                    .database = "shop", .name = "citext", .schema = "public", .version = "1.5"}}));
  ASSERT_OK(Apply(*s, {sql::CreateExtension{.database = "shop", .name = "citext"}}));  // exists
  ASSERT_OK(
      Apply(*s, {sql::UpdateExtension{.database = "shop", .name = "citext", .version = "1.6"}}));
  EXPECT_THAT(*s->ReadExtensions(),
              ElementsAre(sql::ObservedExtension{"citext", "1.6", "public"},
                          sql::ObservedExtension{"plpgsql", "1.0", "pg_catalog"}));
  auto untrusted =
      Apply(*s, {sql::CreateExtension{.database = "shop", .name = "pg_stat_statements"}});
  ASSERT_FALSE(untrusted.has_value());
  EXPECT_EQ(untrusted.error().code, ErrorCode::kPermission);
  auto unknown = Apply(*s, {sql::CreateExtension{.database = "shop", .name = "nope"}});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalid);
  ASSERT_OK(Apply(*s, {sql::DropExtension{.database = "shop", .name = "citext"},
                       sql::DropExtension{.database = "shop", .name = "citext"}}));

  ASSERT_OK(Apply(*s, {sql::CreateSchema{.database = "shop", .name = "app", .owner = "owner"}}));
  server.AddTable("shop", "app", "t");
  auto busy = Apply(*s, {sql::DropSchema{.database = "shop", .name = "app"}});
  ASSERT_FALSE(busy.has_value());
  EXPECT_EQ(busy.error().code, ErrorCode::kConflict);
  auto schemas = s->ReadSchemas();
  ASSERT_EQ(schemas->size(), 2u);
  EXPECT_EQ((*schemas)[0].name, "app");
  EXPECT_THAT((*schemas)[0].acl,
              ElementsAre(AclEntry{"owner", "CREATE", false}, AclEntry{"owner", "USAGE", false}));
}

TEST(FakeSqlServerTest, DropDatabaseForceEndsItsSessions) {
  FakeSqlServer server;
  CreateTenantDatabase(server, "shop", "owner");
  auto in_db = MustConnect(server, Params("shop"));
  auto home = MustConnect(server);
  auto busy = Apply(*home, {sql::DropDatabase{.name = "shop", .force = false}});
  ASSERT_FALSE(busy.has_value());
  EXPECT_EQ(busy.error().code, ErrorCode::kConflict);
  auto self = Apply(*in_db, {sql::DropDatabase{.name = "shop"}});
  ASSERT_FALSE(self.has_value()) << "cannot drop the currently open database";

  ASSERT_OK(Apply(
      *home, {sql::SetRoleConfig{
                 .role = "owner", .database = "shop", .parameter = "role", .value = "owner"}}));
  ASSERT_OK(Apply(*home, {sql::DropDatabase{.name = "shop", .force = true}}));
  EXPECT_FALSE(server.Database("shop").has_value());
  EXPECT_THAT(server.Role("owner")->settings, IsEmpty()) << "its role settings go with it";
  auto dead = in_db->ReadSchemas();
  ASSERT_FALSE(dead.has_value());
  EXPECT_EQ(dead.error().code, ErrorCode::kTransient);
  ASSERT_OK(Apply(*home, {sql::DropDatabase{.name = "shop"}}));  // IF EXISTS
}

TEST(FakeSqlServerTest, ConnectFailsAsLibpqDoes) {
  FakeSqlServer server;
  auto missing = server.Connect(Params("nope"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kDependency);
  EXPECT_EQ(missing.error().reason, "DependencyNotReady");

  auto closed = server.Connect(Params("template0"));
  ASSERT_FALSE(closed.has_value());
  EXPECT_EQ(closed.error().code, ErrorCode::kTransient);

  auto wrong = server.Connect(Params("postgres", kAdmin, "wrong"));
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kPermission);
  EXPECT_EQ(wrong.error().reason, "AuthenticationFailed");

  auto open = MustConnect(server);
  server.SetDown(true);
  auto down = server.Connect(Params());
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error().code, ErrorCode::kTransient);
  EXPECT_FALSE(open->ReadRole(kAdmin).has_value());
  server.SetDown(false);
  EXPECT_TRUE(open->ReadRole(kAdmin).has_value());

  server.FailNextConnect(Error::Permission("no", "AuthenticationFailed"));
  EXPECT_FALSE(server.Connect(Params()).has_value());
  EXPECT_TRUE(server.Connect(Params()).has_value());
  EXPECT_EQ(server.connects().size(), 7u);
}

TEST(FakeSqlServerTest, FailNextFailsOneApplyAndChangesNothing) {
  FakeSqlServer server;
  auto s = MustConnect(server);
  server.FailNext("CommentOnRole", Error::Conflict("injected"));
  auto failed =
      Apply(*s, {sql::CreateRole{.role = "r"}, sql::CommentOnRole{.role = "r", .comment = "m"}});
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().message, "injected");
  EXPECT_FALSE(server.Role("r").has_value());
  EXPECT_THAT(server.applied(), IsEmpty());
  ASSERT_OK(
      Apply(*s, {sql::CreateRole{.role = "r"}, sql::CommentOnRole{.role = "r", .comment = "m"}}));
  ASSERT_EQ(server.applied().size(), 2u);
  EXPECT_EQ(server.applied()[0].user, kAdmin);
  server.ClearApplied();
  EXPECT_THAT(server.applied(), IsEmpty());
}

TEST(FakeSqlServerTest, Postgres16AdminOptionAndPostgres17Maintain) {
  FakeSqlServer server(FakeSqlServer::Options{.version = "17.2"});
  auto s = MustConnect(server);
  ASSERT_OK(Apply(*s, {sql::CreateRole{.role = "mine"}}));
  EXPECT_THAT((*s->ReadRole("mine"))->members, IsEmpty()) << "ADMIN OPTION only: not listed";
  ASSERT_OK(Apply(*s, {sql::CommentOnRole{.role = "mine", .comment = "m"}}));
  server.AddRole(FakeSqlServer::RoleState{.name = "foreign"}, /*admin_has_admin_option=*/false);
  auto denied = Apply(*s, {sql::CommentOnRole{.role = "foreign", .comment = "m"}});
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().code, ErrorCode::kPermission);

  CreateTenantDatabase(server, "shop", "owner");
  auto in_db = MustConnect(server, Params("shop"));
  server.AddTable("shop", "public", "t");
  ASSERT_OK(Apply(*in_db, {sql::GrantPrivileges{.database = "shop",
                                                .target = PrivilegeTarget::kTable,
                                                .schema = "public",
                                                .object = "t",
                                                .privileges = {"ALL"},
                                                .grantee = "mine"}}));
  EXPECT_THAT(*in_db->ReadPrivileges("mine"),
              ::testing::Contains(ObservedPrivilege{ObservedObjectKind::kTable, "public", "t",
                                                    "mine", "MAINTAIN"}));
}

}  // namespace
}  // namespace tenantdb::fakes

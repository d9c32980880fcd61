#include "controllers/common/tenancy.h"

#include <gtest/gtest.h>

namespace tenantdb::controllers {
namespace {

namespace v1 = api::v1alpha1;

constexpr char kAdmin[] = "tenantdb_admin";

sql::ObservedRole Role(std::string name, std::optional<std::string> comment = std::nullopt) {
  sql::ObservedRole r;
  r.name = std::move(name);
  r.comment = std::move(comment);
  return r;
}

TEST(MarkerTest, NamesNamespaceKindAndObject) {
  EXPECT_EQ(Marker("team-a", kDatabaseKind, "orders"), "tenantdb:team-a/Database/orders");
  EXPECT_EQ(Marker("team-a", kDatabaseRoleKind, "app"), "tenantdb:team-a/DatabaseRole/app");
}

TEST(MarkerTest, HolderIsThisOtherOrUnmarked) {
  const std::string mine = Marker("a", kDatabaseRoleKind, "app");
  EXPECT_EQ(HolderOf(mine, mine), Holder::kThis);
  EXPECT_EQ(HolderOf(Marker("b", kDatabaseRoleKind, "app"), mine), Holder::kOther);
  EXPECT_EQ(HolderOf(Marker("a", kDatabaseKind, "app"), mine), Holder::kOther);
  EXPECT_EQ(HolderOf(std::string("tenantdb:a/app"), mine), Holder::kOther);
  EXPECT_EQ(HolderOf(std::nullopt, mine), Holder::kUnmarked);
  EXPECT_EQ(HolderOf(std::string("the reporting role"), mine), Holder::kUnmarked);
}

TEST(MarkerTest, MarkedForNamespaceIsExact) {
  EXPECT_TRUE(MarkedForNamespace(std::string("tenantdb:team/Database/x"), "team"));
  EXPECT_TRUE(MarkedForNamespace(std::string("tenantdb:team/DatabaseRole/y"), "team"));
  // A namespace whose name starts like ours is another tenant.
  EXPECT_FALSE(MarkedForNamespace(std::string("tenantdb:team-a/Database/x"), "team"));
  EXPECT_FALSE(MarkedForNamespace(std::string("tenantdb:team/x"), "team"));
  EXPECT_FALSE(MarkedForNamespace(std::string("tenantdb:team//x"), "team"));
  EXPECT_FALSE(MarkedForNamespace(std::string("tenantdb:team/Database/"), "team"));
  EXPECT_FALSE(MarkedForNamespace(std::string("tenantdb:team/Database/x/y"), "team"));
  EXPECT_FALSE(MarkedForNamespace(std::nullopt, "team"));
}

TEST(RefuseMembershipTest, OnlyThisNamespacesRolesAndTheServersGrantableOnes) {
  v1::DatabaseServerSpec server;
  server.grantable_roles = std::vector<std::string>{"pg_read_all_stats", "monitoring"};
  // Ours: allowed.
  EXPECT_FALSE(RefuseMembership("a_reader", Role("a_reader", "tenantdb:a/DatabaseRole/reader"), "a",
                                server, kAdmin));
  EXPECT_FALSE(RefuseMembership("a_owner", Role("a_owner", "tenantdb:a/Database/orders"), "a",
                                server, kAdmin));
  // Listed by the platform: allowed.
  EXPECT_FALSE(
      RefuseMembership("pg_read_all_stats", Role("pg_read_all_stats"), "a", server, kAdmin));
  EXPECT_FALSE(RefuseMembership("monitoring", Role("monitoring"), "a", server, kAdmin));
  // Everything else: RoleNotAllowed, with a message that names only the role asked for.
  struct Case {
    const char* name;
    sql::ObservedRole role;
  };
  std::vector<Case> refused = {
      {"another team's owner", Role("b_owner", "tenantdb:b/Database/orders")},
      {"another team's login", Role("b_app", "tenantdb:b/DatabaseRole/app")},
      {"a prefix of our namespace", Role("ab_app", "tenantdb:a-b/DatabaseRole/app")},
      {"unmarked", Role("legacy")},
      {"built-in", Role("pg_execute_server_program")},
      {"built-in, read files", Role("pg_read_server_files")},
      {"the admin", Role(kAdmin)},
  };
  for (auto& c : refused) {
    SCOPED_TRACE(c.name);
    const auto refusal = RefuseMembership(c.role.name, c.role, "a", server, kAdmin);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(refusal->reason, "RoleNotAllowed");
    EXPECT_NE(refusal->message.find(c.role.name), std::string::npos) << refusal->message;
    EXPECT_EQ(refusal->message.find("tenantdb:"), std::string::npos) << refusal->message;
    EXPECT_EQ(refusal->message.find(" b/"), std::string::npos) << refusal->message;
  }
  // The admin and privileged roles even when the platform lists them.
  server.grantable_roles = std::vector<std::string>{kAdmin, "dba"};
  EXPECT_TRUE(RefuseMembership(kAdmin, Role(kAdmin), "a", server, kAdmin));
  for (const auto privilege : {&sql::ObservedRole::superuser, &sql::ObservedRole::create_role,
                               &sql::ObservedRole::create_db, &sql::ObservedRole::bypass_rls,
                               &sql::ObservedRole::replication}) {
    auto dba = Role("dba");
    dba.*privilege = true;
    const auto refusal = RefuseMembership("dba", dba, "a", server, kAdmin);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(refusal->reason, "RoleNotAllowed");
    // Even our own, should one ever be privileged.
    auto own = Role("a_app", "tenantdb:a/DatabaseRole/app");
    own.*privilege = true;
    EXPECT_TRUE(RefuseMembership("a_app", own, "a", server, kAdmin));
  }
}

TEST(RefuseMembershipTest, AMissingRoleIsWaitedForUnlessItIsRefusedByName) {
  v1::DatabaseServerSpec server;
  auto refusal = RefuseMembership("a_later", std::nullopt, "a", server, kAdmin);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->reason, "DependencyNotReady");
  refusal = RefuseMembership("pg_monitor", std::nullopt, "a", server, kAdmin);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->reason, "RoleNotAllowed");
}

TEST(RefuseRoleAdoptionTest, ExplicitGatedAndNeverPrivileged) {
  v1::DatabaseServerSpec server;
  const auto legacy = Role("legacy_app");
  auto refusal = RefuseRoleAdoption(legacy, false, server, kAdmin, "spec.roleName");
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->reason, "ConflictingResource");
  refusal = RefuseRoleAdoption(legacy, true, server, kAdmin, "spec.roleName");
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->reason, "AdoptionNotAllowed");
  server.allow_adoption = true;
  EXPECT_FALSE(RefuseRoleAdoption(legacy, true, server, kAdmin, "spec.roleName"));
  EXPECT_TRUE(RefuseRoleAdoption(Role(kAdmin), true, server, kAdmin, "spec.roleName"));
  EXPECT_TRUE(RefuseRoleAdoption(Role("pg_monitor"), true, server, kAdmin, "spec.roleName"));
  auto super = Role("dba");
  super.superuser = true;
  EXPECT_TRUE(RefuseRoleAdoption(super, true, server, kAdmin, "spec.roleName"));
}

TEST(ServerPolicyTest, TemplatesExtensionsAdoption) {
  v1::DatabaseServerSpec server;
  EXPECT_TRUE(TemplateAllowed(server, "template0"));
  EXPECT_TRUE(TemplateAllowed(server, "template1"));
  EXPECT_FALSE(TemplateAllowed(server, "teamb_db"));
  EXPECT_FALSE(TemplateAllowed(server, "postgres"));
  for (const char* trusted : {"citext", "pgcrypto", "pg_trgm", "hstore", "uuid-ossp"}) {
    EXPECT_TRUE(ExtensionAllowed(server, trusted)) << trusted;
  }
  for (const char* untrusted :
       {"dblink", "postgres_fdw", "file_fdw", "adminpack", "plpython3u", "pg_stat_statements"}) {
    EXPECT_FALSE(ExtensionAllowed(server, untrusted)) << untrusted;
  }
  EXPECT_FALSE(AdoptionAllowed(server));
  server.allow_adoption = true;
  EXPECT_TRUE(AdoptionAllowed(server));
}

}  // namespace
}  // namespace tenantdb::controllers

#include "controllers/database/database_plan.h"

#include <gtest/gtest.h>

namespace tenantdb::controllers::database {
namespace {

namespace v1 = api::v1alpha1;
using sql::SqlAction;

constexpr char kDb[] = "shop_orders";
constexpr char kOwner[] = "shop_orders_owner";
constexpr char kMarker[] = "tenantdb:shop/Database/orders";
constexpr char kAdmin[] = "tenantdb_admin";

v1::Database Db() {
  v1::Database db;
  db.metadata.ns = "shop";
  db.metadata.name = "orders";
  db.metadata.generation = 1;
  return db;
}

DesiredDatabase Desired(v1::Database db = Db()) {
  auto d = Desire(db);
  EXPECT_TRUE(d.has_value());
  return *d;
}

sql::ObservedRole Role(std::string name, std::vector<std::string> members = {},
                       std::optional<std::string> comment = std::nullopt) {
  sql::ObservedRole r;
  r.name = std::move(name);
  r.members = std::move(members);
  r.comment = std::move(comment);
  return r;
}

// The owner role as tenantdb creates it: NOLOGIN, this Database's marker.
sql::ObservedRole OwnerRole(std::vector<std::string> members = {}) {
  return Role(kOwner, std::move(members), kMarker);
}

// Everything as tenantdb leaves it.
ObservedCatalog InPlace() {
  ObservedCatalog o;
  sql::ObservedDatabase db;
  db.name = kDb;
  db.owner = kOwner;
  db.encoding = "UTF8";
  db.collate = "C.UTF-8";
  db.ctype = "C.UTF-8";
  db.connection_limit = -1;
  db.comment = kMarker;
  db.acl = {{kOwner, "CONNECT", false}, {kOwner, "CREATE", false}, {kOwner, "TEMPORARY", false}};
  o.database = db;
  o.owner_role = OwnerRole({kAdmin});
  o.admin_role = Role(kAdmin);
  ObservedObjects objects;
  objects.extensions = {{"plpgsql", "1.0", "pg_catalog"}};
  objects.schemas = {{"public",
                      "pg_database_owner",
                      {{"pg_database_owner", "USAGE", false},
                       {"pg_database_owner", "CREATE", false},
                       {"PUBLIC", "USAGE", false}}}};
  o.objects = objects;
  return o;
}

sql::RevokePrivileges RevokeDatabase() {
  return {.database = kDb,
          .target = sql::PrivilegeTarget::kDatabase,
          .schema = {},
          .object = {},
          .privileges = {"ALL"},
          .grantee = "PUBLIC"};
}

sql::RevokePrivileges RevokeSchemaCreate() {
  return {.database = kDb,
          .target = sql::PrivilegeTarget::kSchema,
          .schema = "public",
          .object = {},
          .privileges = {"CREATE"},
          .grantee = "PUBLIC"};
}

TEST(DesireTest, ComputesNamesMarkerAndDefaults) {
  const DesiredDatabase d = Desired();
  EXPECT_EQ(d.server, "default");
  EXPECT_EQ(d.name, kDb);
  EXPECT_EQ(d.owner, kOwner);
  EXPECT_EQ(d.marker, kMarker);
  EXPECT_EQ(d.encoding, "UTF8");
  EXPECT_EQ(d.template_name, "template1");
  EXPECT_EQ(d.connection_limit, -1);
  EXPECT_EQ(d.drift_policy, v1::DriftPolicy::kCorrect);
  EXPECT_FALSE(d.adopt);
}

TEST(DesireTest, SchemaOwnerDefaultsToDatabaseOwner) {
  auto db = Db();
  db.spec.schemas = {{.name = "app", .owner = std::nullopt, .ensure = std::nullopt},
                     {.name = "audit", .owner = "auditor", .ensure = v1::Ensure::kAbsent}};
  const DesiredDatabase d = Desired(db);
  ASSERT_EQ(d.schemas.size(), 2u);
  EXPECT_EQ(d.schemas[0], (DesiredSchema{"app", kOwner, v1::Ensure::kPresent}));
  EXPECT_EQ(d.schemas[1], (DesiredSchema{"audit", "auditor", v1::Ensure::kAbsent}));
}

TEST(DesireTest, TooLongComputedNameIsInvalidSpec) {
  auto db = Db();
  db.metadata.name = std::string(70, 'a');
  const auto d = Desire(db);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().reason, "InvalidSpec");
}

TEST(PlanDatabaseTest, CreatesEverythingFromNothing) {
  auto db = Db();
  db.spec.connection_limit = 20;
  db.spec.locale = "C.UTF-8";
  db.spec.extensions = {
      {.name = "pgcrypto", .version = std::nullopt, .schema = std::nullopt, .ensure = std::nullopt},
      {.name = "hstore",
       .version = std::nullopt,
       .schema = std::nullopt,
       .ensure = v1::Ensure::kAbsent}};
  db.spec.schemas = {{.name = "app", .owner = std::nullopt, .ensure = std::nullopt}};
  ObservedCatalog observed;
  observed.admin_role = Role(kAdmin);
  const DatabasePlan plan = PlanDatabase(Desired(db), observed);
  EXPECT_TRUE(plan.creates_database);
  EXPECT_FALSE(plan.refusal);
  EXPECT_TRUE(plan.drift.empty());
  // The owner role with its marker; the database created closed, then marked, PUBLIC revoked and
  // opened; then its contents. CREATE EXTENSION names its schema (the admin's search_path is
  // pg_catalog).
  const std::vector<SqlAction> want = {
      sql::CreateRole{.role = kOwner, .login = false},
      sql::CommentOnRole{.role = kOwner, .comment = kMarker},
      sql::GrantMembership{.role = kOwner, .member = kAdmin},
      sql::CreateDatabase{.name = kDb,
                          .owner = kOwner,
                          .encoding = "UTF8",
                          .locale = "C.UTF-8",
                          .template_name = "template1",
                          .connection_limit = 20,
                          .allow_connections = false},
      sql::CommentOnDatabase{.name = kDb, .comment = kMarker},
      RevokeDatabase(),
      sql::AlterDatabaseAllowConnections{.name = kDb, .allow = true},
      RevokeSchemaCreate(),
      sql::CreateExtension{.database = kDb, .name = "pgcrypto", .schema = "public"},
      sql::CreateSchema{.database = kDb, .name = "app", .owner = kOwner},
  };
  EXPECT_EQ(plan.actions, want);
}

TEST(PlanDatabaseTest, ExistingOwnerRoleIsReusedAndSuperuserAdminNeedsNoMembership) {
  ObservedCatalog observed;
  observed.owner_role = OwnerRole();
  auto admin = Role(kAdmin);
  admin.superuser = true;
  observed.admin_role = admin;
  const DatabasePlan plan = PlanDatabase(Desired(), observed);
  ASSERT_FALSE(plan.actions.empty());
  EXPECT_TRUE(std::holds_alternative<sql::CreateDatabase>(plan.actions[0]));
  for (const auto& a : plan.actions) {
    EXPECT_FALSE(std::holds_alternative<sql::CreateRole>(a));
    EXPECT_FALSE(std::holds_alternative<sql::GrantMembership>(a));
  }
}

TEST(PlanDatabaseTest, CreateIgnoresDriftPolicy) {
  auto db = Db();
  db.spec.drift_policy = v1::DriftPolicy::kDetect;
  ObservedCatalog observed;
  const DatabasePlan plan = PlanDatabase(Desired(db), observed);
  EXPECT_TRUE(plan.creates_database);
  EXPECT_EQ(plan.actions.size(), 7u);  // role, its marker, database, marker, revoke, open, revoke
  EXPECT_TRUE(plan.drift.empty());
}

TEST(PlanDatabaseTest, EverythingInPlaceIsZeroActions) {
  for (const auto policy :
       {v1::DriftPolicy::kCorrect, v1::DriftPolicy::kDetect, v1::DriftPolicy::kIgnore}) {
    auto db = Db();
    db.spec.drift_policy = policy;
    const DatabasePlan plan = PlanDatabase(Desired(db), InPlace());
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_TRUE(plan.drift.empty());
    EXPECT_FALSE(plan.refusal);
    EXPECT_TRUE(plan.immutable_differences.empty());
    EXPECT_FALSE(plan.creates_database);
  }
}

// One drift case: how the server differs, what Correct does, what Detect reports.
struct DriftCase {
  const char* name;
  std::function<void(ObservedCatalog&)> mutate;
  std::vector<SqlAction> correct;
  v1::DriftEntry detect;
};

std::vector<DriftCase> DriftCases() {
  return {
      {"owner",
       [](ObservedCatalog& o) { o.database->owner = "someone_else"; },
       {sql::AlterDatabaseOwner{.name = kDb, .owner = kOwner}},
       {"owner", kOwner, "someone_else"}},
      {"connection limit",
       [](ObservedCatalog& o) { o.database->connection_limit = 3; },
       {sql::AlterDatabaseConnectionLimit{.name = kDb, .connection_limit = -1}},
       {"connectionLimit", "-1", "3"}},
      {"PUBLIC on the database",
       [](ObservedCatalog& o) {
         o.database->acl.push_back({"PUBLIC", "TEMPORARY", false});
         o.database->acl.push_back({"PUBLIC", "CONNECT", false});
       },
       {RevokeDatabase()},
       {"publicDatabaseAccess", "none", "CONNECT,TEMPORARY"}},
      {"connections refused",
       [](ObservedCatalog& o) { o.database->allow_connections = false; },
       {sql::AlterDatabaseAllowConnections{.name = kDb, .allow = true}},
       {"allowConnections", "true", "false"}},
      {"CREATE on schema public",
       [](ObservedCatalog& o) {
         o.objects->schemas[0].acl.push_back({"PUBLIC", "CREATE", false});
       },
       {RevokeSchemaCreate()},
       {"publicSchemaCreate", "revoked", "granted"}},
  };
}

TEST(PlanDatabaseTest, EachDriftIsCorrectedUnderCorrect) {
  for (const auto& c : DriftCases()) {
    SCOPED_TRACE(c.name);
    ObservedCatalog observed = InPlace();
    c.mutate(observed);
    const DatabasePlan plan = PlanDatabase(Desired(), observed);
    EXPECT_EQ(plan.actions, c.correct);
    EXPECT_TRUE(plan.drift.empty());
    EXPECT_FALSE(plan.refusal);
  }
}

TEST(PlanDatabaseTest, EachDriftIsReportedUnderDetect) {
  auto db = Db();
  db.spec.drift_policy = v1::DriftPolicy::kDetect;
  for (const auto& c : DriftCases()) {
    SCOPED_TRACE(c.name);
    ObservedCatalog observed = InPlace();
    c.mutate(observed);
    const DatabasePlan plan = PlanDatabase(Desired(db), observed);
    EXPECT_TRUE(plan.actions.empty());
    ASSERT_EQ(plan.drift.size(), 1u);
    EXPECT_EQ(plan.drift[0], c.detect);
  }
}

TEST(PlanDatabaseTest, EachDriftIsLeftAloneUnderIgnore) {
  auto db = Db();
  db.spec.drift_policy = v1::DriftPolicy::kIgnore;
  for (const auto& c : DriftCases()) {
    SCOPED_TRACE(c.name);
    ObservedCatalog observed = InPlace();
    c.mutate(observed);
    const DatabasePlan plan = PlanDatabase(Desired(db), observed);
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_TRUE(plan.drift.empty());
  }
}

TEST(PlanDatabaseTest, MissingOwnerRoleIsCreatedBeforeTheOwnerIsPutBack) {
  ObservedCatalog observed = InPlace();
  observed.database->owner = "someone_else";
  observed.owner_role.reset();
  const DatabasePlan plan = PlanDatabase(Desired(), observed);
  const std::vector<SqlAction> want = {
      sql::CreateRole{.role = kOwner, .login = false},
      sql::CommentOnRole{.role = kOwner, .comment = kMarker},
      sql::GrantMembership{.role = kOwner, .member = kAdmin},
      sql::AlterDatabaseOwner{.name = kDb, .owner = kOwner},
  };
  EXPECT_EQ(plan.actions, want);
}

TEST(PlanDatabaseTest, AdminWithoutMembershipIsGrantedItFirstWhenThereIsWork) {
  ObservedCatalog observed = InPlace();
  observed.owner_role->members.clear();
  EXPECT_TRUE(PlanDatabase(Desired(), observed).actions.empty());  // nothing to do: no grant
  observed.database->connection_limit = 5;
  const DatabasePlan plan = PlanDatabase(Desired(), observed);
  ASSERT_EQ(plan.actions.size(), 2u);
  EXPECT_EQ(plan.actions[0], SqlAction(sql::GrantMembership{.role = kOwner, .member = kAdmin}));
}

TEST(PlanDatabaseTest, ImmutableDifferencesAreReportedNeverCorrected) {
  auto db = Db();
  db.spec.locale = "en_US.UTF-8";
  ObservedCatalog observed = InPlace();
  observed.database->encoding = "LATIN1";
  const DatabasePlan plan = PlanDatabase(Desired(db), observed);
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_TRUE(plan.drift.empty());
  ASSERT_EQ(plan.immutable_differences.size(), 2u);
  EXPECT_NE(plan.immutable_differences[0].find("LATIN1"), std::string::npos);
  EXPECT_NE(plan.immutable_differences[1].find("en_US.UTF-8"), std::string::npos);
}

TEST(PlanDatabaseTest, EquivalentSpellingsOfEncodingAndLocaleAreNoDifference) {
  auto db = Db();
  db.spec.encoding = "utf-8";
  db.spec.locale = "C.utf8";
  const DatabasePlan plan = PlanDatabase(Desired(db), InPlace());
  EXPECT_TRUE(plan.immutable_differences.empty());
}

// --- adoption ---

TEST(PlanDatabaseTest, OurMarkerIsAdoptedSilently) {
  const ObservedCatalog o = InPlace();
  EXPECT_EQ(ClassifyOwnership(Desired(), o.database, o.owner_role), Ownership::kOurs);
}

TEST(PlanDatabaseTest, NoMarkerWithoutAdoptIsAConflictAndTouchesNothing) {
  ObservedCatalog observed = InPlace();
  observed.database->comment.reset();
  observed.database->owner = "legacy";
  observed.database->connection_limit = 7;
  const DatabasePlan plan = PlanDatabase(Desired(), observed);
  ASSERT_TRUE(plan.refusal);
  EXPECT_EQ(plan.refusal->reason, "ConflictingResource");
  EXPECT_NE(plan.refusal->message.find("spec.adopt: true"), std::string::npos)
      << plan.refusal->message;
  EXPECT_NE(plan.refusal->message.find("\"shop_orders\""), std::string::npos)
      << plan.refusal->message;
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_TRUE(plan.drift.empty());
}

TEST(PlanDatabaseTest, AnotherObjectsMarkerIsAConflictEvenWithAdopt) {
  auto db = Db();
  db.spec.adopt = true;
  ObservedCatalog observed = InPlace();
  observed.database->comment = "tenantdb:other/Database/orders";
  const DatabasePlan plan = PlanDatabase(Desired(db), observed);
  ASSERT_TRUE(plan.refusal);
  EXPECT_EQ(plan.refusal->reason, "ConflictingResource");
  // The message names no other tenant.
  EXPECT_EQ(plan.refusal->message.find("other/"), std::string::npos) << plan.refusal->message;
  EXPECT_EQ(plan.refusal->message.find("tenantdb:"), std::string::npos) << plan.refusal->message;
  EXPECT_TRUE(plan.actions.empty());
}

TEST(PlanDatabaseTest, AdoptWritesTheMarkerAndCorrects) {
  auto db = Db();
  db.spec.adopt = true;
  ObservedCatalog observed = InPlace();
  observed.database->comment = "the legacy orders database";
  observed.database->owner = "legacy_owner";
  observed.database->connection_limit = 7;
  const DatabasePlan plan = PlanDatabase(Desired(db), observed);
  EXPECT_FALSE(plan.refusal);
  const std::vector<SqlAction> want = {
      sql::CommentOnDatabase{.name = kDb, .comment = kMarker},
      sql::AlterDatabaseOwner{.name = kDb, .owner = kOwner},
      sql::AlterDatabaseConnectionLimit{.name = kDb, .connection_limit = -1},
  };
  EXPECT_EQ(plan.actions, want);
}

TEST(PlanDatabaseTest, AdoptUnderDetectReportsTheMissingMarker) {
  auto db = Db();
  db.spec.adopt = true;
  db.spec.drift_policy = v1::DriftPolicy::kDetect;
  ObservedCatalog observed = InPlace();
  observed.database->comment.reset();
  observed.database->owner = "legacy_owner";
  const DatabasePlan plan = PlanDatabase(Desired(db), observed);
  EXPECT_TRUE(plan.actions.empty());
  ASSERT_EQ(plan.drift.size(), 2u);
  EXPECT_EQ(plan.drift[0], (v1::DriftEntry{"comment", kMarker, ""}));
  EXPECT_EQ(plan.drift[1], (v1::DriftEntry{"owner", kOwner, "legacy_owner"}));
}

// --- extensions and schemas ---

v1::DatabaseExtension Ext(std::string name, std::optional<std::string> version = std::nullopt,
                          v1::Ensure ensure = v1::Ensure::kPresent) {
  return {.name = std::move(name),
          .version = std::move(version),
          .schema = std::nullopt,
          .ensure = ensure};
}

TEST(PlanDatabaseTest, ExtensionsPresentAbsentAndVersion) {
  auto db = Db();
  db.spec.extensions = {Ext("pgcrypto"), Ext("citext", "1.6"),
                        Ext("hstore", {}, v1::Ensure::kAbsent), Ext("plpgsql"),
                        Ext("ltree", {}, v1::Ensure::kAbsent)};
  ObservedCatalog observed = InPlace();
  observed.objects->extensions.push_back({"citext", "1.5", "public"});
  observed.objects->extensions.push_back({"hstore", "1.8", "public"});
  const DatabasePlan plan = PlanDatabase(Desired(db), observed);
  const std::vector<SqlAction> want = {
      sql::CreateExtension{.database = kDb, .name = "pgcrypto", .schema = "public"},
      sql::UpdateExtension{.database = kDb, .name = "citext", .version = "1.6"},
      sql::DropExtension{.database = kDb, .name = "hstore"},
  };
  EXPECT_EQ(plan.actions, want);

  db.spec.drift_policy = v1::DriftPolicy::kDetect;
  const DatabasePlan detect = PlanDatabase(Desired(db), observed);
  EXPECT_TRUE(detect.actions.empty());
  const std::vector<v1::DriftEntry> drift = {
      {"extensions[pgcrypto]", "present", "absent"},
      {"extensions[citext].version", "1.6", "1.5"},
      {"extensions[hstore]", "absent", "present"},
  };
  EXPECT_EQ(detect.drift, drift);
}

TEST(PlanDatabaseTest, SchemasPresentAbsentAndOwner) {
  auto db = Db();
  db.spec.schemas = {{.name = "app", .owner = std::nullopt, .ensure = std::nullopt},
                     {.name = "reports", .owner = "analyst", .ensure = std::nullopt},
                     {.name = "old", .owner = std::nullopt, .ensure = v1::Ensure::kAbsent},
                     {.name = "gone", .owner = std::nullopt, .ensure = v1::Ensure::kAbsent}};
  ObservedCatalog observed = InPlace();
  observed.objects->schemas.push_back({"reports", kOwner, {}});
  observed.objects->schemas.push_back({"old", kOwner, {}});
  observed.schema_owner_roles["analyst"] =
      Role("analyst", {}, "tenantdb:shop/DatabaseRole/analyst");
  const DatabasePlan plan = PlanDatabase(Desired(db), observed);
  const std::vector<SqlAction> want = {
      sql::CreateSchema{.database = kDb, .name = "app", .owner = kOwner},
      sql::AlterSchemaOwner{.database = kDb, .name = "reports", .owner = "analyst"},
      sql::DropSchema{.database = kDb, .name = "old"},
  };
  EXPECT_EQ(plan.actions, want);

  db.spec.drift_policy = v1::DriftPolicy::kDetect;
  const std::vector<v1::DriftEntry> drift = {
      {"schemas[app]", "present", "absent"},
      {"schemas[reports].owner", "analyst", kOwner},
      {"schemas[old]", "absent", "present"},
  };
  EXPECT_EQ(PlanDatabase(Desired(db), observed).drift, drift);
}

TEST(PlanDatabaseTest, DeclaredObjectsInPlaceAreZeroActions) {
  auto db = Db();
  db.spec.extensions = {Ext("citext", "1.6")};
  db.spec.schemas = {{.name = "app", .owner = std::nullopt, .ensure = std::nullopt}};
  ObservedCatalog observed = InPlace();
  observed.objects->extensions.push_back({"citext", "1.6", "public"});
  observed.objects->schemas.push_back({"app", kOwner, {}});
  EXPECT_TRUE(PlanDatabase(Desired(db), observed).actions.empty());
}

TEST(OwnerRoleIsOursTest, OnlyANologinOwnerWithThisObjectsMarker) {
  EXPECT_TRUE(OwnerRoleIsOurs(Desired(), OwnerRole()));
  EXPECT_FALSE(OwnerRoleIsOurs(Desired(), std::nullopt));
  auto login = OwnerRole();
  login.login = true;
  EXPECT_FALSE(OwnerRoleIsOurs(Desired(), login));
  EXPECT_FALSE(OwnerRoleIsOurs(Desired(), Role(kOwner)));  // unmarked: made by someone else
  EXPECT_FALSE(OwnerRoleIsOurs(Desired(), Role(kOwner, {}, "tenantdb:other/Database/orders")));
  auto db = Db();
  db.spec.owner = "orders_owner";  // named in the spec and created by tenantdb: ours as well
  EXPECT_TRUE(OwnerRoleIsOurs(Desired(db), Role("orders_owner", {}, kMarker)));
}

// --- tenant isolation: the owner role, templates, extensions, adoption, schema owners ---

TEST(PlanDatabaseTest, AnOwnerRoleOfAnotherObjectIsRefusedAndNothingIsSent) {
  for (const bool exists : {false, true}) {
    SCOPED_TRACE(exists ? "database exists" : "database absent");
    ObservedCatalog observed = InPlace();
    if (!exists) {
      observed.database.reset();
      observed.objects.reset();
    }
    observed.owner_role = Role(kOwner, {kAdmin}, "tenantdb:team-b/Database/orders");
    const DatabasePlan plan = PlanDatabase(Desired(), observed);
    ASSERT_TRUE(plan.refusal);
    EXPECT_EQ(plan.refusal->reason, "ConflictingResource");
    EXPECT_EQ(plan.refusal->message.find("team-b"), std::string::npos) << plan.refusal->message;
    EXPECT_TRUE(plan.actions.empty());
  }
}

TEST(PlanDatabaseTest, AnExistingUnmarkedRoleIsNeverTheOwnerWithoutAdoption) {
  // spec.owner naming another team's role that tenantdb did not mark, the admin role, or a role
  // made by hand: refused, whatever the database's state.
  for (const char* name : {"teamb_app", kAdmin, "legacy"}) {
    SCOPED_TRACE(name);
    auto db = Db();
    db.spec.owner = name;
    ObservedCatalog observed;
    observed.admin_role = Role(kAdmin);
    observed.owner_role = Role(name);
    const DatabasePlan plan = PlanDatabase(Desired(db), observed);
    ASSERT_TRUE(plan.refusal);
    EXPECT_EQ(plan.refusal->reason, "ConflictingResource");
    EXPECT_NE(plan.refusal->message.find("spec.owner"), std::string::npos);
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_FALSE(plan.creates_database);
  }
}

TEST(PlanDatabaseTest, AdoptingAnUnmarkedOwnerRoleNeedsTheServerAndNeverTakesAPrivilegedOne) {
  auto db = Db();
  db.spec.adopt = true;
  ObservedCatalog observed = InPlace();
  observed.owner_role = Role(kOwner, {kAdmin});  // unmarked
  // The server does not allow adoption.
  DatabasePlan plan = PlanDatabase(Desired(db), observed);
  ASSERT_TRUE(plan.refusal);
  EXPECT_EQ(plan.refusal->reason, "AdoptionNotAllowed");
  // It does: the role gets the marker, first.
  observed.server.allow_adoption = true;
  plan = PlanDatabase(Desired(db), observed);
  EXPECT_FALSE(plan.refusal);
  ASSERT_FALSE(plan.actions.empty());
  EXPECT_EQ(plan.actions[0], SqlAction(sql::CommentOnRole{.role = kOwner, .comment = kMarker}));
  // Never a privileged role, nor the admin.
  for (const auto privilege : {&sql::ObservedRole::superuser, &sql::ObservedRole::create_role,
                               &sql::ObservedRole::create_db, &sql::ObservedRole::bypass_rls,
                               &sql::ObservedRole::replication}) {
    ObservedCatalog privileged = observed;
    (*privileged.owner_role).*privilege = true;
    plan = PlanDatabase(Desired(db), privileged);
    ASSERT_TRUE(plan.refusal);
    EXPECT_EQ(plan.refusal->reason, "ConflictingResource");
    EXPECT_TRUE(plan.actions.empty());
  }
  db.spec.owner = kAdmin;
  observed.owner_role = Role(kAdmin);
  plan = PlanDatabase(Desired(db), observed);
  ASSERT_TRUE(plan.refusal);
  EXPECT_TRUE(plan.actions.empty());
}

TEST(PlanDatabaseTest, AnUnfinishedDatabaseIsFinishedWhateverTheDriftPolicy) {
  // tenantdb crashed right after CREATE DATABASE: no marker, closed, owned by our marked owner.
  for (const auto policy :
       {v1::DriftPolicy::kCorrect, v1::DriftPolicy::kDetect, v1::DriftPolicy::kIgnore}) {
    auto db = Db();
    db.spec.drift_policy = policy;
    db.spec.extensions = {Ext("citext")};
    ObservedCatalog observed = InPlace();
    observed.database->comment.reset();
    observed.database->allow_connections = false;
    observed.database->acl.push_back({"PUBLIC", "CONNECT", false});
    observed.objects.reset();
    EXPECT_EQ(ClassifyOwnership(Desired(db), observed.database, observed.owner_role),
              Ownership::kUnfinished);
    const DatabasePlan plan = PlanDatabase(Desired(db), observed);
    EXPECT_FALSE(plan.refusal);
    const std::vector<SqlAction> want = {
        sql::CommentOnDatabase{.name = kDb, .comment = kMarker},
        RevokeDatabase(),
        sql::AlterDatabaseAllowConnections{.name = kDb, .allow = true},
        RevokeSchemaCreate(),
        sql::CreateExtension{.database = kDb, .name = "citext", .schema = "public"},
    };
    EXPECT_EQ(plan.actions, want);
  }
}

TEST(PlanDatabaseTest, AnUnmarkedDatabaseOfAnotherOwnerIsNotMistakenForAnUnfinishedOne) {
  ObservedCatalog observed = InPlace();
  observed.database->comment.reset();
  observed.database->owner = "teamb_owner";  // same name requested, someone else's database
  EXPECT_EQ(ClassifyOwnership(Desired(), observed.database, observed.owner_role),
            Ownership::kConflict);
  observed.database->owner = kOwner;
  observed.owner_role->comment.reset();  // the owner role is not ours either
  EXPECT_EQ(ClassifyOwnership(Desired(), observed.database, observed.owner_role),
            Ownership::kConflict);
  const DatabasePlan plan = PlanDatabase(Desired(), observed);
  ASSERT_TRUE(plan.refusal);
  EXPECT_TRUE(plan.actions.empty());
}

TEST(CheckServerPolicyTest, TemplatesOnlyTheDefaultTwoAndThoseTheServerLists) {
  v1::DatabaseServerSpec server;
  for (const char* t : {"template0", "template1"}) {
    auto db = Db();
    db.spec.template_name = t;
    EXPECT_FALSE(CheckServerPolicy(Desired(db), server)) << t;
  }
  auto db = Db();
  db.spec.template_name = "teamb_orders";
  const auto refusal = CheckServerPolicy(Desired(db), server);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->reason, "TemplateNotAllowed");
  EXPECT_NE(refusal->message.find("spec.template"), std::string::npos);
  server.allowed_templates = std::vector<std::string>{"golden"};
  EXPECT_TRUE(CheckServerPolicy(Desired(db), server));
  db.spec.template_name = "golden";
  EXPECT_FALSE(CheckServerPolicy(Desired(db), server));
}

TEST(CheckServerPolicyTest, ExtensionsTrustedByDefaultOrExactlyTheServersList) {
  v1::DatabaseServerSpec server;
  auto db = Db();
  db.spec.extensions = {Ext("citext"), Ext("pgcrypto"), Ext("uuid-ossp"), Ext("pg_trgm")};
  EXPECT_FALSE(CheckServerPolicy(Desired(db), server));
  for (const char* name : {"dblink", "postgres_fdw", "file_fdw", "adminpack", "plpython3u"}) {
    SCOPED_TRACE(name);
    auto bad = Db();
    bad.spec.extensions = {Ext("citext"), Ext(name)};
    const auto refusal = CheckServerPolicy(Desired(bad), server);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(refusal->reason, "ExtensionNotAllowed");
    EXPECT_NE(refusal->message.find(name), std::string::npos);
  }
  // Removing an extension is never refused.
  auto removal = Db();
  removal.spec.extensions = {Ext("dblink", {}, v1::Ensure::kAbsent)};
  EXPECT_FALSE(CheckServerPolicy(Desired(removal), server));
  // A list replaces the default.
  server.allowed_extensions = std::vector<std::string>{"dblink"};
  auto listed = Db();
  listed.spec.extensions = {Ext("dblink")};
  EXPECT_FALSE(CheckServerPolicy(Desired(listed), server));
  EXPECT_TRUE(CheckServerPolicy(Desired(db), server));
}

TEST(CheckServerPolicyTest, AdoptionOnlyWhereTheServerAllowsIt) {
  v1::DatabaseServerSpec server;
  auto db = Db();
  db.spec.adopt = true;
  const auto refusal = CheckServerPolicy(Desired(db), server);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->reason, "AdoptionNotAllowed");
  server.allow_adoption = true;
  EXPECT_FALSE(CheckServerPolicy(Desired(db), server));
}

TEST(PlanDatabaseTest, SchemaOwnersOnlyRolesOfThisNamespace) {
  auto db = Db();
  db.spec.schemas = {{.name = "reports", .owner = "analyst", .ensure = std::nullopt}};
  ObservedCatalog observed = InPlace();
  // Absent: wait for it.
  DatabasePlan plan = PlanDatabase(Desired(db), observed);
  ASSERT_TRUE(plan.refusal);
  EXPECT_EQ(plan.refusal->reason, "DependencyNotReady");
  // Another namespace's, unmarked, or privileged: refused.
  for (auto role : {Role("analyst", {}, "tenantdb:team-b/DatabaseRole/analyst"), Role("analyst"),
                    Role("analyst", {}, "tenantdb:shopping/DatabaseRole/analyst")}) {
    observed.schema_owner_roles["analyst"] = role;
    plan = PlanDatabase(Desired(db), observed);
    ASSERT_TRUE(plan.refusal);
    EXPECT_EQ(plan.refusal->reason, "RoleNotAllowed");
    EXPECT_TRUE(plan.actions.empty());
  }
  auto privileged = Role("analyst", {}, "tenantdb:shop/DatabaseRole/analyst");
  privileged.create_role = true;
  observed.schema_owner_roles["analyst"] = privileged;
  EXPECT_TRUE(PlanDatabase(Desired(db), observed).refusal);
  observed.schema_owner_roles["analyst"] =
      Role("analyst", {}, "tenantdb:shop/DatabaseRole/analyst");
  plan = PlanDatabase(Desired(db), observed);
  EXPECT_FALSE(plan.refusal);
  EXPECT_EQ(plan.actions, (std::vector<SqlAction>{sql::CreateSchema{
                              .database = kDb, .name = "reports", .owner = "analyst"}}));
}

// --- one visit -------------------------------------------------------------------------------

v1::DatabaseServer ReadyServer() {
  v1::DatabaseServer server;
  server.metadata.name = "default";
  server.spec.allowed_namespaces = std::vector<std::string>{"shop"};
  server.status.conditions = {v1::Condition{.type = std::string(v1::kReady),
                                            .status = v1::ConditionStatus::kTrue,
                                            .observed_generation = 1,
                                            .reason = "Reconciled",
                                            .message = "Connected."}};
  return server;
}

TEST(PlanVisitTest, WaitsWithoutSqlForTheServerTheNamespaceAndTheServersPolicy) {
  ObservedDatabaseState observed;
  VisitPlan visit = PlanVisit(Desired(), observed);
  EXPECT_TRUE(visit.blocked);
  EXPECT_TRUE(visit.transactions.empty());
  EXPECT_EQ(visit.report.not_ready->reason, "DependencyNotReady");
  EXPECT_EQ(visit.report.database_name, kDb);

  observed.server = ReadyServer();
  visit = PlanVisit(Desired(), observed);
  EXPECT_TRUE(visit.blocked);
  EXPECT_EQ(visit.report.not_ready->reason, "NamespaceNotAllowed");
  EXPECT_EQ(visit.report.not_ready->state, Readiness::State::kStalled);

  observed.namespace_admitted = true;
  v1::Database db = Db();
  db.spec.template_name = "secret_template";
  visit = PlanVisit(Desired(db), observed);
  EXPECT_TRUE(visit.blocked);
  EXPECT_EQ(visit.report.not_ready->reason, "TemplateNotAllowed");

  observed.server->status.conditions.clear();
  visit = PlanVisit(Desired(), observed);
  EXPECT_TRUE(visit.blocked);
  EXPECT_EQ(visit.report.not_ready->reason, "DependencyNotReady");
  EXPECT_EQ(visit.report.not_ready->state, Readiness::State::kInProgress);
}

TEST(PlanVisitTest, GroupsTheActionsAndCarriesTheDrift) {
  ObservedDatabaseState observed;
  observed.server = ReadyServer();
  observed.namespace_admitted = true;
  observed.catalog = ObservedCatalog{};
  observed.catalog->admin_role = Role(kAdmin);
  VisitPlan visit = PlanVisit(Desired(), observed);
  EXPECT_FALSE(visit.blocked);
  EXPECT_FALSE(visit.report.not_ready.has_value());
  ASSERT_GE(visit.transactions.size(), 2u);
  // CREATE DATABASE stands alone in its transaction.
  for (const auto& transaction : visit.transactions) {
    if (std::holds_alternative<sql::CreateDatabase>(transaction.front())) {
      EXPECT_EQ(transaction.size(), 1u);
    }
  }

  observed.catalog = InPlace();
  visit = PlanVisit(Desired(), observed);
  EXPECT_FALSE(visit.blocked);
  EXPECT_TRUE(visit.transactions.empty());
}

TEST(PlanVisitTest, ARefusalOfThePlannerBlocks) {
  ObservedDatabaseState observed;
  observed.server = ReadyServer();
  observed.namespace_admitted = true;
  observed.catalog = InPlace();
  observed.catalog->database->comment = "tenantdb:other/Database/orders";
  const VisitPlan visit = PlanVisit(Desired(), observed);
  EXPECT_TRUE(visit.blocked);
  EXPECT_TRUE(visit.transactions.empty());
  EXPECT_EQ(visit.report.not_ready->reason, "ConflictingResource");
}

TEST(PlanDeletionTest, DropsOursThenTheOwnerWhenItOwnsNothingElse) {
  ObservedDatabaseState observed;
  observed.namespace_admitted = true;
  observed.catalog = InPlace();
  observed.catalog->owner_role = OwnerRole();
  observed.owner_databases = 1;  // this one
  DeletionPlan plan = PlanDeletion(Desired(), observed);
  EXPECT_FALSE(plan.left_behind.has_value());
  EXPECT_EQ(plan.drop_database,
            (std::vector<SqlTransaction>{{sql::DropDatabase{.name = kDb, .force = true}}}));
  EXPECT_EQ(plan.drop_owner, (std::vector<SqlTransaction>{{sql::DropRole{.role = kOwner}}}));

  observed.owner_databases = 2;  // it owns another database too: kept
  plan = PlanDeletion(Desired(), observed);
  EXPECT_EQ(plan.drop_database.size(), 1u);
  EXPECT_TRUE(plan.drop_owner.empty());

  observed.catalog->database.reset();  // already gone: the owner alone
  observed.owner_databases = 0;
  plan = PlanDeletion(Desired(), observed);
  EXPECT_TRUE(plan.drop_database.empty());
  EXPECT_EQ(plan.drop_owner.size(), 1u);
}

TEST(PlanDeletionTest, LeavesEverythingWhenNotOursOrTheNamespaceIsNoLongerAdmitted) {
  ObservedDatabaseState observed;
  observed.namespace_admitted = false;
  DeletionPlan plan = PlanDeletion(Desired(), observed);
  ASSERT_TRUE(plan.left_behind.has_value());
  EXPECT_NE(plan.left_behind->find("no longer admitted"), std::string::npos);
  EXPECT_TRUE(plan.drop_database.empty());
  EXPECT_TRUE(plan.drop_owner.empty());

  observed.namespace_admitted = true;
  observed.catalog = InPlace();
  observed.catalog->database->comment = std::nullopt;
  observed.catalog->owner_role = Role(kOwner);  // unmarked: not an unfinished one of ours
  plan = PlanDeletion(Desired(), observed);
  ASSERT_TRUE(plan.left_behind.has_value());
  EXPECT_NE(plan.left_behind->find(kMarker), std::string::npos);
  EXPECT_TRUE(plan.drop_database.empty());
  EXPECT_TRUE(plan.drop_owner.empty());
}

}  // namespace
}  // namespace tenantdb::controllers::database

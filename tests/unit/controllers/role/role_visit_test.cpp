// The pure visit planner (role_visit.h): PlanCredentials, PlanRoleActions, PlanRoleCleanup over
// hand-made observations. The reconciler around them is tested end to end in
// role_reconciler_test.cpp.

#include "controllers/role/role_visit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controllers/role/credentials.h"

namespace tenantdb::controllers::role {
namespace {

namespace v1 = api::v1alpha1;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kMarker[] = "tenantdb:shop/DatabaseRole/app";
constexpr char kDbMarker[] = "tenantdb:shop/Database/orders";
const auto kNow = std::chrono::sys_seconds(std::chrono::seconds(1'700'000'000));
constexpr std::chrono::seconds kResync{600};

v1::DatabaseRole Role() {
  v1::DatabaseRole role;
  role.metadata = {.name = "app", .ns = "shop", .uid = "uid-app", .generation = 1};
  role.spec.database_ref.name = "orders";
  role.spec.privileges = v1::PrivilegePreset::kNone;
  v1::ApplyDefaults(role);
  return role;
}

v1::Database ReadyDatabase() {
  v1::Database db;
  db.metadata = {.name = "orders", .ns = "shop"};
  db.spec.name = "shop_orders";
  db.spec.owner = "shop_orders_owner";
  db.status.conditions.push_back(
      {.type = "Ready", .status = v1::ConditionStatus::kTrue, .reason = "Reconciled"});
  v1::ApplyDefaults(db);
  return db;
}

v1::DatabaseServer Server() {
  v1::DatabaseServer server;
  server.metadata.name = "default";
  server.spec.host = "pg.example";
  server.spec.allowed_namespaces = std::vector<std::string>{"shop"};
  v1::ApplyDefaults(server);
  return server;
}

// Everything read, the role absent (a first visit).
ObservedRoleState FirstVisit() {
  ObservedRoleState o;
  o.reached = ObserveStage::kCatalog;
  o.database = ReadyDatabase();
  o.server = Server();
  o.namespace_admitted = true;
  o.admin = "tenantdb_admin";
  o.observed_database = sql::ObservedDatabase{
      .name = "shop_orders", .owner = "shop_orders_owner", .comment = kDbMarker};
  o.owner_role = sql::ObservedRole{.name = "shop_orders_owner", .comment = kDbMarker};
  return o;
}

CredentialsPlan Credentials(const v1::DatabaseRole& role, const ObservedRoleState& o) {
  return PlanCredentials(role, o, "candidate-pw", kNow);
}

TEST(PlanCredentialsTest, DatabaseAbsentIsBlockedWithTheNamesKnown) {
  ObservedRoleState o;
  o.reached = ObserveStage::kObjects;
  const CredentialsPlan plan = Credentials(Role(), o);
  ASSERT_TRUE(plan.stop);
  EXPECT_TRUE(plan.stop->blocked);
  EXPECT_EQ(plan.stop->error.reason, "DependencyNotReady");
  EXPECT_THAT(plan.stop->error.message, HasSubstr("Database shop/orders (spec.databaseRef)"));
  EXPECT_EQ(plan.outcome.role_name, "shop_app");
  EXPECT_EQ(plan.outcome.secret_name, "app-credentials");
  EXPECT_EQ(plan.outcome.error->reason, "DependencyNotReady");
}

TEST(PlanCredentialsTest, DatabaseNotReadyIsBlockedAndSaysWhy) {
  ObservedRoleState o = FirstVisit();
  o.database->status.conditions[0] = {.type = "Ready",
                                      .status = v1::ConditionStatus::kFalse,
                                      .reason = "ServerUnreachable",
                                      .message = "down"};
  const CredentialsPlan plan = Credentials(Role(), o);
  ASSERT_TRUE(plan.stop);
  EXPECT_TRUE(plan.stop->blocked);
  EXPECT_THAT(plan.stop->error.message, HasSubstr("is not Ready yet (ServerUnreachable: down)"));
}

TEST(PlanCredentialsTest, NamespaceNotAdmittedIsBlocked) {
  ObservedRoleState o = FirstVisit();
  o.reached = ObserveStage::kAdmission;
  o.namespace_admitted = false;
  const CredentialsPlan plan = Credentials(Role(), o);
  ASSERT_TRUE(plan.stop);
  EXPECT_TRUE(plan.stop->blocked);
  EXPECT_EQ(plan.stop->error.reason, "NamespaceNotAllowed");
}

TEST(PlanCredentialsTest, MissingPasswordSecretIsAnErrorRetriedWithBackoff) {
  v1::DatabaseRole role = Role();
  role.spec.password_secret_ref = v1::SecretKeySelector{.name = "byo"};
  const CredentialsPlan plan = Credentials(role, FirstVisit());
  ASSERT_TRUE(plan.stop);
  EXPECT_FALSE(plan.stop->blocked);  // the Secret is not watched
  EXPECT_EQ(plan.stop->error.reason, "PasswordSecretNotFound");
}

TEST(PlanCredentialsTest, ForeignCredentialsSecretIsRefused) {
  ObservedRoleState o = FirstVisit();
  o.credentials_secret = json{{"metadata", {{"name", "app-credentials"}}}};
  const CredentialsPlan plan = Credentials(Role(), o);
  ASSERT_TRUE(plan.stop);
  EXPECT_TRUE(plan.stop->blocked);
  EXPECT_EQ(plan.stop->error.reason, "ConflictingResource");
}

TEST(PlanCredentialsTest, ReadErrorIsMetWhereItsStageIsNeeded) {
  ObservedRoleState o = FirstVisit();
  o.reached = ObserveStage::kSecrets;  // the connection failed
  o.error = Error::Transient("connection refused");
  CredentialsPlan plan = Credentials(Role(), o);
  ASSERT_TRUE(plan.stop);
  EXPECT_FALSE(plan.stop->blocked);
  EXPECT_EQ(plan.stop->error.code, ErrorCode::kTransient);
  EXPECT_EQ(plan.outcome.database_name, "shop_orders");
  EXPECT_EQ(plan.outcome.server_name, "");  // recorded once the tenancy check passed

  o.reached = ObserveStage::kTenancy;  // the privileges could not be read
  plan = Credentials(Role(), o);
  ASSERT_TRUE(plan.stop);
  EXPECT_EQ(plan.stop->error.code, ErrorCode::kTransient);
  EXPECT_EQ(plan.outcome.server_name, "default");
}

TEST(PlanCredentialsTest, RoleOfAnotherObjectIsRefusedBeforeAnythingIsPlanned) {
  ObservedRoleState o = FirstVisit();
  o.role = sql::ObservedRole{.name = "shop_app", .comment = "tenantdb:other/DatabaseRole/x"};
  const CredentialsPlan plan = Credentials(Role(), o);
  ASSERT_TRUE(plan.stop);
  EXPECT_TRUE(plan.stop->blocked);
  EXPECT_EQ(plan.stop->error.reason, "ConflictingResource");
}

TEST(PlanCredentialsTest, MissingInRoleIsRetriedWithBackoff) {
  v1::DatabaseRole role = Role();
  role.spec.in_roles = {"shop_migrator"};
  ObservedRoleState o = FirstVisit();
  o.in_roles["shop_migrator"] = std::nullopt;  // another DatabaseRole has not created it yet
  const CredentialsPlan plan = Credentials(role, o);
  ASSERT_TRUE(plan.stop);
  EXPECT_FALSE(plan.stop->blocked);
  EXPECT_EQ(plan.stop->error.reason, "DependencyNotReady");
}

TEST(PlanCredentialsTest, FirstVisitTakesTheCandidateAndSetsIt) {
  const CredentialsPlan plan = Credentials(Role(), FirstVisit());
  ASSERT_FALSE(plan.stop) << plan.stop->error.message;
  EXPECT_EQ(plan.logins.active, "shop_app");
  EXPECT_EQ(plan.password, "candidate-pw");
  EXPECT_TRUE(plan.set_password);
}

// The Secret a previous visit wrote for `password`, as the API server holds it.
json OurSecret(const std::string& password, const std::string& login = "shop_app") {
  return json{
      {"metadata",
       {{"name", "app-credentials"},
        {"namespace", "shop"},
        {"annotations",
         {{std::string(kPasswordSha256Annotation), Sha256Hex(password)},
          {std::string(kActiveLoginAnnotation), login},
          {std::string(kPasswordChangedAtAnnotation), "2023-11-01T00:00:00Z"}}},
        {"ownerReferences",
         json::array({{{"kind", "DatabaseRole"}, {"uid", "uid-app"}, {"controller", true}}})}}},
      {"data", {{"password", Base64Encode(password)}, {"username", Base64Encode(login)}}}};
}

TEST(PlanCredentialsTest, KeptPasswordIsNotSentAgain) {
  ObservedRoleState o = FirstVisit();
  o.role = sql::ObservedRole{.name = "shop_app", .login = true, .comment = kMarker};
  o.credentials_secret = OurSecret("kept-pw");
  const CredentialsPlan plan = Credentials(Role(), o);
  ASSERT_FALSE(plan.stop) << plan.stop->error.message;
  EXPECT_EQ(plan.password, "kept-pw");
  EXPECT_FALSE(plan.set_password);
}

TEST(PlanCredentialsTest, InPlaceRotationDueTakesTheCandidate) {
  v1::DatabaseRole role = Role();
  role.spec.password_rotation = v1::PasswordRotation{.every = "24h"};
  ObservedRoleState o = FirstVisit();
  o.role = sql::ObservedRole{.name = "shop_app", .login = true, .comment = kMarker};
  o.credentials_secret = OurSecret("kept-pw");  // changed 2023-11-01, now is 2023-11-14
  const CredentialsPlan plan = Credentials(role, o);
  ASSERT_FALSE(plan.stop) << plan.stop->error.message;
  EXPECT_EQ(plan.logins.active, "shop_app");
  EXPECT_EQ(plan.password, "candidate-pw");
  EXPECT_TRUE(plan.set_password);
  const RoleActionsPlan actions = PlanRoleActions(role, o, plan, "SCRAM-SHA-256$x", kNow, kResync);
  EXPECT_TRUE(actions.sets_password);
  EXPECT_EQ(actions.outcome.password_changed_at, v1::ToTimestamp(kNow));
  EXPECT_EQ(actions.requeue, kResync);  // the next rotation is a day away
  ASSERT_TRUE(actions.secret);
}

TEST(PlanRoleActionsTest, FirstVisitCreatesTheMarkedRoleInOneTransactionThenTheSecret) {
  const v1::DatabaseRole role = Role();
  const ObservedRoleState o = FirstVisit();
  const CredentialsPlan c = Credentials(role, o);
  const RoleActionsPlan plan = PlanRoleActions(role, o, c, "SCRAM-SHA-256$v", kNow, kResync);
  ASSERT_FALSE(plan.stop);
  ASSERT_EQ(plan.transactions.size(), 1u);
  const auto& first = plan.transactions[0];
  ASSERT_GE(first.size(), 2u);
  const auto* create = std::get_if<sql::CreateRole>(&first[0]);
  ASSERT_NE(create, nullptr);
  EXPECT_EQ(create->role, "shop_app");
  EXPECT_TRUE(std::holds_alternative<sql::CommentOnRole>(first[1]));
  ASSERT_TRUE(plan.secret);
  EXPECT_FALSE(plan.secret_exists);
  EXPECT_EQ((*plan.secret)["metadata"]["annotations"][std::string(kActiveLoginAnnotation)],
            "shop_app");
  EXPECT_EQ((*plan.secret)["data"]["password"], Base64Encode("candidate-pw"));
  EXPECT_TRUE(plan.outcome.secret_written);
  EXPECT_EQ(plan.outcome.server_name, "default");
  EXPECT_EQ(plan.requeue, kResync);
}

TEST(PlanRoleActionsTest, UnknownTemplatePlaceholderStopsOnlyTheSecret) {
  v1::DatabaseRole role = Role();
  role.spec.secret_template = {{"dsn", "{{ .nope }}"}};
  const ObservedRoleState o = FirstVisit();
  const RoleActionsPlan plan =
      PlanRoleActions(role, o, Credentials(role, o), "SCRAM-SHA-256$v", kNow, kResync);
  EXPECT_FALSE(plan.stop);
  EXPECT_EQ(plan.transactions.size(), 1u);  // applied first, as before
  ASSERT_TRUE(plan.secret_stop);
  EXPECT_TRUE(plan.secret_stop->blocked);
  EXPECT_FALSE(plan.secret);
  EXPECT_FALSE(plan.outcome.secret_written);
}

ObservedRoleCleanup Marked() {
  ObservedRoleCleanup o;
  o.database = "shop_orders";
  o.admin = "tenantdb_admin";
  o.role = sql::ObservedRole{.name = "shop_app", .comment = kMarker, .member_of = {}};
  o.observed_database = sql::ObservedDatabase{
      .name = "shop_orders", .owner = "shop_orders_owner", .comment = kDbMarker};
  o.owner_role = sql::ObservedRole{.name = "shop_orders_owner", .comment = kDbMarker};
  return o;
}

TEST(PlanRoleCleanupTest, MarkedRoleIsReassignedAndDroppedOneActionPerTransaction) {
  const CleanupPlan plan = PlanRoleCleanup(Role(), "shop_app", Marked());
  EXPECT_FALSE(plan.warning);
  ASSERT_FALSE(plan.transactions.empty());
  for (const auto& t : plan.transactions) {
    EXPECT_EQ(t.size(), 1u);
  }
  EXPECT_TRUE(std::holds_alternative<sql::DropRole>(plan.transactions.back()[0]));
}

TEST(PlanRoleCleanupTest, UnmarkedRoleOrDatabaseDropsNothing) {
  ObservedRoleCleanup o = Marked();
  o.role->comment = std::nullopt;
  CleanupPlan plan = PlanRoleCleanup(Role(), "shop_app", o);
  EXPECT_THAT(plan.transactions, IsEmpty());
  EXPECT_THAT(*plan.warning, HasSubstr("does not carry this object's marker"));

  o = Marked();
  o.owner_role->comment = "tenantdb:other/Database/orders";
  plan = PlanRoleCleanup(Role(), "shop_app", o);
  EXPECT_THAT(plan.transactions, IsEmpty());
  EXPECT_THAT(*plan.warning, HasSubstr("nothing was reassigned or dropped"));
}

TEST(PlanRoleCleanupTest, DatabaseGoneOnlyDropsTheRole) {
  ObservedRoleCleanup o = Marked();
  o.database.clear();
  const CleanupPlan plan = PlanRoleCleanup(Role(), "shop_app", o);
  EXPECT_FALSE(plan.warning);
  for (const auto& t : plan.transactions) {
    EXPECT_FALSE(std::holds_alternative<sql::ReassignOwned>(t[0]));
    EXPECT_FALSE(std::holds_alternative<sql::DropOwned>(t[0]));
  }
  EXPECT_TRUE(std::holds_alternative<sql::DropRole>(plan.transactions.back()[0]));
}

TEST(PlanRoleCleanupTest, AbsentRoleIsNothingToDo) {
  ObservedRoleCleanup o = Marked();
  o.role.reset();
  const CleanupPlan plan = PlanRoleCleanup(Role(), "shop_app", o);
  EXPECT_FALSE(plan.warning);
  EXPECT_THAT(plan.transactions, IsEmpty());
}

}  // namespace
}  // namespace tenantdb::controllers::role

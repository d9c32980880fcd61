// End-state tests of RoleReconciler (STYLE.md R23): FakeKubeApi holds the objects, FakeSqlServer
// the catalog; each test asserts what they hold after a visit, not the calls made. No server, no
// cluster: milliseconds.

#include "controllers/role/role_reconciler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "controllers/role/credentials.h"
#include "controllers/server/server_connection.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_kube_api.h"
#include "fakes/fake_sql_server.h"
#include "kube/gvr.h"
#include "kube/typed_cache.h"

namespace tenantdb::controllers::role {
namespace {

namespace v1 = api::v1alpha1;
using fakes::FakeSqlServer;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kNs[] = "shop";
constexpr char kRole[] = "shop_app";
constexpr char kDatabase[] = "shop_orders";
constexpr char kOwner[] = "shop_orders_owner";
constexpr char kMarker[] = "tenantdb:shop/DatabaseRole/app";
constexpr char kDbMarker[] = "tenantdb:shop/Database/orders";

// The objects of one namespace "shop": DatabaseServer "default" (admin Secret in tenantdb-system),
// Database "orders" (Ready; database shop_orders, owner shop_orders_owner, both marked, table
// public.orders) and DatabaseRole "app" (ReadOnly on it).
class RoleReconcilerTest : public ::testing::Test {
 protected:
  RoleReconcilerTest() {
    kube_.Seed(kube::SecretsGvr(),
               {{"metadata", {{"name", "pg-admin"}, {"namespace", "tenantdb-system"}}},
                {"data",
                 {{"username", Base64Encode("tenantdb_admin")},
                  {"password", Base64Encode("admin-password")}}}});
    v1::DatabaseServer server;
    server.metadata.name = "default";
    server.spec.host = "pg.example";
    server.spec.admin_credentials_secret_ref = {.ns = "tenantdb-system", .name = "pg-admin"};
    server.spec.allowed_namespaces = std::vector<std::string>{"*"};
    servers_.Upsert(server);
    databases_.Upsert(ReadyDatabase());

    sql_.AddRole({.name = kOwner, .comment = kDbMarker});
    sql_.AddDatabase(kDatabase, kOwner);
    sql_.Mutate([](FakeSqlServer::State& s) {
      s.databases[kDatabase].comment = kDbMarker;
      s.roles["tenantdb_admin"].member_of.insert(kOwner);  // as the Database controller leaves it
    });
    sql_.AddTable(kDatabase, "public", "orders");

    SeedRole(json{{"databaseRef", {{"name", "orders"}}}, {"privileges", "ReadOnly"}});
    reconciler_ = std::make_unique<RoleReconciler>(
        roles_.Cache(), databases_.Cache(), servers_.Cache(), kube_, sql_, clock_,
        [this](const json&, std::string_view type, std::string_view reason,
               const std::string& note) {
          events_.push_back(std::string(type) + " " + std::string(reason) + " " + note);
        },
        [this] { return "password-" + std::to_string(++generated_); },
        RoleReconciler::Settings{.resync_period = std::chrono::seconds(600)});
  }

  static v1::Database ReadyDatabase() {
    v1::Database db;
    db.metadata = {.name = "orders", .ns = kNs};
    db.spec.name = kDatabase;
    db.spec.owner = kOwner;
    db.status.conditions.push_back(
        {.type = "Ready", .status = v1::ConditionStatus::kTrue, .reason = "Reconciled"});
    return db;
  }

  void SeedRole(json spec) {
    kube_.Seed(kube::DatabaseRolesGvr(), {{"apiVersion", "tenantdb.io/v1alpha1"},
                                          {"kind", "DatabaseRole"},
                                          {"metadata", {{"name", "app"}, {"namespace", kNs}}},
                                          {"spec", std::move(spec)}});
    SyncRole();
  }

  // The cache as the watch would leave it after the fake API's last write.
  void SyncRole() {
    if (auto obj = kube_.Object(kube::DatabaseRolesGvr(), kNs, "app")) {
      roles_.Upsert(kube::DecodeCached<v1::DatabaseRole>(*obj));
    } else {
      roles_.Erase(kNs, "app");
    }
  }

  Expected<runtime::Result> Visit() {
    auto result = reconciler_->Reconcile({kNs, "app"});
    SyncRole();
    return result;
  }

  // The first visit adds the finalizer; the second reconciles.
  Expected<runtime::Result> Converge() {
    EXPECT_TRUE(Visit().has_value());
    return Visit();
  }

  std::optional<v1::DatabaseRole> Role() const {
    const auto role = roles_.Cache().Get(kNs, "app");
    return role ? std::optional<v1::DatabaseRole>(*role) : std::nullopt;
  }

  const v1::Condition& Ready() const {
    static v1::Condition none;
    const auto role = roles_.Cache().Get(kNs, "app");
    const auto* ready = role ? v1::FindStatusCondition(role->status.conditions, "Ready") : nullptr;
    return ready != nullptr ? *ready : none;
  }

  std::optional<std::string> SecretKey(const std::string& key) const {
    const auto secret = kube_.Object(kube::SecretsGvr(), kNs, "app-credentials");
    if (!secret) {
      return std::nullopt;
    }
    auto value = SecretValue(*secret, key);
    return value ? std::optional<std::string>(*value) : std::nullopt;
  }

  int ApiWrites() const {
    return kube_.Calls("create") + kube_.Calls("update") + kube_.Calls("patch") +
           kube_.Calls("delete");
  }

  void UpdateSpec(const std::function<void(json&)>& change) {
    auto obj = *kube_.Object(kube::DatabaseRolesGvr(), kNs, "app");
    change(obj["spec"]);
    ASSERT_TRUE(kube_.Update(kube::DatabaseRolesGvr(), obj).has_value());
    SyncRole();
  }

  fakes::FakeClock clock_;
  fakes::FakeKubeApi kube_{&clock_};
  FakeSqlServer sql_;
  kube::TypedCacheWriter<v1::DatabaseRole> roles_;
  kube::TypedCacheWriter<v1::Database> databases_;
  kube::TypedCacheWriter<v1::DatabaseServer> servers_;
  std::vector<std::string> events_;
  int generated_ = 0;
  std::unique_ptr<RoleReconciler> reconciler_;
};

TEST_F(RoleReconcilerTest, CreatesTheMarkedRoleItsSecretAndReportsReady) {
  const auto result = Converge();
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->requeue_after, std::chrono::milliseconds(std::chrono::seconds(600)));

  const auto role = sql_.Role(kRole);
  ASSERT_TRUE(role);
  EXPECT_EQ(role->comment, kMarker);
  EXPECT_TRUE(role->login);
  EXPECT_EQ(role->password_verifier, FakeSqlServer::Verifier(kRole, "password-1"));
  EXPECT_EQ(SecretKey("username"), kRole);
  EXPECT_EQ(SecretKey("password"), "password-1");
  EXPECT_EQ(SecretKey("dbname"), kDatabase);

  EXPECT_EQ(Ready().status, v1::ConditionStatus::kTrue);
  EXPECT_EQ(Ready().reason, "Reconciled");
  EXPECT_EQ(Role()->status.server, "default");
  EXPECT_EQ(Role()->status.secret_name, "app-credentials");
  EXPECT_THAT(events_, testing::Contains(HasSubstr("Created credentials Secret app-credentials")));
  EXPECT_THAT(events_, testing::Contains(HasSubstr("Normal Reconciled Role \"shop_app\"")));
}

TEST_F(RoleReconcilerTest, SecondVisitAppliesNothingAndWritesNothing) {
  ASSERT_TRUE(Converge().has_value());
  sql_.ClearApplied();
  const int writes = ApiWrites();
  const std::size_t events = events_.size();

  const auto result = Visit();
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_THAT(sql_.applied_kinds(), IsEmpty());
  EXPECT_EQ(ApiWrites(), writes);
  EXPECT_EQ(events_.size(), events);
  EXPECT_EQ(generated_, 2);  // a candidate per visit, never used: the Secret's password is kept
  EXPECT_EQ(SecretKey("password"), "password-1");
}

TEST_F(RoleReconcilerTest, DriftIsPutBack) {
  ASSERT_TRUE(Converge().has_value());
  sql_.Mutate([](FakeSqlServer::State& s) {
    s.roles[kRole].connection_limit = 3;
    auto& acl = *s.databases[kDatabase].relations[{"public", "orders"}].acl;
    std::erase_if(acl, [](const sql::AclEntry& e) { return e.grantee == kRole; });
  });
  sql_.ClearApplied();

  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(sql_.Role(kRole)->connection_limit, -1);
  const auto acl = *sql_.Database(kDatabase)->relations.at({"public", "orders"}).acl;
  EXPECT_TRUE(std::any_of(acl.begin(), acl.end(), [](const sql::AclEntry& e) {
    return e.grantee == kRole && e.privilege == "SELECT";
  }));
  EXPECT_THAT(sql_.applied_kinds(), testing::Contains("AlterRole"));
  EXPECT_EQ(Ready().status, v1::ConditionStatus::kTrue);
}

TEST_F(RoleReconcilerTest, MissingDatabaseIsBlockedWithoutSqlOrBackoff) {
  databases_.Erase(kNs, "orders");
  const auto result = Converge();
  ASSERT_TRUE(result.has_value()) << "blocked, not an error: " << result.error().message;
  EXPECT_TRUE(result->requeue_after);
  EXPECT_THAT(sql_.connects(), IsEmpty());
  EXPECT_EQ(Ready().status, v1::ConditionStatus::kFalse);
  EXPECT_EQ(Ready().reason, "DependencyNotReady");
  EXPECT_THAT(Ready().message, HasSubstr("Database shop/orders (spec.databaseRef) does not exist"));
  EXPECT_FALSE(kube_.Object(kube::SecretsGvr(), kNs, "app-credentials"));
}

TEST_F(RoleReconcilerTest, NamespaceNotAdmittedIsBlockedWithoutAnySession) {
  v1::DatabaseServer server = *servers_.Cache().Get("", "default");
  server.spec.allowed_namespaces = std::vector<std::string>{"elsewhere"};
  servers_.Upsert(server);
  const auto result = Converge();
  ASSERT_TRUE(result.has_value()) << "blocked, not an error: " << result.error().message;
  EXPECT_THAT(sql_.connects(), IsEmpty());
  EXPECT_EQ(Ready().reason, "NamespaceNotAllowed");
  EXPECT_FALSE(sql_.Role(kRole));
}

TEST_F(RoleReconcilerTest, AlternatingUsersCreatesTheGroupAndLoginA) {
  UpdateSpec([](json& spec) {
    spec["passwordRotation"] = {{"every", "24h"}, {"strategy", "AlternatingUsers"}};
  });
  const auto result = Converge();
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_TRUE(sql_.Role(kRole));
  EXPECT_FALSE(sql_.Role(kRole)->login);  // the group
  const auto login = sql_.Role(std::string(kRole) + "_a");
  ASSERT_TRUE(login);
  EXPECT_TRUE(login->login);
  EXPECT_EQ(login->comment, kMarker);
  EXPECT_TRUE(login->member_of.contains(kRole));
  EXPECT_EQ(login->password_verifier, FakeSqlServer::Verifier("shop_app_a", "password-1"));
  EXPECT_EQ(SecretKey("username"), "shop_app_a");
  EXPECT_EQ(Role()->status.active_login, "shop_app_a");
  EXPECT_EQ(Ready().status, v1::ConditionStatus::kTrue);
}

TEST_F(RoleReconcilerTest, MissingPasswordSecretIsAnErrorUntilItAppears) {
  UpdateSpec([](json& spec) { spec["passwordSecretRef"] = {{"name", "byo"}}; });
  const auto result = Converge();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().reason, "PasswordSecretNotFound");
  EXPECT_EQ(Ready().reason, "PasswordSecretNotFound");

  kube_.Seed(kube::SecretsGvr(), {{"metadata", {{"name", "byo"}, {"namespace", kNs}}},
                                  {"data", {{"password", Base64Encode("brought")}}}});
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(SecretKey("password"), "brought");
  EXPECT_EQ(sql_.Role(kRole)->password_verifier, FakeSqlServer::Verifier(kRole, "brought"));
}

TEST_F(RoleReconcilerTest, ServerDownIsAnErrorAndTheStatusSaysSo) {
  ASSERT_TRUE(Visit().has_value());  // the finalizer
  sql_.SetDown(true);
  const auto result = Visit();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kTransient);
  EXPECT_EQ(Ready().status, v1::ConditionStatus::kFalse);
  EXPECT_EQ(Ready().reason, "ServerUnreachable");
  EXPECT_FALSE(sql_.Role(kRole));

  sql_.SetDown(false);
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(Ready().status, v1::ConditionStatus::kTrue);
}

TEST_F(RoleReconcilerTest, InPlaceRotationSetsANewPasswordThenWritesTheSecret) {
  UpdateSpec([](json& spec) { spec["passwordRotation"] = {{"every", "1h"}}; });
  const auto first = Converge();
  ASSERT_TRUE(first.has_value()) << first.error().message;
  // The next rotation is an hour away: the resync (600 s) comes first.
  EXPECT_EQ(first->requeue_after, std::chrono::milliseconds(std::chrono::seconds(600)));
  EXPECT_EQ(SecretKey("password"), "password-1");

  clock_.Advance(std::chrono::hours(1) + std::chrono::seconds(1));
  const auto rotated = Visit();
  ASSERT_TRUE(rotated.has_value()) << rotated.error().message;
  EXPECT_EQ(SecretKey("password"), "password-2");
  EXPECT_EQ(sql_.Role(kRole)->password_verifier, FakeSqlServer::Verifier(kRole, "password-2"));
  EXPECT_EQ(SecretKey("username"), kRole);
  EXPECT_EQ(Role()->status.password_changed_at, v1::ToTimestamp(clock_.Now()));
}

TEST_F(RoleReconcilerTest, DeletionWithRetainKeepsTheRole) {
  UpdateSpec([](json& spec) { spec["reclaimPolicy"] = "Retain"; });
  ASSERT_TRUE(Converge().has_value());
  ASSERT_TRUE(kube_.Delete(kube::DatabaseRolesGvr(), kNs, "app").has_value());
  SyncRole();
  sql_.ClearApplied();

  ASSERT_TRUE(Visit().has_value());
  EXPECT_FALSE(kube_.Object(kube::DatabaseRolesGvr(), kNs, "app"));  // finalizer released
  EXPECT_TRUE(sql_.Role(kRole));
  EXPECT_THAT(sql_.applied_kinds(), IsEmpty());
  EXPECT_THAT(events_, testing::Contains(HasSubstr("kept on the server (reclaimPolicy Retain)")));
}

TEST_F(RoleReconcilerTest, DeletionWithDeleteDropsTheRole) {
  ASSERT_TRUE(Converge().has_value());
  ASSERT_TRUE(kube_.Delete(kube::DatabaseRolesGvr(), kNs, "app").has_value());
  SyncRole();

  const auto result = Visit();
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_FALSE(kube_.Object(kube::DatabaseRolesGvr(), kNs, "app"));
  EXPECT_FALSE(sql_.Role(kRole));
  EXPECT_THAT(sql_.applied_kinds(), testing::Contains("DropRole"));
}

TEST_F(RoleReconcilerTest, DeletionLeavesARoleWithoutThisObjectsMarker) {
  ASSERT_TRUE(Converge().has_value());
  sql_.Mutate([](FakeSqlServer::State& s) { s.roles[kRole].comment = "made by hand"; });
  ASSERT_TRUE(kube_.Delete(kube::DatabaseRolesGvr(), kNs, "app").has_value());
  SyncRole();

  ASSERT_TRUE(Visit().has_value());
  EXPECT_FALSE(kube_.Object(kube::DatabaseRolesGvr(), kNs, "app"));
  EXPECT_TRUE(sql_.Role(kRole));
  EXPECT_THAT(events_, testing::Contains(HasSubstr("Warning Deleting Did not drop role")));
}

}  // namespace
}  // namespace tenantdb::controllers::role

// End-state tests of the Database reconciler (src/controllers/README.md): FakeKubeApi holds the
// objects, FakeSqlServer the catalog the actions change; each test asserts what both end up
// holding after one or more visits. No server, no network: milliseconds.
#include "controllers/database/database_reconciler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/v1alpha1/conditions.h"
#include "common/encoding.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_kube_api.h"
#include "fakes/fake_sql_server.h"
#include "kube/gvr.h"
#include "kube/typed_cache.h"
#include "runtime/metrics.h"

namespace tenantdb::controllers::database {
namespace {

namespace v1 = api::v1alpha1;
using nlohmann::json;
using std::chrono::seconds;

constexpr char kNs[] = "team-a";
constexpr char kName[] = "orders";
constexpr char kDb[] = "team_a_orders";
constexpr char kOwner[] = "team_a_orders_owner";
constexpr char kMarker[] = "tenantdb:team-a/Database/orders";

struct RecordedEvent {
  std::string type;
  std::string reason;
  std::string note;
};

json ServerObject(bool ready = true) {
  json server = {
      {"apiVersion", "tenantdb.io/v1alpha1"},
      {"kind", "DatabaseServer"},
      {"metadata", {{"name", "main"}}},
      {"spec",
       {{"host", "127.0.0.1"},
        {"port", 5432},
        {"sslMode", "disable"},
        {"adminCredentialsSecretRef", {{"namespace", "tenantdb-system"}, {"name", "admin"}}},
        {"allowedNamespaces", {kNs}}}}};
  if (ready) {
    json condition = {{"type", "Ready"},
                      {"status", "True"},
                      {"reason", "Reconciled"},
                      {"message", "Connected."},
                      {"lastTransitionTime", "2024-01-01T00:00:00Z"}};
    server["status"] = {{"conditions", json::array({condition})}};
  }
  return server;
}

json DatabaseObject(json spec_extra = json::object()) {
  json spec = {{"serverRef", {{"name", "main"}}}};
  spec.update(spec_extra);
  return {{"apiVersion", "tenantdb.io/v1alpha1"},
          {"kind", "Database"},
          {"metadata", {{"name", kName}, {"namespace", kNs}}},
          {"spec", spec}};
}

class DatabaseReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fakes::FakeSqlServer::Options& admin = sql.options();
    api.Seed(kube::SecretsGvr(),
             {{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata", {{"name", "admin"}, {"namespace", "tenantdb-system"}}},
              {"data",
               {{"username", Base64Encode(admin.admin)},
                {"password", Base64Encode(admin.admin_password)}}}});
    api.Seed(kube::DatabaseServersGvr(), ServerObject());
  }

  // One visit, on caches refreshed from the API as the watches would keep them.
  Expected<runtime::Result> Visit() {
    std::vector<kube::CachedPtr<v1::Database>> dbs;
    for (const json& obj : api.Objects(kube::DatabasesGvr())) {
      dbs.push_back(kube::DecodeCached<v1::Database>(obj));
    }
    databases.Replace(dbs);
    std::vector<kube::CachedPtr<v1::DatabaseServer>> srvs;
    for (const json& obj : api.Objects(kube::DatabaseServersGvr())) {
      srvs.push_back(kube::DecodeCached<v1::DatabaseServer>(obj));
    }
    servers.Replace(srvs);
    return reconciler.Reconcile({kNs, kName});
  }

  // The first visit adds the finalizer, the second reconciles.
  void Converge() {
    ASSERT_TRUE(Visit().has_value());
    auto second = Visit();
    ASSERT_TRUE(second.has_value()) << second.error().message;
    ASSERT_TRUE(sql.Database(kDb).has_value());
  }

  std::optional<json> Object() const { return api.Object(kube::DatabasesGvr(), kNs, kName); }

  const v1::Condition* Ready() {
    v1::Database db;
    EXPECT_TRUE(v1::Decode(*Object(), "", db).has_value());
    status = db.status;
    return v1::FindStatusCondition(status.conditions, v1::kReady);
  }

  int ApiWrites() const { return api.Calls("create") + api.Calls("update") + api.Calls("patch"); }

  void Delete() { ASSERT_TRUE(api.Delete(kube::DatabasesGvr(), kNs, kName).has_value()); }

  fakes::FakeClock clock;
  fakes::FakeKubeApi api{&clock};
  fakes::FakeSqlServer sql;
  kube::TypedCacheWriter<v1::Database> databases;
  kube::TypedCacheWriter<v1::DatabaseServer> servers;
  runtime::MetricsRegistry registry;
  SqlStatementMetrics statements{registry};
  DatabaseMetrics usage{registry};
  std::vector<RecordedEvent> events;
  v1::DatabaseStatus status;
  DatabaseReconciler reconciler{
      databases.Cache(),
      servers.Cache(),
      api,
      sql,
      clock,
      [this](const json&, std::string_view type, std::string_view reason, const std::string& note) {
        events.push_back({std::string(type), std::string(reason), note});
      },
      &statements,
      usage,
      DatabaseReconciler::Settings{.resync_period = seconds(600), .ca_dir = "/nonexistent"}};
};

TEST_F(DatabaseReconcilerTest, CreatesTheDatabaseAndItsOwnerWithMarkersAndReportsReady) {
  api.Seed(kube::DatabasesGvr(), DatabaseObject());
  ASSERT_TRUE(Visit().has_value());  // the finalizer
  EXPECT_EQ(Object()->at("metadata").at("finalizers"), json::array({"tenantdb.io/database"}));
  EXPECT_FALSE(sql.Database(kDb).has_value());

  const auto result = Visit();
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->requeue_after, std::chrono::milliseconds(seconds(600)));
  const auto database = sql.Database(kDb);
  ASSERT_TRUE(database.has_value());
  EXPECT_EQ(database->owner, kOwner);
  EXPECT_EQ(database->comment, kMarker);
  EXPECT_TRUE(database->allow_connections);
  const auto owner = sql.Role(kOwner);
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->comment, kMarker);
  EXPECT_FALSE(owner->login);

  const v1::Condition* ready = Ready();
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, v1::ConditionStatus::kTrue) << ready->message;
  EXPECT_EQ(status.database_name, kDb);
  EXPECT_EQ(status.owner, kOwner);
  // One Normal Event per committed action, then one for Ready turning True.
  ASSERT_FALSE(events.empty());
  for (const auto& e : events) {
    EXPECT_EQ(e.type, "Normal") << e.reason << ": " << e.note;
  }
  EXPECT_EQ(events.back().reason, "Reconciled");
  EXPECT_EQ(registry.RegisterCounter("tenantdb_sql_statements_total", "", {"kind"})
                .WithLabels({"CreateDatabase"})
                .Value(),
            1);
}

TEST_F(DatabaseReconcilerTest, ASecondVisitSendsNoSqlAndWritesNothing) {
  api.Seed(kube::DatabasesGvr(), DatabaseObject());
  Converge();
  sql.ClearApplied();
  const int writes = ApiWrites();
  const std::size_t sent = events.size();

  const auto result = Visit();
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->requeue_after, std::chrono::milliseconds(seconds(600)));
  EXPECT_TRUE(sql.applied_kinds().empty());
  EXPECT_EQ(ApiWrites(), writes);
  EXPECT_EQ(events.size(), sent);
}

TEST_F(DatabaseReconcilerTest, DriftIsPutBack) {
  api.Seed(kube::DatabasesGvr(), DatabaseObject());
  Converge();
  sql.Mutate([](fakes::FakeSqlServer::State& s) { s.databases.at(kDb).connection_limit = 5; });
  sql.ClearApplied();

  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(sql.Database(kDb)->connection_limit, -1);
  EXPECT_EQ(sql.applied_kinds(), std::vector<std::string>{"AlterDatabaseConnectionLimit"});
  EXPECT_EQ(Ready()->status, v1::ConditionStatus::kTrue);
}

TEST_F(DatabaseReconcilerTest, DriftUnderDetectIsReportedNotCorrected) {
  api.Seed(kube::DatabasesGvr(), DatabaseObject({{"driftPolicy", "Detect"}}));
  Converge();
  sql.Mutate([](fakes::FakeSqlServer::State& s) { s.databases.at(kDb).connection_limit = 5; });
  sql.ClearApplied();

  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(sql.Database(kDb)->connection_limit, 5);
  EXPECT_TRUE(sql.applied_kinds().empty());
  const v1::Condition* ready = Ready();
  EXPECT_EQ(ready->status, v1::ConditionStatus::kTrue);
  EXPECT_NE(ready->message.find("driftPolicy Detect"), std::string::npos) << ready->message;
  ASSERT_EQ(status.drift.size(), 1u);
  EXPECT_EQ(status.drift[0],
            (v1::DriftEntry{.field = "connectionLimit", .expected = "-1", .actual = "5"}));
}

TEST_F(DatabaseReconcilerTest, AMissingServerBlocksWithoutSqlOrBackoff) {
  ASSERT_TRUE(api.Delete(kube::DatabaseServersGvr(), "", "main").has_value());
  api.Seed(kube::DatabasesGvr(), DatabaseObject());
  ASSERT_TRUE(Visit().has_value());

  const auto result = Visit();
  ASSERT_TRUE(result.has_value()) << result.error().message;  // no error: no backoff
  EXPECT_EQ(result->requeue_after, std::chrono::milliseconds(seconds(600)));
  const v1::Condition* ready = Ready();
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, v1::ConditionStatus::kFalse);
  EXPECT_EQ(ready->reason, "DependencyNotReady");
  EXPECT_NE(ready->message.find("DatabaseServer \"main\" does not exist"), std::string::npos);
  EXPECT_TRUE(sql.connects().empty());
  EXPECT_EQ(api.Calls("get"), 0);  // no Secret read
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "Warning");
}

TEST_F(DatabaseReconcilerTest, AServerNotReadyOrANamespaceNotAdmittedBlocks) {
  api.Seed(kube::DatabaseServersGvr(), ServerObject(/*ready=*/false));
  api.Seed(kube::DatabasesGvr(), DatabaseObject());
  ASSERT_TRUE(Visit().has_value());
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(Ready()->reason, "DependencyNotReady");
  EXPECT_NE(Ready()->message.find("is not Ready"), std::string::npos);

  json server = ServerObject();
  server["spec"]["allowedNamespaces"] = json::array({"team-b"});
  api.Seed(kube::DatabaseServersGvr(), server);
  const auto result = Visit();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(Ready()->reason, "NamespaceNotAllowed");
  EXPECT_TRUE(sql.connects().empty());
}

TEST_F(DatabaseReconcilerTest, AServerDownIsAnErrorAndTheStatusSaysSo) {
  api.Seed(kube::DatabasesGvr(), DatabaseObject());
  ASSERT_TRUE(Visit().has_value());
  sql.SetDown(true);

  const auto result = Visit();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kTransient);
  const v1::Condition* ready = Ready();
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, v1::ConditionStatus::kFalse);
  EXPECT_EQ(ready->reason, "ServerUnreachable");
  EXPECT_FALSE(sql.Database(kDb).has_value());
}

TEST_F(DatabaseReconcilerTest, DeletionWithRetainKeepsTheDatabase) {
  api.Seed(kube::DatabasesGvr(), DatabaseObject());
  Converge();
  Delete();
  sql.ClearApplied();

  ASSERT_TRUE(Visit().has_value());
  EXPECT_FALSE(Object().has_value());  // the finalizer was released
  EXPECT_TRUE(sql.Database(kDb).has_value());
  EXPECT_TRUE(sql.Role(kOwner).has_value());
  EXPECT_TRUE(sql.applied_kinds().empty());
  EXPECT_EQ(events.back().type, "Normal");
  EXPECT_NE(events.back().note.find("reclaimPolicy Retain"), std::string::npos);
}

TEST_F(DatabaseReconcilerTest, DeletionWithDeleteDropsTheDatabaseAndItsOwner) {
  api.Seed(kube::DatabasesGvr(), DatabaseObject({{"reclaimPolicy", "Delete"}}));
  Converge();
  Delete();
  sql.ClearApplied();

  const auto result = Visit();
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_FALSE(Object().has_value());
  EXPECT_FALSE(sql.Database(kDb).has_value());
  EXPECT_FALSE(sql.Role(kOwner).has_value());
  EXPECT_EQ(sql.applied_kinds(), (std::vector<std::string>{"DropDatabase", "DropRole"}));
}

TEST_F(DatabaseReconcilerTest, DeletionLeavesADatabaseWithoutThisObjectsMarker) {
  api.Seed(kube::DatabasesGvr(), DatabaseObject({{"reclaimPolicy", "Delete"}}));
  Converge();
  sql.Mutate([](fakes::FakeSqlServer::State& s) {
    s.databases.at(kDb).comment = "tenantdb:team-b/Database/orders";
  });
  Delete();
  sql.ClearApplied();

  ASSERT_TRUE(Visit().has_value());
  EXPECT_FALSE(Object().has_value());
  EXPECT_TRUE(sql.Database(kDb).has_value());
  EXPECT_TRUE(sql.applied_kinds().empty());
  EXPECT_EQ(events.back().type, "Warning");
  EXPECT_NE(events.back().note.find("does not carry this object's marker"), std::string::npos);
}

TEST_F(DatabaseReconcilerTest, DeletionProtectionKeepsEverythingAndSaysHowToDelete) {
  api.Seed(kube::DatabasesGvr(),
           DatabaseObject({{"reclaimPolicy", "Delete"}, {"deletionProtection", true}}));
  Converge();
  Delete();
  sql.ClearApplied();

  const auto result = Visit();
  ASSERT_FALSE(result.has_value());
  EXPECT_TRUE(result.error().terminal);
  ASSERT_TRUE(Object().has_value());  // the finalizer stays
  EXPECT_TRUE(sql.Database(kDb).has_value());
  EXPECT_TRUE(sql.applied_kinds().empty());
  const v1::Condition* ready = Ready();
  EXPECT_EQ(ready->reason, "DeletionProtected");
  EXPECT_NE(ready->message.find("spec.deletionProtection to false"), std::string::npos);
}

TEST_F(DatabaseReconcilerTest, DeletionGivesUpCleanlyWhenTheServerIsGone) {
  api.Seed(kube::DatabasesGvr(), DatabaseObject({{"reclaimPolicy", "Delete"}}));
  Converge();
  ASSERT_TRUE(api.Delete(kube::DatabaseServersGvr(), "", "main").has_value());
  Delete();
  sql.ClearApplied();

  ASSERT_TRUE(Visit().has_value());
  EXPECT_FALSE(Object().has_value());
  EXPECT_TRUE(sql.Database(kDb).has_value());
  EXPECT_EQ(events.back().type, "Warning");
  EXPECT_NE(events.back().note.find("no longer exists"), std::string::npos);
}

}  // namespace
}  // namespace tenantdb::controllers::database

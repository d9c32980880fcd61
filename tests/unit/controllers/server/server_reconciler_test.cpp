// End-state tests of the DatabaseServer reconciler (src/controllers/README.md): FakeKubeApi holds
// the objects, FakeSqlServer plays PostgreSQL. No server, no network: milliseconds.
#include "controllers/server/server_reconciler.h"

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

namespace tenantdb::controllers::server {
namespace {

namespace v1 = api::v1alpha1;
using nlohmann::json;
using std::chrono::seconds;

struct RecordedEvent {
  std::string type;
  std::string reason;
  std::string note;
};

json DatabaseOn(const std::string& ns, const std::string& name, const std::string& server) {
  json spec = json::object();
  if (!server.empty()) {
    spec["serverRef"] = {{"name", server}};
  }
  return {{"apiVersion", "tenantdb.io/v1alpha1"},
          {"kind", "Database"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec", spec}};
}

class ServerReconcilerTest : public ::testing::Test {
 protected:
  explicit ServerReconcilerTest(fakes::FakeSqlServer::Options options = {}) : sql(options) {}

  void SetUp() override {
    SeedSecret(sql.options().admin_password);
    api.Seed(
        kube::DatabaseServersGvr(),
        {{"apiVersion", "tenantdb.io/v1alpha1"},
         {"kind", "DatabaseServer"},
         {"metadata", {{"name", "main"}}},
         {"spec",
          {{"host", "db.example"},
           {"port", 5432},
           {"sslMode", "disable"},
           {"adminCredentialsSecretRef", {{"namespace", "tenantdb-system"}, {"name", "admin"}}},
           {"allowedNamespaces", {"*"}}}}});
  }

  void SeedSecret(const std::string& password) {
    api.Seed(kube::SecretsGvr(),
             {{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata", {{"name", "admin"}, {"namespace", "tenantdb-system"}}},
              {"data",
               {{"username", Base64Encode(sql.options().admin)},
                {"password", Base64Encode(password)}}}});
  }

  Expected<runtime::Result> Visit() {
    std::vector<kube::CachedPtr<v1::DatabaseServer>> srvs;
    for (const json& obj : api.Objects(kube::DatabaseServersGvr())) {
      srvs.push_back(kube::DecodeCached<v1::DatabaseServer>(obj));
    }
    servers.Replace(srvs);
    std::vector<kube::CachedPtr<v1::Database>> dbs;
    for (const json& obj : api.Objects(kube::DatabasesGvr())) {
      dbs.push_back(kube::DecodeCached<v1::Database>(obj));
    }
    databases.Replace(dbs);
    return reconciler.Reconcile({"", "main"});
  }

  v1::DatabaseServerStatus Status() const {
    v1::DatabaseServer server;
    EXPECT_TRUE(
        v1::Decode(*api.Object(kube::DatabaseServersGvr(), "", "main"), "", server).has_value());
    return server.status;
  }

  fakes::FakeClock clock;
  fakes::FakeKubeApi api{&clock};
  fakes::FakeSqlServer sql;
  kube::TypedCacheWriter<v1::DatabaseServer> servers;
  kube::TypedCacheWriter<v1::Database> databases;
  std::vector<RecordedEvent> events;
  ServerReconciler reconciler{
      servers.Cache(),
      databases.Cache(),
      api,
      sql,
      clock,
      [this](const json&, std::string_view type, std::string_view reason, const std::string& note) {
        events.push_back({std::string(type), std::string(reason), note});
      },
      ServerReconciler::Settings{.resync_period = seconds(600), .ca_dir = "/nonexistent"}};
};

TEST_F(ServerReconcilerTest, ReadyWithTheVersionAndTheDatabasesPlacedOnIt) {
  api.Seed(kube::DatabasesGvr(), DatabaseOn("team-a", "orders", "main"));
  api.Seed(kube::DatabasesGvr(), DatabaseOn("team-b", "shop", "main"));
  api.Seed(kube::DatabasesGvr(), DatabaseOn("team-b", "other", "elsewhere"));
  api.Seed(kube::DatabasesGvr(), DatabaseOn("team-b", "implicit", ""));  // "default"

  const auto result = Visit();
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->requeue_after, std::chrono::milliseconds(seconds(600)));
  const v1::DatabaseServerStatus status = Status();
  const v1::Condition* ready = v1::FindStatusCondition(status.conditions, v1::kReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, v1::ConditionStatus::kTrue);
  EXPECT_EQ(ready->message,
            "Connected to db.example:5432 as \"tenantdb_admin\" (PostgreSQL 15.18).");
  EXPECT_EQ(status.server_version, "15.18");
  EXPECT_EQ(status.databases, 2);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "Normal");

  // The next visit writes nothing and sends no Event.
  const int patches = api.Calls("patch");
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(api.Calls("patch"), patches);
  EXPECT_EQ(events.size(), 1u);
}

TEST_F(ServerReconcilerTest, AWrongPasswordIsAuthenticationFailedNamingTheSecret) {
  SeedSecret("not-the-password");
  const auto result = Visit();
  ASSERT_FALSE(result.has_value());
  const v1::DatabaseServerStatus status = Status();
  const v1::Condition* ready = v1::FindStatusCondition(status.conditions, v1::kReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, v1::ConditionStatus::kFalse);
  EXPECT_EQ(ready->reason, "AuthenticationFailed");
  EXPECT_NE(ready->message.find("refused the login of \"tenantdb_admin\": check the password in "
                                "Secret tenantdb-system/admin"),
            std::string::npos)
      << ready->message;
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "Warning");
  EXPECT_EQ(events[0].reason, "AuthenticationFailed");
}

TEST_F(ServerReconcilerTest, AnUnreachableServerIsRetriedAndSaysWhatToCheck) {
  sql.SetDown(true);
  const auto result = Visit();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kTransient);
  const v1::DatabaseServerStatus status = Status();
  const v1::Condition* ready = v1::FindStatusCondition(status.conditions, v1::kReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->reason, "ServerUnreachable");
  EXPECT_NE(ready->message.find("Cannot reach PostgreSQL at db.example:5432"), std::string::npos)
      << ready->message;

  // Back up: Ready, one Normal Event after the Warning.
  sql.SetDown(false);
  ASSERT_TRUE(Visit().has_value());
  EXPECT_TRUE(v1::IsStatusConditionTrue(Status().conditions, v1::kReady));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "Warning");
  EXPECT_EQ(events[1].type, "Normal");
}

TEST_F(ServerReconcilerTest, AMissingAdminSecretIsReportedAndRetried) {
  ASSERT_TRUE(api.Delete(kube::SecretsGvr(), "tenantdb-system", "admin").has_value());
  ASSERT_FALSE(Visit().has_value());
  const v1::DatabaseServerStatus status = Status();
  const v1::Condition* ready = v1::FindStatusCondition(status.conditions, v1::kReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->reason, "SecretNotFound");
  EXPECT_TRUE(sql.connects().empty());
}

class SuperuserServerReconcilerTest : public ServerReconcilerTest {
 protected:
  SuperuserServerReconcilerTest()
      : ServerReconcilerTest(fakes::FakeSqlServer::Options{.admin_superuser = true}) {}
};

TEST_F(SuperuserServerReconcilerTest, ASuperuserAdminIsReadyWithAWarningEventOnce) {
  ASSERT_TRUE(Visit().has_value());
  EXPECT_TRUE(v1::IsStatusConditionTrue(Status().conditions, v1::kReady));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "Normal");
  EXPECT_EQ(events[1].type, "Warning");
  EXPECT_NE(events[1].note.find("is a superuser"), std::string::npos);
  ASSERT_TRUE(Visit().has_value());
  EXPECT_EQ(events.size(), 2u);
}

}  // namespace
}  // namespace tenantdb::controllers::server

// A 409 on a status write (another writer changed the object between our read and our write):
// the reconcile fails as a conflict, the controller requeues it with its rate limiter, and the
// next reconcile writes Ready=True. No failure condition is ever written and no Warning Event is
// emitted for the conflict. Driven through the real runtime::Controller (work queue and rate
// limiter) over the fake API, with the ServerReconciler and an in-memory PostgreSQL server.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controllers/server/server_reconciler.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_kube_api.h"
#include "fakes/fake_sql_server.h"
#include "kube/gvr.h"
#include "kube/typed_cache.h"
#include "runtime/controller.h"
#include "runtime/metrics.h"
#include "sql/session.h"

namespace tenantdb::controllers::server {
namespace {

namespace v1 = api::v1alpha1;
using nlohmann::json;
using std::chrono::milliseconds;

// PostgreSQL 15 with a non-superuser admin role tenantdb/secret, counting the logins.
class VersionServer final : public sql::SessionFactory {
 public:
  int connects = 0;
  Expected<std::unique_ptr<sql::Session>> Connect(const sql::ConnectionParams& params) override {
    ++connects;
    return server_.Connect(params);
  }

 private:
  fakes::FakeSqlServer server_{fakes::FakeSqlServer::Options{
      .admin = "tenantdb", .admin_password = "secret", .version = "15.8"}};
};

struct RecordedEvent {
  std::string type;
  std::string reason;
};

Error ConflictFromServer() {
  Error e = Error::Conflict(
      "Operation cannot be fulfilled on databaseservers.tenantdb.io \"main\": the object has been "
      "modified; please apply your changes to the latest version and try again");
  e.http_status = 409;
  return e;
}

std::vector<std::string> FailureConditions(const json& status) {
  std::vector<std::string> found;
  for (const json& c : status.value("conditions", json::array())) {
    const std::string type = c.value("type", "");
    const std::string value = c.value("status", "");
    if ((type == "Ready" && value != "True") || (type != "Ready" && value == "True")) {
      found.push_back(type + "=" + value + "/" + c.value("reason", ""));
    }
  }
  return found;
}

TEST(ServerStatusWriteConflictTest, A409OnTheStatusWriteIsRequeuedAndEndsReadyWithNoFailureShown) {
  fakes::FakeClock clock;
  fakes::FakeKubeApi api(&clock);
  api.Seed(
      kube::SecretsGvr(),
      {{"apiVersion", "v1"},
       {"kind", "Secret"},
       {"type", "kubernetes.io/basic-auth"},
       {"metadata", {{"name", "admin"}, {"namespace", "tenantdb-system"}}},
       {"data", {{"username", "dGVuYW50ZGI="}, {"password", "c2VjcmV0"}}}});  // tenantdb/secret
  api.Seed(kube::DatabaseServersGvr(),
           {{"apiVersion", "tenantdb.io/v1alpha1"},
            {"kind", "DatabaseServer"},
            {"metadata", {{"name", "main"}}},
            {"spec",
             {{"host", "127.0.0.1"},
              {"port", 5432},
              {"sslMode", "disable"},
              {"adminCredentialsSecretRef", {{"namespace", "tenantdb-system"}, {"name", "admin"}}},
              {"allowedNamespaces", {"team-a"}}}}});

  // The cache as the watch would keep it: refreshed from the API after every step.
  kube::TypedCacheWriter<v1::DatabaseServer> servers;
  kube::TypedCacheWriter<v1::Database> databases;
  databases.Replace({});
  const auto refresh_cache = [&] {
    servers.Replace({kube::DecodeCached<v1::DatabaseServer>(
        *api.Object(kube::DatabaseServersGvr(), "", "main"))});
  };
  refresh_cache();

  VersionServer sql;
  std::vector<RecordedEvent> events;
  EventSink sink = [&](const json&, std::string_view type, std::string_view reason,
                       const std::string&) {
    events.push_back({std::string(type), std::string(reason)});
  };
  ServerReconciler reconciler(servers.Cache(), databases.Cache(), api, sql, clock, sink,
                              ServerReconciler::Settings{});
  runtime::MetricsRegistry registry;
  runtime::Controller::Settings settings;
  settings.name = "server";
  settings.workers = 0;  // this test steps the worker itself
  settings.rate_limiter.base_delay = milliseconds(5);
  runtime::Controller controller(reconciler, clock, registry, settings);

  api.FailNextWrite(1, ConflictFromServer(), "status");
  const runtime::ObjectKey key{"", "main"};
  controller.Enqueue(key);

  // 1. The status write meets the 409: nothing is written, the key is requeued (rate-limited).
  ASSERT_TRUE(controller.ProcessNextWorkItem());
  EXPECT_EQ(sql.connects, 1);
  EXPECT_EQ(api.Calls("patch"), 1);
  const json after_conflict =
      api.Object(kube::DatabaseServersGvr(), "", "main")->value("status", json::object());
  EXPECT_EQ(after_conflict.value("conditions", json::array()).size(), 0u) << after_conflict.dump();
  EXPECT_EQ(controller.queue().NumRequeues(key), 1);
  EXPECT_EQ(controller.queue().Len(), 0u);  // not at once: after the rate limiter's delay
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(registry.RegisterCounter("tenantdb_reconcile_total", "", {"controller", "result"})
                .WithLabels({"server", "error"})
                .Value(),
            1);

  // 2. The requeue comes due; the retry (on the refreshed cache) writes Ready=True.
  refresh_cache();
  clock.Advance(milliseconds(5));
  ASSERT_EQ(controller.queue().Len(), 1u);
  ASSERT_TRUE(controller.ProcessNextWorkItem());
  const json status = api.Object(kube::DatabaseServersGvr(), "", "main")->value("status", json());
  ASSERT_TRUE(status.is_object()) << status.dump();
  std::string ready;
  for (const json& c : status.value("conditions", json::array())) {
    if (c.value("type", "") == "Ready") ready = c.value("status", "") + "/" + c.value("reason", "");
  }
  EXPECT_EQ(ready.substr(0, 5), "True/") << status.dump();
  EXPECT_TRUE(FailureConditions(status).empty()) << status.dump();
  EXPECT_EQ(status.value("serverVersion", ""), "15.8") << status.dump();
  EXPECT_EQ(api.Calls("patch"), 2);
  EXPECT_EQ(controller.queue().NumRequeues(key), 0);  // forgotten: success
  EXPECT_EQ(controller.queue().NumDelayed(), 1u);     // only the periodic resync is pending
  for (const RecordedEvent& e : events) {
    EXPECT_NE(e.type, "Warning") << e.reason;
  }
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "Normal");

  // 3. A resync with nothing changed writes nothing more.
  refresh_cache();
  clock.Advance(std::chrono::minutes(11));
  ASSERT_EQ(controller.queue().Len(), 1u);
  ASSERT_TRUE(controller.ProcessNextWorkItem());
  EXPECT_EQ(api.Calls("patch"), 2);
  EXPECT_TRUE(
      FailureConditions(api.Object(kube::DatabaseServersGvr(), "", "main")->value("status", json()))
          .empty());
}

}  // namespace
}  // namespace tenantdb::controllers::server

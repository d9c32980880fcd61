// bench/cache_cost — the exact heap a cached object costs, without a cluster: decodes N Database
// and N DatabaseRole watch objects (kube::DecodeCached, as the watch does), inserts them into typed
// caches, and prints glibc's live heap (mallinfo2: bytes in use, malloc headers included) before
// and after, divided by 2N. Two shapes:
//   ready    Ready=True, the status fields a reconciled pair carries, messages naming the object;
//   stalled  bench/rss.sh's shape: Ready=False + Stalled=True NamespaceNotAllowed (two long
//            conditions per object).
// Build and run (a release build; sanitizers replace malloc):
//   cmake --build <build> --target cache_cost && <build>/bench/cache_cost [N]
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "api/v1alpha1/database_role_types.h"
#include "api/v1alpha1/database_types.h"
#include "kube/typed_cache.h"

namespace {

namespace v1 = tenantdb::api::v1alpha1;
namespace kube = tenantdb::kube;
using nlohmann::json;

std::size_t HeapInUse() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

std::string Num(int i) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04d", i);
  return buf;
}

json Meta(const std::string& name, int i) {
  return {{"name", name},
          {"namespace", "team-payments"},
          {"uid", "0b5c9c8e-2f7a-4c3e-9a0e-5f7e8c1d" + Num(i)},
          {"resourceVersion", std::to_string(100000 + i)},
          {"generation", 1},
          {"creationTimestamp", "2026-12-02T10:00:00Z"},
          {"finalizers", {"tenantdb.io/finalizer"}},
          {"managedFields", {{{"manager", "kubectl"}, {"operation", "Apply"}, {"fieldsV1", {}}}}}};
}

json Condition(const char* type, const char* status, const char* reason, const std::string& msg) {
  return {{"type", type},
          {"status", status},
          {"observedGeneration", 1},
          {"lastTransitionTime", "2026-12-02T10:00:01Z"},
          {"reason", reason},
          {"message", msg}};
}

// bench/rss.sh's status: Ready=False and Stalled=True with the same NamespaceNotAllowed text.
json StalledConditions() {
  const std::string msg =
      "DatabaseServer \"bench-rss\" does not admit namespace \"bench-rss\": add it to "
      "spec.allowedNamespaces or label the namespace to match spec.namespaceSelector.";
  return {Condition("Ready", "False", "NamespaceNotAllowed", msg),
          Condition("Stalled", "True", "NamespaceNotAllowed", msg)};
}

json DatabaseObject(int i, bool ready) {
  const std::string name = "orders-" + Num(i);
  json status = {{"observedGeneration", 1}};
  if (ready) {
    status["databaseName"] = "team_payments_orders_" + Num(i);
    status["owner"] = "team_payments_orders_" + Num(i) + "_owner";
    status["conditions"] = {Condition("Ready", "True", "Reconciled",
                                      "Database \"team_payments_orders_" + Num(i) +
                                          "\" owned by \"team_payments_orders_" + Num(i) +
                                          "_owner\" is in place on DatabaseServer \"default\".")};
  } else {
    status["conditions"] = StalledConditions();
  }
  json meta = Meta(name, i);
  meta["labels"] = {{"team", "payments"}};
  return {{"apiVersion", "tenantdb.io/v1alpha1"},
          {"kind", "Database"},
          {"metadata", meta},
          {"spec", {{"serverRef", {{"name", "default"}}}, {"reclaimPolicy", "Retain"}}},
          {"status", status}};
}

json RoleObject(int i, bool ready) {
  const std::string name = "orders-app-" + Num(i);
  json status = {{"observedGeneration", 1}};
  if (ready) {
    const std::string role = "team_payments_orders_app_" + Num(i);
    status["roleName"] = role;
    status["secretName"] = name + "-credentials";
    status["activeLogin"] = role;
    status["server"] = "default";
    status["databaseName"] = "team_payments_orders_" + Num(i);
    status["passwordChangedAt"] = "2026-12-02T10:00:02Z";
    status["conditions"] = {
        Condition("Ready", "True", "Reconciled",
                  "Role \"" + role + "\" has ReadWrite access to database \"team_payments_orders_" +
                      Num(i) + "\"; its credentials are in Secret " + name + "-credentials.")};
  } else {
    status["conditions"] = StalledConditions();
  }
  return {{"apiVersion", "tenantdb.io/v1alpha1"},
          {"kind", "DatabaseRole"},
          {"metadata", Meta(name, i)},
          {"spec", {{"databaseRef", {{"name", "orders-" + Num(i)}}}, {"privileges", "ReadWrite"}}},
          {"status", status}};
}

double BytesPerObject(int n, bool ready) {
  kube::TypedCacheWriter<v1::Database> databases;
  kube::TypedCacheWriter<v1::DatabaseRole> roles;
  const std::size_t before = HeapInUse();
  for (int i = 0; i < n; ++i) {
    // The JSON is built and freed inside the loop: only the cached objects stay.
    databases.Upsert(kube::DecodeCached<v1::Database>(DatabaseObject(i, ready)));
    roles.Upsert(kube::DecodeCached<v1::DatabaseRole>(RoleObject(i, ready)));
  }
  const std::size_t after = HeapInUse();
  if (databases.Cache().Size() != static_cast<std::size_t>(n) ||
      roles.Cache().Size() != static_cast<std::size_t>(n)) {
    std::fprintf(stderr, "cache_cost: objects missing from the caches\n");
    std::exit(1);
  }
  return static_cast<double>(after - before) / (2.0 * n);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  if (n <= 0) {
    std::fprintf(stderr, "usage: cache_cost [N > 0]\n");
    return 2;
  }
  std::printf("sizeof(Cached<Database>) %zu B, sizeof(Cached<DatabaseRole>) %zu B\n",
              sizeof(kube::Cached<v1::Database>), sizeof(kube::Cached<v1::DatabaseRole>));
  std::printf("ready:   %.0f B per cached object (%d Databases + %d DatabaseRoles)\n",
              BytesPerObject(n, true), n, n);
  std::printf("stalled: %.0f B per cached object (%d Databases + %d DatabaseRoles)\n",
              BytesPerObject(n, false), n, n);
  return 0;
}

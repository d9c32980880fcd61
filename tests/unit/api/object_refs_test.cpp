#include "api/v1alpha1/object_refs.h"

#include <gtest/gtest.h>

#include "api/v1alpha1/database_role_types.h"
#include "api/v1alpha1/database_server_types.h"

namespace tenantdb::api::v1alpha1 {
namespace {

TEST(ObjectRefsTest, EventObjectHasWhatTheRecorderReads) {
  DatabaseRole role;
  role.metadata.ns = "team-a";
  role.metadata.name = "app";
  role.metadata.uid = "u-1";
  role.metadata.resource_version = "42";
  role.spec.database_ref.name = "orders";
  EXPECT_EQ(EventObjectOf(role), Json::parse(R"({"apiVersion":"tenantdb.io/v1alpha1",
      "kind":"DatabaseRole",
      "metadata":{"name":"app","namespace":"team-a","uid":"u-1","resourceVersion":"42"}})"));

  DatabaseServer server;  // cluster-scoped, not yet stored: no namespace, uid, resourceVersion
  server.metadata.name = "default";
  EXPECT_EQ(EventObjectOf(server), Json::parse(R"({"apiVersion":"tenantdb.io/v1alpha1",
      "kind":"DatabaseServer","metadata":{"name":"default"}})"));
}

TEST(ObjectRefsTest, ControllerReference) {
  DatabaseRole role;
  role.metadata.ns = "team-a";
  role.metadata.name = "app";
  role.metadata.uid = "u-1";
  EXPECT_EQ(Encode(ControllerReferenceTo(role)),
            Json::parse(R"({"apiVersion":"tenantdb.io/v1alpha1","kind":"DatabaseRole",
                "name":"app","uid":"u-1","controller":true,"blockOwnerDeletion":true})"));
}

}  // namespace
}  // namespace tenantdb::api::v1alpha1

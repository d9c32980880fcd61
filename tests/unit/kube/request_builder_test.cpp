#include "kube/request_builder.h"

#include <gtest/gtest.h>

#include <string>

#include "kube/patch.h"

namespace tenantdb::kube {
namespace {

TEST(RequestBuilderTest, CollectionAndObjectPaths) {
  const struct {
    Gvr gvr;
    std::string ns;
    std::string name;
    std::string subresource;
    std::string collection;
    std::string object;
  } cases[] = {
      {ConfigMapsGvr(), "app", "cm", "", "/api/v1/namespaces/app/configmaps",
       "/api/v1/namespaces/app/configmaps/cm"},
      {ConfigMapsGvr(), "", "cm", "", "/api/v1/configmaps", "/api/v1/configmaps/cm"},
      {NamespacesGvr(), "ignored", "team-a", "", "/api/v1/namespaces", "/api/v1/namespaces/team-a"},
      {NamespacesGvr(), "", "team-a", "status", "/api/v1/namespaces",
       "/api/v1/namespaces/team-a/status"},
      {JobsGvr(), "ns", "migrate-1", "", "/apis/batch/v1/namespaces/ns/jobs",
       "/apis/batch/v1/namespaces/ns/jobs/migrate-1"},
      {DatabasesGvr(), "t1", "db", "status", "/apis/tenantdb.io/v1alpha1/namespaces/t1/databases",
       "/apis/tenantdb.io/v1alpha1/namespaces/t1/databases/db/status"},
      {DatabaseServersGvr(), "t1", "pg", "", "/apis/tenantdb.io/v1alpha1/databaseservers",
       "/apis/tenantdb.io/v1alpha1/databaseservers/pg"},
      {LeasesGvr(), "tenantdb-system", "tenantdb", "",
       "/apis/coordination.k8s.io/v1/namespaces/tenantdb-system/leases",
       "/apis/coordination.k8s.io/v1/namespaces/tenantdb-system/leases/tenantdb"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(RequestBuilder::CollectionPath(c.gvr, c.ns), c.collection);
    EXPECT_EQ(RequestBuilder::ObjectPath(c.gvr, c.ns, c.name, c.subresource), c.object);
  }
}

TEST(RequestBuilderTest, PathSegmentsAreEncoded) {
  EXPECT_EQ(RequestBuilder::ObjectPath(ConfigMapsGvr(), "a b", "x/y"),
            "/api/v1/namespaces/a%20b/configmaps/x%2Fy");
}

TEST(RequestBuilderTest, UrlEncode) {
  EXPECT_EQ(UrlEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(UrlEncode("app=db,tier in (a, b)"), "app%3Ddb%2Ctier%20in%20%28a%2C%20b%29");
  EXPECT_EQ(UrlEncode("a&b?c#d/e+f%"), "a%26b%3Fc%23d%2Fe%2Bf%25");
  EXPECT_EQ(UrlEncode("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(UrlEncode(""), "");
}

TEST(RequestBuilderTest, QueryString) {
  EXPECT_EQ(QueryString().Str(), "");
  EXPECT_EQ(QueryString().Add("a", "1").AddIfNotEmpty("b", "").Add("c", "x y").Str(),
            "?a=1&c=x%20y");
}

TEST(RequestBuilderTest, Get) {
  const RequestBuilder b(std::chrono::seconds(12));
  const HttpRequest r = b.Get(SecretsGvr(), "ns", "creds");
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/api/v1/namespaces/ns/secrets/creds");
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.content_type.empty());
  EXPECT_EQ(r.timeout, std::chrono::seconds(12));
}

TEST(RequestBuilderTest, ListQuery) {
  const RequestBuilder b;
  EXPECT_EQ(b.List(ConfigMapsGvr(), "ns", {}).path, "/api/v1/namespaces/ns/configmaps");
  ListOptions opts;
  opts.label_selector = "app.kubernetes.io/managed-by=tenantdb,tier!=x";
  opts.field_selector = "metadata.name=a";
  opts.limit = 2;
  opts.continue_token = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTJ9+/=";
  opts.resource_version = "0";
  const HttpRequest r = b.List(DatabasesGvr(), "", opts);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path,
            "/apis/tenantdb.io/v1alpha1/databases"
            "?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dtenantdb%2Ctier%21%3Dx"
            "&fieldSelector=metadata.name%3Da&limit=2"
            "&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTJ9%2B%2F%3D&resourceVersion=0");
}

TEST(RequestBuilderTest, Watch) {
  const RequestBuilder b;
  WatchRequestOptions opts;
  opts.resource_version = "12345";
  opts.label_selector = "a=b";
  opts.timeout = std::chrono::seconds(290);
  const HttpRequest r = b.Watch(ConfigMapsGvr(), "ns", opts);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path,
            "/api/v1/namespaces/ns/configmaps?watch=true&allowWatchBookmarks=true"
            "&labelSelector=a%3Db&resourceVersion=12345&timeoutSeconds=290");
  // The client's idle timeout outlasts the server's timeoutSeconds.
  EXPECT_EQ(r.timeout, std::chrono::seconds(320));

  WatchRequestOptions plain;
  plain.allow_bookmarks = false;
  plain.timeout = std::chrono::seconds(5);
  EXPECT_EQ(b.Watch(NamespacesGvr(), "", plain).path,
            "/api/v1/namespaces?watch=true&timeoutSeconds=5");
}

TEST(RequestBuilderTest, CreateAndUpdate) {
  const RequestBuilder b;
  const json obj = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "x"}}}};
  const HttpRequest create = b.Create(ConfigMapsGvr(), "ns", obj, "tenantdb");
  EXPECT_EQ(create.method, "POST");
  EXPECT_EQ(create.path, "/api/v1/namespaces/ns/configmaps?fieldManager=tenantdb");
  EXPECT_EQ(create.content_type, "application/json");
  EXPECT_EQ(json::parse(create.body), obj);

  const HttpRequest update = b.Update(DatabasesGvr(), "ns", "db", obj, "status");
  EXPECT_EQ(update.method, "PUT");
  EXPECT_EQ(update.path, "/apis/tenantdb.io/v1alpha1/namespaces/ns/databases/db/status");
  EXPECT_EQ(update.content_type, "application/json");
  EXPECT_EQ(json::parse(update.body), obj);
}

TEST(RequestBuilderTest, PatchContentTypes) {
  EXPECT_EQ(PatchContentType(PatchType::kMerge), "application/merge-patch+json");
  EXPECT_EQ(PatchContentType(PatchType::kJson), "application/json-patch+json");
  EXPECT_EQ(PatchContentType(PatchType::kApply), "application/apply-patch+yaml");
}

TEST(RequestBuilderTest, Patch) {
  const RequestBuilder b;
  const json body = {{"data", {{"a", "1"}}}};
  PatchOptions merge;
  merge.force = true;  // ignored: only apply patches take force
  const HttpRequest m = b.Patch(ConfigMapsGvr(), "ns", "x", PatchType::kMerge, body, merge);
  EXPECT_EQ(m.method, "PATCH");
  EXPECT_EQ(m.path, "/api/v1/namespaces/ns/configmaps/x?fieldManager=tenantdb");
  EXPECT_EQ(m.content_type, "application/merge-patch+json");
  EXPECT_EQ(json::parse(m.body), body);

  PatchOptions apply;
  apply.force = true;
  const HttpRequest a = b.Patch(JobsGvr(), "ns", "j", PatchType::kApply, body, apply);
  EXPECT_EQ(a.path, "/apis/batch/v1/namespaces/ns/jobs/j?fieldManager=tenantdb&force=true");
  EXPECT_EQ(a.content_type, "application/apply-patch+yaml");

  PatchOptions status;
  status.subresource = "status";
  status.field_manager = "";
  const HttpRequest s = b.Patch(DatabasesGvr(), "ns", "db", PatchType::kJson,
                                JsonPatch().Remove("/status/x").ToJson(), status);
  EXPECT_EQ(s.path, "/apis/tenantdb.io/v1alpha1/namespaces/ns/databases/db/status");
  EXPECT_EQ(s.content_type, "application/json-patch+json");
  EXPECT_EQ(s.body, R"([{"op":"remove","path":"/status/x"}])");
}

TEST(RequestBuilderTest, Delete) {
  const RequestBuilder b;
  const HttpRequest plain = b.Delete(JobsGvr(), "ns", "j", {});
  EXPECT_EQ(plain.method, "DELETE");
  EXPECT_EQ(plain.path, "/apis/batch/v1/namespaces/ns/jobs/j");
  EXPECT_TRUE(plain.body.empty());
  EXPECT_TRUE(plain.content_type.empty());

  DeleteOptions opts;
  opts.propagation_policy = "Background";
  opts.precondition_uid = "u-1";
  opts.precondition_resource_version = "42";
  const HttpRequest r = b.Delete(JobsGvr(), "ns", "j", opts);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(json::parse(r.body),
            (json{{"apiVersion", "v1"},
                  {"kind", "DeleteOptions"},
                  {"propagationPolicy", "Background"},
                  {"preconditions", {{"uid", "u-1"}, {"resourceVersion", "42"}}}}));
}

// --- patch helpers ------------------------------------------------------------------------

TEST(KubePatchTest, JsonPointer) {
  EXPECT_EQ(JsonPointer({"metadata", "labels", "app.kubernetes.io/name"}),
            "/metadata/labels/app.kubernetes.io~1name");
  EXPECT_EQ(EscapeJsonPointerToken("a~b/c"), "a~0b~1c");
}

TEST(KubePatchTest, JsonPatchBuilder) {
  const json ops = JsonPatch()
                       .Test("/metadata/resourceVersion", "7")
                       .Add("/a", 1)
                       .Replace("/b", json::array())
                       .Remove("/c")
                       .ToJson();
  EXPECT_EQ(ops, json::parse(R"([
    {"op":"test","path":"/metadata/resourceVersion","value":"7"},
    {"op":"add","path":"/a","value":1},
    {"op":"replace","path":"/b","value":[]},
    {"op":"remove","path":"/c"}])"));
  EXPECT_TRUE(JsonPatch().empty());
}

TEST(KubePatchTest, FinalizerPatches) {
  const json none = {{"metadata", {{"name", "x"}}}};
  auto add_first = AddFinalizerPatch(none, "tenantdb.io/cleanup");
  ASSERT_TRUE(add_first.has_value());
  EXPECT_EQ(add_first->ToJson(), json::parse(R"([
    {"op":"test","path":"/metadata/finalizers","value":null},
    {"op":"add","path":"/metadata/finalizers","value":["tenantdb.io/cleanup"]}])"));

  const json some = {{"metadata", {{"finalizers", {"other", "tenantdb.io/cleanup"}}}}};
  EXPECT_FALSE(AddFinalizerPatch(some, "tenantdb.io/cleanup").has_value());
  auto add_more = AddFinalizerPatch(some, "third");
  ASSERT_TRUE(add_more.has_value());
  EXPECT_EQ(add_more->ToJson(), json::parse(R"([
    {"op":"test","path":"/metadata/finalizers","value":["other","tenantdb.io/cleanup"]},
    {"op":"add","path":"/metadata/finalizers/-","value":"third"}])"));

  auto remove = RemoveFinalizerPatch(some, "tenantdb.io/cleanup");
  ASSERT_TRUE(remove.has_value());
  EXPECT_EQ(remove->ToJson(), json::parse(R"([
    {"op":"test","path":"/metadata/finalizers/1","value":"tenantdb.io/cleanup"},
    {"op":"remove","path":"/metadata/finalizers/1"}])"));
  EXPECT_FALSE(RemoveFinalizerPatch(some, "absent").has_value());
  EXPECT_FALSE(RemoveFinalizerPatch(none, "tenantdb.io/cleanup").has_value());
}

TEST(KubePatchTest, MergePatchDiff) {
  const json from = json::parse(R"({"a":1,"b":{"c":2,"d":3},"e":[1,2],"gone":true})");
  const json to = json::parse(R"({"a":1,"b":{"c":5,"d":3},"e":[1],"new":"x"})");
  EXPECT_EQ(MergePatchDiff(from, to),
            json::parse(R"({"b":{"c":5},"e":[1],"new":"x","gone":null})"));
  EXPECT_EQ(MergePatchDiff(from, from), json::object());
  EXPECT_EQ(MergePatchDiff(json::object(), to), to);
}

TEST(KubePatchTest, ApplyBody) {
  const json body = ApplyBody(ConfigMapsGvr(), "ns", "x",
                              {{"metadata", {{"labels", {{"a", "b"}}}}}, {"data", {{"k", "v"}}}});
  EXPECT_EQ(body, json::parse(R"({"apiVersion":"v1","kind":"ConfigMap",
    "metadata":{"name":"x","namespace":"ns","labels":{"a":"b"}},"data":{"k":"v"}})"));
  const json cluster = ApplyBody(DatabaseServersGvr(), "ns", "pg", json::object());
  EXPECT_EQ(cluster, json::parse(R"({"apiVersion":"tenantdb.io/v1alpha1","kind":"DatabaseServer",
    "metadata":{"name":"pg"}})"));
}

}  // namespace
}  // namespace tenantdb::kube

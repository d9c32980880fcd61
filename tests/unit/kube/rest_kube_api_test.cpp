#include "kube/rest_kube_api.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "fakes/fake_http_transport.h"
#include "kube/api_error.h"

namespace tenantdb::kube {
namespace {

json ConfigMap(const std::string& ns, const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"resourceVersion", "5"}}},
          {"data", {{"k", "v"}}}};
}

class RestKubeApiTest : public ::testing::Test {
 protected:
  RestKubeApiTest() : api_(transport_) {
    api_.SetRequestObserver(
        [this](std::string_view verb, int code) { observed_.emplace_back(verb, code); });
  }

  FakeHttpTransport transport_;
  RestKubeApi api_;
  std::vector<std::pair<std::string, int>> observed_;
};

TEST_F(RestKubeApiTest, GetReturnsTheObject) {
  transport_.Respond(200, ConfigMap("ns", "x"));
  auto got = api_.Get(ConfigMapsGvr(), "ns", "x");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((**got)["data"]["k"], "v");
  EXPECT_EQ(transport_.last_request().method, "GET");
  EXPECT_EQ(transport_.last_request().path, "/api/v1/namespaces/ns/configmaps/x");
  EXPECT_EQ(observed_, (std::vector<std::pair<std::string, int>>{{"get", 200}}));
}

TEST_F(RestKubeApiTest, GetNotFoundIsNullopt) {
  transport_.RespondStatus(404, "NotFound", "configmaps \"x\" not found");
  auto got = api_.Get(ConfigMapsGvr(), "ns", "x");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_FALSE(got->has_value());
  EXPECT_EQ(observed_, (std::vector<std::pair<std::string, int>>{{"get", 404}}));
}

TEST_F(RestKubeApiTest, NamespacedKindWithoutNamespaceIsABug) {
  auto got = api_.Get(ConfigMapsGvr(), "", "x");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::kInternal);
  EXPECT_TRUE(transport_.requests().empty());
  EXPECT_TRUE(observed_.empty());
}

// One row per HTTP status: the Error the caller sees.
struct MappingCase {
  int status;
  std::string reason;
  ErrorCode code;
  bool terminal;
  std::string condition_reason;
};

TEST_F(RestKubeApiTest, StatusMapping) {
  const MappingCase cases[] = {
      {404, "NotFound", ErrorCode::kNotFound, false, "DependencyNotReady"},
      {409, "Conflict", ErrorCode::kConflict, false, "Reconciling"},
      {409, "AlreadyExists", ErrorCode::kConflict, false, "Reconciling"},
      {410, "Expired", ErrorCode::kConflict, false, "Reconciling"},
      {400, "BadRequest", ErrorCode::kInvalid, true, "InvalidSpec"},
      {422, "Invalid", ErrorCode::kInvalid, true, "InvalidSpec"},
      {401, "Unauthorized", ErrorCode::kPermission, false, "PermissionDenied"},
      {403, "Forbidden", ErrorCode::kPermission, false, "PermissionDenied"},
      {429, "TooManyRequests", ErrorCode::kTransient, false, "ServerUnreachable"},
      {500, "InternalError", ErrorCode::kTransient, false, "ServerUnreachable"},
      {503, "ServiceUnavailable", ErrorCode::kTransient, false, "ServerUnreachable"},
      {504, "Timeout", ErrorCode::kTransient, false, "ServerUnreachable"},
      {415, "UnsupportedMediaType", ErrorCode::kInternal, false, "Reconciling"},
  };
  for (const MappingCase& c : cases) {
    transport_.RespondStatus(c.status, c.reason, "the server says " + c.reason);
    auto result = api_.Patch(ConfigMapsGvr(), "ns", "x", PatchType::kMerge, {{"data", nullptr}});
    ASSERT_FALSE(result.has_value()) << c.status;
    const Error& e = result.error();
    EXPECT_EQ(e.code, c.code) << c.status;
    EXPECT_EQ(e.terminal, c.terminal) << c.status;
    EXPECT_EQ(e.reason, c.condition_reason) << c.status;
    EXPECT_EQ(e.http_status, c.status);
    EXPECT_EQ(e.message, "patch configmaps ns/x: the server says " + c.reason + " (HTTP " +
                             std::to_string(c.status) + " " + c.reason + ")");
  }
  transport_.RespondStatus(410, "Expired", "too old resource version: 1 (2)");
  auto gone = api_.List(ConfigMapsGvr(), "ns", {});
  ASSERT_FALSE(gone.has_value());
  EXPECT_TRUE(IsGone(gone.error()));
  EXPECT_FALSE(IsConflict(gone.error()));
}

TEST_F(RestKubeApiTest, TooManyRequestsCarriesRetryAfter) {
  transport_.RespondStatus(429, "TooManyRequests", "slow down", {{"retry-after", "7"}});
  auto result = api_.List(ConfigMapsGvr(), "ns", {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kTransient);
  EXPECT_EQ(result.error().retry_after_seconds, 7);
  EXPECT_EQ(result.error().http_status, 429);

  // From the Status details when there is no header.
  transport_.Respond(500, {{"kind", "Status"},
                           {"code", 500},
                           {"reason", "ServerTimeout"},
                           {"message", "try again"},
                           {"details", {{"retryAfterSeconds", 3}}}});
  auto timeout = api_.List(ConfigMapsGvr(), "ns", {});
  ASSERT_FALSE(timeout.has_value());
  EXPECT_EQ(timeout.error().retry_after_seconds, 3);
}

TEST_F(RestKubeApiTest, NonStatusErrorBody) {
  HttpResponse html;
  html.status = 502;
  html.body = "<html>Bad Gateway</html>";
  transport_.RespondRaw(html);
  auto result = api_.Get(ConfigMapsGvr(), "ns", "x");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kTransient);
  EXPECT_EQ(result.error().message, "get configmaps ns/x: <html>Bad Gateway</html> (HTTP 502)");
}

TEST_F(RestKubeApiTest, TransportErrorPassesThroughWithContext) {
  transport_.Fail(Error::Transient("connection refused"));
  auto result = api_.Create(ConfigMapsGvr(), "ns", ConfigMap("ns", "x"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kTransient);
  EXPECT_EQ(result.error().http_status, 0);
  EXPECT_EQ(result.error().message, "create configmaps ns/x: connection refused");
  EXPECT_EQ(observed_, (std::vector<std::pair<std::string, int>>{{"create", 0}}));
}

TEST_F(RestKubeApiTest, FailedJsonPatchTestIsAConflict) {
  const json guarded = json::array({{{"op", "test"}, {"path", "/a"}, {"value", 1}},
                                    {{"op", "replace"}, {"path", "/a"}, {"value", 2}}});
  const json unguarded = json::array({{{"op", "replace"}, {"path", "/a"}, {"value", 2}}});
  const std::string generic = "the server rejected our request due to an error in our request";
  const auto patch = [this](const json& ops) {
    return api_.Patch(ConfigMapsGvr(), "ns", "x", PatchType::kJson, ops);
  };

  // Kubernetes 1.36: a failed test op is a generic 422 without causes.
  transport_.RespondStatus(422, "Invalid", generic);
  auto conflict = patch(guarded);
  ASSERT_FALSE(conflict.has_value());
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
  EXPECT_FALSE(conflict.error().terminal);
  EXPECT_EQ(conflict.error().http_status, 422);
  EXPECT_NE(conflict.error().message.find("a test operation of the JSON patch failed"),
            std::string::npos);

  // Older servers named the failed test.
  transport_.Respond(422, {{"kind", "Status"},
                           {"code", 422},
                           {"message", "testing value /metadata/finalizers failed: test failed"},
                           {"details", {{"causes", json::array({{{"message", "x"}}})}}}});
  EXPECT_EQ(patch(guarded).error().code, ErrorCode::kConflict);

  // The same generic answer to a patch without a test op is an invalid patch.
  transport_.RespondStatus(422, "Invalid", generic);
  auto invalid = patch(unguarded);
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalid);
  EXPECT_TRUE(invalid.error().terminal);

  // A validation error of the patched object (with causes) stays invalid, test op or not.
  transport_.Respond(422, {{"kind", "Status"},
                           {"code", 422},
                           {"reason", "Invalid"},
                           {"message", "ConfigMap \"x\" is invalid: data[a b]: Invalid value"},
                           {"details", {{"causes", json::array({{{"field", "data[a b]"}}})}}}});
  EXPECT_EQ(patch(guarded).error().code, ErrorCode::kInvalid);

  // Only JSON patches are concerned.
  transport_.RespondStatus(422, "Invalid", generic);
  EXPECT_EQ(api_.Patch(ConfigMapsGvr(), "ns", "x", PatchType::kMerge, {{"a", 1}}).error().code,
            ErrorCode::kInvalid);
}

TEST_F(RestKubeApiTest, CreateUsesObjectNamespaceAndFieldManager) {
  transport_.Respond(201, ConfigMap("from-obj", "x"));
  auto created = api_.Create(ConfigMapsGvr(), "", ConfigMap("from-obj", "x"));
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_EQ(transport_.last_request().method, "POST");
  EXPECT_EQ(transport_.last_request().path,
            "/api/v1/namespaces/from-obj/configmaps?fieldManager=tenantdb");
  EXPECT_EQ(observed_, (std::vector<std::pair<std::string, int>>{{"create", 201}}));

  auto no_ns = api_.Create(ConfigMapsGvr(), "", {{"metadata", {{"name", "y"}}}});
  ASSERT_FALSE(no_ns.has_value());
  EXPECT_EQ(no_ns.error().code, ErrorCode::kInternal);
}

TEST_F(RestKubeApiTest, UpdateTakesKeyFromObject) {
  transport_.Respond(200, ConfigMap("ns", "x"));
  auto updated = api_.Update(DatabasesGvr(), ConfigMap("ns", "x"), "status");
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(transport_.last_request().method, "PUT");
  EXPECT_EQ(transport_.last_request().path,
            "/apis/tenantdb.io/v1alpha1/namespaces/ns/databases/x/status?fieldManager=tenantdb");
  transport_.RespondStatus(409, "Conflict", "the object has been modified");
  auto stale = api_.Update(ConfigMapsGvr(), ConfigMap("ns", "x"));
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(IsConflict(stale.error()));
  EXPECT_EQ(observed_,
            (std::vector<std::pair<std::string, int>>{{"update", 200}, {"update", 409}}));
}

TEST_F(RestKubeApiTest, PatchAndDeleteRequests) {
  transport_.Respond(200, ConfigMap("ns", "x"));
  PatchOptions apply;
  apply.force = true;
  auto patched =
      api_.Patch(ConfigMapsGvr(), "ns", "x", PatchType::kApply, ConfigMap("ns", "x"), apply);
  ASSERT_TRUE(patched.has_value()) << patched.error().message;
  EXPECT_EQ(transport_.last_request().content_type, "application/apply-patch+yaml");
  EXPECT_EQ(transport_.last_request().path,
            "/api/v1/namespaces/ns/configmaps/x?fieldManager=tenantdb&force=true");

  transport_.Respond(200, {{"kind", "Status"}, {"status", "Success"}});
  EXPECT_TRUE(api_.Delete(ConfigMapsGvr(), "ns", "x").has_value());
  EXPECT_EQ(transport_.last_request().method, "DELETE");
  transport_.RespondStatus(404, "NotFound", "configmaps \"x\" not found");
  auto missing = api_.Delete(ConfigMapsGvr(), "ns", "x");
  ASSERT_FALSE(missing.has_value());
  EXPECT_TRUE(IsNotFound(missing.error()));
  EXPECT_EQ(observed_, (std::vector<std::pair<std::string, int>>{
                           {"patch", 200}, {"delete", 200}, {"delete", 404}}));
}

TEST_F(RestKubeApiTest, ResponseThatIsNotJson) {
  HttpResponse garbage;
  garbage.status = 200;
  garbage.body = "not json";
  transport_.RespondRaw(garbage);
  auto result = api_.List(ConfigMapsGvr(), "ns", {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kInternal);
}

TEST_F(RestKubeApiTest, WatchStreamsChunks) {
  transport_.RespondStream(200, {"{\"type\":\"ADD", "ED\",\"object\":{}}\n"});
  std::string received;
  auto watched = api_.Watch(
      ConfigMapsGvr(), "ns", WatchRequestOptions{},
      [&received](std::string_view chunk) {
        received += chunk;
        return true;
      },
      std::stop_token());
  ASSERT_TRUE(watched.has_value()) << watched.error().message;
  EXPECT_EQ(received, "{\"type\":\"ADDED\",\"object\":{}}\n");
  EXPECT_EQ(transport_.last_request().path,
            "/api/v1/namespaces/ns/configmaps?watch=true&allowWatchBookmarks=true"
            "&timeoutSeconds=290");

  transport_.RespondStatus(410, "Expired", "too old resource version");
  auto gone = api_.Watch(
      ConfigMapsGvr(), "ns", WatchRequestOptions{}, [](std::string_view) { return true; },
      std::stop_token());
  ASSERT_FALSE(gone.has_value());
  EXPECT_TRUE(IsGone(gone.error()));
  EXPECT_EQ(observed_, (std::vector<std::pair<std::string, int>>{{"watch", 200}, {"watch", 410}}));
}

TEST(ApiErrorTest, ParseStatus) {
  EXPECT_FALSE(ParseStatus("").has_value());
  EXPECT_FALSE(ParseStatus("{\"kind\":\"ConfigMap\"}").has_value());
  auto status = ParseStatus(
      R"({"kind":"Status","code":410,"reason":"Expired","message":"too old","details":{}})");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code, 410);
  EXPECT_EQ(status->reason, "Expired");
  EXPECT_EQ(status->message, "too old");
  EXPECT_EQ(status->retry_after_seconds, 0);
}

TEST(ApiErrorTest, RetryAfterHttpDateIsIgnored) {
  HttpResponse r;
  r.status = 429;
  r.headers["retry-after"] = "Wed, 21 Oct 2015 07:28:00 GMT";
  EXPECT_EQ(ErrorFromResponse(r, "list x").retry_after_seconds, 0);
  EXPECT_EQ(ErrorFromResponse(r, "list x").message,
            "list x: the server gave no message (HTTP 429)");
}

}  // namespace
}  // namespace tenantdb::kube

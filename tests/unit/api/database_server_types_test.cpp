#include "api/v1alpha1/database_server_types.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api_test_util.h"

namespace tenantdb::api::v1alpha1 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::MessageAt;
using testing_util::Paths;

constexpr const char* kFullServer = R"({
  "apiVersion": "tenantdb.io/v1alpha1",
  "kind": "DatabaseServer",
  "metadata": {"name": "main", "uid": "5e1f", "resourceVersion": "12", "generation": 2,
               "creationTimestamp": "2026-01-01T00:00:00Z"},
  "spec": {
    "host": "pg.db.svc.cluster.local",
    "port": 6432,
    "sslMode": "verify-full",
    "sslRootCertSecretRef": {"namespace": "db", "name": "pg-ca", "key": "root.crt"},
    "adminCredentialsSecretRef": {"namespace": "db", "name": "pg-admin",
                                  "usernameKey": "user", "passwordKey": "pass"},
    "allowedNamespaces": ["shop", "billing"],
    "allowedNamespaceSelector": {
      "matchLabels": {"tenantdb.io/tenant": "true"},
      "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["sandbox"]}]
    },
    "maxConnections": 10,
    "allowedTemplates": ["golden"],
    "allowedExtensions": ["citext", "uuid-ossp", "dblink"],
    "grantableRoles": ["pg_read_all_stats"],
    "allowAdoption": true
  },
  "status": {
    "observedGeneration": 2,
    "conditions": [{"type": "Ready", "status": "True", "observedGeneration": 2,
                    "lastTransitionTime": "2026-01-02T03:04:05Z", "reason": "Reconciled",
                    "message": "Logged in"}],
    "serverVersion": "16.4",
    "databases": 3
  }
})";

DatabaseServer FullServer() {
  DatabaseServer s;
  s.metadata.name = "main";
  s.metadata.uid = "5e1f";
  s.metadata.resource_version = "12";
  s.metadata.generation = 2;
  s.metadata.creation_timestamp = *ParseRfc3339("2026-01-01T00:00:00Z");
  s.spec.host = "pg.db.svc.cluster.local";
  s.spec.port = 6432;
  s.spec.ssl_mode = SslMode::kVerifyFull;
  NamespacedSecretKeySelector ca;
  ca.ns = "db";
  ca.name = "pg-ca";
  ca.key = "root.crt";
  s.spec.ssl_root_cert_secret_ref = ca;
  s.spec.admin_credentials_secret_ref.ns = "db";
  s.spec.admin_credentials_secret_ref.name = "pg-admin";
  s.spec.admin_credentials_secret_ref.username_key = "user";
  s.spec.admin_credentials_secret_ref.password_key = "pass";
  s.spec.allowed_namespaces = std::vector<std::string>{"shop", "billing"};
  LabelSelector selector;
  selector.match_labels["tenantdb.io/tenant"] = "true";
  LabelSelectorRequirement req;
  req.key = "env";
  req.op = LabelSelectorOperator::kNotIn;
  req.values = {"sandbox"};
  selector.match_expressions = {req};
  s.spec.allowed_namespace_selector = selector;
  s.spec.max_connections = 10;
  s.spec.allowed_templates = std::vector<std::string>{"golden"};
  s.spec.allowed_extensions = std::vector<std::string>{"citext", "uuid-ossp", "dblink"};
  s.spec.grantable_roles = std::vector<std::string>{"pg_read_all_stats"};
  s.spec.allow_adoption = true;
  s.status.observed_generation = 2;
  Condition ready;
  ready.type = "Ready";
  ready.status = ConditionStatus::kTrue;
  ready.observed_generation = 2;
  ready.last_transition_time = *ParseRfc3339("2026-01-02T03:04:05Z");
  ready.reason = "Reconciled";
  ready.message = "Logged in";
  s.status.conditions = {ready};
  s.status.server_version = "16.4";
  s.status.databases = 3;
  return s;
}

// Minimal valid server: host and admin credentials.
DatabaseServer MinimalServer() {
  DatabaseServer s;
  s.metadata.name = "main";
  s.spec.host = "pg";
  s.spec.admin_credentials_secret_ref.ns = "db";
  s.spec.admin_credentials_secret_ref.name = "pg-admin";
  return s;
}

TEST(DatabaseServerJsonTest, FullObjectRoundTrips) {
  const Json j = Json::parse(kFullServer);
  const auto parsed = FromJson<DatabaseServer>(j);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, FullServer());
  EXPECT_EQ(ToJson(*parsed), j);
  EXPECT_EQ(*FromJson<DatabaseServer>(ToJson(FullServer())), FullServer());
}

TEST(DatabaseServerJsonTest, UnsetOptionalsAreOmitted) {
  const Json j = ToJson(MinimalServer());
  EXPECT_EQ(j, Json::parse(R"({"apiVersion": "tenantdb.io/v1alpha1", "kind": "DatabaseServer",
    "metadata": {"name": "main"},
    "spec": {"host": "pg", "adminCredentialsSecretRef": {"namespace": "db", "name": "pg-admin"}}})"));
  EXPECT_EQ(*FromJson<DatabaseServer>(j), MinimalServer());
}

TEST(DatabaseServerJsonTest, EmptyAllowedNamespacesDiffersFromAbsent) {
  const auto empty =
      FromJson<DatabaseServer>(Json::parse(R"({"spec": {"allowedNamespaces": []}})"));
  ASSERT_TRUE(empty.has_value());
  ASSERT_TRUE(empty->spec.allowed_namespaces.has_value());
  EXPECT_TRUE(empty->spec.allowed_namespaces->empty());
  EXPECT_EQ(ToJson(*empty)["spec"]["allowedNamespaces"], Json::array());
  const auto absent = FromJson<DatabaseServer>(Json::parse(R"({"spec": {}})"));
  EXPECT_FALSE(absent->spec.allowed_namespaces.has_value());
}

TEST(DatabaseServerDefaultsTest, AppliesReferenceDefaults) {
  DatabaseServer s = MinimalServer();
  NamespacedSecretKeySelector ca;
  ca.ns = "db";
  ca.name = "pg-ca";
  s.spec.ssl_root_cert_secret_ref = ca;
  ApplyDefaults(s);
  EXPECT_EQ(s.spec.port, 5432);
  EXPECT_EQ(s.spec.ssl_mode, SslMode::kPrefer);
  EXPECT_EQ(s.spec.ssl_root_cert_secret_ref->key, "ca.crt");
  EXPECT_EQ(s.spec.admin_credentials_secret_ref.username_key, "username");
  EXPECT_EQ(s.spec.admin_credentials_secret_ref.password_key, "password");
  EXPECT_EQ(s.spec.max_connections, 5);
  EXPECT_FALSE(s.spec.allowed_namespaces.has_value());
  EXPECT_FALSE(s.spec.allowed_namespace_selector.has_value());
  EXPECT_EQ(s.spec.allow_adoption, false);
  EXPECT_FALSE(s.spec.allowed_extensions.has_value());  // PostgreSQL's trusted extensions
  EXPECT_TRUE(Validate(s).empty());
}

TEST(DatabaseServerValidateTest, StarMustStandAloneAndPolicyListsHoldNames) {
  DatabaseServer s = MinimalServer();
  s.spec.allowed_namespaces = std::vector<std::string>{"*"};
  EXPECT_THAT(Validate(s), ElementsAre());
  s.spec.allowed_namespaces = std::vector<std::string>{"shop", "*"};
  EXPECT_THAT(Paths(Validate(s)), ElementsAre("spec.allowedNamespaces[1]"));
  s.spec.allowed_namespaces.reset();
  s.spec.allowed_templates = std::vector<std::string>{"golden", "Bad Name"};
  s.spec.allowed_extensions = std::vector<std::string>{"uuid-ossp", "uuid-ossp"};
  s.spec.grantable_roles = std::vector<std::string>{"pg_monitor", "x;DROP"};
  EXPECT_THAT(Paths(Validate(s)),
              ElementsAre("spec.allowedTemplates[1]", "spec.allowedExtensions[1]",
                          "spec.grantableRoles[1]"));
}

TEST(DatabaseServerDefaultsTest, KeepsSetValuesAndIsIdempotent) {
  DatabaseServer s = FullServer();
  ApplyDefaults(s);
  EXPECT_EQ(s, FullServer());
  DatabaseServer once = MinimalServer();
  ApplyDefaults(once);
  DatabaseServer twice = once;
  ApplyDefaults(twice);
  EXPECT_EQ(once, twice);
}

TEST(DatabaseServerValidateTest, FullAndMinimalObjectsAreValid) {
  EXPECT_THAT(Validate(FullServer()), ElementsAre());
  EXPECT_THAT(Validate(MinimalServer()), ElementsAre());
}

TEST(DatabaseServerValidateTest, RequiredFields) {
  const std::vector<FieldError> errors = Validate(DatabaseServer{});
  EXPECT_THAT(Paths(errors), ElementsAre("spec.host", "spec.adminCredentialsSecretRef.namespace",
                                         "spec.adminCredentialsSecretRef.name"));
  EXPECT_EQ(MessageAt(errors, "spec.host"), "required");
}

TEST(DatabaseServerValidateTest, Ranges) {
  DatabaseServer s = MinimalServer();
  s.spec.port = 0;
  s.spec.max_connections = 101;
  EXPECT_THAT(Paths(Validate(s)), ElementsAre("spec.port", "spec.maxConnections"));
  s.spec.port = 65536;
  s.spec.max_connections = 0;
  EXPECT_THAT(Paths(Validate(s)), ElementsAre("spec.port", "spec.maxConnections"));
  s.spec.port = 65535;
  s.spec.max_connections = 100;
  EXPECT_THAT(Validate(s), ElementsAre());
  s.spec.port = 1;
  s.spec.max_connections = 1;
  EXPECT_THAT(Validate(s), ElementsAre());
}

TEST(DatabaseServerValidateTest, HostLength) {
  DatabaseServer s = MinimalServer();
  s.spec.host = std::string(253, 'h');
  EXPECT_THAT(Validate(s), ElementsAre());
  s.spec.host = std::string(254, 'h');
  EXPECT_THAT(Paths(Validate(s)), ElementsAre("spec.host"));
}

TEST(DatabaseServerValidateTest, VerifyModesNeedARootCertificate) {
  DatabaseServer s = MinimalServer();
  for (const SslMode mode : {SslMode::kVerifyCa, SslMode::kVerifyFull}) {
    s.spec.ssl_mode = mode;
    const std::vector<FieldError> errors = Validate(s);
    EXPECT_THAT(Paths(errors), ElementsAre("spec.sslRootCertSecretRef"));
    EXPECT_THAT(MessageAt(errors, "spec.sslRootCertSecretRef"), HasSubstr(ToString(mode)));
  }
  for (const SslMode mode :
       {SslMode::kDisable, SslMode::kAllow, SslMode::kPrefer, SslMode::kRequire}) {
    s.spec.ssl_mode = mode;
    EXPECT_THAT(Validate(s), ElementsAre()) << ToString(mode);
  }
  s.spec.ssl_mode = SslMode::kVerifyFull;
  s.spec.ssl_root_cert_secret_ref = NamespacedSecretKeySelector{};
  EXPECT_THAT(Paths(Validate(s)),
              ElementsAre("spec.sslRootCertSecretRef.namespace", "spec.sslRootCertSecretRef.name"));
}

TEST(DatabaseServerValidateTest, AllowedNamespacesAreDnsLabels) {
  DatabaseServer s = MinimalServer();
  s.spec.allowed_namespaces =
      std::vector<std::string>{"shop", "Team_B", "ok-1", std::string(64, 'a'), "-x"};
  EXPECT_THAT(Paths(Validate(s)),
              ElementsAre("spec.allowedNamespaces[1]", "spec.allowedNamespaces[3]",
                          "spec.allowedNamespaces[4]"));
}

TEST(DatabaseServerValidateTest, NamespaceSelectorRequirements) {
  DatabaseServer s = MinimalServer();
  LabelSelector selector;
  LabelSelectorRequirement req;
  req.key = "team";
  req.op = LabelSelectorOperator::kIn;
  selector.match_expressions = {req};
  s.spec.allowed_namespace_selector = selector;
  EXPECT_THAT(Paths(Validate(s)),
              ElementsAre("spec.allowedNamespaceSelector.matchExpressions[0].values"));
}

TEST(DatabaseServerValidateTest, SecretReferenceShapes) {
  DatabaseServer s = MinimalServer();
  NamespacedSecretKeySelector ca;
  ca.ns = "Bad_NS";
  ca.name = "pg_ca";
  ca.key = "ca crt";
  s.spec.ssl_root_cert_secret_ref = ca;
  s.spec.admin_credentials_secret_ref.username_key = "user/name";
  s.spec.admin_credentials_secret_ref.password_key = "";
  EXPECT_THAT(
      Paths(Validate(s)),
      ElementsAre("spec.sslRootCertSecretRef.namespace", "spec.sslRootCertSecretRef.name",
                  "spec.sslRootCertSecretRef.key", "spec.adminCredentialsSecretRef.usernameKey",
                  "spec.adminCredentialsSecretRef.passwordKey"));
  s.spec.ssl_root_cert_secret_ref->ns = "db";
  s.spec.ssl_root_cert_secret_ref->name = "pg-ca";
  s.spec.ssl_root_cert_secret_ref->key = "ca.crt";
  s.spec.admin_credentials_secret_ref.username_key = "user_name";
  s.spec.admin_credentials_secret_ref.password_key = "PASSWORD-1";
  EXPECT_THAT(Validate(s), ElementsAre());
}

TEST(DatabaseServerValidateTest, AllowedNamespacesAreASet) {
  DatabaseServer s = MinimalServer();
  s.spec.allowed_namespaces = std::vector<std::string>{"shop", "billing", "shop"};
  const std::vector<FieldError> errors = Validate(s);
  EXPECT_THAT(Paths(errors), ElementsAre("spec.allowedNamespaces[2]"));
  EXPECT_THAT(MessageAt(errors, "spec.allowedNamespaces[2]"), HasSubstr("duplicate"));
  s.spec.allowed_namespaces = std::vector<std::string>(1025, "shop");
  EXPECT_EQ(Paths(Validate(s)).front(), "spec.allowedNamespaces");
}

TEST(DatabaseServerValidateTest, SelectorLimits) {
  DatabaseServer s = MinimalServer();
  LabelSelector selector;
  selector.match_labels["team"] = std::string(64, 'v');
  LabelSelectorRequirement req;
  req.key = std::string(318, 'k');
  req.op = LabelSelectorOperator::kExists;
  selector.match_expressions = {req};
  s.spec.allowed_namespace_selector = selector;
  EXPECT_THAT(Paths(Validate(s)),
              ElementsAre("spec.allowedNamespaceSelector.matchLabels[team]",
                          "spec.allowedNamespaceSelector.matchExpressions[0].key"));
}

TEST(DatabaseServerJsonTest, TypeErrorsCarryThePath) {
  const auto s = FromJson<DatabaseServer>(
      Json::parse(R"({"spec": {"adminCredentialsSecretRef": {"namespace": 3}}})"));
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().message, "spec.adminCredentialsSecretRef.namespace: expected string");
  const auto op = FromJson<DatabaseServer>(Json::parse(
      R"({"spec": {"allowedNamespaceSelector": {"matchExpressions": [{"key": "a", "operator": "in"}]}}})"));
  ASSERT_FALSE(op.has_value());
  EXPECT_THAT(op.error().message,
              HasSubstr("spec.allowedNamespaceSelector.matchExpressions[0].operator: unsupported "
                        "value \"in\""));
}

}  // namespace
}  // namespace tenantdb::api::v1alpha1
